"""The fax through a real Celery worker over the configured broker, and its report through the live
server, as in production: nothing is run in the test's thread."""

import time

import pytest

from prescriptions.models import Transmission
from prescriptions.services import choose_recipient, sign_prescription
from tests.prescriptions.conftest import draft

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_status(transmission: Transmission, status: str, timeout: float = 30) -> Transmission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        transmission.refresh_from_db()
        if transmission.status == status:
            return transmission
        time.sleep(0.1)
    raise AssertionError(f"still {transmission.status} ({transmission.failure_reason}) after {timeout} s")


def test_a_worker_faxes_once_and_the_gateways_report_confirms(
    physician, patient_a, directory, fax_gateway, live_server, settings, celery_worker_thread
):
    settings.TRANSMISSION_REPORTS_TOKEN = "jeton"
    fax_gateway.report_url = f"{live_server.url}/envois/rapports/"
    fax_gateway.report_token = "jeton"
    prescription = draft(physician, patient_a, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    sign_prescription(prescription, by=physician)  # committed: the worker gets it from the broker

    transmission = wait_for_status(prescription.transmissions.get(), Transmission.Status.CONFIRMED)
    assert len(fax_gateway.wait_for(1)) == 1
    assert fax_gateway.wait_for_report_statuses(1) == [200]
    assert transmission.attempts == 1
