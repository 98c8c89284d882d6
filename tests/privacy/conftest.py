from dataclasses import replace
from itertools import count

import pytest

from consent.services import record_consent
from directory.models import ClinicMembership
from documentation.models import SignedDocument
from documentation.services import save_draft, sign_note, start_note
from prescriptions.services import choose_recipient, sign_prescription
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.prescriptions.conftest import (  # noqa: F401  (the prescriptions' fixtures, shared here)
    directory,
    draft,
    patient_with_email,
    physician,
    secure_domain,
)
from tests.scheduling.conftest import video

_authors = count(1)


def signed_note_document(clinic, patient, participants=()) -> SignedDocument:
    """A held meeting and its signed AH-253 (a new author each time: one immediate meeting per organizer)."""
    author = factories.staff(
        clinic,
        ClinicMembership.Role.PROFESSIONAL,
        username=f"ipo{next(_authors)}",
        profession="pivot_nurse_oncology",
        practice_number="1234567",
    )
    appointment = book_appointment(
        by=author, patient=patient, clinic=clinic, details=replace(video(), kind="immediate"), participants=participants
    )
    record_consent(by=author, patient=patient, kind="telehealth", granted=True, language="fr")
    note = start_note(by=author, appointment=record_outcome(appointment, by=author, outcome="held"))
    save_draft(note, by=author, structure="free", sections={"body": "Va bien."})
    return sign_note(note, by=author).document


def signed_to(prescriber, patient, recipient, capture, category="medication", **fields):
    """A prescription signed for the recipient (None: the patient); its transmission is queued."""
    prescription = draft(prescriber, patient, category, **fields)
    assert choose_recipient(prescription, by=prescriber, recipient=recipient).allowed
    with capture():
        sign_prescription(prescription, by=prescriber)
    prescription.refresh_from_db()
    return prescription


@pytest.fixture
def officer(settings):
    settings.PRIVACY_OFFICER_NAME = "Me Hélène Bouchard"
    settings.PRIVACY_OFFICER_EMAIL = "confidentialite@ssss.gouv.qc.ca"
    settings.PRIVACY_OFFICER_PHONE = "450 466-5000, poste 2100"
    return settings
