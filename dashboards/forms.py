"""The dashboard's filters: which clinics, which period (a week, a month or chosen days), which platform."""

import calendar
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import MeetingPlatform

from .figures import Scope

MAX_DAYS = 6 * 366  # five years of history and then some; beyond, the question is another report


class DashboardFilter(forms.Form):
    PERIODS = [("week", _("Week")), ("month", _("Month")), ("custom", _("Chosen days"))]

    clinic = forms.ChoiceField(label=_("Clinic"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    day = forms.DateField(label=_("Around the day"), required=False, help_text=_("The week or month of this day."))
    start = forms.DateField(label=_("First day"), required=False)
    end = forms.DateField(label=_("Last day"), required=False)
    platform = forms.ChoiceField(
        label=_("Platform"), choices=[("", _("All platforms")), *MeetingPlatform.choices], required=False
    )

    def __init__(self, data, *, clinics, **kwargs):
        super().__init__(data, **kwargs)
        self.clinics = list(clinics)
        self.fields["clinic"].choices = [("", _("All my clinics"))] + [
            (str(clinic.public_id), str(clinic)) for clinic in self.clinics
        ]

    def clean(self):
        data = super().clean()
        period = data.get("period") or "month"
        today = timezone.localdate()
        if period == "custom":
            first, last = data.get("start"), data.get("end")
            if not first or not last:
                raise forms.ValidationError(_("Give the first and the last day."))
        else:
            anchor = data.get("day") or today
            if period == "week":
                first = anchor - timedelta(days=anchor.weekday())
                last = first + timedelta(days=6)
            else:
                first = anchor.replace(day=1)
                last = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
        if last < first:
            raise forms.ValidationError(_("The last day comes before the first."))
        if (last - first).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose at most six years."))
        data["period"], data["first"], data["last"] = period, first, last
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        chosen = [clinic for clinic in self.clinics if str(clinic.public_id) == data.get("clinic")]
        clinics = chosen or self.clinics
        return Scope(
            clinics=tuple(clinic.pk for clinic in clinics),
            first_day=data["first"],
            last_day=data["last"],
            platform=data.get("platform") or "",
        )

    def neighbours(self) -> tuple[date, date] | None:
        """The same kind of period before and after, for the arrows."""
        data = self.cleaned_data
        if data["period"] == "week":
            return data["first"] - timedelta(days=7), data["first"] + timedelta(days=7)
        if data["period"] == "month":
            previous = (data["first"] - timedelta(days=1)).replace(day=1)
            return previous, data["last"] + timedelta(days=1)
        return None
