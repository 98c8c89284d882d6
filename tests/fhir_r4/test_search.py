"""Searches return only the patient asked for, and FHIR's date prefixes hold at their edges."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from scheduling.services import book_appointment
from tests.conftest import api_as
from tests.scheduling.conftest import tomorrow_at, video

from .conftest import fhir, validate

pytestmark = pytest.mark.django_db

TYPES = ["Appointment", "Consent", "DocumentReference", "MedicationRequest", "ServiceRequest"]


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def patient_of(resource: dict) -> str:
    if resource["resourceType"] == "Appointment":
        return next(p["actor"]["reference"] for p in resource["participant"] if "reference" in p["actor"])
    return (resource.get("subject") or resource.get("patient"))["reference"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_a_search_by_patient_returns_that_patient_only(resource_type, record_of_louise, record_of_marie, physician):
    for record in (record_of_louise, record_of_marie):
        patient = f"Patient/{record.patient.public_id}"

        bundle = fhir(api_as(physician).get(f"/fhir/r4/{resource_type}", {"patient": str(record.patient.public_id)}))

        assert bundle["total"] >= 1
        assert {patient_of(entry["resource"]) for entry in bundle["entry"]} == {patient}


@pytest.mark.parametrize("resource_type", TYPES)
def test_a_search_without_patient_returns_every_patient_the_user_covers(
    resource_type, record_of_louise, record_of_marie, physician
):
    bundle = fhir(api_as(physician).get(f"/fhir/r4/{resource_type}"))

    assert {patient_of(entry["resource"]) for entry in bundle["entry"]} == {
        f"Patient/{record_of_louise.patient.public_id}",
        f"Patient/{record_of_marie.patient.public_id}",
    }


@pytest.fixture
def three_appointments(nurse_a, patient_a, marie, clinic_a):
    """Patient A tomorrow at 10:00 and 14:00 and the day after at 10:00; Marie tomorrow at 12:00."""
    ten, two = tomorrow_at(10), tomorrow_at(14)
    after = ten + timedelta(days=1)
    booked = [
        book_appointment(by=nurse_a, patient=patient_a, clinic=clinic_a, details=video(start=start))
        for start in (ten, two, after)
    ]
    book_appointment(by=nurse_a, patient=marie, clinic=clinic_a, details=video(start=tomorrow_at(12)))
    return booked


def search(user, patient, *dates: str) -> list[str]:
    return ids(fhir(api_as(user).get("/fhir/r4/Appointment", {"patient": str(patient.public_id), "date": dates})))


def at(moment) -> str:
    """An instant as FHIR writes it, in UTC."""
    return timezone.localtime(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_date_prefixes_hold_at_the_edges(three_appointments, nurse_a, patient_a):
    ten, two, after = (str(a.public_id) for a in three_appointments)
    start_of_ten = at(three_appointments[0].start)
    start_of_two = at(three_appointments[1].start)
    day = timezone.localtime(three_appointments[0].start).date().isoformat()

    assert search(nurse_a, patient_a, f"ge{start_of_ten}") == [ten, two, after]
    assert search(nurse_a, patient_a, f"gt{start_of_ten}") == [two, after]
    assert search(nurse_a, patient_a, f"le{start_of_two}") == [ten, two]
    assert search(nurse_a, patient_a, f"lt{start_of_two}") == [ten]
    assert search(nurse_a, patient_a, f"eq{start_of_two}") == [two]
    assert search(nurse_a, patient_a, start_of_two) == [two]  # eq is the default
    assert search(nurse_a, patient_a, f"ne{start_of_two}") == [ten, after]
    # A day covers the whole day, in Montréal time.
    assert search(nurse_a, patient_a, day) == [ten, two]
    assert search(nurse_a, patient_a, f"gt{day}") == [after]
    assert search(nurse_a, patient_a, f"le{day}") == [ten, two]
    # Two date parameters must both hold; a comma gives alternatives.
    assert search(nurse_a, patient_a, f"ge{start_of_ten}", f"lt{start_of_two}") == [ten]
    assert search(nurse_a, patient_a, f"eq{start_of_ten},eq{start_of_two}") == [ten, two]


def test_a_time_with_an_offset_is_read_even_when_the_plus_was_not_encoded(three_appointments, nurse_a, patient_a):
    first = three_appointments[0]
    moment = timezone.localtime(first.start, timezone.get_fixed_timezone(5 * 60)).strftime("%Y-%m-%dT%H:%M:%S")
    client = api_as(nurse_a)

    encoded = client.get(f"/fhir/r4/Appointment?patient={first.patient.public_id}&date=eq{moment}%2B05:00")
    raw_plus = client.get(f"/fhir/r4/Appointment?patient={first.patient.public_id}&date=eq{moment}+05:00")

    assert ids(fhir(encoded)) == ids(fhir(raw_plus)) == [str(first.public_id)]


def test_a_month_and_a_year_cover_their_whole_span(three_appointments, nurse_a, patient_a):
    start = timezone.localtime(three_appointments[0].start)
    month, year = start.strftime("%Y-%m"), start.strftime("%Y")

    in_month = search(nurse_a, patient_a, f"ge{month}")
    in_year = search(nurse_a, patient_a, year)

    assert str(three_appointments[0].public_id) in in_month
    assert str(three_appointments[0].public_id) in in_year


def test_results_come_by_pages_with_links(three_appointments, nurse_a, patient_a):
    client = api_as(nurse_a)

    first = fhir(client.get("/fhir/r4/Appointment", {"patient": str(patient_a.public_id), "_count": "2"}))
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = fhir(client.get(links["next"]))

    assert first["total"] == second["total"] == 3
    assert len(first["entry"]) == 2 and len(second["entry"]) == 1
    assert "previous" not in links and links["last"] == links["next"]
    second_links = {link["relation"]: link["url"] for link in second["link"]}
    assert "next" not in second_links and "page=1" in second_links["previous"]
    assert ids(first) + ids(second) == [str(a.public_id) for a in three_appointments]


def test_a_count_of_zero_gives_the_total_only(three_appointments, nurse_a, patient_a):
    bundle = fhir(api_as(nurse_a).get("/fhir/r4/Appointment", {"patient": str(patient_a.public_id), "_count": "0"}))

    assert bundle["total"] == 3 and bundle["entry"] == []


def test_search_by_id_finds_each_resource_asked_for(three_appointments, nurse_a):
    wanted = [str(a.public_id) for a in three_appointments[:2]]

    bundle = fhir(api_as(nurse_a).get("/fhir/r4/Appointment", {"_id": ",".join(wanted)}))

    assert ids(bundle) == wanted
    for entry in bundle["entry"]:
        validate(entry["resource"])


def test_patients_are_searched_by_id_only_among_those_covered(patient_a, marie, nurse_a, nurse_b):
    bundle = fhir(api_as(nurse_a).get("/fhir/r4/Patient"))
    other = fhir(api_as(nurse_b).get("/fhir/r4/Patient", {"_id": str(patient_a.public_id)}))

    assert sorted(ids(bundle)) == sorted([str(patient_a.public_id), str(marie.public_id)])
    assert other["total"] == 0 and other["entry"] == []
