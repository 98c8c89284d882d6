"""The broker is down when the nurse books: the booking stands, and nothing is lost once it is back."""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from kombu import pools

from scheduling.models import Appointment, Notice
from scheduling.services import redeliver_pending
from telesante.celery import app
from tests.conftest import api_as

from .conftest import tomorrow_at
from .test_real_worker import wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def broker_of_our_own():
    """A Redis of this test's own, that it can stop and start, instead of the shared broker."""
    port = free_port()
    saved = app.conf.broker_url, app.conf.result_backend
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.conf.result_backend = None
    forget_connections()
    yield port
    app.conf.broker_url, app.conf.result_backend = saved
    forget_connections()


def forget_connections() -> None:
    # Celery keeps its broker connections in pools: drop them so the next message uses the new URL.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_a_booking_made_while_the_broker_is_down_is_carried_out_once_it_is_back(broker_of_our_own, nurse, louise):
    # Given the broker is down
    port = broker_of_our_own

    # When the nurse books
    started = time.monotonic()
    response = api_as(nurse).post(
        "/api/v1/appointments/",
        {
            "patient": str(louise.public_id),
            "start": tomorrow_at(10).isoformat(),
            "duration_minutes": 30,
            "platform": "jitsi",
            "reason": "surveillance",
        },
        format="json",
    )

    # Then the booking stands, quickly, with its meeting and invitations waiting
    assert response.status_code == 201
    assert time.monotonic() - started < 10
    appointment = Appointment.objects.select_related("meeting").get()
    assert appointment.meeting.state == "pending" and mail.outbox == []

    # When the broker comes back and the sweeper runs (twice, as beat would)
    server = start_redis(port)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
            redeliver_pending(older_than=timedelta(0))
            wait_until(lambda: Appointment.objects.get().meeting.is_ready)
            redeliver_pending(older_than=timedelta(0))
            wait_until(lambda: Notice.objects.filter(delivery_status="done").count() == 2)
            redeliver_pending(older_than=timedelta(0))
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=10)

    # Then the meeting was made once and each invitation sent exactly once
    appointment.meeting.refresh_from_db()
    assert appointment.meeting.attempts == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["julie.tremblay@ssss.gouv.qc.ca", "louise.cote@example.com"]
