"""The FHIR view follows the portal's rules: same sign-in, same coverage, same audit trail."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.conftest import api_as

from .conftest import fhir, outcome, resource_ids

pytestmark = pytest.mark.django_db


def latest_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_since(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=event_id).order_by("pk"))


TYPES = ["Patient", "Appointment", "Consent", "DocumentReference", "MedicationRequest", "ServiceRequest"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_the_nurse_of_another_clinic_gets_404_on_reads(resource_type, record_of_louise, nurse_b):
    resource_id = resource_ids(record_of_louise)[resource_type]

    response = api_as(nurse_b).get(f"/fhir/r4/{resource_type}/{resource_id}")

    diagnostics = outcome(response, 404, "not-found")
    assert resource_id in diagnostics


@pytest.mark.parametrize("resource_type", TYPES[1:])
def test_the_nurse_of_another_clinic_gets_empty_searches(resource_type, record_of_louise, nurse_b):
    louise = record_of_louise.patient
    client = api_as(nurse_b)

    by_patient = fhir(client.get(f"/fhir/r4/{resource_type}", {"patient": str(louise.public_id)}))
    everything = fhir(client.get(f"/fhir/r4/{resource_type}"))

    assert by_patient["total"] == 0 and by_patient["entry"] == []
    assert everything["total"] == 0 and everything["entry"] == []


def test_a_missing_resource_and_someone_elses_get_the_same_answer(record_of_louise, nurse_b):
    louise_id = str(record_of_louise.patient.public_id)
    unknown_id = "00000000-0000-4000-8000-000000000000"
    client = api_as(nurse_b)

    hidden = client.get(f"/fhir/r4/Patient/{louise_id}").json()
    missing = client.get(f"/fhir/r4/Patient/{unknown_id}").json()

    assert hidden["issue"][0]["diagnostics"].replace(louise_id, "X") == missing["issue"][0]["diagnostics"].replace(
        unknown_id, "X"
    )


def test_the_manager_reads_the_patient_but_no_clinical_document(record_of_louise, manager_a):
    ids = resource_ids(record_of_louise)
    louise = {"patient": ids["Patient"]}
    client = api_as(manager_a)

    assert fhir(client.get(f"/fhir/r4/Patient/{ids['Patient']}"))["id"] == ids["Patient"]
    for resource_type in ("MedicationRequest", "ServiceRequest"):
        outcome(client.get(f"/fhir/r4/{resource_type}/{ids[resource_type]}"), 404, "not-found")
        assert fhir(client.get(f"/fhir/r4/{resource_type}", louise))["total"] == 0
    # Notes and prescriptions are clinical: a manager sees figures, not their text.
    assert fhir(client.get("/fhir/r4/DocumentReference", louise))["total"] == 0
    prescription_document = record_of_louise.medication.document.public_id
    outcome(client.get(f"/fhir/r4/DocumentReference/{prescription_document}"), 404, "not-found")


@pytest.mark.parametrize("path", ["/fhir/r4/Patient", "/fhir/r4/Appointment?patient=x", "/fhir/r4/Observation"])
def test_anonymous_callers_are_asked_to_sign_in(path, record_of_louise):
    response = APIClient().get(path)

    outcome(response, 401, "login")
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_refused(record_of_louise):
    response = APIClient().get("/fhir/r4/Patient", HTTP_AUTHORIZATION="Token pas-un-jeton")

    outcome(response, 401, "login")


def test_a_token_reads_and_the_read_is_audited_as_an_api_call(record_of_louise, nurse):
    louise = record_of_louise.patient
    token = Token.objects.create(user=nurse)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    before = latest_event_id()

    response = client.get(f"/fhir/r4/Patient/{louise.public_id}")

    assert fhir(response)["id"] == str(louise.public_id)
    assert "no-store" in response["Cache-Control"]
    (event,) = events_since(before)
    assert (
        event.action == AuditEvent.Action.PATIENT_VIEW
        and event.actor == nurse
        and event.patient_id == louise.public_id
        and event.channel == "api"
    )


def test_each_read_leaves_one_audit_event_naming_the_patient(record_of_louise, nurse):
    louise = record_of_louise.patient
    client = api_as(nurse)
    for resource_type, resource_id in resource_ids(record_of_louise).items():
        before = latest_event_id()

        fhir(client.get(f"/fhir/r4/{resource_type}/{resource_id}"))

        (event,) = events_since(before)
        expected = "appointment.view" if resource_type == "Appointment" else AuditEvent.Action.PATIENT_VIEW
        assert event.action == expected and event.patient_id == louise.public_id, resource_type


def test_a_search_by_patient_is_audited_once_with_what_was_shown(record_of_louise, nurse):
    louise = record_of_louise.patient
    before = latest_event_id()

    bundle = fhir(api_as(nurse).get("/fhir/r4/DocumentReference", {"patient": str(louise.public_id)}))

    (event,) = events_since(before)
    assert event.action == AuditEvent.Action.PATIENT_VIEW and event.patient_id == louise.public_id
    assert event.details == {
        "query": "fhir:DocumentReference",
        "resources": [entry["resource"]["id"] for entry in bundle["entry"]],
    }


def test_a_search_without_patient_is_audited_as_a_patient_search(record_of_louise, nurse):
    before = latest_event_id()

    fhir(api_as(nurse).get("/fhir/r4/Appointment"))

    (event,) = events_since(before)
    assert event.action == AuditEvent.Action.PATIENT_SEARCH
    assert event.details == {"query": "fhir:Appointment", "shown": [str(record_of_louise.patient.public_id)]}


def test_a_search_for_a_patient_not_covered_is_audited_as_denied(record_of_louise, nurse_b):
    louise = record_of_louise.patient
    before = latest_event_id()

    fhir(api_as(nurse_b).get("/fhir/r4/Consent", {"patient": str(louise.public_id)}))

    (event,) = events_since(before)
    assert event.action == AuditEvent.Action.PATIENT_ACCESS_DENIED and event.target_id == str(louise.public_id)


def test_the_administrator_sees_every_clinic(record_of_louise, administrator):
    bundle = fhir(api_as(administrator).get("/fhir/r4/MedicationRequest"))

    assert bundle["total"] == 1
