"""A professional registers, finds and edits patients through the pages, with clear messages for mistakes."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from directory import nam
from directory.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


def registration(clinic, **overrides):
    data = {
        "clinic": clinic.pk,
        "last_name": "Morin",
        "first_name": "Chantal",
        "date_of_birth": "1980-02-29",
        "sex": "F",
        "nam": nam.display(nam.build("Morin", "Chantal", date(1980, 2, 29), "F")),
        "file_number": "012352",
        "phone": "514 555-0108",
        "email": "chantal.morin@example.com",
        "preferred_language": "fr",
        "postal_code": "j4k5g6",
        "tablet_loan": "not_needed",
    }
    data.update(overrides)
    return data


def errors_of(response, field):
    """The field's messages, in the language the page was shown in (they are translated lazily)."""
    with translation.override(response.headers["Content-Language"]):
        return list(response.context["form"].errors.get(field, []))


def test_a_nurse_registers_a_patient_followed_by_her_clinic(client, nurse_a, clinic_a):
    client.force_login(nurse_a)

    response = client.post(reverse("patient_create"), registration(clinic_a))

    patient = Patient.objects.get(file_number="012352")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_detail", kwargs={"public_id": patient.public_id})
    assert patient.nam == "MORC80522910"
    assert str(patient.phone) == "+15145550108"
    assert patient.postal_code == "J4K 5G6"
    assert list(patient.clinics.all()) == [clinic_a]
    assert patient.establishment == clinic_a.establishment


@pytest.mark.parametrize(
    ("bad_nam", "message"),
    [
        ("MORC 8052", "A NAM has 12 characters"),
        ("MORC 8013 2914", "impossible birth date"),
        ("MORC 8052 2814", "born on 1980-02-28, but the date of birth entered is 1980-02-29"),
        ("MORC 8052 2919", "last digit of this NAM does not match"),
    ],
)
def test_a_wrong_nam_is_refused_with_a_sentence_that_says_which_rule(client, nurse_a, clinic_a, bad_nam, message):
    client.force_login(nurse_a)
    client.post("/langue/", {"language": "en"})

    response = client.post(reverse("patient_create"), registration(clinic_a, nam=bad_nam))

    assert response.status_code == 200
    assert any(message in error for error in errors_of(response, "nam"))
    assert not Patient.objects.exists()


def test_a_doubtful_check_digit_is_accepted_when_read_from_the_card(client, nurse_a, clinic_a):
    client.force_login(nurse_a)

    client.post(reverse("patient_create"), registration(clinic_a, nam="MORC 8052 2919", nam_check_digit_confirmed="on"))

    assert Patient.objects.get().nam_check_digit_confirmed


def test_a_patient_without_nam_needs_another_identifier(client, nurse_a, clinic_a):
    client.force_login(nurse_a)
    client.post("/langue/", {"language": "en"})

    refused = client.post(reverse("patient_create"), registration(clinic_a, nam=""))
    accepted = client.post(
        reverse("patient_create"),
        registration(clinic_a, nam="", fallback_identifier_kind="mother_name", fallback_identifier="Tran Thi Mai"),
    )

    assert "Without a NAM, give another identifier" in errors_of(refused, "fallback_identifier")[0]
    assert accepted.status_code == 302
    assert Patient.objects.get().fallback_identifier == "Tran Thi Mai"


def test_a_sex_that_disagrees_with_the_nam_is_only_a_warning(client, nurse_a, clinic_a):
    client.force_login(nurse_a)
    client.post("/langue/", {"language": "en"})

    response = client.post(reverse("patient_create"), registration(clinic_a, sex="X"), follow=True)
    assert response.status_code == 200
    response = client.post(reverse("patient_create"), registration(clinic_a, sex="M", file_number="9"), follow=True)

    assert response.status_code == 200
    assert Patient.objects.count() == 1  # the same NAM cannot be registered twice in the establishment
    assert "already has this NAM" in str(response.content, "utf-8")


def test_sex_mismatch_warning_is_shown_after_saving(client, nurse_a, clinic_a):
    client.force_login(nurse_a)
    client.post("/langue/", {"language": "en"})

    response = client.post(reverse("patient_create"), registration(clinic_a, sex="M"), follow=True)

    assert Patient.objects.get().sex == "M"
    assert "indicates a different sex" in response.content.decode()


def test_file_numbers_are_unique_within_the_establishment(client, nurse_a, clinic_a):
    factories.patient(clinic_a, file_number="012352", last_name="Autre", first_name="Personne")
    client.force_login(nurse_a)
    client.post("/langue/", {"language": "en"})

    response = client.post(reverse("patient_create"), registration(clinic_a))

    assert "already has this file number" in errors_of(response, "file_number")[0]


def test_bad_phone_email_and_postal_code_each_get_their_message(client, nurse_a, clinic_a):
    client.force_login(nurse_a)

    response = client.post(
        reverse("patient_create"), registration(clinic_a, phone="123", email="pas-un-courriel", postal_code="12345")
    )

    assert response.status_code == 200
    assert errors_of(response, "phone") and errors_of(response, "email") and errors_of(response, "postal_code")


def test_search_finds_by_name_without_accents_by_file_number_and_by_nam(client, nurse_a, clinic_a):
    louise = factories.patient(clinic_a, file_number="012345")
    factories.patient(clinic_a, last_name="Bergeron", first_name="Francine", date_of_birth=date(1966, 12, 1))
    client.force_login(nurse_a)

    def found(query):
        response = client.post(reverse("patient_list"), {"query": query})
        return [p.public_id for p in response.context["patients"]]

    assert found("cote") == [louise.public_id]
    assert found("louise côté") == [louise.public_id]
    assert found("012345") == [louise.public_id]
    assert found(nam.display(louise.nam).lower()) == [louise.public_id]
    assert found("Nobody") == []


def test_search_results_come_back_as_a_partial_for_htmx(client, nurse_a, clinic_a):
    factories.patient(clinic_a)
    client.force_login(nurse_a)

    response = client.post(reverse("patient_list"), {"query": "cote"}, headers={"HX-Request": "true"})

    assert response.templates[0].name == "directory/_patient_results.html"
    assert "<html" not in response.content.decode()


def test_the_patient_list_pins_its_query_count(client, nurse_a, clinic_a, django_assert_max_num_queries):
    for index in range(30):
        factories.patient(clinic_a, file_number=f"L{index}", date_of_birth=date(1950, 1, 1) + timedelta(days=index))
    client.force_login(nurse_a)

    # 12: the page's reads, and the audit entry of the listing with its hash chain (on PostgreSQL,
    # the chain's lock and the previous entry's hash are one query each).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patient_list"))

    assert len(response.context["patients"]) == 25


def test_a_nurse_edits_a_patient_and_sees_the_change(client, nurse_a, patient_a):
    client.force_login(nurse_a)
    form = client.get(reverse("patient_edit", kwargs={"public_id": patient_a.public_id})).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(phone="450 555 0199", tablet_loan="lent", nam=patient_a.nam)

    response = client.post(reverse("patient_edit", kwargs={"public_id": patient_a.public_id}), data, follow=True)

    patient_a.refresh_from_db()
    assert str(patient_a.phone) == "+14505550199"
    assert patient_a.tablet_loan == "lent"
    assert "(450) 555-0199" in response.content.decode()


def test_a_manager_may_read_but_not_edit(client, manager_a, patient_a):
    client.force_login(manager_a)

    assert client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id})).status_code == 200
    assert client.get(reverse("patient_edit", kwargs={"public_id": patient_a.public_id})).status_code == 403
    assert client.get(reverse("patient_create")).status_code == 403
