"""Every action of the pages is also an API call, with the pages' permissions and the portal's errors."""

import uuid
from dataclasses import replace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from consent.models import ConsentScript
from consent.services import consent_in_force, record_consent
from directory.models import ClinicMembership
from documentation.models import SignedDocument
from documentation.services import add_addendum, file_document, give_up_on_filing, save_draft, sign_note, start_note
from prescriptions.models import Prescription
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.conftest import api_as
from tests.prescriptions.conftest import draft
from tests.scheduling.conftest import video

pytestmark = pytest.mark.django_db

Role = ClinicMembership.Role


@pytest.fixture
def appointment(nurse, louise, clinic_a):
    return book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())


@pytest.fixture
def held(nurse, louise, clinic_a):
    nurse.practice_number = "1234567"
    nurse.save()
    booked = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=replace(video(), kind="immediate"))
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    return record_outcome(booked, by=nurse, outcome="held")


def signed(nurse, appointment, text: str = "Va bien."):
    note = start_note(by=nurse, appointment=appointment)
    save_draft(note, by=nurse, structure="free", sections={"body": text})
    return sign_note(note, by=nurse)


@pytest.fixture
def signed_note(nurse, held):
    return signed(nurse, held)


@pytest.fixture
def archivist_b(clinic_b):
    return factories.staff(clinic_b, Role.ARCHIVIST, username="archiviste_b", profession="archivist")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# -- directory: the interface language, a patient's access history ----------------------------------------


def test_i_choose_english_and_the_api_then_answers_in_english(nurse_a):
    client = token_client(nurse_a)

    chosen = client.patch("/api/v1/me/", {"preferred_language": "en"}, format="json")
    missing = client.get(f"/api/v1/patients/{uuid.uuid4()}/")

    nurse_a.refresh_from_db()
    assert chosen.status_code == 200 and chosen.json()["preferred_language"] == "en"
    assert nurse_a.preferred_language == "en"
    assert AuditEvent.objects.filter(actor=nurse_a, action=AuditEvent.Action.LANGUAGE_CHANGED).count() == 1
    assert missing.status_code == 404 and missing.json() == {"code": "not_found", "detail": "Not found."}


def test_a_language_the_portal_does_not_speak_is_a_400(nurse_a):
    answer = api_as(nurse_a).patch("/api/v1/me/", {"preferred_language": "de"}, format="json")

    nurse_a.refresh_from_db()
    assert answer.status_code == 400 and "preferred_language" in answer.json()
    assert nurse_a.preferred_language == "fr"


def test_an_archivist_reads_who_opened_the_record_and_that_reading_is_recorded(nurse_a, archivist_a, patient_a):
    api_as(nurse_a).get(f"/api/v1/patients/{patient_a.public_id}/")

    answer = api_as(archivist_a).get(f"/api/v1/patients/{patient_a.public_id}/history/")

    assert answer.status_code == 200
    opened = [row for row in answer.json()["results"] if row["action"] == "patient.view"]
    assert [(row["actor"], row["channel"]) for row in opened] == [("infirmiere_a", "api")]
    assert AuditEvent.objects.filter(actor=archivist_a, action="patient.history_view").count() == 1


def test_the_access_history_is_403_for_a_nurse_and_404_outside_the_establishment(nurse_a, archivist_b, patient_a):
    path = f"/api/v1/patients/{patient_a.public_id}/history/"

    assert api_as(nurse_a).get(path).status_code == 403
    assert api_as(archivist_b).get(path).status_code == 404
    assert api_as(archivist_b).get("/api/v1/patients/not-an-id/history/").status_code == 400


# -- consent: the scripts, a withdrawal -----------------------------------------------------------------


