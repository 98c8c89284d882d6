"""A worker killed while the platform creates the meeting: nothing doubled once another worker takes over.

Real processes: a Celery worker started as a subprocess over Redis, killed with SIGKILL while the
Graph fake is still answering, then a second worker and the sweeper finish the job.
"""

import email
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from scheduling.models import Appointment
from scheduling.services import redeliver_pending
from tests.conftest import api_as

from .conftest import tomorrow_at
from .test_real_worker import wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"),
        reason="worker processes share the database and the broker: needs PostgreSQL and Redis",
    ),
]


def start_worker_process(graph_fake, mail_folder: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        **graph_fake.environment(),
        "DJANGO_SETTINGS_MODULE": "telesante.test_settings",
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
        f"{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}",
        "PORTAL_TEST_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "PORTAL_VAR_DIR": str(mail_folder.parent),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "telesante",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def recipients_in(folder: Path) -> list[str]:
    return sorted(email.message_from_bytes(path.read_bytes())["To"] for path in folder.glob("*.log"))


def test_a_worker_killed_mid_call_leaves_one_meeting_and_one_mail_each(graph_fake, nurse, louise, tmp_path):
    mail_folder = tmp_path / "mail"
    graph_fake.slow_next(6.0, method="POST", path="createOrGet")
    first_worker = start_worker_process(graph_fake, mail_folder)
    try:
        # When the nurse books and the worker is killed while the platform is creating the meeting
        response = api_as(nurse).post(
            "/api/v1/appointments/",
            {
                "patient": str(louise.public_id),
                "start": tomorrow_at(10).isoformat(),
                "duration_minutes": 30,
                "platform": "teams",
                "reason": "surveillance",
            },
            format="json",
        )
        assert response.status_code == 201
        # The attempt is recorded just before the call; the fake then holds the answer for 6 seconds.
        wait_until(lambda: Appointment.objects.get().meeting.attempts == 1, seconds=60)
        time.sleep(1.5)
        first_worker.send_signal(signal.SIGKILL)
        first_worker.wait(timeout=10)
    finally:
        if first_worker.poll() is None:
            first_worker.kill()

    # Then the platform made the meeting, but the portal never heard of it
    wait_until(lambda: len(graph_fake.meetings) == 1, seconds=15)
    assert Appointment.objects.get().meeting.state == "pending"

    # When another worker starts and the sweeper hands the work again
    second_worker = start_worker_process(graph_fake, mail_folder)
    try:
        redeliver_pending(older_than=timedelta(0))
        wait_until(lambda: Appointment.objects.get().meeting.is_ready, seconds=60)
        wait_until(lambda: len(recipients_in(mail_folder)) == 2, seconds=60)
        redeliver_pending(older_than=timedelta(0))
        time.sleep(2)
    finally:
        second_worker.terminate()
        second_worker.wait(timeout=20)

    # Then there is still one meeting, and each participant got one invitation
    assert len(graph_fake.meetings) == 1
    assert len(graph_fake.requests_to("POST", "createOrGet")) == 2
    assert recipients_in(mail_folder) == ["julie.tremblay@ssss.gouv.qc.ca", "louise.cote@example.com"]
