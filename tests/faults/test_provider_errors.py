"""Fault 4: Graph and Zoom answer 429 (with Retry-After), 500, hang past the client's timeout and send
malformed JSON, in bursts, to a real worker creating a meeting.

The worker never calls before Retry-After has elapsed, backs off (with a cap) otherwise, and ends
with exactly one meeting. When the bursts outlast its retries, the meeting fails with a reason the
nurse reads on her agenda, and her retry button makes it (still once).
Runs on the embedded defaults (SQLite, folder broker) as well as on PostgreSQL and Redis.
"""

import itertools
import re

import pytest
from django.urls import reverse

from common.outbox import MAX_RETRIES
from scheduling.models import Appointment
from tests.conftest import api_as
from tests.scheduling.conftest import tomorrow_at

from .conftest import FAULTS, wait_until

pytestmark = [FAULTS, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RETRY_AFTER = 1.5
TIMEOUT = 1.0
CAP = 1.0
# Where each platform creates a meeting (Zoom first looks for one an earlier attempt made: a GET).
CREATE = {"teams": ("POST", "createOrGet"), "zoom": ("POST", "/meetings")}
BURSTS = (
    {"fail": 429, "retry_after": RETRY_AFTER},
    {"fail": 429, "retry_after": RETRY_AFTER},
    {"fail": 500},
    {"fail": 503},
    {"malformed": True},
)
HANG = {
    # Graph makes the meeting after the client gave up; createOrGet (keyed by the meeting's id)
    # gives that same meeting to the next attempt, whenever it comes.
    "teams": {"slow": TIMEOUT + 2},
    # Zoom has no idempotency key: a create it finishes after the retry searched would be made
    # twice, so the hang here ends in a gateway timeout with nothing made.
    "zoom": {"slow": TIMEOUT + 2, "fail": 504},
}


@pytest.fixture
def quick_retries(settings, platform):
    # After the fake's fixture, which sets its own timeout.
    settings.PROVIDER_TIMEOUT_SECONDS = TIMEOUT
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.1
    settings.OUTBOX_RETRY_CAP_SECONDS = CAP


@pytest.fixture
def platform(request):
    """The fake of the platform named by the test's parameter, started, with the settings pointing at it."""
    fake = request.getfixturevalue("graph_fake" if request.param == "teams" else "zoom_fake")
    return request.param, fake


def book(nurse, louise, platform: str) -> Appointment:
    response = api_as(nurse).post(
        "/api/v1/appointments/",
        {
            "patient": str(louise.public_id),
            "start": tomorrow_at(10).isoformat(),
            "duration_minutes": 30,
            "platform": platform,
            "reason": "surveillance",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return Appointment.objects.select_related("meeting").get()


@pytest.mark.parametrize("platform", ["teams", "zoom"], indirect=True)
def test_bursts_of_errors_end_in_exactly_one_meeting_without_calling_before_retry_after(
    platform, quick_retries, celery_worker_thread, nurse, louise
):
    name, fake = platform
    method, path = CREATE[name]
    fake.script_next(*BURSTS, HANG[name], method=method, path=path)

    appointment = book(nurse, louise, name)
    wait_until(
        lambda: Appointment.objects.get().meeting.is_ready,
        seconds=60,
        what=f"the meeting made (requests: {[(r.method, r.path, r.status) for r in fake.requests]})",
    )

    # A request is recorded once answered: the hung one only after its hang.
    wait_until(lambda: len(fake.requests_to(method, path)) == len(BURSTS) + 2, seconds=10, what="every call answered")
    creates = fake.requests_to(method, path)
    creates.sort(key=lambda request: request.received_at)
    gaps = [later.received_at - earlier.received_at for earlier, later in itertools.pairwise(creates)]
    statuses = [request.status for request in creates]
    # Every step of the bursts was met once, then the platform made the meeting (for Teams, the hung
    # call made it and the next one got the same meeting back)
    assert statuses[:5] == [429, 429, 500, 503, 200]
    assert sorted(statuses[5:]) == ([200, 201] if name == "teams" else [201, 504])
    # Never before Retry-After; otherwise the capped backoff (plus the timeout after the hang)
    assert gaps[0] >= RETRY_AFTER and gaps[1] >= RETRY_AFTER
    assert all(gap <= RETRY_AFTER + CAP + TIMEOUT + 1.5 for gap in gaps)
    assert gaps[5] >= TIMEOUT
    # Exactly one meeting in the end, the one the portal shows
    assert len(fake.meetings) == 1
    appointment.meeting.refresh_from_db()
    # (Teams ids are kept as "organizer|meeting id")
    assert appointment.meeting.provider_meeting_id.split("|")[-1] == str(next(iter(fake.meetings)))
    assert appointment.meeting.attempts == len(BURSTS) + 2  # the bursts, the hang, the success


@pytest.mark.parametrize("platform", ["teams"], indirect=True)
def test_errors_beyond_the_retries_show_their_reason_and_the_nurses_retry_makes_the_meeting_once(
    platform, quick_retries, celery_worker_thread, nurse, louise, client
):
    name, fake = platform
    method, path = CREATE[name]
    fake.script_next(*([{"fail": 503}] * (MAX_RETRIES + 1)), method=method, path=path)

    appointment = book(nurse, louise, name)
    wait_until(lambda: Appointment.objects.get().meeting.state == "failed", seconds=60, what="the meeting failed")

    # The nurse reads why on her agenda, next to a retry button
    client.force_login(nurse)
    agenda = client.get(reverse("agenda"), {"jour": tomorrow_at(10).date().isoformat()}).content.decode()
    assert re.search(r"503 serviceNotAvailable", agenda)
    retry_url = reverse("appointment_retry", kwargs={"public_id": appointment.public_id})
    assert retry_url in agenda
    assert len(fake.requests_to(method, path)) == MAX_RETRIES + 1
    assert fake.meetings == {}

    # When she retries, the platform (recovered) makes the meeting, once
    assert client.post(retry_url).status_code == 302
    wait_until(lambda: Appointment.objects.get().meeting.is_ready, seconds=30, what="the meeting made after the retry")
    assert len(fake.meetings) == 1
    assert len(fake.requests_to(method, path)) == MAX_RETRIES + 2
