"""The register of communications (R-22.1 s. 265): one row per transmission, written with it, read and
exported by the archives of the patient's establishment."""

import csv
import importlib
import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from prescriptions.models import Transmission
from prescriptions.services import transmit
from privacy.models import CommunicationRecord
from tests import factories
from tests.prescriptions.conftest import give_personal_email_consent
from tests.privacy.conftest import signed_to

pytestmark = pytest.mark.django_db

REGISTER = reverse("communications_register")
EXPORT = reverse("communications_export")


def test_a_prescription_faxed_to_a_pharmacy_gives_one_register_row_with_the_three_fields(
    physician, patient_a, directory, django_capture_on_commit_callbacks
):
    pharmacy = directory["pharmacy"]

    prescription = signed_to(physician, patient_a, pharmacy, django_capture_on_commit_callbacks)

    transmission = prescription.transmissions.get()
    row = CommunicationRecord.objects.get()
    assert row.transmission == transmission
    assert (row.document_kind, row.document_category) == ("AH-251", "medication")  # the nature, not the content
    assert (row.recipient_kind, row.recipient, row.recipient_name) == (
        "community_pharmacy",
        pharmacy,
        "Pharmacie Auxbonsoins",
    )
    assert (row.purpose, row.legal_basis) == ("dispensing", "care")
    assert row.channel == "fax"
    assert row.communicated_by == physician
    assert row.patient == patient_a
    assert row.establishment == patient_a.establishment
    assert row.communicated_at == transmission.created_at


def test_a_document_for_the_patient_is_registered_without_repeating_her_name(
    physician, patient_with_email, directory, django_capture_on_commit_callbacks
):
    give_personal_email_consent(physician, patient_with_email)

    signed_to(
        physician,
        patient_with_email,
        None,
        django_capture_on_commit_callbacks,
        "laboratory",
        callback_phone="+14504665055",
    )

    row = CommunicationRecord.objects.get()
    assert (row.recipient_kind, row.recipient_name) == ("patient", "")
    assert (row.purpose, row.legal_basis, row.channel) == ("patient_copy", "person_concerned", "patient_link")
    assert patient_with_email.last_name not in str(row.__dict__)


def test_each_more_recipient_is_one_more_row_and_a_repeated_send_is_not(
    physician, patient_a, directory, django_capture_on_commit_callbacks
):
    prescription = signed_to(
        physician, patient_a, directory["physio_gmail_with_fax"], django_capture_on_commit_callbacks, "referral"
    )

    with django_capture_on_commit_callbacks():
        transmit(prescription, by=physician, recipient=directory["unit"])
        transmit(prescription, by=physician, recipient=directory["unit"])  # the open one is returned

    kinds = sorted(CommunicationRecord.objects.values_list("recipient_kind", "purpose", "legal_basis", "channel"))
    assert kinds == [
        ("network_unit", "continuity_of_care", "care", "secure_email"),
        ("professional", "continuity_of_care", "care", "fax"),
    ]


