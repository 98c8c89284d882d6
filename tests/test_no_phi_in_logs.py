"""No health information in the logs: the main journeys, with every logger at DEBUG, must not write a
patient's NAM, name or date of birth anywhere (the audit trail keeps identifiers only)."""

import logging
import re

import pytest
from django.core import mail
from django.urls import reverse

from directory.models import Patient
from prescriptions.models import Transmission
from prescriptions.services import choose_recipient, sign_prescription
from tests.conftest import api_as
from tests.directory.test_patient_pages import registration
from tests.prescriptions.conftest import directory, draft, give_personal_email_consent, physician, secure_domain  # noqa: F401


def identifying_strings(patient: Patient) -> list[str]:
    born = patient.date_of_birth
    return [
        patient.nam,
        patient.nam_display,
        patient.last_name,
        patient.first_name,
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        born.strftime("%Y%m%d"),
    ]


@pytest.fixture
def every_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_main_journeys_leave_no_nam_name_or_birth_date_in_the_logs(
    client,
    every_log_line,
    nurse_a,
    physician,  # noqa: F811  (the fixture, imported above)
    clinic_a,
    directory,  # noqa: F811
    fax_gateway,
    eager_workers,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.TRANSMISSION_REPORTS_TOKEN = "jeton"
    # A nurse registers a patient, searches for her by name and NAM, opens her record.
    client.force_login(nurse_a)
    data = registration(clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("patient_create"), data)
    patient = Patient.objects.get(file_number=data["file_number"])
    client.post(reverse("patient_list"), {"q": patient.last_name})
    client.post(reverse("patient_list"), {"q": patient.nam})
    client.get(reverse("patient_detail", kwargs={"public_id": patient.public_id}))
    # ... books a Jitsi meeting (the worker makes the link and sends the invitations)
    with django_capture_on_commit_callbacks(execute=True):
        api_as(nurse_a).post(
            "/api/v1/appointments/",
            {
                "patient": str(patient.public_id),
                "kind": "immediate",
                "modality": "video",
                "platform": "jitsi",
                "reason": "between_cycles",
                "duration_minutes": 20,
            },
            format="json",
        )
    # ... and the API and FHIR read her.
    api_as(nurse_a).post("/api/v1/patients/search/", {"query": patient.last_name}, format="json")
    api_as(nurse_a).get(f"/fhir/r4/Patient/{patient.public_id}")
    api_as(nurse_a).get("/api/v1/patients/", {"search": patient.nam})
    # A physician prescribes by fax and sends a laboratory order to the patient, who downloads it.
    prescription = draft(physician, patient, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_prescription(prescription, by=physician)
    fax_gateway.wait_for(1)
    client.post(
        reverse("transmission_reports"),
        data=fax_gateway.reports[0],
        content_type="message/rfc822",
        HTTP_AUTHORIZATION="Bearer jeton",
    )
    give_personal_email_consent(physician, patient)
    laboratory = draft(physician, patient, "laboratory", callback_phone="+14504665055")
    choose_recipient(laboratory, by=physician, recipient=None)
    with django_capture_on_commit_callbacks(execute=True):
        sign_prescription(laboratory, by=physician)
    link = re.search(r"(/document/[^/\s]+/)", mail.outbox[-1].body).group(1)
    client.post(link, {"date_of_birth": "1900-01-01"})
    client.post(link, {"date_of_birth": patient.date_of_birth.isoformat()})
    assert Transmission.objects.filter(status="confirmed").count() == 2  # the journeys did run

    # The portal's own log lines: the fake gateway's SMTP server (aiosmtpd's "mail.log") and the
    # test fakes stand for outside services, which see what they are sent.
    portal_records = [
        record
        for record in every_log_line.records
        if record.name != "mail.log" and not record.name.startswith("tests.")
    ]
    logged = "\n".join(record.getMessage() for record in portal_records)
    # The journeys did log (the worker's tasks at least): the check below reads real lines.
    assert any(record.name == "celery.app.trace" for record in portal_records), "nothing logged: it proves nothing"
    for secret in identifying_strings(patient):
        assert secret not in logged, f"{secret!r} appears in the logs"
