"""Fault 1: Redis (the broker) is stopped while 50 appointments are booked through the API.

Every booking stands (201, never a 500) with its outbox rows; once Redis is back, the sweeper hands
the rows over and real worker processes make each meeting once at the Graph fake and send each
invitation once through Graph's sendMail.
"""

import time
from collections import Counter
from datetime import date, timedelta

import pytest

from scheduling.models import Appointment, Notice
from tests import factories
from tests.conftest import api_as
from tests.scheduling.conftest import tomorrow_at
from virtualcare.models import Meeting

from .conftest import FAULTS, graph_mail, needs_postgresql, needs_redis_server, process_environment, sweep, wait_until

pytestmark = [
    FAULTS,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
    needs_redis_server,
]

BOOKINGS = 50


def test_fifty_bookings_while_the_broker_is_down_are_all_carried_out_once_it_is_back(
    private_redis, processes, graph_fake, nurse, clinic_a
):
    patients = [
        factories.patient(
            clinic_a,
            first_name=f"Patiente{index}",
            date_of_birth=date(1950, 1, 1) + timedelta(days=37 * index),
            email=f"patiente{index}@example.com",
        )
        for index in range(BOOKINGS)
    ]
    client = api_as(nurse)

    # When Redis is down (the private one was never started) and the nurse books 50 meetings
    statuses, slowest = [], 0.0
    for index, patient in enumerate(patients):
        started = time.monotonic()
        response = client.post(
            "/api/v1/appointments/",
            {
                "patient": str(patient.public_id),
                "start": (tomorrow_at(7) + timedelta(minutes=20 * index)).isoformat(),
                "duration_minutes": 15,
                "platform": "teams",
                "reason": "surveillance",
            },
            format="json",
        )
        slowest = max(slowest, time.monotonic() - started)
        statuses.append(response.status_code)

    # Then each booking stands, quickly, with its meeting and its two invitations waiting
    assert Counter(statuses) == {201: BOOKINGS}
    assert slowest < 10
    assert Appointment.objects.count() == BOOKINGS
    assert Meeting.objects.awaiting_provider().count() == BOOKINGS
    assert Notice.objects.filter(delivery_status="pending").count() == 2 * BOOKINGS
    assert graph_fake.meetings == {} and graph_fake.sent_mail == []

    # When Redis comes back, the workers start and the sweeper runs, as beat would
    private_redis.start()
    back = time.monotonic()
    environment = process_environment(
        **graph_fake.environment(),
        EMAIL_BACKEND="virtualcare.mail.GraphEmailBackend",
        PROVIDER_TIMEOUT_SECONDS=5,
    )
    worker = processes.celery_worker(environment, concurrency=2)
    assert sweep() == BOOKINGS
    wait_until(
        lambda: Notice.objects.filter(delivery_status="done").count() == 2 * BOOKINGS,
        seconds=90,
        what=f"all invitations sent (worker log: {processes.log('worker')})",
    )
    elapsed = time.monotonic() - back
    # A second sweep finds nothing left: nothing is handed over twice.
    assert sweep() == 0
    time.sleep(1)
    processes.stop(worker)

    # Then the platform holds exactly 50 meetings, and each participant got one invitation
    assert elapsed < 60 + 60  # the sweeper's interval plus a minute, as the fault table asks
    assert len(graph_fake.meetings) == BOOKINGS
    assert Meeting.objects.filter(delivery_status="done").count() == BOOKINGS
    assert set(Meeting.objects.values_list("attempts", flat=True)) == {1}
    sent = graph_mail(graph_fake)
    expected = {(f"<{n.public_id}@", n.participant.email) for n in Notice.objects.select_related("participant")}
    assert len(sent) == 2 * BOOKINGS
    assert Counter(sent).most_common(1)[0][1] == 1
    assert {(message_id.split("@")[0] + "@", address) for message_id, address in sent} == expected
    assert set(Notice.objects.values_list("attempts", flat=True)) == {1}