def test_the_backfill_registers_transmissions_sent_before_the_register_and_can_be_rerun(
    physician, patient_a, directory, django_capture_on_commit_callbacks
):
    prescription = signed_to(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    older = Transmission.objects.create(
        prescription=prescription,
        recipient=directory["imaging_lab"],
        recipient_name="Radiologie Brossard",
        channel="fax",
        address="14505550208",
        requested_by=physician,
    )
    backfill = importlib.import_module("privacy.migrations.0002_backfill_communications").backfill

    backfill(apps, None)
    backfill(apps, None)

    assert CommunicationRecord.objects.count() == 2
    row = CommunicationRecord.objects.get(transmission=older)
    assert (row.recipient_kind, row.purpose, row.legal_basis) == ("imaging_lab", "examination", "care")
    assert row.communicated_by == physician and row.patient == patient_a


@pytest.fixture
def two_establishments(physician, patient_a, directory, clinic_b, django_capture_on_commit_callbacks):
    """A fax to a pharmacy and a referral to a unit in establishment A, one fax in establishment B."""
    signed_to(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    signed_to(physician, patient_a, directory["unit"], django_capture_on_commit_callbacks, "referral")
    prescriber_b = factories.staff(
        clinic_b,
        "professional",
        username="medecin_b",
        profession="physician",
        practice_number="1-11111",
        phone="+14505550999",
    )
    patient_b = factories.patient(clinic_b, last_name="Bélanger", first_name="Jean-Guy", sex="M")
    signed_to(prescriber_b, patient_b, directory["other_pharmacy"], django_capture_on_commit_callbacks)
    return patient_b


def test_the_archivist_reads_her_establishment_s_register_only(client, archivist_a, two_establishments, patient_a):
    client.force_login(archivist_a)

    response = client.get(REGISTER)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    rows = list(response.context["page"])
    assert len(rows) == 2 and {row.patient for row in rows} == {patient_a}
    page = response.content.decode()
    assert "Pharmacie Auxbonsoins" in page and "Pharmacie du Coin" not in page


def test_the_register_filters_by_period_and_recipient_kind(client, archivist_a, two_establishments):
    client.force_login(archivist_a)
    today = timezone.localdate()

    units_only = client.get(REGISTER, {"destinataire": "network_unit"})
    last_week = client.get(REGISTER, {"du": today - timedelta(days=8), "au": today - timedelta(days=1)})
    today_only = client.get(REGISTER, {"du": today, "au": today})

    assert [row.recipient_kind for row in units_only.context["page"]] == ["network_unit"]
    assert list(last_week.context["page"]) == []
    assert len(today_only.context["page"]) == 2


def test_a_malformed_period_is_a_400_with_a_message(client, archivist_a, two_establishments):
    client.force_login(archivist_a)

    reversed_period = client.get(REGISTER, {"du": "2026-03-10", "au": "2026-03-01"})
    impossible_day = client.get(REGISTER, {"du": "2026-02-30"})
    unknown_kind = client.get(EXPORT, {"destinataire": "martians"})

    assert reversed_period.status_code == 400
    assert "La fin de la période doit suivre son début." in reversed_period.content.decode()
    assert impossible_day.status_code == 400 and unknown_kind.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.COMMUNICATIONS_EXPORT).exists()


def test_people_who_are_not_archivists_get_a_403(client, nurse_a, manager_a, physician):
    for person in (nurse_a, manager_a, physician):
        client.force_login(person)
        assert client.get(REGISTER).status_code == 403
        assert client.get(EXPORT).status_code == 403


def test_the_administrator_sees_every_establishment(client, administrator, two_establishments):
    client.force_login(administrator)

    assert len(client.get(REGISTER).context["page"]) == 3


def test_the_csv_export_is_audited_and_holds_the_filtered_rows(client, archivist_a, two_establishments, patient_a):
    client.force_login(archivist_a)

    response = client.get(EXPORT, {"destinataire": "community_pharmacy"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 2  # the header and the one fax of establishment A
    assert str(patient_a.public_id) in lines[1] and "Pharmacie Auxbonsoins" in lines[1]
    assert patient_a.last_name not in response.content.decode("utf-8-sig")
    event = AuditEvent.objects.get(action=AuditEvent.Action.COMMUNICATIONS_EXPORT)
    assert event.actor == archivist_a
    assert event.details == {"filters": {"destinataire": "community_pharmacy"}, "rows": 1}


def test_the_register_page_reads_in_a_constant_number_of_queries(
    client,
    archivist_a,
    two_establishments,
    physician,
    patient_a,
    directory,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    client.force_login(archivist_a)
    client.get(REGISTER)  # the session and the user, once
    for _ in range(5):
        signed_to(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(12):
        response = client.get(REGISTER)

    assert len(response.context["page"]) == 7
