"""The agenda: a day or a week of appointments, one's own or the clinic's, in Montréal time."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from common.time import MONTREAL
from consent.selectors import telehealth_state_of, telehealth_states
from directory.models import User
from directory.selectors import record_patient_listing

from .models import Appointment
from .permissions import appointments_visible_to


@dataclass(frozen=True)
class AgendaPeriod:
    first_day: date
    days: int

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=MONTREAL)

    @property
    def end(self) -> datetime:
        # Midnight of the day after, built in local time: a 23- or 25-hour day stays one day.
        return datetime.combine(self.first_day + timedelta(days=self.days), time.min, tzinfo=MONTREAL)

    def previous(self) -> date:
        return self.first_day - timedelta(days=self.days)

    def next(self) -> date:
        return self.first_day + timedelta(days=self.days)


def agenda_period(day: date, span: str) -> AgendaPeriod:
    if span == "week":
        return AgendaPeriod(first_day=day - timedelta(days=day.weekday()), days=7)
    return AgendaPeriod(first_day=day, days=1)


def agenda(user: User, period: AgendaPeriod, *, scope: str) -> list[Appointment]:
    """The user's own appointments, or those of every clinic she works in; the names shown are audited."""
    appointments = appointments_visible_to(user).between(period.start, period.end)
    if scope == "mine":
        appointments = appointments.filter(organizer=user)
    appointments = list(appointments.for_agenda().annotate(telehealth_consent=telehealth_state_of()))
    record_patient_listing(user, list({a.patient for a in appointments}), query_kind="agenda")
    return appointments


def with_consent_states(appointments: list[Appointment]) -> list[Appointment]:
    """Give each appointment its patient's telehealth consent state, in one query for the whole list."""
    states = telehealth_states({a.patient_id for a in appointments})
    for appointment in appointments:
        appointment.telehealth_consent = states.get(appointment.patient_id, "missing")
    return appointments
