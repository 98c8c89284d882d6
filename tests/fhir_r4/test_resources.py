"""Every resource the portal serves reads as valid FHIR R4 (checked with the R4B models), alone and in
search bundles, and says what the hospital record needs: identifiers, the meeting link, the PDF's hash."""

import base64
import hashlib
import uuid
from dataclasses import replace

import pytest

from consent.services import record_consent, withdraw_consent
from documentation.services import add_addendum, deliver_filing, file_document, save_draft, sign_note
from scheduling.services import book_appointment, cancel_appointment, record_outcome
from tests.conftest import api_as
from tests.scheduling.conftest import video
from virtualcare.services import sync_meeting

from .conftest import fhir, resource_ids, validate

pytestmark = pytest.mark.django_db

TYPES = ["Patient", "Appointment", "Consent", "DocumentReference", "MedicationRequest", "ServiceRequest"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_each_resource_read_by_id_is_valid_r4(resource_type, record_of_louise, nurse):
    resource_id = resource_ids(record_of_louise)[resource_type]

    body = fhir(api_as(nurse).get(f"/fhir/r4/{resource_type}/{resource_id}"))

    assert body["resourceType"] == resource_type and body["id"] == resource_id


@pytest.mark.parametrize("resource_type", TYPES[1:])
def test_each_search_by_patient_is_a_valid_searchset_bundle(resource_type, record_of_louise, nurse):
    louise = record_of_louise.patient

    bundle = fhir(api_as(nurse).get(f"/fhir/r4/{resource_type}", {"patient": f"Patient/{louise.public_id}"}))

    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"]) >= 1
    for entry in bundle["entry"]:
        resource = validate(entry["resource"])
        assert entry["search"] == {"mode": "match"}
        assert entry["fullUrl"] == f"http://testserver/fhir/r4/{resource_type}/{resource['id']}"


def test_the_patient_carries_the_nam_and_the_file_number_with_their_types(record_of_louise, nurse):
    louise = record_of_louise.patient

    patient = fhir(api_as(nurse).get(f"/fhir/r4/Patient/{louise.public_id}"))

    nam, file_number = patient["identifier"]
    assert nam["system"] == "https://telesante.example/fhir/nam" and nam["value"] == louise.nam
    assert nam["type"]["coding"][0]["code"] == "JHN" and nam["assigner"] == {"display": "RAMQ"}
    assert file_number["value"] == louise.file_number
    assert file_number["system"] == f"urn:telesante:establishment:{louise.establishment.public_id}:file-number"
    assert file_number["type"]["coding"][0]["code"] == "MR"
    assert patient["gender"] == "female" and patient["birthDate"] == "1958-03-14"
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "fr-CA"
    assert {"system": "email", "value": "louise.cote@example.com"} in patient["telecom"]


def test_the_nam_system_is_a_setting(record_of_louise, nurse, settings):
    settings.FHIR_NAM_SYSTEM = "http://documentation.example.ca/fhir/nam"

    patient = fhir(api_as(nurse).get(f"/fhir/r4/Patient/{record_of_louise.patient.public_id}"))

    assert patient["identifier"][0]["system"] == "http://documentation.example.ca/fhir/nam"


def test_a_zoom_appointment_gives_the_join_link_never_the_host_link(nurse, louise, clinic_a, zoom_fake):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video("zoom"))
    meeting = sync_meeting(appointment.meeting_id)
    assert meeting.join_url and meeting.host_url and meeting.host_url != meeting.join_url

    response = api_as(nurse).get(f"/fhir/r4/Appointment/{appointment.public_id}")

    resource = fhir(response)
    (virtual_service,) = resource["extension"]
    assert virtual_service["url"] == "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService"
    parts = {part["url"]: part for part in virtual_service["extension"]}
    assert parts["channelType"]["valueCoding"]["system"] == "http://hl7.org/fhir/virtual-service-type"
    assert parts["channelType"]["valueCoding"]["code"] == "zoom"
    assert parts["address"]["valueUrl"] == meeting.join_url
    assert meeting.host_url not in response.content.decode()
    assert resource["status"] == "booked" and resource["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert resource["minutesDuration"] == 30


def test_a_jitsi_appointment_gives_the_room_without_a_moderator_token(nurse, louise, clinic_a, settings):
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "telesante", "un-secret-de-test-assez-long-pour-hs256"
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video("jitsi"))
    meeting = sync_meeting(appointment.meeting_id)
    appointment.refresh_from_db()
    assert "jwt=" in appointment.host_link()

    response = api_as(nurse).get(f"/fhir/r4/Appointment/{appointment.public_id}")

    parts = {part["url"]: part for part in fhir(response)["extension"][0]["extension"]}
    assert parts["channelType"]["valueCoding"]["code"] == "jitsi"
    assert parts["address"]["valueUrl"] == meeting.join_url
    assert "jwt" not in response.content.decode()