def test_the_current_scripts_tell_the_version_the_answer_will_record(nurse, louise):
    client = api_as(nurse)

    scripts = client.get("/api/v1/consent-scripts/", {"kind": "telehealth", "language": "en"}).json()["results"]
    recorded = client.post(
        "/api/v1/consents/",
        {"patient": str(louise.public_id), "kind": "telehealth", "language": "en", "granted": True},
        format="json",
    ).json()

    current = ConsentScript.objects.current("telehealth", "en")
    assert [(s["kind"], s["language"], s["version"]) for s in scripts] == [("telehealth", "en", current.version)]
    assert scripts[0]["text"] == current.text
    assert recorded["script_version"] == current.version


def test_a_withdrawal_is_a_new_record_and_the_consent_is_no_longer_in_force(nurse, louise):
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    client = api_as(nurse)
    body = {"patient": str(louise.public_id), "kind": "telehealth"}

    withdrawn = client.post("/api/v1/consents/withdraw/", body, format="json")
    again = client.post("/api/v1/consents/withdraw/", body, format="json")

    assert withdrawn.status_code == 201
    assert withdrawn.json()["decision"] == "withdrawn" and withdrawn.json()["script_version"] is None
    assert not consent_in_force(louise, "telehealth")
    assert again.status_code == 400 and "kind" in again.json()
    assert len(client.get("/api/v1/consents/", {"patient": str(louise.public_id)}).json()["results"]) == 2


def test_only_the_care_team_withdraws(nurse, louise, nurse_b, manager_a):
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    body = {"patient": str(louise.public_id), "kind": "telehealth"}

    assert api_as(nurse_b).post("/api/v1/consents/withdraw/", body, format="json").status_code == 404
    assert api_as(manager_a).post("/api/v1/consents/withdraw/", body, format="json").status_code == 403
    assert api_as(nurse).post("/api/v1/consents/withdraw/", {**body, "kind": "x"}, format="json").status_code == 400
    assert consent_in_force(louise, "telehealth")


# -- scheduling: flagging a meeting as recorded -------------------------------------------------------------


def test_a_meeting_is_flagged_recorded_only_with_both_consents(nurse, louise, appointment):
    client = api_as(nurse)
    path = f"/api/v1/appointments/{appointment.public_id}/recorded/"

    refused = client.post(path)
    for party in ("patient", "professional"):
        record_consent(
            by=nurse,
            patient=louise,
            kind="recording",
            granted=True,
            language="fr",
            party=party,
            appointment_id=appointment.public_id,
        )
    flagged = client.post(path)

    assert refused.status_code == 409 and refused.json()["code"] == "recording_consent_missing"
    assert flagged.status_code == 200 and flagged.json()["recorded"] is True
    assert client.get(f"/api/v1/appointments/{appointment.public_id}/").json()["recorded"] is True


def test_flagging_someone_elses_meeting_is_404_and_a_manager_is_403(appointment, nurse_b, manager_a):
    path = f"/api/v1/appointments/{appointment.public_id}/recorded/"

    assert api_as(nurse_b).post(path).status_code == 404
    assert api_as(manager_a).post(path).status_code == 403


# -- documentation: addenda -------------------------------------------------------------------------------


def test_an_addendum_corrects_a_signed_note(nurse, signed_note):
    answer = api_as(nurse).post(f"/api/v1/notes/{signed_note.public_id}/addendum/")

    assert answer.status_code == 201
    assert answer.json()["addendum_to"] == str(signed_note.public_id) and answer.json()["status"] == "draft"


def test_a_draft_has_no_addendum_and_others_do_not_see_the_note(nurse, held, nurse_b):
    note = start_note(by=nurse, appointment=held)

    assert api_as(nurse).post(f"/api/v1/notes/{note.public_id}/addendum/").json()["code"] == "not_signed"
    assert api_as(nurse_b).post(f"/api/v1/notes/{note.public_id}/addendum/").status_code == 404


# -- documentation: the archives' review queue --------------------------------------------------------------


