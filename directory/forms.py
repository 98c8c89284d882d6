from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import Patient
from .nam import normalize as normalize_nam
from .services import PATIENT_EDITABLE_FIELDS


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. After several failures the account is locked for a while."),
        "inactive": _("This account is deactivated."),
    }


class PatientForm(forms.ModelForm):
    """The patient's identification, contact details and readiness for video."""

    # Room for the spaces of the card's layout (QWEA 1001 0110); stored without them.
    nam = forms.CharField(
        label=capfirst(Patient._meta.get_field("nam").verbose_name),
        help_text=Patient._meta.get_field("nam").help_text,
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    class Meta:
        model = Patient
        fields = PATIENT_EDITABLE_FIELDS
        widgets = {
            # Typed as on the RAMQ card's order, year first: a browser date picker would show
            # 05/10/1967 on an English workstation, which reads both ways.
            "date_of_birth": forms.DateInput(
                attrs={"placeholder": _("YYYY-MM-DD"), "inputmode": "numeric", "autocomplete": "off"}, format="%Y-%m-%d"
            ),
            "file_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "alternative_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, clinics=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clinics is not None:
            # Registering: the clinic that will follow the patient, asked only when there is a choice.
            self.fields["clinic"] = forms.ModelChoiceField(
                label=_("Followed by the clinic"),
                queryset=clinics,
                empty_label=None,
                widget=forms.Select if clinics.count() > 1 else forms.HiddenInput,
                initial=clinics.first(),
            )
            self.order_fields(["clinic", *PATIENT_EDITABLE_FIELDS])

    def clean_nam(self) -> str:
        return normalize_nam(self.cleaned_data["nam"])

    def patient_details(self) -> dict:
        return {name: self.cleaned_data[name] for name in PATIENT_EDITABLE_FIELDS if name in self.cleaned_data}


class PatientSearchForm(forms.Form):
    query = forms.CharField(
        label=_("Name, file number or NAM"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("fr", "Français"), ("en", "English")])
    next = forms.CharField(required=False)


class SecondFactorForm(forms.Form):
    """The code of the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_("The 6 digits shown by your authenticator app, or one of your recovery codes."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false", "autocapitalize": "off"}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code shown by the app"),
        help_text=_("6 digits, renewed every 30 seconds."),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
