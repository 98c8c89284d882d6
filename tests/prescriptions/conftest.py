import pytest

from consent.services import record_consent
from directory.models import ClinicMembership, Recipient, SecureEmailDomain
from prescriptions.services import save_prescription, start_prescription
from tests import factories


@pytest.fixture
def physician(clinic_a):
    clinic_a.phone = "+14504665050"
    clinic_a.save()
    return factories.staff(
        clinic_a,
        ClinicMembership.Role.PROFESSIONAL,
        username="medecin_a",
        first_name="Marc-André",
        last_name="Gagnon",
        email="marc-andre.gagnon@ssss.gouv.qc.ca",
        profession="physician",
        practice_number="1-95123",
        phone="+14504665055",
    )


@pytest.fixture
def secure_domain(db):
    return SecureEmailDomain.objects.create(domain="ssss.gouv.qc.ca")


def recipient(kind: str, name: str, **fields) -> Recipient:
    values = {"fax": "+14505550202", "phone": "+14505550201", "city": "Longueuil", **fields}
    return Recipient.objects.create(kind=kind, name=name, **values)


@pytest.fixture
def directory(clinic_a, secure_domain):
    """The recipients of the network's table, as a nurse finds them in the directory."""
    establishment = clinic_a.establishment
    return {
        "pharmacy": recipient(Recipient.Kind.COMMUNITY_PHARMACY, "Pharmacie Auxbonsoins", fax="+14505550202"),
        "other_pharmacy": recipient(Recipient.Kind.COMMUNITY_PHARMACY, "Pharmacie du Coin", fax="+14505550302"),
        "establishment_pharmacy": recipient(
            Recipient.Kind.ESTABLISHMENT_PHARMACY,
            "Pharmacie de l'hôpital",
            establishment=establishment,
            email="pharmacie@ssss.gouv.qc.ca",
        ),
        "establishment_pharmacy_fax_only": recipient(
            Recipient.Kind.ESTABLISHMENT_PHARMACY, "Pharmacie du CHSLD", establishment=establishment
        ),
        "imaging_lab": recipient(Recipient.Kind.IMAGING_LAB, "Radiologie Brossard", fax="+14505550208"),
        "other_imaging_lab": recipient(Recipient.Kind.IMAGING_LAB, "Imagerie Longueuil", fax="+14505550408"),
        "radiology": recipient(
            Recipient.Kind.RADIOLOGY_SERVICE,
            "Radiologie HCLM",
            establishment=establishment,
            email="radiologie@ssss.gouv.qc.ca",
        ),
        "unit": recipient(
            Recipient.Kind.NETWORK_UNIT,
            "Centre de prélèvements",
            establishment=establishment,
            email="prelevements@ssss.gouv.qc.ca",
            fax="",
        ),
        "physio_gmail_with_fax": recipient(
            Recipient.Kind.PROFESSIONAL, "Physio Mouvement", email="physio@gmail.com", fax="+14505550210"
        ),
        "nutritionist_hotmail_only": recipient(
            Recipient.Kind.PROFESSIONAL, "Claire Roy", email="claire.roy@hotmail.com", fax=""
        ),
        "archives": recipient(
            Recipient.Kind.MEDICAL_ARCHIVES,
            "Archives médicales",
            establishment=establishment,
            email="archives@ssss.gouv.qc.ca",
        ),
    }


@pytest.fixture
def patient_with_email(clinic_a):
    return factories.patient(clinic_a, email="louise.cote@example.com", preferred_language="fr")


def give_personal_email_consent(by, patient):
    return record_consent(by=by, patient=patient, kind="personal_email", granted=True, language="fr", warning_read=True)


def draft(physician, patient, category: str, **fields):
    prescription = start_prescription(by=physician, patient=patient, category=category)
    defaults = {
        "medication": {"therapeutic_intent": "Prévention des nausées", "no_known_allergies": True},
        "imaging": {"instructions": "TDM thoracique", "no_known_allergies": True},
        "laboratory": {"instructions": "FSC, créatinine"},
        "referral": {"instructions": "Physiothérapie: lymphœdème du bras droit"},
        "other": {"instructions": "Billet médical: arrêt de travail 2 semaines"},
    }[category]
    lines = None
    if category == "medication":
        lines = [
            {
                "drug": "Ondansétron",
                "strength": "8 mg",
                "form": "comprimé",
                "dose": "1 co",
                "route": "PO",
                "frequency": "BID PRN",
                "duration": "30 jours",
                "renewals": 2,
            }
        ]
    return save_prescription(prescription, by=physician, fields={**defaults, **fields}, lines=lines)
