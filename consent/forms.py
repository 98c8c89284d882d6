from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Language

from .models import ConsentKind, ConsentRecord


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    decision = forms.ChoiceField(choices=[("granted", _("Consents")), ("refused", _("Refuses"))])
    method = forms.ChoiceField(choices=ConsentRecord.Method.choices, initial="verbal")
    language = forms.ChoiceField(choices=Language.choices)
    party = forms.ChoiceField(choices=ConsentRecord.Party.choices, initial="patient", required=False)
    warning_read = forms.BooleanField(required=False)
    appointment = forms.UUIDField(required=False)


class WithdrawForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
