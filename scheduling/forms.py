from datetime import datetime

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from common.time import MONTREAL
from directory.models import Language, MeetingPlatform, TabletLoan, User

from .models import Appointment, Participant, Reason
from .services import BookingDetails, ParticipantDetails

DATE_INPUT = forms.DateInput(attrs={"placeholder": _("YYYY-MM-DD"), "inputmode": "numeric", "autocomplete": "off"})
TIME_INPUT = forms.TimeInput(attrs={"placeholder": _("HH:MM"), "inputmode": "numeric", "autocomplete": "off"})


class WhenForm(forms.Form):
    """A date and a time read in Montréal time, so a daylight-saving change never moves a meeting."""

    date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"])
    time = forms.TimeField(
        label=_("Time"), required=False, widget=TIME_INPUT, input_formats=["%H:%M", "%Hh%M", "%H h %M"]
    )
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=240, initial=30)

    def start(self) -> datetime | None:
        day, hour = self.cleaned_data.get("date"), self.cleaned_data.get("time")
        if day is None or hour is None:
            return None
        return datetime.combine(day, hour, tzinfo=MONTREAL)


class BookingForm(WhenForm):
    kind = forms.ChoiceField(
        label=capfirst(Appointment._meta.get_field("kind").verbose_name),
        choices=Appointment.Kind.choices,
        initial="scheduled",
        widget=forms.RadioSelect,
    )
    modality = forms.ChoiceField(label=_("Modality"), choices=Appointment.Modality.choices, initial="video")
    platform = forms.ChoiceField(label=_("Platform"), choices=MeetingPlatform.choices, required=False)
    pasted_link = forms.URLField(
        label=_("Meeting link (REACTS only)"),
        required=False,
        assume_scheme="https",
        help_text=_("REACTS has no connection with the portal: create the session in REACTS and paste its link."),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    reason_details = forms.CharField(label=_("Reason details"), max_length=300, required=False)
    fallback_phone = forms.CharField(
        label=_("Phone to call if the video fails"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    internet_ok = forms.NullBooleanField(label=_("Internet of at least 10 Mbps confirmed"), required=False)
    device_ok = forms.NullBooleanField(label=_("Device with camera and microphone confirmed"), required=False)
    tablet_loan = forms.ChoiceField(label=_("Tablet loan"), choices=TabletLoan.choices, initial="not_needed")
    professionals = forms.ModelMultipleChoiceField(
        label=_("Other professionals of the team"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["kind", "date", "time", "duration_minutes", "modality", "platform", "pasted_link", "reason"]

    def __init__(self, *args, colleagues=None, clinics=None, **kwargs):
        super().__init__(*args, **kwargs)
        if colleagues is not None:
            self.fields["professionals"].queryset = colleagues
        if clinics is not None and len(clinics) > 1:
            self.fields["clinic"] = forms.ModelChoiceField(label=_("Clinic"), queryset=clinics, empty_label=None)
            self.order_fields(["clinic", *self.field_order])

    def booking_details(self) -> BookingDetails:
        data = self.cleaned_data
        return BookingDetails(
            kind=data["kind"],
            modality=data["modality"],
            platform=data.get("platform") or "",
            reason=data["reason"],
            reason_details=data.get("reason_details", ""),
            start=self.start(),
            duration_minutes=data["duration_minutes"],
            fallback_phone=data.get("fallback_phone", ""),
            internet_ok=data.get("internet_ok"),
            device_ok=data.get("device_ok"),
            tablet_loan=data["tablet_loan"],
            pasted_link=data.get("pasted_link", ""),
        )

    def colleague_participants(self) -> list[ParticipantDetails]:
        return [
            ParticipantDetails(
                role=Participant.Role.PROFESSIONAL,
                name=colleague.get_full_name() or colleague.username,
                email=colleague.email,
                language=colleague.preferred_language,
                user=colleague,
            )
            for colleague in self.cleaned_data.get("professionals", [])
        ]


class GuestForm(forms.Form):
    """A caregiver or an interpreter joining from home."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Participant.Role.CAREGIVER, _("Caregiver")), (Participant.Role.INTERPRETER, _("Interpreter"))],
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)
    interpretation_language = forms.CharField(label=_("Interprets into"), max_length=40, required=False)

    def clean(self):
        data = super().clean()
        if data.get("email") and not data.get("name"):
            self.add_error("name", _("Give the person's name."))
        if (
            data.get("role") == Participant.Role.INTERPRETER
            and data.get("name")
            and not data.get("interpretation_language")
        ):
            self.add_error("interpretation_language", _("Which language does the interpreter translate into?"))
        return data

    def participant(self) -> ParticipantDetails | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return ParticipantDetails(
            role=data["role"],
            name=data["name"],
            email=data.get("email", ""),
            language=data["language"],
            interpretation_language=data.get("interpretation_language", ""),
        )


GuestFormSet = forms.formset_factory(GuestForm, extra=2, max_num=6)


class RescheduleForm(WhenForm):
    def clean(self):
        data = super().clean()
        if self.start() is None:
            raise forms.ValidationError(_("Give the new date and time."))
        return data


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=[(value, label) for value, label in Appointment.Status.choices if value in Appointment.OUTCOMES],
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Details"),
        max_length=500,
        required=False,
        help_text=_("Required for a technical failure: say what failed."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why (kept in the history)"), max_length=500, required=False)
