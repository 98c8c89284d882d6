"""Booking a video meeting: the link is made once by the worker and every participant is invited."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from icalendar import Calendar

from common.errors import Conflict
from scheduling.models import Appointment, Notice
from scheduling.services import book_appointment, cancel_appointment, record_outcome, reschedule_appointment

from .conftest import caregiver, tomorrow_at, video

pytestmark = pytest.mark.django_db

MONTREAL = ZoneInfo("America/Montreal")


def ics_of(message) -> Calendar:
    [attachment] = [a for a in message.attachments if a[0] == "invitation.ics"]
    return Calendar.from_ical(attachment[1])


def test_a_jitsi_booking_gets_its_link_and_invites_everyone_in_their_language(
    nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(
            by=nurse, patient=louise, clinic=clinic_a, details=video(), participants=[caregiver("en")]
        )

    appointment.refresh_from_db()
    meeting = appointment.meeting
    assert meeting.state == "ready" and meeting.join_url.startswith("https://meet.jit.si/telesante-")
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"louise.cote@example.com", "paul.cote@example.com", "julie.tremblay@ssss.gouv.qc.ca"}
    patient_mail, caregiver_mail = by_address["louise.cote@example.com"], by_address["paul.cote@example.com"]
    assert patient_mail.subject.startswith("Téléconsultation") and "Clinique d'oncologie A" in patient_mail.subject
    assert caregiver_mail.subject.startswith("Teleconsultation with Clinique d'oncologie A")
    assert meeting.join_url in patient_mail.body and "salle d'attente" in patient_mail.body
    assert "&#x27;" not in caregiver_mail.subject + caregiver_mail.body  # plain text is not HTML-escaped
    assert "(450) 466-5050" in patient_mail.body  # how to change or cancel
    assert "between" not in caregiver_mail.body.lower()  # no clinical detail: the reason is never written
    event = ics_of(patient_mail).walk("VEVENT")[0]
    assert str(event["UID"]) == f"{appointment.public_id}@telesante.portail"
    assert event["SEQUENCE"] == 0 and ics_of(patient_mail)["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == appointment.start
    assert Notice.objects.filter(delivery_status="done").count() == 3


def test_running_the_tasks_again_sends_nothing_twice(
    nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    from scheduling.services import dispatch_appointment

    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    dispatch_appointment(appointment.pk)
    dispatch_appointment(appointment.pk)

    assert len(mail.outbox) == 2


def test_a_second_booking_at_the_same_time_is_refused_naming_the_first(nurse, louise, clinic_a):
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=tomorrow_at(10)))

    with pytest.raises(Conflict) as refused:
        book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=tomorrow_at(10, 15)))

    assert "Louise Côté" in str(refused.value.message) and "10:00" in str(refused.value.message)
    assert Appointment.objects.count() == 1


def test_a_meeting_on_the_night_the_clock_falls_back_lasts_what_was_asked(nurse, louise, clinic_a):
    montreal = ZoneInfo("America/Montreal")
    first = datetime(2027, 11, 7, 1, 30, tzinfo=montreal, fold=0)  # 01:30 EDT
    second = datetime(2027, 11, 7, 1, 30, tzinfo=montreal, fold=1)  # 01:30 EST, an hour later

    one = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=first))
    two = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=second))

    assert one.end - one.start == two.end - two.start == timedelta(minutes=30)
    assert two.start - one.start == timedelta(hours=1)


def test_back_to_back_meetings_are_allowed(nurse, louise, clinic_a):
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=tomorrow_at(10)))
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=tomorrow_at(10, 30)))

    assert Appointment.objects.count() == 2


def test_a_cancelled_slot_can_be_booked_again(nurse, louise, clinic_a):
    first = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    cancel_appointment(first, by=nurse, reason="patient request")

    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())

    assert Appointment.objects.active().count() == 1


def test_rescheduling_sends_a_calendar_file_that_replaces_the_first(
    nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reschedule_appointment(appointment, by=nurse, start=tomorrow_at(14), duration_minutes=45)

    patient_mail = next(m for m in mail.outbox if m.to == ["louise.cote@example.com"])
    event = ics_of(patient_mail).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1 and str(event["UID"]) == f"{appointment.public_id}@telesante.portail"
    assert event.decoded("DTSTART").astimezone(MONTREAL).hour == 14
    assert "nouvelle heure" in patient_mail.subject.lower()


def test_cancelling_sends_a_cancel_calendar_file_once(
    nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment, by=nurse, reason="")
        cancel_appointment(appointment, by=nurse, reason="")

    assert len(mail.outbox) == 2
    calendar = ics_of(mail.outbox[0])
    assert calendar["METHOD"] == "CANCEL" and calendar.walk("VEVENT")[0]["SEQUENCE"] == 1
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.meeting.state == "cancelled"


def test_a_meeting_after_the_daylight_saving_change_keeps_its_local_time(nurse, louise, clinic_a):
    spring = datetime(2027, 3, 15, 10, 0, tzinfo=MONTREAL)  # the day after clocks go forward

    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=spring))

    appointment.refresh_from_db()
    assert appointment.start.astimezone(MONTREAL).hour == 10
    assert appointment.start.utcoffset() == timedelta(0) and appointment.start.hour == 14


def test_immediate_meetings_start_now(nurse, louise, clinic_a):
    from dataclasses import replace

    from django.utils import timezone

    appointment = book_appointment(
        by=nurse, patient=louise, clinic=clinic_a, details=replace(video(), kind="immediate")
    )

    assert appointment.kind == "immediate"
    assert abs((appointment.start - timezone.now()).total_seconds()) < 90


def test_outcome_needs_the_meeting_to_have_begun_and_says_what_failed(nurse, louise, clinic_a):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())

    with pytest.raises(Conflict):
        record_outcome(appointment, by=nurse, outcome="held")


def test_reacts_uses_the_pasted_link(nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks):
    link = "https://app.reacts.com/session/abc123"

    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(
            by=nurse, patient=louise, clinic=clinic_a, details=video("reacts", pasted_link=link)
        )

    appointment.refresh_from_db()
    assert appointment.meeting.state == "ready" and appointment.meeting.join_url == link
    assert all(link in message.body for message in mail.outbox)
