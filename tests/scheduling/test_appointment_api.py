"""Appointments through the API of the contract, with the 409 of a double booking."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from scheduling.models import Appointment
from tests.conftest import api_as

from .conftest import tomorrow_at

pytestmark = pytest.mark.django_db


def booking(patient, start, **more):
    return {
        "patient": str(patient.public_id),
        "start": start.isoformat(),
        "duration_minutes": 30,
        "kind": "scheduled",
        "modality": "video",
        "platform": "jitsi",
        "reason": "between_cycles",
        "participants": [{"role": "caregiver", "name": "Paul Côté", "email": "paul@example.com", "language": "en"}],
        **more,
    }


def test_booking_reading_and_listing_through_the_api(nurse, louise, eager_workers, django_capture_on_commit_callbacks):
    api = api_as(nurse)

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/appointments/", booking(louise, tomorrow_at(9)), format="json")
    read = api.get(f"/api/v1/appointments/{created.json()['id']}/").json()
    listed = api.get("/api/v1/appointments/", {"from": tomorrow_at(0).isoformat(), "organizer": "ipo"}).json()

    assert created.status_code == 201, created.json()
    assert read["meeting"]["status"] == "ready" and read["meeting"]["join_url"].startswith("https://")
    assert {i["recipient"]: i["status"] for i in read["invitations"]} == {
        "louise.cote@example.com": "done",
        "julie.tremblay@ssss.gouv.qc.ca": "done",
        "paul@example.com": "done",
    }
    assert read["start"].endswith("-05:00") and read["status"] == "scheduled"
    assert [a["id"] for a in listed["results"]] == [created.json()["id"]]


def test_a_double_booking_is_a_409_naming_the_first(nurse, louise):
    api = api_as(nurse)
    api.post("/api/v1/appointments/", booking(louise, tomorrow_at(9)), format="json")

    second = api.post("/api/v1/appointments/", booking(louise, tomorrow_at(9, 10)), format="json")

    assert second.status_code == 409
    assert second.json()["code"] == "double_booking" and "09:00" in second.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"start": "demain"}, "start"),
        ({"platform": "skype"}, "platform"),
        ({"reason": "other", "reason_details": ""}, "reason_details"),
        ({"platform": "reacts", "pasted_link": "http://reacts.example/abc"}, "pasted_link"),
    ],
)
def test_bad_bookings_are_400_with_the_field(nurse, louise, change, field):
    response = api_as(nurse).post("/api/v1/appointments/", {**booking(louise, tomorrow_at(9)), **change}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_a_time_in_the_past_is_refused(nurse, louise):
    response = api_as(nurse).post(
        "/api/v1/appointments/", booking(louise, tomorrow_at(9) - timedelta(days=3)), format="json"
    )

    assert response.status_code == 400 and "start" in response.json()


def test_cancel_reschedule_and_outcome_actions(nurse, louise):
    api = api_as(nurse)
    first = api.post("/api/v1/appointments/", booking(louise, tomorrow_at(9)), format="json").json()["id"]

    moved = api.post(
        f"/api/v1/appointments/{first}/reschedule/",
        {"start": tomorrow_at(11).isoformat(), "duration_minutes": 45},
        format="json",
    )
    too_early = api.post(f"/api/v1/appointments/{first}/outcome/", {"outcome": "held"}, format="json")
    cancelled = api.post(f"/api/v1/appointments/{first}/cancel/", {"reason": "malade"}, format="json")
    again = api.post(
        f"/api/v1/appointments/{first}/reschedule/",
        {"start": tomorrow_at(12).isoformat(), "duration_minutes": 30},
        format="json",
    )

    assert moved.status_code == 200 and moved.json()["end"].startswith(tomorrow_at(11, 45).isoformat()[:16])
    assert too_early.status_code == 409
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409


def test_someone_elses_appointment_is_a_404(nurse, louise, nurse_b):
    api = api_as(nurse)
    appointment = api.post("/api/v1/appointments/", booking(louise, tomorrow_at(9)), format="json").json()["id"]

    other = api_as(nurse_b)
    assert other.get(f"/api/v1/appointments/{appointment}/").status_code == 404
    assert other.post(f"/api/v1/appointments/{appointment}/cancel/", {}, format="json").status_code == 404
    assert other.get("/api/v1/appointments/").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs a server database")
def test_twenty_concurrent_bookings_of_one_slot_give_one_201_and_nineteen_409(nurse, louise):
    start = tomorrow_at(15)
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[str] = []

    def book_once():
        try:
            barrier.wait()
            statuses.append(
                api_as(nurse)
                .post("/api/v1/appointments/", booking(louise, start, participants=[]), format="json")
                .status_code
            )
        except Exception as error:  # shown below: a thread's exception would otherwise vanish
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [201] + [409] * 19
    assert Appointment.objects.count() == 1


def test_the_appointment_list_keeps_a_constant_number_of_queries(
    nurse, louise, clinic_a, django_assert_max_num_queries
):
    from scheduling.services import book_appointment

    from .conftest import caregiver, video

    for hour in range(8, 18):
        book_appointment(
            by=nurse,
            patient=louise,
            clinic=clinic_a,
            details=video(start=tomorrow_at(hour)),
            participants=[caregiver()],
        )

    with django_assert_max_num_queries(8):
        response = api_as(nurse).get("/api/v1/appointments/")

    assert len(response.json()["results"]) == 10