@pytest.mark.parametrize(
    ("outcome", "details", "status"),
    [
        ("held", "", "fulfilled"),
        ("patient_absent", "", "noshow"),
        ("switched_to_phone", "Caméra en panne", "fulfilled"),
        ("technical_failure", "Pas de son", "cancelled"),
        ("cancelled", "", "cancelled"),
    ],
)
def test_each_outcome_has_its_r4_status(outcome, details, status, nurse, louise, clinic_a):
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    if outcome == "cancelled":  # only a meeting still to come is cancelled
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
        cancel_appointment(appointment, by=nurse)
    else:
        now = replace(video(), kind="immediate")
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=now)
        record_outcome(appointment, by=nurse, outcome=outcome, details=details)

    resource = fhir(api_as(nurse).get(f"/fhir/r4/Appointment/{appointment.public_id}"))

    assert resource["status"] == status
    if outcome == "switched_to_phone":
        assert resource["serviceType"][0]["coding"][0]["code"] == "phone"
        assert "Caméra en panne" in resource["comment"]
    if outcome == "technical_failure":
        assert resource["cancelationReason"]["coding"][0]["code"] == "technical_failure"


def test_a_withdrawn_consent_makes_the_grant_inactive_and_a_refusal_is_rejected(nurse, louise):
    granted = record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    withdrawn = withdraw_consent(by=nurse, patient=louise, kind="telehealth")
    refused = record_consent(by=nurse, patient=louise, kind="recording", granted=False, language="fr")
    email = record_consent(
        by=nurse, patient=louise, kind="personal_email", granted=True, language="en", warning_read=True
    )

    bundle = fhir(api_as(nurse).get("/fhir/r4/Consent", {"patient": str(louise.public_id)}))

    consents = {entry["resource"]["id"]: entry["resource"] for entry in bundle["entry"]}
    assert consents[str(granted.public_id)]["status"] == "inactive"
    assert consents[str(granted.public_id)]["provision"]["type"] == "permit"
    assert consents[str(withdrawn.public_id)]["status"] == "inactive"
    assert consents[str(withdrawn.public_id)]["provision"]["type"] == "deny"
    assert consents[str(withdrawn.public_id)]["policyRule"]["coding"][0]["code"] == "OPTOUT"
    assert consents[str(refused.public_id)]["status"] == "rejected"
    assert consents[str(refused.public_id)]["scope"]["coding"][0]["code"] == "patient-privacy"
    in_force = consents[str(email.public_id)]
    assert in_force["status"] == "active" and in_force["policyRule"]["coding"][0]["code"] == "OPTIN"
    assert in_force["category"][0]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59284-0",
        "display": "Patient Consent",
    }
    assert in_force["provision"]["code"][0]["coding"][0]["code"] == "personal_email"
    assert in_force["performer"] == [{"display": "Julie Tremblay"}]
    assert in_force["policy"] == [{"uri": "urn:telesante:consent-script:personal_email:en:1"}]


def test_the_signed_note_points_to_its_pdf_with_its_sha1_and_never_inlines_it(record_of_louise, nurse):
    document = record_of_louise.note.document
    pdf = bytes(document.pdf)

    resource = fhir(api_as(nurse).get(f"/fhir/r4/DocumentReference/{document.public_id}"))

    attachment = resource["content"][0]["attachment"]
    assert "data" not in attachment
    assert attachment["contentType"] == "application/pdf" and attachment["title"] == document.file_name
    assert attachment["size"] == len(pdf)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(pdf).digest()).decode()
    assert attachment["url"] == f"http://testserver/api/v1/notes/{record_of_louise.note.public_id}/pdf/"
    assert resource["type"]["text"] == "AH-253 Notes d'évolution"
    assert resource["status"] == "current" and resource["docStatus"] == "final"
    assert resource["author"] == [{"display": "Julie Tremblay (Infirmière pivot en oncologie, 1234567)"}]
    assert resource["context"]["related"] == [{"reference": f"Appointment/{record_of_louise.appointment.public_id}"}]
    # The link works with the same credentials as the FHIR call.
    download = api_as(nurse).get(attachment["url"])
    assert download.status_code == 200 and bytes(download.content) == pdf


def test_the_prescription_pdf_is_linked_for_download(record_of_louise, nurse):
    document = record_of_louise.medication.document

    resource = fhir(api_as(nurse).get(f"/fhir/r4/DocumentReference/{document.public_id}"))

    assert resource["type"]["text"] == "AH-251 Ordonnances médicales"
    url = resource["content"][0]["attachment"]["url"]
    assert url == f"http://testserver/api/v1/prescriptions/{record_of_louise.medication.public_id}/pdf/"


