"""Reminders go out before the meeting, by the clinic's delay, once, and never for a cancelled one."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from scheduling.models import Notice
from scheduling.services import book_appointment, cancel_appointment, deliver_notice, write_due_reminders

from .conftest import video

pytestmark = pytest.mark.django_db


def in_hours(hours: float):
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def test_a_reminder_is_written_once_when_the_clinics_delay_is_reached(nurse, louise, clinic_a):
    soon = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=in_hours(20)))
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=in_hours(30)))

    first = write_due_reminders()
    second = write_due_reminders()

    assert {n.participant.appointment_id for n in first} == {soon.pk}
    assert {n.participant.email for n in first} == {"louise.cote@example.com", "julie.tremblay@ssss.gouv.qc.ca"}
    assert second == []


def test_the_clinic_chooses_the_delay(nurse, louise, clinic_a):
    clinic_a.reminder_hours_before = 48
    clinic_a.save()
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=in_hours(30)))

    assert len(write_due_reminders()) == 2


def test_no_reminder_for_a_cancelled_meeting(nurse, louise, clinic_a):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=in_hours(20)))
    cancel_appointment(appointment, by=nurse)

    assert write_due_reminders() == []
    assert not Notice.objects.filter(kind=Notice.Kind.REMINDER).exists()


def test_a_reminder_says_so_in_the_patients_language(nurse, louise, clinic_a):
    from virtualcare.services import sync_meeting

    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=in_hours(20)))
    sync_meeting(appointment.meeting_id)
    [to_patient] = [n for n in write_due_reminders() if n.participant.email == "louise.cote@example.com"]

    deliver_notice(to_patient.pk)

    assert mail.outbox[0].subject.startswith("Rappel")
