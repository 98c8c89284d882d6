"""The demo data of the contract: every role, valid NAMs, and a second run that changes nothing."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from directory import nam
from directory.models import ClinicMembership, Patient, Recipient, User
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db

Role = ClinicMembership.Role


@override_settings(DEBUG=True)
def test_seed_demo_creates_one_account_per_role_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    counts = (User.objects.count(), Patient.objects.count(), Recipient.objects.count(), Appointment.objects.count())
    call_command("seed_demo", verbosity=0)

    # A Jitsi meeting booked like any other for the demo's agenda, and eight weeks of history
    # (two meetings each weekday) for the managers' dashboard.
    assert Appointment.objects.filter(start__gte=timezone.now()).count() == 1
    assert counts[3] == 1 + 2 * 40
    assert (
        User.objects.count(),
        Patient.objects.count(),
        Recipient.objects.count(),
        Appointment.objects.count(),
    ) == counts
    roles = {m.user.username: m.role for m in ClinicMembership.objects.select_related("user")}
    assert roles == {
        "infirmiere": Role.PROFESSIONAL,
        "medecin": Role.PROFESSIONAL,
        "archiviste": Role.ARCHIVIST,
        "gestionnaire": Role.MANAGER,
    }
    assert User.objects.get(username="admin").is_superuser
    assert all(user.check_password("telesante-demo") for user in User.objects.all())
    assert User.objects.get(username="infirmiere").profession == "pivot_nurse_oncology"


@override_settings(DEBUG=True)
def test_demo_patients_have_valid_nams_or_another_identifier():
    call_command("seed_demo", verbosity=0)

    for patient in Patient.objects.all():
        patient.full_clean()
        if patient.nam:
            assert nam.decode(patient.nam).check_digit_ok
        else:
            assert patient.fallback_identifier


@override_settings(DEBUG=False)
def test_seed_demo_refuses_to_run_in_production_unless_forced():
    with pytest.raises(CommandError):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists()

    call_command("seed_demo", "--force", verbosity=0)
    assert User.objects.filter(username="infirmiere").exists()
