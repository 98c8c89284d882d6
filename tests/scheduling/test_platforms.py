"""Booking on Teams and Zoom against their local fakes: one meeting, whatever the faults; nothing about the patient."""

import json

import pytest
from django.core import mail

from common.errors import TemporaryFailure
from scheduling.models import Appointment, Notice
from scheduling.services import (
    book_appointment,
    cancel_appointment,
    deliver_notice,
    reschedule_appointment,
    retry_meeting_and_notices,
)
from virtualcare.providers.registry import provider_named
from virtualcare.services import meeting_request, sync_meeting

from .conftest import caregiver, tomorrow_at, video

pytestmark = pytest.mark.django_db


def book(nurse, louise, clinic, platform, **more):
    return book_appointment(
        by=nurse, patient=louise, clinic=clinic, details=video(platform, **more), participants=[caregiver()]
    )


def everything_sent_to(fake) -> str:
    return json.dumps([[r.path, r.body] for r in fake.requests], default=str, ensure_ascii=False)


def assert_nothing_identifies(louise, sent: str) -> None:
    for secret in (
        louise.last_name,
        louise.first_name,
        louise.nam,
        louise.file_number,
        louise.date_of_birth.isoformat(),
    ):
        assert secret not in sent


@pytest.mark.parametrize("platform", ["teams", "zoom"])
def test_the_meeting_is_made_once_and_its_link_reaches_the_invitations(
    platform, request, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    fake = request.getfixturevalue("graph_fake" if platform == "teams" else "zoom_fake")

    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(nurse, louise, clinic_a, platform)

    appointment.refresh_from_db()
    meeting = appointment.meeting
    assert meeting.state == "ready" and len(fake.meetings) == 1
    assert all(meeting.join_url in m.body for m in mail.outbox if m.to != [nurse.email])
    organizer_mail = next(m for m in mail.outbox if m.to == [nurse.email])
    assert meeting.host_url in organizer_mail.body
    assert_nothing_identifies(louise, everything_sent_to(fake))
    assert "Clinique d'oncologie A" in everything_sent_to(fake)


def test_teams_429_then_200_gives_one_meeting_and_says_when_to_retry(nurse, louise, clinic_a, graph_fake):
    appointment = book(nurse, louise, clinic_a, "teams")
    graph_fake.fail_next(429, retry_after=3, method="POST", path="createOrGet")

    with pytest.raises(TemporaryFailure) as throttled:
        sync_meeting(appointment.meeting_id)
    meeting = sync_meeting(appointment.meeting_id)

    assert throttled.value.retry_after == 3
    assert meeting.state == "ready" and meeting.attempts == 2 and len(graph_fake.meetings) == 1


def test_zoom_500_three_times_then_200_gives_one_meeting(nurse, louise, clinic_a, zoom_fake):
    appointment = book(nurse, louise, clinic_a, "zoom")
    zoom_fake.fail_next(500, times=3, method="POST", path="/meetings")

    for _attempt in range(3):
        with pytest.raises(TemporaryFailure):
            sync_meeting(appointment.meeting_id)
    meeting = sync_meeting(appointment.meeting_id)

    assert meeting.state == "ready" and len(zoom_fake.meetings) == 1


def test_a_refusal_fails_with_a_readable_reason_and_retry_works_once_fixed(
    nurse, louise, clinic_a, graph_fake, eager_workers, django_capture_on_commit_callbacks
):
    graph_fake.deny_user(nurse.email)

    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(nurse, louise, clinic_a, "teams")

    appointment.refresh_from_db()
    assert appointment.meeting.state == "failed" and "403" in appointment.meeting.last_error
    assert mail.outbox == [] and Notice.objects.filter(delivery_status="pending").count() == 3

    graph_fake.policy_denied_users.clear()
    with django_capture_on_commit_callbacks(execute=True):
        retry_meeting_and_notices(appointment, by=nurse)

    appointment.refresh_from_db()
    assert appointment.meeting.state == "ready" and len(mail.outbox) == 3


def test_a_task_that_runs_twice_makes_one_meeting_and_sends_each_mail_once(nurse, louise, clinic_a, graph_fake):
    appointment = book(nurse, louise, clinic_a, "teams")
    # A worker was killed right after the platform answered: the row never learned of the meeting.
    provider_named("teams").create(meeting_request(appointment.meeting))

    meeting = sync_meeting(appointment.meeting_id)
    sync_meeting(appointment.meeting_id)
    for notice in Notice.objects.all():
        deliver_notice(notice.pk)
        deliver_notice(notice.pk)

    assert meeting.state == "ready" and len(graph_fake.meetings) == 1
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("platform", ["teams", "zoom"])
def test_moving_and_cancelling_reach_the_platform_and_every_participant(
    platform, request, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    fake = request.getfixturevalue("graph_fake" if platform == "teams" else "zoom_fake")
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(nurse, louise, clinic_a, platform)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reschedule_appointment(appointment, by=nurse, start=tomorrow_at(15), duration_minutes=30)
    [stored] = fake.meetings.values()
    moved_mails = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment, by=nurse)

    assert fake.requests_to("PATCH") and fake.requests_to("DELETE")
    assert stored  # it existed before the cancellation
    assert fake.meetings == {}
    assert moved_mails == 3 and len(mail.outbox) == 6
    assert Appointment.objects.get().meeting.state == "cancelled"
    assert_nothing_identifies(louise, everything_sent_to(fake))


def test_zoom_turns_interpretation_on_when_an_interpreter_is_invited(nurse, louise, clinic_a, zoom_fake):
    from scheduling.services import ParticipantDetails

    interpreter = ParticipantDetails(
        role="interpreter", name="Ana Lima", email="ana@example.com", language="fr", interpretation_language="pt"
    )
    appointment = book_appointment(
        by=nurse, patient=louise, clinic=clinic_a, details=video("zoom"), participants=[interpreter]
    )

    sync_meeting(appointment.meeting_id)

    [created] = zoom_fake.requests_to("POST", "/meetings")
    assert created.body["settings"]["language_interpretation"]["enable"] is True
    assert created.body["settings"]["waiting_room"] is True


@pytest.mark.parametrize("platform", ["jitsi", "teams", "zoom"])
def test_booking_through_the_api_on_each_platform(
    platform, request, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    from tests.conftest import api_as

    if platform != "jitsi":
        request.getfixturevalue("graph_fake" if platform == "teams" else "zoom_fake")
    body = {
        "patient": str(louise.public_id),
        "start": tomorrow_at(9).isoformat(),
        "duration_minutes": 30,
        "platform": platform,
        "reason": "oncogenetics",
    }

    with django_capture_on_commit_callbacks(execute=True):
        created = api_as(nurse).post("/api/v1/appointments/", body, format="json")
    read = api_as(nurse).get(f"/api/v1/appointments/{created.json()['id']}/").json()

    assert created.status_code == 201
    assert read["meeting"]["status"] == "ready" and read["meeting"]["provider"] == platform
    assert {i["status"] for i in read["invitations"]} == {"done"}
    assert all(read["meeting"]["join_url"] in m.body for m in mail.outbox if m.to == [louise.email])


def test_jitsi_links_are_signed_per_participant_when_a_secret_is_set(
    settings, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    import jwt

    settings.JITSI_BASE_URL = "https://visio.example.org"
    settings.JITSI_APP_ID = "telesante"
    settings.JITSI_APP_SECRET = "un-secret-de-test-assez-long-pour-hs256"
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(nurse, louise, clinic_a, "jitsi")

    appointment.refresh_from_db()
    room = appointment.meeting.provider_meeting_id
    tokens = {}
    for message in mail.outbox:
        link = next(word for word in message.body.split() if word.startswith("https://visio.example.org/"))
        assert link.startswith(f"https://visio.example.org/{room}?jwt=")
        claims = jwt.decode(link.split("jwt=")[1], settings.JITSI_APP_SECRET, algorithms=["HS256"], audience="jitsi")
        tokens[message.to[0]] = claims
    assert tokens[nurse.email]["context"]["user"]["moderator"] == "true"
    assert tokens["louise.cote@example.com"]["context"]["user"]["moderator"] == "false"
    assert {claims["room"] for claims in tokens.values()} == {room}
    assert all(claims["iss"] == "telesante" for claims in tokens.values())
