"""Nobody sees a patient outside what their role covers, on the pages and in the API: a 404, not a hint."""

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

PAGES = ["patient_detail", "patient_edit", "patient_history"]


@pytest.mark.parametrize("page", PAGES)
def test_a_nurse_of_another_clinic_gets_404_on_every_patient_page(client, nurse_b, patient_a, page):
    client.force_login(nurse_b)

    response = client.get(reverse(page, kwargs={"public_id": patient_a.public_id}))

    assert response.status_code == 404


def test_a_nurse_of_another_clinic_gets_404_in_the_api(nurse_b, patient_a):
    api = api_as(nurse_b)
    url = f"/api/v1/patients/{patient_a.public_id}/"

    assert api.get(url).status_code == 404
    assert api.patch(url, {"phone": "4505550000"}, format="json").status_code == 404
    assert api.get("/api/v1/patients/").json()["count"] == 0


def test_a_nurse_does_not_see_patients_of_a_sister_clinic_of_her_establishment(client, nurse_a, sister_clinic):
    other = factories.patient(sister_clinic, last_name="Nguyen", first_name="Lan")
    client.force_login(nurse_a)

    assert client.get(reverse("patient_detail", kwargs={"public_id": other.public_id})).status_code == 404
    assert client.post(reverse("patient_list"), {"query": "nguyen"}).context["patients"] == []


def test_an_unknown_id_and_a_foreign_id_look_the_same(client, nurse_b, patient_a):
    client.force_login(nurse_b)

    unknown_id = "00000000-0000-4000-8000-000000000000"
    foreign = client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}))
    unknown = client.get(reverse("patient_detail", kwargs={"public_id": unknown_id}))

    assert foreign.status_code == unknown.status_code == 404

    # The pages differ only by the address asked for (the language switch returns to it) and the CSRF token.
    def page(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert page(foreign).replace(str(patient_a.public_id), unknown_id) == page(unknown)


def test_archivist_and_manager_cover_their_whole_establishment_only(archivist_a, manager_a, sister_clinic, patient_b):
    sister_patient = factories.patient(sister_clinic, last_name="Nguyen", first_name="Lan")

    for user in (archivist_a, manager_a):
        api = api_as(user)
        assert api.get(f"/api/v1/patients/{sister_patient.public_id}/").status_code == 200
        assert api.get(f"/api/v1/patients/{patient_b.public_id}/").status_code == 404


def test_a_manager_reads_but_cannot_change_through_the_api(manager_a, patient_a):
    response = api_as(manager_a).patch(
        f"/api/v1/patients/{patient_a.public_id}/", {"email": "x@example.com"}, format="json"
    )

    assert response.status_code == 403


def test_only_archivists_and_administrators_read_the_access_history(
    client, nurse_a, archivist_a, administrator, patient_a
):
    url = reverse("patient_history", kwargs={"public_id": patient_a.public_id})

    client.force_login(nurse_a)
    assert client.get(url).status_code == 403
    client.force_login(archivist_a)
    assert client.get(url).status_code == 200
    client.force_login(administrator)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", ["home", "patient_list", "patient_create"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, page):
    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_visitors_are_sent_to_login_from_a_patient_page(client, patient_a):
    response = client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_api_refuses_anonymous_callers(api, patient_a):
    assert api.get("/api/v1/patients/").status_code == 401
    assert api.get(f"/api/v1/patients/{patient_a.public_id}/").status_code == 401


def test_a_deactivated_account_sees_nothing(nurse_a, patient_a):
    nurse_a.is_active = False
    nurse_a.save()

    assert api_as(nurse_a).get(f"/api/v1/patients/{patient_a.public_id}/").status_code == 404
