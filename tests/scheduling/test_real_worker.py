"""Booking with a real Celery worker over the real broker (Redis in CI): link made once, mail sent once."""

import time

import pytest
from django.core import mail

from scheduling.models import Appointment, Notice
from tests.conftest import api_as

from .conftest import tomorrow_at

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_until(condition, *, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_a_booking_is_carried_out_by_a_real_worker(celery_worker_thread, nurse, louise):
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
    assert response.status_code == 201

    wait_until(lambda: Notice.objects.filter(delivery_status="done").count() == 2)

    appointment = Appointment.objects.select_related("meeting").get()
    assert appointment.meeting.state == "ready" and appointment.meeting.attempts == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["julie.tremblay@ssss.gouv.qc.ca", "louise.cote@example.com"]
