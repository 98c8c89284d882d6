"""Telehealth, recording and personal-email consent: recorded in one action, and the gates that need them."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from common.errors import Conflict, NotAllowed
from common.models import AppendOnlyError
from consent.models import ConsentRecord, ConsentScript
from consent.services import (
    consent_in_force,
    consent_statement,
    record_consent,
    require_personal_email_consent,
    withdraw_consent,
)
from scheduling.models import Appointment
from scheduling.services import book_appointment, flag_recorded, record_outcome
from tests.conftest import api_as
from tests.scheduling.conftest import video

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_now(nurse, louise, clinic_a):
    return book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=replace(video(), kind="immediate"))


def give(nurse, patient, kind="telehealth", **more):
    return record_consent(by=nurse, patient=patient, kind=kind, granted=True, language="fr", **more)


def test_a_meeting_cannot_be_held_without_telehealth_consent_and_can_with_it(nurse, louise, meeting_now):
    with pytest.raises(Conflict) as refused:
        record_outcome(meeting_now, by=nurse, outcome="held")
    give(nurse, louise)
    held = record_outcome(meeting_now, by=nurse, outcome="held")

    assert refused.value.code == "telehealth_consent_missing"
    assert held.status == "held"


def test_a_withdrawn_consent_no_longer_passes(nurse, louise, meeting_now):
    give(nurse, louise)
    withdraw_consent(by=nurse, patient=louise, kind="telehealth")

    with pytest.raises(Conflict):
        record_outcome(meeting_now, by=nurse, outcome="held")
    assert not consent_in_force(louise, "telehealth")


def test_a_consent_given_after_the_meeting_does_not_make_it_held(nurse, louise, meeting_now):
    two_hours_ago = timezone.now() - timedelta(hours=2)
    Appointment.objects.filter(pk=meeting_now.pk).update(start=two_hours_ago, end=two_hours_ago + timedelta(minutes=30))
    give(nurse, louise)

    with pytest.raises(Conflict):
        record_outcome(Appointment.objects.get(pk=meeting_now.pk), by=nurse, outcome="held")


def test_recording_needs_both_parties_for_this_meeting(nurse, louise, meeting_now):
    give(nurse, louise, kind="recording", appointment_id=meeting_now.public_id)
    with pytest.raises(Conflict):
        flag_recorded(meeting_now, by=nurse)

    record_consent(
        by=nurse,
        patient=louise,
        kind="recording",
        granted=True,
        language="fr",
        party="professional",
        appointment_id=meeting_now.public_id,
    )

    assert flag_recorded(meeting_now, by=nurse).recorded


def test_a_withdrawal_of_recording_consent_stops_recording_for_every_meeting(nurse, louise, meeting_now):
    from consent.services import recording_consented, withdraw_consent

    for party in ("patient", "professional"):
        record_consent(
            by=nurse,
            patient=louise,
            kind="recording",
            granted=True,
            language="fr",
            party=party,
            appointment_id=meeting_now.public_id,
        )
    assert recording_consented(louise, meeting_now.public_id)

    withdraw_consent(by=nurse, patient=louise, kind="recording")

    assert not recording_consented(louise, meeting_now.public_id)
    with pytest.raises(Conflict):
        flag_recorded(meeting_now, by=nurse)


def test_personal_email_needs_its_consent_after_the_warning(nurse, louise):
    with pytest.raises(NotAllowed):
        require_personal_email_consent(louise)
    with pytest.raises(Exception, match="warning"):
        give(nurse, louise, kind="personal_email")

    consent = give(nurse, louise, kind="personal_email", warning_read=True)

    require_personal_email_consent(louise)
    assert consent.warning_read


def test_the_version_and_language_recorded_are_the_ones_read_even_after_an_edit(nurse, louise, administrator):
    first = give(nurse, louise)
    model_admin = admin.site._registry[ConsentScript]
    request = RequestFactory().post("/")
    request.user = administrator
    script = ConsentScript.objects.current("telehealth", "fr")
    script.text = "Nouveau texte du script."
    model_admin.save_model(request, script, form=None, change=True)
    second = record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="en")

    first.refresh_from_db()
    assert (first.script_version, first.language, first.script.text.startswith("Tout ce qui")) == (1, "fr", True)
    assert ConsentScript.objects.current("telehealth", "fr").version == 2
    assert (second.script_version, second.language) == (1, "en")


def test_records_cannot_be_changed_or_deleted(nurse, louise, administrator, client):
    consent = give(nurse, louise)

    with pytest.raises(AppendOnlyError):
        consent.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.all().delete()
    api = api_as(nurse)
    url = f"/api/v1/consents/{consent.public_id}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"language": "en"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    client.force_login(administrator)
    assert (
        client.post(reverse("admin:consent_consentrecord_delete", args=[consent.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert ConsentRecord.objects.count() == 1


def test_the_api_records_verbal_consent_and_lists_a_patients_history(nurse, louise, nurse_b):
    api = api_as(nurse)

    created = api.post(
        "/api/v1/consents/",
        {"patient": str(louise.public_id), "kind": "telehealth", "method": "verbal", "language": "en", "granted": True},
        format="json",
    )
    listed = api.get("/api/v1/consents/", {"patient": str(louise.public_id)}).json()

    assert created.status_code == 201 and created.json()["script_version"] == 1
    assert [c["decision"] for c in listed["results"]] == ["granted"]
    assert api_as(nurse_b).get("/api/v1/consents/", {"patient": str(louise.public_id)}).status_code == 404


def test_the_statement_for_the_progress_note_comes_from_the_records(nurse, louise):
    assert "No telehealth consent" in consent_statement(louise, at=timezone.now(), language="en")
    give(nurse, louise)

    statement = consent_statement(louise, at=timezone.now(), language="en")

    assert "verbal consent to care by telehealth" in statement and "script version 1" in statement
    assert "Julie Tremblay" in statement


def test_the_panel_records_verbal_consent_in_one_action_in_the_patients_language(client, nurse, louise):
    client.force_login(nurse)
    url = reverse("consent_panel", kwargs={"patient_id": louise.public_id})

    panel = client.get(url, headers={"HX-Request": "true"}).content.decode()
    client.post(
        url,
        {"kind": "telehealth", "decision": "granted", "method": "verbal", "language": "fr"},
        headers={"HX-Request": "true"},
    )

    assert "Tout ce qui sera échangé" in panel
    consent = ConsentRecord.objects.get()
    assert (consent.decision, consent.language, consent.method, consent.recorded_by) == (
        "granted",
        "fr",
        "verbal",
        nurse,
    )


def test_the_agenda_shows_the_consent_state(client, nurse, louise, meeting_now):
    client.force_login(nurse)
    client.post("/langue/", {"language": "en"})
    before = client.get(reverse("agenda")).content.decode()
    give(nurse, louise)
    after = client.get(reverse("agenda")).content.decode()

    assert "Consent missing" in before and "Consent given" in after


def test_the_database_refuses_to_change_a_consent_record(nurse, louise):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    give(nurse, louise)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_consentrecord SET decision = 'refused'")

    assert ConsentRecord.objects.get().decision == "granted"


def test_the_api_says_which_field_is_missing_and_refuses_email_consent_without_the_warning(nurse, louise):
    api = api_as(nurse)
    base = {"patient": str(louise.public_id), "kind": "telehealth", "language": "fr"}

    no_answer = api.post("/api/v1/consents/", base, format="json")
    no_warning = api.post("/api/v1/consents/", {**base, "kind": "personal_email", "granted": True}, format="json")
    bad_kind = api.post("/api/v1/consents/", {**base, "kind": "tattoo", "granted": True}, format="json")

    assert no_answer.status_code == 400 and no_answer.json()["field"] == "granted"
    assert no_warning.status_code == 400 and "warning_read" in no_warning.json()
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    assert not ConsentRecord.objects.exists()
