from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RecipientKind


class CommunicationFilterForm(forms.Form):
    """The register's filters: a period and a kind of recipient (no health information in the URL)."""

    du = forms.DateField(label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    destinataire = forms.ChoiceField(
        label=_("Recipient kind"), required=False, choices=[("", _("All recipients")), *RecipientKind.choices]
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and end < start:
            raise forms.ValidationError(_("The end of the period comes after its start."))
        return cleaned

    def filters(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.cleaned_data.items() if value}