def test_the_archivist_finds_the_signed_note_in_the_queue_and_reads_it(archivist_a, signed_note, louise):
    client = api_as(archivist_a)
    document = signed_note.document

    queue = client.get("/api/v1/documents/").json()["results"]
    found = client.get("/api/v1/documents/", {"search": louise.file_number}).json()["results"]
    filed = client.get("/api/v1/documents/", {"status": "filed"}).json()["results"]
    read = client.get(f"/api/v1/documents/{document.public_id}/").json()
    pdf = client.get(f"/api/v1/documents/{document.public_id}/pdf/")

    assert [row["id"] for row in queue] == [str(document.public_id)] == [row["id"] for row in found]
    assert filed == []
    assert read["form"] == "AH-253" and read["note"] == str(signed_note.public_id) and read["missing"] == []
    assert "note.sign" in [event["action"] for event in read["history"]]
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


def test_the_queue_is_the_archivists_only(nurse, signed_note, archivist_b, archivist_a):
    document = signed_note.document

    assert api_as(nurse).get("/api/v1/documents/").status_code == 403
    assert api_as(nurse).get(f"/api/v1/documents/{document.public_id}/").status_code == 404
    assert api_as(archivist_b).get("/api/v1/documents/").json()["results"] == []
    assert api_as(archivist_b).get(f"/api/v1/documents/{document.public_id}/pdf/").status_code == 404
    assert api_as(archivist_a).get("/api/v1/documents/", {"status": "lost"}).json()["field"] == "status"
    assert api_as(archivist_a).get("/api/v1/documents/", {"day": "2026-13-45"}).json()["field"] == "day"


def test_returned_with_its_reason_the_author_finds_it(nurse, archivist_a, signed_note, nurse_a):
    client = api_as(archivist_a)
    path = f"/api/v1/documents/{signed_note.document.public_id}/return/"

    without_reason = client.post(path, {"reason": "  "}, format="json")
    returned = client.post(path, {"reason": "Le numéro de permis manque."}, format="json")
    twice = client.post(path, {"reason": "Encore."}, format="json")
    mine = api_as(nurse).get("/api/v1/documents/returned-to-me/").json()["results"]

    assert without_reason.status_code == 400 and without_reason.json()["field"] == "reason"
    assert returned.status_code == 200 and returned.json()["review_status"] == "returned"
    assert twice.status_code == 409
    assert [(row["id"], row["returned_reason"]) for row in mine] == [
        (str(signed_note.document.public_id), "Le numéro de permis manque.")
    ]
    assert api_as(nurse_a).get("/api/v1/documents/returned-to-me/").json()["results"] == []
    assert api_as(nurse).post(path, {"reason": "Moi-même."}, format="json").status_code == 404


def test_filing_one_document_with_its_record_reference(archivist_a, signed_note, django_capture_on_commit_callbacks):
    path = f"/api/v1/documents/{signed_note.document.public_id}/file/"

    with django_capture_on_commit_callbacks() as handed_over:
        filed = api_as(archivist_a).post(path, {"record_reference": "DPE-012345"}, format="json")

    assert filed.status_code == 200
    assert filed.json()["review_status"] == "filed" and filed.json()["record_reference"] == "DPE-012345"
    assert filed.json()["filing_status"] == "pending" and len(handed_over) == 1


def test_batch_filing_files_the_waiting_documents_of_my_queue_only(
    nurse, archivist_a, signed_note, held, archivist_b, nurse_a
):
    second = signed(nurse, held, "Deuxième note.")
    ids = [str(signed_note.document.public_id), str(second.document.public_id), str(uuid.uuid4())]

    outsider = api_as(archivist_b).post("/api/v1/documents/file/", {"documents": ids}, format="json")
    nurse_answer = api_as(nurse_a).post("/api/v1/documents/file/", {"documents": ids}, format="json")
    malformed = api_as(archivist_a).post("/api/v1/documents/file/", {"documents": ["12"]}, format="json")
    filed = api_as(archivist_a).post("/api/v1/documents/file/", {"documents": ids}, format="json")

    assert outsider.status_code == 200 and outsider.json() == []
    assert nurse_answer.status_code == 403
    assert malformed.status_code == 400 and "documents" in malformed.json()
    assert filed.status_code == 200 and sorted(row["id"] for row in filed.json()) == sorted(ids[:2])
    assert set(SignedDocument.objects.values_list("review_status", flat=True)) == {"filed"}


