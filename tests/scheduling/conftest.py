from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from directory.models import ClinicMembership
from scheduling.services import BookingDetails, ParticipantDetails
from telesante.celery import app
from tests import factories


@pytest.fixture
def eager_workers(settings):
    """Tasks run in the caller (the unit tier); the worker tier uses a real worker (test_worker_*)."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def nurse(clinic_a):
    clinic_a.name = "Clinique d'oncologie A"
    clinic_a.phone = "+14504665050"
    clinic_a.support_phone = "+18445550199"
    clinic_a.save()
    return factories.staff(
        clinic_a,
        ClinicMembership.Role.PROFESSIONAL,
        username="ipo",
        first_name="Julie",
        last_name="Tremblay",
        email="julie.tremblay@ssss.gouv.qc.ca",
        profession="pivot_nurse_oncology",
    )


@pytest.fixture
def louise(clinic_a):
    return factories.patient(clinic_a, email="louise.cote@example.com", preferred_language="fr")


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localtime() + timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def video(platform: str = "jitsi", *, start=None, minutes: int = 30, **more) -> BookingDetails:
    return BookingDetails(
        kind="scheduled",
        modality="video",
        platform=platform,
        reason="between_cycles",
        start=start or tomorrow_at(10),
        duration_minutes=minutes,
        **more,
    )


def caregiver(language: str = "en") -> ParticipantDetails:
    return ParticipantDetails(role="caregiver", name="Paul Côté", email="paul.cote@example.com", language=language)
