"""/api/v1/prescriptions/: the same rules as the pages; a forbidden route is a 400 with its reason."""

import pytest

from prescriptions.models import Prescription, Transmission
from tests import factories
from tests.conftest import api_as

MEDICATION = {
    "category": "medication",
    "therapeutic_intent": "Nausées induites par la chimiothérapie",
    "no_known_allergies": True,
    "callback_phone": "+14504665055",
    "lines": [{"drug": "Ondansétron", "strength": "8 mg", "dose": "1 co", "frequency": "BID", "duration": "30 jours"}],
}


@pytest.fixture
def as_physician(physician):
    return api_as(physician)


def test_medication_to_the_patient_is_a_400_with_the_reason(as_physician, patient_a, directory):
    answer = as_physician.post(
        "/api/v1/prescriptions/",
        {**MEDICATION, "patient": str(patient_a.public_id), "recipient": "patient"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "recipient_not_allowed"
    assert answer.json()["field"] == "recipient"
    assert "pharmacie" in answer.json()["detail"]  # the prescriber's language: French by default


def test_write_address_sign_and_follow(
    as_physician, patient_a, directory, fax_gateway, eager_workers, django_capture_on_commit_callbacks
):
    created = as_physician.post(
        "/api/v1/prescriptions/",
        {**MEDICATION, "patient": str(patient_a.public_id), "recipient": str(directory["pharmacy"].public_id)},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["recipient_id"] == str(directory["pharmacy"].public_id)
    assert body["lines"][0]["drug"] == "Ondansétron"

    with django_capture_on_commit_callbacks(execute=True):
        signed = as_physician.post(f"/api/v1/prescriptions/{body['id']}/sign/")
    assert signed.status_code == 200
    assert signed.json()["file_name"] == f"Ordonnances médicales_{patient_a.file_number}.pdf"
    (transmission,) = signed.json()["transmissions"]
    assert transmission["channel"] == "fax" and transmission["address"] == "14505550202"
    fax_gateway.wait_for(1)

    followed = as_physician.get(f"/api/v1/transmissions/{transmission['id']}/")
    assert followed.json()["status"] == "sent"

    second = as_physician.post(
        f"/api/v1/prescriptions/{body['id']}/transmit/",
        {"recipient": str(directory["other_pharmacy"].public_id)},
        format="json",
    )
    assert second.status_code == 400
    assert second.json()["code"] == "one_recipient_only"

    pdf = as_physician.get(f"/api/v1/prescriptions/{body['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    changed = as_physician.patch(f"/api/v1/prescriptions/{body['id']}/", {"allergies": "Latex"}, format="json")
    assert changed.status_code == 409


def test_cancel_then_choose_another_pharmacy(
    as_physician,
    physician,
    clinic_a,
    patient_a,
    directory,
    fax_gateway,
    eager_workers,
    django_capture_on_commit_callbacks,
):
    fax_gateway.refuse_next(1, code=550, reason="5.1.1 Numéro hors service")
    created = as_physician.post(
        "/api/v1/prescriptions/",
        {**MEDICATION, "patient": str(patient_a.public_id), "recipient": str(directory["pharmacy"].public_id)},
        format="json",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert as_physician.post(f"/api/v1/prescriptions/{created['id']}/sign/").status_code == 200
    (failed,) = as_physician.get(f"/api/v1/prescriptions/{created['id']}/").json()["transmissions"]
    assert failed["status"] == "failed" and "hors service" in failed["failure_reason"]
    assert as_physician.post(f"/api/v1/transmissions/{failed['id']}/cancel/", {}, format="json").status_code == 400
    colleague = factories.staff(clinic_a, "professional", username="collegue", profession="physician")
    refused = api_as(colleague).post(
        f"/api/v1/transmissions/{failed['id']}/cancel/", {"reason": "Autre pharmacie"}, format="json"
    )
    assert refused.status_code == 403
    cancelled = as_physician.post(
        f"/api/v1/transmissions/{failed['id']}/cancel/", {"reason": "Numéro hors service"}, format="json"
    )
    assert cancelled.json()["status"] == "cancelled"
    with django_capture_on_commit_callbacks(execute=True):
        again = as_physician.post(
            f"/api/v1/prescriptions/{created['id']}/transmit/",
            {"recipient": str(directory["other_pharmacy"].public_id)},
            format="json",
        )
    assert again.status_code == 201
    assert [fax.number for fax in fax_gateway.wait_for(1)] == ["14505550302"]


@pytest.mark.parametrize(
    "bad",
    [
        {"category": "potion"},
        {"lines": [{"drug": "X", "renewals": "beaucoup"}]},
        {"lines": [{"drug": "X", "renewals": 500}]},
        {"recipient": "pas-un-identifiant"},
        {"recipient": "00000000-0000-0000-0000-000000000000"},
        {"callback_phone": "pas un numéro"},
        {"no_known_allergies": True, "allergies": "Pénicilline"},
        {"patient": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_bad_input_is_a_clear_4xx(as_physician, patient_a, directory, bad):
    answer = as_physician.post(
        "/api/v1/prescriptions/", {**MEDICATION, "patient": str(patient_a.public_id), **bad}, format="json"
    )
    assert 400 <= answer.status_code < 500
    assert answer.json()


def test_signing_an_unaddressed_prescription_says_what_is_missing(as_physician, patient_a):
    created = as_physician.post(
        "/api/v1/prescriptions/", {"category": "imaging", "patient": str(patient_a.public_id)}, format="json"
    ).json()
    answer = as_physician.post(f"/api/v1/prescriptions/{created['id']}/sign/")
    assert answer.status_code == 400
    assert "destinataire" in answer.json()["detail"]


def test_others_see_nothing(physician, patient_a, nurse_b, manager_a, directory):
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "medication")
    for outsider in (nurse_b, manager_a):
        client = api_as(outsider)
        assert (
            client.get("/api/v1/prescriptions/").json()["results"] == []
            or client.get("/api/v1/prescriptions/").json() == []
        )
        assert client.get(f"/api/v1/prescriptions/{prescription.public_id}/").status_code == 404
    assert api_as(manager_a).get("/api/v1/recipients/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )


def test_a_nurse_of_the_clinic_reads_but_cannot_prescribe(nurse_a, physician, patient_a, directory):
    from tests.prescriptions.conftest import draft

    draft(physician, patient_a, "medication")
    client = api_as(nurse_a)
    listed = client.get("/api/v1/prescriptions/", {"patient": str(patient_a.public_id)})
    assert listed.status_code == 200
    answer = client.post("/api/v1/prescriptions/", {**MEDICATION, "patient": str(patient_a.public_id)}, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_a_prescriber"
    assert Prescription.objects.count() == 1
    assert Transmission.objects.count() == 0


def test_the_directory_is_searchable(as_physician, directory):
    found = as_physician.get("/api/v1/recipients/", {"search": "Auxbonsoins"}).json()
    rows = found["results"] if isinstance(found, dict) else found
    assert [row["name"] for row in rows] == ["Pharmacie Auxbonsoins"]
