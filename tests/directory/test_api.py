"""The API of the contract: token, me, clinics, patients, with clear JSON errors."""

from datetime import date, timedelta

import pytest
import yaml

from directory.models import ClinicMembership, Patient
from tests import factories
from tests.conftest import api_as
from tests.second_factor import code_now, enrol

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "last_name": "Gauthier",
    "first_name": "Réjean",
    "date_of_birth": "1944-04-17",
    "sex": "M",
    "nam": "GAUR 4404 1719",
    "nam_check_digit_confirmed": True,
    "file_number": "012351",
    "phone": "450-555-0107",
    "email": "rejean.gauthier@example.com",
    "preferred_language": "fr",
}


def test_a_token_is_given_for_a_right_password_and_code_and_refused_otherwise(api, nurse_a):
    enrol(nurse_a)
    good = api.post(
        "/api/v1/auth/token/", {"username": "infirmiere_a", "password": "un-mot-de-passe-solide", "otp": code_now()}
    )
    bad = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": "faux", "otp": "123456"})
    missing = api.post("/api/v1/auth/token/", {"username": "infirmiere_a"})

    assert good.status_code == 200 and len(good.json()["token"]) == 40
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_credentials"
    assert missing.status_code == 400 and "password" in missing.json()
    assert (
        api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {good.json()['token']}").json()["username"] == "infirmiere_a"
    )


def test_me_tells_my_roles_and_clinics_lists_mine(nurse_a, clinic_a, clinic_b):
    api = api_as(nurse_a)

    me = api.get("/api/v1/me/").json()
    clinics = api.get("/api/v1/clinics/").json()["results"]

    assert me["memberships"] == [{"role": "professional", "clinic": clinics[0]}]
    assert [clinic["id"] for clinic in clinics] == [str(clinic_a.public_id)]
    assert api.get(f"/api/v1/clinics/{clinic_b.public_id}/").status_code == 404


def test_a_nurse_registers_reads_and_updates_a_patient(nurse_a, clinic_a):
    api = api_as(nurse_a)

    created = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    patient_id = created.json()["id"]
    read = api.get(f"/api/v1/patients/{patient_id}/")
    updated = api.patch(f"/api/v1/patients/{patient_id}/", {"postal_code": "j4r1b3"}, format="json")

    assert created.status_code == 201
    assert read.json()["nam"] == "GAUR44041719" and read.json()["phone"] == "+14505550107"
    assert updated.status_code == 200, updated.json()
    assert updated.json()["postal_code"] == "J4R 1B3"
    assert Patient.objects.get().clinics.get() == clinic_a


def test_a_bad_nam_is_a_400_naming_the_field_in_the_callers_language(api, nurse_a, clinic_a):
    enrol(nurse_a)
    token = api.post(
        "/api/v1/auth/token/", {"username": "infirmiere_a", "password": "un-mot-de-passe-solide", "otp": code_now()}
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    wrong_birth_date = {**NEW_PATIENT, "nam": "GAUR 4404 1819"}

    french = api.post("/api/v1/patients/", wrong_birth_date, format="json")
    nurse_a.preferred_language = "en"
    nurse_a.save()
    english = api.post("/api/v1/patients/", wrong_birth_date, format="json")

    assert french.status_code == english.status_code == 400
    assert english.json()["nam"] == [
        "This NAM is for someone born on 1944-04-18, but the date of birth entered is 1944-04-17."
    ]
    assert "1944-04-18" in french.json()["nam"][0] and "born on" not in french.json()["nam"][0]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "123"}, "phone"),
        ({"email": "nope"}, "email"),
        ({"date_of_birth": "1944-02-30"}, "date_of_birth"),
        ({"sex": "Q"}, "sex"),
        ({"nam": "", "fallback_identifier": ""}, "fallback_identifier"),
        ({"postal_code": "12345"}, "postal_code"),
    ],
)
def test_bad_fields_are_400_with_the_field_never_500(nurse_a, clinic_a, change, field):
    response = api_as(nurse_a).post("/api/v1/patients/", {**NEW_PATIENT, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_nurse_of_two_clinics_must_say_which_one_follows_the_patient(nurse_a, clinic_a, sister_clinic):
    ClinicMembership.objects.create(user=nurse_a, clinic=sister_clinic, role="professional")
    api = api_as(nurse_a)

    ambiguous = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    chosen = api.post("/api/v1/patients/", {**NEW_PATIENT, "clinic": str(sister_clinic.public_id)}, format="json")

    assert ambiguous.status_code == 400 and ambiguous.json()["field"] == "clinic"
    assert chosen.status_code == 201
    assert Patient.objects.get().clinics.get() == sister_clinic


def test_someone_without_a_clinic_cannot_register_patients(clinic_a):
    loner = factories.UserFactory()

    response = api_as(loner).post("/api/v1/patients/", NEW_PATIENT, format="json")

    assert response.status_code == 403


def test_privileged_fields_cannot_be_written(nurse_a, patient_a, clinic_b):
    response = api_as(nurse_a).patch(
        f"/api/v1/patients/{patient_a.public_id}/",
        {
            "id": "00000000-0000-4000-8000-000000000000",
            "establishment": str(clinic_b.establishment),
            "search_name": "x",
        },
        format="json",
    )

    patient_a.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["id"] == str(patient_a.public_id)
    assert patient_a.establishment == nurse_a.memberships.get().clinic.establishment


def test_the_list_searches_and_paginates(nurse_a, clinic_a):
    for index in range(30):
        factories.patient(clinic_a, file_number=f"P{index}", date_of_birth=date(1950, 1, 1) + timedelta(days=index))
    factories.patient(clinic_a, last_name="Lévesque", first_name="Gaétan", sex="M", file_number="012348")
    api = api_as(nurse_a)

    first = api.get("/api/v1/patients/").json()
    found = api.get("/api/v1/patients/", {"search": "levesque"}).json()
    posted = api.post("/api/v1/patients/search/", {"query": "012348"}, format="json").json()

    assert first["count"] == 31 and len(first["results"]) == 25 and first["next"]
    assert [p["file_number"] for p in found["results"]] == ["012348"]
    assert [p["file_number"] for p in posted] == ["012348"]


def test_the_list_keeps_a_constant_number_of_queries(nurse_a, clinic_a, django_assert_max_num_queries):
    for index in range(25):
        factories.patient(clinic_a, file_number=f"Q{index}", date_of_birth=date(1950, 1, 1) + timedelta(days=index))

    with django_assert_max_num_queries(6):
        response = api_as(nurse_a).get("/api/v1/patients/")

    assert len(response.json()["results"]) == 25


def test_the_openapi_schema_describes_the_patient_endpoints(nurse_a):
    response = api_as(nurse_a).get("/api/schema/")

    schema = yaml.safe_load(response.content)
    assert response.status_code == 200
    assert {"/api/v1/auth/token/", "/api/v1/me/", "/api/v1/patients/", "/api/v1/patients/{public_id}/"} <= set(
        schema["paths"]
    )
    assert "nam" in schema["components"]["schemas"]["Patient"]["properties"]


def test_the_docs_need_a_signed_in_user(client, nurse_a):
    assert client.get("/api/docs/").status_code in (401, 403)
    client.force_login(nurse_a)
    assert client.get("/api/docs/").status_code == 200
