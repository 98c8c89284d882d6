"""A patient's whole record (meeting, consent, signed note, signed AH-251s) and the FHIR client's checks."""

import importlib
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from consent.services import record_consent
from documentation.services import save_draft, sign_note, start_note
from prescriptions.services import choose_recipient, sign_prescription
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.prescriptions import conftest as prescriptions
from tests.scheduling.conftest import caregiver, video

# The prescriptions' fixtures, shared here: a physician of clinic A and the directory of recipients.
physician, directory, secure_domain = prescriptions.physician, prescriptions.directory, prescriptions.secure_domain
draft = prescriptions.draft

FHIR_JSON = "application/fhir+json"


def validate(resource: dict) -> dict:
    """The resource as the R4B models of fhir.resources read it (R4 has no package of its own there)."""
    kind = resource["resourceType"]
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
    model.model_validate(resource)
    return resource


def fhir(response, status: int = 200) -> dict:
    """The body of a FHIR answer, after checking its status, its media type and its R4B validity."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(FHIR_JSON)
    return validate(response.json())


def outcome(response, status: int, code: str) -> str:
    """The diagnostics of an OperationOutcome answer."""
    body = fhir(response, status)
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert issue["severity"] == "error" and issue["code"] == code, issue
    assert issue["diagnostics"]
    return issue["diagnostics"]


def clinical_record(professional, physician, patient, clinic, directory) -> SimpleNamespace:
    """What a teleconsultation leaves: the meeting held, the consent, the signed note, two signed AH-251s."""
    professional.practice_number = professional.practice_number or "1234567"
    professional.save()
    appointment = book_appointment(
        by=professional,
        patient=patient,
        clinic=clinic,
        details=replace(video(), kind="immediate"),
        participants=[caregiver()],
    )
    consent = record_consent(by=professional, patient=patient, kind="telehealth", granted=True, language="fr")
    appointment = record_outcome(appointment, by=professional, outcome="held")
    note = start_note(by=professional, appointment=appointment, structure="free")
    note = sign_note(
        save_draft(note, by=professional, structure="free", sections={"body": "Va bien."}), by=professional
    )
    medication = draft(physician, patient, "medication")
    assert choose_recipient(medication, by=physician, recipient=directory["pharmacy"]).allowed
    medication = sign_prescription(medication, by=physician)
    laboratory = draft(physician, patient, "laboratory")
    assert choose_recipient(laboratory, by=physician, recipient=directory["unit"]).allowed
    laboratory = sign_prescription(laboratory, by=physician)
    return SimpleNamespace(
        patient=patient,
        appointment=appointment,
        consent=consent,
        note=note,
        medication=medication,
        laboratory=laboratory,
    )


def resource_ids(record: SimpleNamespace) -> dict[str, str]:
    """One id of each type the portal serves, from a clinical record."""
    return {
        "Patient": str(record.patient.public_id),
        "Appointment": str(record.appointment.public_id),
        "Consent": str(record.consent.public_id),
        "DocumentReference": str(record.note.document.public_id),
        "MedicationRequest": f"{record.medication.public_id}-1",
        "ServiceRequest": str(record.laboratory.public_id),
    }


@pytest.fixture
def marie(clinic_a):
    """A second patient of clinic A."""
    return factories.patient(
        clinic_a, last_name="Bouchard", first_name="Marie", date_of_birth=date(1971, 6, 2), email="marie@example.com"
    )


@pytest.fixture
def record_of_louise(nurse, physician, louise, clinic_a, directory):
    return clinical_record(nurse, physician, louise, clinic_a, directory)


@pytest.fixture
def record_of_marie(nurse_a, physician, marie, clinic_a, directory):
    return clinical_record(nurse_a, physician, marie, clinic_a, directory)
