"""Bad requests get a 400 or 404 OperationOutcome that says what was expected, never a 500."""

import pytest

from fhir_r4.resources import MAPPERS
from tests.conftest import api_as

from .conftest import outcome

pytestmark = pytest.mark.django_db

UUID = "3f2b8e1c-0d4a-4c5e-9a7b-1c2d3e4f5a6b"


@pytest.fixture
def client(nurse_a, settings):
    """In English, so that the sentences checked here hold once the French catalogue translates them."""
    client = api_as(nurse_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(
    ("path", "status", "code", "words"),
    [
        ("/fhir/r4/Patient/not-a-uuid", 400, "invalid", "UUID"),
        ("/fhir/r4/Appointment/12", 400, "invalid", "UUID"),
        (f"/fhir/r4/MedicationRequest/{UUID}", 400, "invalid", "rank"),
        ("/fhir/r4/Appointment?date=xx2026", 400, "invalid", "xx"),
        ("/fhir/r4/Appointment?date=ge2026-13-40", 400, "invalid", "ge2026-13-40"),
        ("/fhir/r4/Appointment?date=ge2026-02-30", 400, "invalid", "ge2026-02-30"),
        ("/fhir/r4/Appointment?date=le2026-01-01T25:00:00Z", 400, "invalid", "2026-01-01T25:00:00Z"),
        ("/fhir/r4/Appointment?date=2026/01/01", 400, "invalid", "2026/01/01"),
        ("/fhir/r4/Appointment?date=", 400, "invalid", "FHIR date"),
        ("/fhir/r4/Appointment?date=ap2026-01-01", 400, "not-supported", "ap"),
        ("/fhir/r4/Consent?patient=louise", 400, "invalid", "louise"),
        (f"/fhir/r4/Consent?patient=Practitioner/{UUID}", 400, "invalid", "Patient"),
        (f"/fhir/r4/Consent?patient={UUID},{UUID}", 400, "invalid", "one patient"),
        (f"/fhir/r4/Consent?subject=Patient/{UUID}", 400, "not-supported", "subject"),
        ("/fhir/r4/Consent?date:missing=true", 400, "not-supported", "date:missing"),
        ("/fhir/r4/Patient?date=2026", 400, "not-supported", "date"),
        ("/fhir/r4/ServiceRequest?_count=beaucoup", 400, "invalid", "_count"),
        ("/fhir/r4/ServiceRequest?page=0", 400, "invalid", "1"),
        ("/fhir/r4/ServiceRequest?_id=abc", 400, "invalid", "abc"),
        ("/fhir/r4/Observation", 404, "not-supported", "Observation"),
        (f"/fhir/r4/Observation/{UUID}", 404, "not-supported", "Observation"),
        (f"/fhir/r4/Patient/{UUID}/_history", 404, "not-supported", "metadata"),
        ("/fhir/r4/", 404, "not-supported", "metadata"),
        (f"/fhir/r4/Patient/{UUID}", 404, "not-found", UUID),
    ],
)
def test_bad_requests_get_an_operation_outcome(client, path, status, code, words):
    diagnostics = outcome(client.get(path), status, code)

    assert words in diagnostics


def test_only_reading_is_allowed(client):
    response = client.post("/fhir/r4/Patient", {"resourceType": "Patient"}, format="json")

    assert "not allowed" in outcome(response, 405, "not-supported")  # DRF's own sentence, in English here
    assert "GET" in response["Allow"]


def test_xml_is_not_served(client):
    outcome(client.get("/fhir/r4/metadata", {"_format": "xml"}), 406, "not-supported")
    outcome(client.get("/fhir/r4/metadata", HTTP_ACCEPT="application/fhir+xml"), 406, "not-supported")


def test_a_resource_the_portal_would_build_wrong_is_never_sent(client, patient_a, monkeypatch):
    """The answer is checked against the R4B models before it leaves (FHIR_VALIDATE_RESPONSES)."""
    broken = {"resourceType": "Patient", "id": str(patient_a.public_id), "birthDate": "né le 14 mars"}
    monkeypatch.setitem(MAPPERS, "Patient", lambda patient, absolute: broken)

    response = client.get(f"/fhir/r4/Patient/{patient_a.public_id}")

    outcome(response, 500, "exception")
    assert "14 mars" not in response.content.decode()
