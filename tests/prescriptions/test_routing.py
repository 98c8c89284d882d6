"""The network's routing table (DOMAIN.md), row by row: what may go where, by which channel, and why not."""

import pytest
from django.utils import translation

from prescriptions.models import Channel
from prescriptions.routing import route
from prescriptions.services import choose_recipient, sign_prescription
from tests.prescriptions.conftest import draft, give_personal_email_consent

PATIENT = "patient"

# (category, recipient, channel). Every allowed row of DOMAIN.md's table.
ALLOWED_ROWS = [
    ("medication", "pharmacy", Channel.FAX),  # one community pharmacy, cloud fax
    ("medication", "establishment_pharmacy", Channel.SECURE_EMAIL),  # its department's rules: secure email...
    ("medication", "establishment_pharmacy_fax_only", Channel.FAX),  # ... or fax
    ("imaging", "imaging_lab", Channel.FAX),  # the one lab the patient chose, cloud fax
    ("laboratory", PATIENT, Channel.PATIENT_LINK),  # the patient takes it to a collection centre
    ("laboratory", "unit", Channel.SECURE_EMAIL),  # anything to a unit of the network: secure email
    ("other", PATIENT, Channel.PATIENT_LINK),  # insurance form, medical note: to the patient
    ("other", "unit", Channel.SECURE_EMAIL),
    ("referral", PATIENT, Channel.PATIENT_LINK),  # referral: to the patient...
    ("referral", "physio_gmail_with_fax", Channel.FAX),  # ... or the professional: no secure address, so fax
    ("referral", "unit", Channel.SECURE_EMAIL),
]

# (category, recipient, code, words the refusal must say). Every forbidden combination the issue names.
FORBIDDEN_ROWS = [
    ("medication", PATIENT, "recipient_not_allowed", "never goes to the patient"),
    ("medication", "imaging_lab", "recipient_not_allowed", "only to a pharmacy"),
    ("medication", "unit", "recipient_not_allowed", "only to a pharmacy"),
    ("imaging", PATIENT, "recipient_not_allowed", "never goes to the patient"),
    ("imaging", "pharmacy", "recipient_not_allowed", "imaging lab or radiology service the patient chose"),
    ("imaging", "other_imaging_lab", "not_patients_imaging_choice", "The patient chose Radiologie Brossard"),
    ("laboratory", "pharmacy", "recipient_not_allowed", "collection centre"),
    ("referral", "nutritionist_hotmail_only", "no_secure_channel", "never goes to an ordinary email address"),
    ("referral", "pharmacy", "recipient_not_allowed", "A referral goes to the patient"),
    ("other", "imaging_lab", "recipient_not_allowed", "goes to the patient"),
]


@pytest.fixture(autouse=True)
def in_english():
    """The reasons are checked in English (the French catalogue says the same)."""
    with translation.override("en"):
        yield


@pytest.fixture
def consenting_patient(physician, patient_with_email, directory):
    give_personal_email_consent(physician, patient_with_email)
    patient_with_email.imaging_lab = directory["imaging_lab"]
    patient_with_email.save()
    return patient_with_email


def target(directory, name):
    return None if name == PATIENT else directory[name]


@pytest.mark.parametrize(("category", "recipient", "channel"), ALLOWED_ROWS)
def test_every_allowed_row_passes_with_its_channel(
    physician, consenting_patient, directory, category, recipient, channel
):
    prescription = draft(physician, consenting_patient, category)
    decision = route(prescription, target(directory, recipient))
    assert decision.allowed, decision.reason
    assert decision.channel == channel
    expected_address = {
        Channel.FAX: lambda: directory[recipient].fax.as_e164.lstrip("+"),
        Channel.SECURE_EMAIL: lambda: directory[recipient].email,
        Channel.PATIENT_LINK: lambda: consenting_patient.email,
    }[channel]()
    assert decision.address == expected_address