def test_a_filed_note_says_the_portal_no_longer_holds_it_and_an_addendum_appends_to_it(
    record_of_louise, nurse, archivist_a, settings, tmp_path
):
    settings.FILING_DROP_FOLDER = str(tmp_path)
    note = record_of_louise.note
    file_document(note.document, by=archivist_a, record_reference="DPE-012345")
    deliver_filing(note.document.pk)
    addendum = add_addendum(note, by=nurse)
    addendum = sign_note(save_draft(addendum, by=nurse, structure="free", sections={"body": "Ajout."}), by=nurse)

    filed = fhir(api_as(nurse).get(f"/fhir/r4/DocumentReference/{note.document.public_id}"))
    appended = fhir(api_as(nurse).get(f"/fhir/r4/DocumentReference/{addendum.document.public_id}"))

    attachment = filed["content"][0]["attachment"]
    assert "url" not in attachment and "hash" not in attachment
    assert "DPE-012345" in filed["description"]
    assert appended["relatesTo"] == [
        {"code": "appends", "target": {"reference": f"DocumentReference/{note.document.public_id}"}}
    ]


def test_one_medication_request_per_drug_with_its_dosage_and_renewals(record_of_louise, nurse):
    medication = record_of_louise.medication

    resource = fhir(api_as(nurse).get(f"/fhir/r4/MedicationRequest/{medication.public_id}-1"))

    assert resource["status"] == "active" and resource["intent"] == "order"
    assert resource["medicationCodeableConcept"] == {"text": "Ondansétron 8 mg comprimé"}
    assert resource["dosageInstruction"][0]["text"] == "1 co PO BID PRN 30 jours"
    assert resource["dispenseRequest"] == {"numberOfRepeatsAllowed": 2}
    assert resource["requester"] == {"display": "Marc-André Gagnon (Médecin, 1-95123)"}
    assert resource["reasonCode"] == [{"text": "Prévention des nausées"}]
    assert resource["subject"]["reference"] == f"Patient/{record_of_louise.patient.public_id}"
    missing = api_as(nurse).get(f"/fhir/r4/MedicationRequest/{medication.public_id}-2")
    assert missing.status_code == 404


def test_the_laboratory_order_is_a_service_request_to_its_recipient(record_of_louise, nurse):
    laboratory = record_of_louise.laboratory

    resource = fhir(api_as(nurse).get(f"/fhir/r4/ServiceRequest/{laboratory.public_id}"))

    assert resource["status"] == "active" and resource["intent"] == "order"
    assert resource["code"] == {"text": "FSC, créatinine"}
    assert resource["category"][0]["coding"][0]["code"] == "108252007"
    assert resource["performer"] == [{"display": "Centre de prélèvements"}]
    # A medication prescription is no ServiceRequest, and a lab order no MedicationRequest.
    assert api_as(nurse).get(f"/fhir/r4/ServiceRequest/{record_of_louise.medication.public_id}").status_code == 404
    assert api_as(nurse).get(f"/fhir/r4/MedicationRequest/{laboratory.public_id}-1").status_code == 404


def test_the_capability_statement_lists_what_is_served(api):
    statement = fhir(api.get("/fhir/r4/metadata"))

    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance" and "application/fhir+json" in statement["format"]
    resources = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    assert sorted(resources) == sorted(TYPES)
    for name in TYPES[1:]:
        assert {param["name"] for param in resources[name]["searchParam"]} == {"_id", "patient", "date"}
        assert {interaction["code"] for interaction in resources[name]["interaction"]} == {"read", "search-type"}


def test_plain_json_is_served_to_a_client_that_asks_for_it(record_of_louise, nurse):
    response = api_as(nurse).get(
        f"/fhir/r4/Patient/{record_of_louise.patient.public_id}", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    validate(response.json())


def test_recording_consents_hold_per_appointment_until_withdrawn(nurse, louise):
    first, second = uuid.uuid4(), uuid.uuid4()
    for_first = record_consent(
        by=nurse, patient=louise, kind="recording", granted=True, language="fr", appointment_id=first
    )
    for_second = record_consent(
        by=nurse, patient=louise, kind="recording", granted=True, language="fr", appointment_id=second
    )
    client = api_as(nurse)

    before = fhir(client.get(f"/fhir/r4/Consent/{for_first.public_id}"))
    withdraw_consent(by=nurse, patient=louise, kind="recording")
    after = [fhir(client.get(f"/fhir/r4/Consent/{c.public_id}"))["status"] for c in (for_first, for_second)]

    assert before["status"] == "active"
    assert before["provision"]["data"] == [{"meaning": "related", "reference": {"reference": f"Appointment/{first}"}}]
    assert after == ["inactive", "inactive"]