def test_a_failed_filing_is_asked_again(archivist_a, archivist_b, signed_note, django_capture_on_commit_callbacks):
    document = file_document(signed_note.document, by=archivist_a)
    give_up_on_filing(document.pk, "Le DPE refuse le document (400).")
    path = f"/api/v1/documents/{document.public_id}/retry-filing/"

    assert api_as(archivist_b).post(path).status_code == 404
    with django_capture_on_commit_callbacks() as handed_over:
        retried = api_as(archivist_a).post(path)

    assert retried.status_code == 200
    assert retried.json()["filing_status"] == "pending" and retried.json()["filing_error"] == ""
    assert len(handed_over) == 1


def test_an_addendum_signed_after_a_return_waits_in_the_queue_too(nurse, archivist_a, signed_note):
    addendum = add_addendum(signed_note, by=nurse)
    save_draft(addendum, by=nurse, structure="free", sections={"body": "Permis : 1234567."})
    sign_note(addendum, by=nurse)

    queue = api_as(archivist_a).get("/api/v1/documents/").json()["results"]

    assert len(queue) == 2


# -- prescriptions: discarding a draft, the author alone sends ---------------------------------------------


def test_the_prescriber_discards_her_draft(physician, patient_a, directory):
    prescription = draft(physician, patient_a, "medication")
    client = api_as(physician)

    discarded = client.post(f"/api/v1/prescriptions/{prescription.public_id}/discard/")

    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert client.get(f"/api/v1/prescriptions/{prescription.public_id}/").status_code == 404
    assert AuditEvent.objects.filter(action="prescription.discard", actor=physician).count() == 1


def test_only_the_prescriber_discards_and_only_a_draft(physician, patient_a, directory, clinic_a, nurse_b):
    colleague = factories.staff(
        clinic_a, Role.PROFESSIONAL, username="medecin_b", profession="physician", practice_number="1-95124"
    )
    prescription = draft(physician, patient_a, "laboratory")
    path = f"/api/v1/prescriptions/{prescription.public_id}/discard/"

    assert api_as(nurse_b).post(path).status_code == 404
    assert api_as(colleague).post(path).json()["code"] == "not_author"
    Prescription.objects.filter(pk=prescription.pk).update(status=Prescription.Status.SIGNED)
    assert api_as(physician).post(path).json()["code"] == "signed"


def test_the_recipient_candidates_follow_the_category(physician, patient_a, directory, nurse_b):
    prescription = draft(physician, patient_a, "medication")
    path = f"/api/v1/prescriptions/{prescription.public_id}/recipient-candidates/"

    found = api_as(physician).get(path, {"search": "Auxbonsoins"}).json()

    assert [row["name"] for row in found] == ["Pharmacie Auxbonsoins"]
    assert "Radiologie Brossard" not in [row["name"] for row in api_as(physician).get(path).json()]
    assert api_as(nurse_b).get(path).status_code == 404


def test_a_colleague_cannot_send_someone_elses_prescription(physician, patient_a, directory, administrator):
    prescription = draft(physician, patient_a, "medication")
    api_as(physician).patch(
        f"/api/v1/prescriptions/{prescription.public_id}/",
        {"recipient": str(directory["pharmacy"].public_id)},
        format="json",
    )
    api_as(physician).post(f"/api/v1/prescriptions/{prescription.public_id}/sign/")

    answer = api_as(administrator).post(
        f"/api/v1/prescriptions/{prescription.public_id}/transmit/",
        {"recipient": str(directory["other_pharmacy"].public_id)},
        format="json",
    )

    assert answer.status_code == 403 and answer.json()["code"] == "not_allowed"