@pytest.mark.parametrize(("category", "recipient", "code", "words"), FORBIDDEN_ROWS)
def test_every_forbidden_combination_is_refused_with_its_reason(
    physician, consenting_patient, directory, category, recipient, code, words
):
    prescription = draft(physician, consenting_patient, category)
    decision = route(prescription, target(directory, recipient))
    assert not decision.allowed
    assert decision.code == code
    assert words in decision.reason
    assert not decision.channel


def test_medication_goes_to_one_pharmacy_only(physician, consenting_patient, directory):
    prescription = draft(physician, consenting_patient, "medication")
    assert choose_recipient(prescription, by=physician, recipient=directory["pharmacy"]).allowed
    signed = sign_prescription(prescription, by=physician)
    second = route(signed, directory["other_pharmacy"])
    assert not second.allowed
    assert second.code == "one_recipient_only"
    assert "one pharmacy only" in second.reason and "Pharmacie Auxbonsoins" in second.reason


def test_imaging_goes_to_one_lab_only(physician, consenting_patient, directory):
    prescription = draft(physician, consenting_patient, "imaging")
    assert choose_recipient(prescription, by=physician, recipient=directory["imaging_lab"]).allowed
    signed = sign_prescription(prescription, by=physician)
    consenting_patient.imaging_lab = directory["other_imaging_lab"]
    consenting_patient.save()
    signed.patient.refresh_from_db()
    assert route(signed, directory["other_imaging_lab"]).code == "one_recipient_only"


def test_imaging_needs_the_patients_recorded_choice(physician, patient_with_email, directory):
    prescription = draft(physician, patient_with_email, "imaging")
    refused = route(prescription, directory["imaging_lab"])
    assert refused.code == "imaging_choice_missing"
    # The prescriber records the patient's choice as she addresses the order.
    decision = choose_recipient(
        prescription, by=physician, recipient=directory["imaging_lab"], imaging_choice_confirmed=True
    )
    assert decision.allowed and decision.channel == Channel.FAX
    patient_with_email.refresh_from_db()
    assert patient_with_email.imaging_lab == directory["imaging_lab"]


def test_patient_delivery_needs_personal_email_consent(physician, patient_with_email, directory):
    prescription = draft(physician, patient_with_email, "other")
    refused = route(prescription, None)
    assert refused.code == "personal_email_consent_missing"
    assert "record the consent" in refused.reason
    give_personal_email_consent(physician, patient_with_email)
    assert route(prescription, None).channel == Channel.PATIENT_LINK


def test_patient_delivery_needs_an_email_address(physician, clinic_a, directory):
    from tests import factories

    patient = factories.patient(clinic_a, email="")
    give_personal_email_consent(physician, patient)
    assert route(draft(physician, patient, "other"), None).code == "patient_email_missing"


def test_laboratory_needs_the_urgent_contact(physician, consenting_patient, directory):
    prescription = draft(physician, consenting_patient, "laboratory", callback_phone="")
    refused = route(prescription, None)
    assert refused.code == "urgent_contact_missing"
    assert "critical values" in refused.reason
    prescription = draft(physician, consenting_patient, "laboratory", callback_phone="+14504665055")
    assert route(prescription, None).allowed


def test_clinical_content_never_goes_to_a_non_secure_address(physician, consenting_patient, directory):
    """A professional with a Gmail address and a fax gets the fax, never the Gmail address."""
    decision = route(draft(physician, consenting_patient, "referral"), directory["physio_gmail_with_fax"])
    assert decision.channel == Channel.FAX
    assert "gmail" not in decision.address


def test_the_pharmacy_of_another_establishment_is_refused(physician, consenting_patient, directory, clinic_b):
    from tests.prescriptions.conftest import recipient

    elsewhere = recipient("establishment_pharmacy", "Pharmacie d'ailleurs", establishment=clinic_b.establishment)
    assert route(draft(physician, consenting_patient, "medication"), elsewhere).code == "other_establishment"


def test_an_inactive_recipient_is_refused(physician, consenting_patient, directory):
    closed = directory["pharmacy"]
    closed.is_active = False
    closed.save()
    assert route(draft(physician, consenting_patient, "medication"), closed).code == "recipient_inactive"
