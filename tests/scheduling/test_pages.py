"""The nurse books from the patient's page, follows the meeting in her agenda, moves, cancels, closes."""

import pytest
from django.urls import reverse

from scheduling.models import Appointment
from scheduling.services import book_appointment

from .conftest import tomorrow_at, video

pytestmark = pytest.mark.django_db


def booking_form(**overrides):
    data = {
        "kind": "scheduled",
        "date": tomorrow_at(9).date().isoformat(),
        "time": "09:30",
        "duration_minutes": "30",
        "modality": "video",
        "platform": "jitsi",
        "reason": "between_cycles",
        "fallback_phone": "450 555 0101",
        "tablet_loan": "not_needed",
        "internet_ok": "true",
        "device_ok": "true",
        "guests-TOTAL_FORMS": "2",
        "guests-INITIAL_FORMS": "0",
        "guests-0-role": "caregiver",
        "guests-0-name": "Paul Côté",
        "guests-0-email": "paul@example.com",
        "guests-0-language": "en",
        "guests-1-role": "interpreter",
        "guests-1-name": "",
        "guests-1-language": "fr",
    }
    data.update(overrides)
    return data


def test_the_nurse_books_from_the_patient_page_and_lands_on_her_agenda(client, nurse, louise):
    client.force_login(nurse)
    page = client.get(reverse("patient_detail", kwargs={"public_id": louise.public_id}))
    form = client.get(reverse("book_appointment", kwargs={"patient_id": louise.public_id}))

    response = client.post(
        reverse("book_appointment", kwargs={"patient_id": louise.public_id}), booking_form(), follow=True
    )

    appointment = Appointment.objects.get()
    assert reverse("book_appointment", kwargs={"patient_id": louise.public_id}) in page.content.decode()
    assert form.context["form"].initial["fallback_phone"] == "(450) 555-0101"
    assert response.redirect_chain[-1][0].startswith(reverse("agenda"))
    assert appointment.participants.count() == 3
    assert f'id="appointment-{appointment.public_id}"' in response.content.decode()
    assert 'hx-trigger="every 2s"' in response.content.decode()  # the link is being made: the row follows it


def test_a_double_booking_in_the_form_names_the_conflict(client, nurse, louise, clinic_a):
    book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video(start=tomorrow_at(9, 30)))
    client.force_login(nurse)
    client.post("/langue/", {"language": "en"})

    response = client.post(reverse("book_appointment", kwargs={"patient_id": louise.public_id}), booking_form())

    assert response.status_code == 200
    assert "You already have a meeting at that time" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_the_row_stops_polling_once_the_link_is_ready(
    client, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    client.force_login(nurse)

    row = client.get(reverse("appointment_row", kwargs={"public_id": appointment.public_id})).content.decode()

    assert "hx-trigger" not in row and appointment.meeting.public_id is not None
    appointment.refresh_from_db()
    assert appointment.meeting.join_url in row


def test_move_cancel_and_outcome_pages(client, nurse, louise, clinic_a):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    client.force_login(nurse)
    detail = reverse("appointment_detail", kwargs={"public_id": appointment.public_id})

    client.post(
        reverse("appointment_reschedule", kwargs={"public_id": appointment.public_id}),
        {"date": tomorrow_at(13).date().isoformat(), "time": "13:15", "duration_minutes": "20"},
    )
    appointment.refresh_from_db()
    moved_to = appointment.start
    client.post(reverse("appointment_cancel", kwargs={"public_id": appointment.public_id}), {"reason": "à la demande"})
    page = client.get(detail)

    appointment.refresh_from_db()
    assert moved_to == tomorrow_at(13, 15) and appointment.duration_minutes == 20
    assert appointment.status == "cancelled"
    assert page.status_code == 200


def test_another_clinic_sees_none_of_it(client, nurse, louise, clinic_a, nurse_b):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    client.force_login(nurse_b)

    for name in ("appointment_detail", "appointment_row", "appointment_reschedule"):
        assert client.get(reverse(name, kwargs={"public_id": appointment.public_id})).status_code == 404
    assert client.post(reverse("appointment_cancel", kwargs={"public_id": appointment.public_id})).status_code == 404
    assert client.get(reverse("book_appointment", kwargs={"patient_id": louise.public_id})).status_code == 404
    assert "Côté" not in client.get(reverse("agenda") + "?portee=clinique").content.decode()


def test_a_manager_sees_the_agenda_but_cannot_cancel(client, nurse, louise, clinic_a, manager_a):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    client.force_login(manager_a)

    agenda = client.get(reverse("agenda") + f"?jour={tomorrow_at(9).date().isoformat()}&portee=clinique")
    refused = client.post(reverse("appointment_cancel", kwargs={"public_id": appointment.public_id}))

    assert "Côté" in agenda.content.decode()
    assert refused.status_code == 403
