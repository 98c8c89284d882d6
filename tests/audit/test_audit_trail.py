"""Every read, creation and change of patient data leaves exactly one entry; nobody can alter the trail."""

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import record
from common.models import AppendOnlyError
from tests.conftest import api_as
from tests.second_factor import code_now, enrol

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def events_about(patient):
    return list(AuditEvent.objects.filter(patient_id=patient.public_id).order_by("id"))


def test_opening_a_patient_page_leaves_one_entry_with_actor_patient_and_address(client, nurse_a, patient_a):
    client.force_login(nurse_a)

    client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}), REMOTE_ADDR="10.1.2.3")

    [event] = events_about(patient_a)
    assert (event.action, event.actor, event.channel, event.ip_address) == (
        Action.PATIENT_VIEW,
        nurse_a,
        "web",
        "10.1.2.3",
    )
    assert event.target_id == str(patient_a.public_id)


def test_an_api_read_leaves_one_entry_marked_api(nurse_a, patient_a):
    api_as(nurse_a).get(f"/api/v1/patients/{patient_a.public_id}/")

    [event] = events_about(patient_a)
    assert (event.action, event.actor, event.channel) == (Action.PATIENT_VIEW, nurse_a, "api")


def test_an_edit_leaves_one_entry_naming_the_fields_changed_but_not_their_values(nurse_a, patient_a):
    api_as(nurse_a).patch(f"/api/v1/patients/{patient_a.public_id}/", {"email": "nouveau@example.com"}, format="json")

    [event] = events_about(patient_a)
    assert (event.action, event.actor) == (Action.PATIENT_CHANGE, nurse_a)
    assert event.details["fields"] == ["email"]
    assert "nouveau@example.com" not in str(event.details)


def test_an_edit_through_the_page_leaves_one_entry(client, nurse_a, patient_a):
    client.force_login(nurse_a)
    url = reverse("patient_edit", kwargs={"public_id": patient_a.public_id})
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    before = AuditEvent.objects.count()

    client.post(url, {**data, "email": "autre@example.com"})

    [event] = AuditEvent.objects.order_by("id")[before:]
    assert (event.action, event.actor, event.patient_id) == (Action.PATIENT_CHANGE, nurse_a, patient_a.public_id)


def test_registering_a_patient_leaves_one_creation_entry(nurse_a, clinic_a):
    response = api_as(nurse_a).post(
        "/api/v1/patients/",
        {
            "last_name": "Fortin",
            "first_name": "Émilie",
            "date_of_birth": "1990-08-12",
            "sex": "F",
            "nam": "FORE 9058 1219",
            "nam_check_digit_confirmed": True,
            "file_number": "012353",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    [event] = AuditEvent.objects.filter(patient_id=response.json()["id"])
    assert (event.action, event.actor) == (Action.PATIENT_CREATE, nurse_a)


def test_a_refused_access_is_recorded_without_a_patient(client, nurse_b, patient_a):
    client.force_login(nurse_b)

    client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}))

    assert events_about(patient_a) == []
    event = AuditEvent.objects.get(action=Action.PATIENT_ACCESS_DENIED)
    assert (event.actor, event.target_id) == (nurse_b, str(patient_a.public_id))


def test_searches_record_which_patients_were_shown_not_the_words_typed(client, nurse_a, patient_a):
    client.force_login(nurse_a)

    client.post(reverse("patient_list"), {"query": patient_a.nam})

    event = AuditEvent.objects.get(action=Action.PATIENT_SEARCH)
    assert event.details == {"query": "search", "shown": [str(patient_a.public_id)]}
    assert patient_a.nam not in str(event.details)


def test_sign_in_failures_and_successes_are_recorded(client, nurse_a):
    enrol(nurse_a)
    client.post(reverse("login"), {"username": "infirmiere_a", "password": "mauvais"})
    client.post(reverse("login"), {"username": "infirmiere_a", "password": "un-mot-de-passe-solide"})
    client.post(reverse("login_code"), {"code": code_now()})

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [Action.LOGIN_FAILED, Action.LOGIN]


def test_the_archivist_reads_the_access_history_with_who_and_what(client, nurse_a, archivist_a, patient_a):
    client.force_login(nurse_a)
    client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}))
    client.force_login(archivist_a)
    client.post("/langue/", {"language": "en"})

    response = client.get(reverse("patient_history", kwargs={"public_id": patient_a.public_id}))

    page = response.content.decode()
    assert "infirmiere_a" in page and "Opened the patient" in page
    assert events_about(patient_a)[-1].action == Action.PATIENT_HISTORY_VIEW


def test_the_model_refuses_to_change_or_delete_an_entry(nurse_a):
    event = record(actor=nurse_a, action=Action.LOGIN)

    event.action = Action.LOGOUT
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action=Action.LOGOUT)


def test_the_database_refuses_an_update_even_in_raw_sql(nurse_a):
    record(actor=nurse_a, action=Action.LOGIN)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'auth.logout'")

    assert AuditEvent.objects.get().action == Action.LOGIN


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE for the test flush")
def test_postgresql_refuses_a_delete_in_raw_sql(nurse_a):
    record(actor=nurse_a, action=Action.LOGIN)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.count() == 1


def test_the_admin_offers_no_way_to_add_change_or_delete(administrator, client):
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = administrator
    event = record(actor=administrator, action=Action.LOGIN)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}
    client.force_login(administrator)
    change_page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change_page.status_code == 200 and b'name="_save"' not in change_page.content
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
