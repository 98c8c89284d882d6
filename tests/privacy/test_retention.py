"""Retention (R-22.1 s. 111, A-2.1 s. 73): past its period, what the portal still holds is destroyed once,
with a destruction record and an audit row per run; never under a legal hold, never before the archives
have it. Time travels by handing the purge the moment it runs at."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import Conflict, Invalid
from common.models import AppendOnlyError
from documentation.models import SignedDocument
from documentation.services import deliver_filing, file_document
from prescriptions.models import Transmission
from prescriptions.services import find_link, link_token_hash
from privacy.models import DestructionRecord, LegalHold
from privacy.services import PURGE_TASK_LABEL, lift_legal_hold, place_legal_hold, purge_past_retention
from privacy.tasks import purge_past_retention_task
from scheduling.services import book_appointment
from tests.privacy.conftest import signed_note_document, signed_to
from tests.scheduling.conftest import video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def filing(settings, tmp_path):
    """The record system is a drop folder; the portal keeps its copy after filing (FILING_KEEP_COPY), so
    that only the retention period decides when it goes."""
    settings.FILING_CHANNEL = "drop_folder"
    settings.FILING_DROP_FOLDER = str(tmp_path / "depot")
    settings.FILING_KEEP_COPY = True
    settings.RETENTION_DAYS = {"AH-253": 30, "AH-251": 30, "patient_link": 30, "meeting_details": 30}


def received_by_the_record(document: SignedDocument, archivist) -> SignedDocument:
    file_document(document, by=archivist)
    return deliver_filing(document.pk)


@pytest.fixture
def received(clinic_a, patient_a, archivist_a) -> SignedDocument:
    document = received_by_the_record(signed_note_document(clinic_a, patient_a), archivist_a)
    assert document.delivered_at is not None and document.pdf is not None
    return document


def test_a_copy_past_retention_is_destroyed_exactly_once_with_its_record(received, patient_a):
    later = received.delivered_at + timedelta(days=31)

    first = purge_past_retention(now=later)
    second = purge_past_retention(now=later + timedelta(days=1))

    received.refresh_from_db()
    assert received.pdf is None and received.copy_removed_at == later
    assert first.destroyed == {"document_pdf": 1} and second.destroyed == {}
    (destruction,) = DestructionRecord.objects.all()
    assert (destruction.item, destruction.item_id, destruction.patient_id) == (
        "document_pdf",
        str(received.public_id),
        patient_a.public_id,
    )
    assert (destruction.rule, destruction.retention_days, destruction.reference_date) == (
        "AH-253",
        30,
        received.delivered_at,
    )
    assert destruction.destroyed_at == later and destruction.destroyed_by_label == PURGE_TASK_LABEL
    assert destruction.details["sha256"] == received.pdf_sha256
    runs = AuditEvent.objects.filter(action=AuditEvent.Action.RETENTION_PURGE).order_by("occurred_at", "id")
    assert [run.details["destroyed"] for run in runs] == [{"document_pdf": 1}, {}]
    assert runs[0].target_id == str(first.run_id)


def test_a_copy_within_its_period_survives(received):
    purge_past_retention(now=received.delivered_at + timedelta(days=29))

    received.refresh_from_db()
    assert received.pdf is not None
    assert not DestructionRecord.objects.exists()


def test_a_copy_under_legal_hold_survives_until_the_hold_is_lifted(received, patient_a, administrator):
    hold = place_legal_hold(by=administrator, patient=patient_a, reason="Poursuite civile 500-17-000000-262")
    later = received.delivered_at + timedelta(days=400)

    kept = purge_past_retention(now=later)
    received.refresh_from_db()
    assert received.pdf is not None and kept.total == 0 and kept.kept_under_hold == 1

    lift_legal_hold(hold, by=administrator, reason="Jugement rendu, délais d'appel expirés")
    destroyed = purge_past_retention(now=later)
    received.refresh_from_db()
    assert received.pdf is None and destroyed.destroyed == {"document_pdf": 1}
    actions = list(AuditEvent.objects.filter(patient_id=patient_a.public_id).values_list("action", flat=True))
    assert AuditEvent.Action.LEGAL_HOLD_SET in actions and AuditEvent.Action.LEGAL_HOLD_LIFTED in actions


def test_a_document_the_archives_have_not_received_survives_whatever_its_age(
    clinic_a, patient_a, archivist_a, settings, tmp_path
):
    waiting_for_review = signed_note_document(clinic_a, patient_a)
    filed_not_yet_received = signed_note_document(clinic_a, patient_a)
    file_document(filed_not_yet_received, by=archivist_a)  # the delivery to the record system is still pending
    returned = signed_note_document(clinic_a, patient_a)
    returned.review_status = SignedDocument.Review.RETURNED
    returned.save(update_fields=["review_status"])

    report = purge_past_retention(now=timezone.now() + timedelta(days=3650))

    assert report.total == 0
    for document in (waiting_for_review, filed_not_yet_received, returned):
        document.refresh_from_db()
        assert document.pdf is not None


def test_a_prescription_still_needed_by_a_transmission_keeps_its_pdf(
    physician, patient_a, directory, archivist_a, django_capture_on_commit_callbacks
):
    prescription = signed_to(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    document = received_by_the_record(prescription.document, archivist_a)
    assert document.copy_held_for_transmission  # the fax has not left yet

    report = purge_past_retention(now=document.delivered_at + timedelta(days=365))

    document.refresh_from_db()
    assert document.pdf is not None and report.total == 0


def test_an_expired_patient_link_is_destroyed_once_and_never_works_again(
    physician, patient_a, directory, django_capture_on_commit_callbacks
):
    prescription = signed_to(physician, patient_a, directory["unit"], django_capture_on_commit_callbacks, "laboratory")
    link = prescription.transmissions.get()
    expired_at = timezone.now() - timedelta(days=1)
    Transmission.objects.filter(pk=link.pk).update(
        channel="patient_link", link_token_hash=link_token_hash("le-secret-du-lien"), link_expires_at=expired_at
    )

    assert purge_past_retention(now=expired_at + timedelta(days=29)).total == 0
    first = purge_past_retention(now=expired_at + timedelta(days=31))
    second = purge_past_retention(now=expired_at + timedelta(days=32))

    assert first.destroyed == {"patient_link": 1} and second.total == 0
    assert find_link("le-secret-du-lien") is None
    destruction = DestructionRecord.objects.get()
    assert (destruction.item, destruction.rule, destruction.item_id) == (
        "patient_link",
        "patient_link",
        str(link.public_id),
    )


def test_a_past_meeting_loses_its_links_and_passcode_but_keeps_its_appointment(nurse, patient_a, clinic_a):
    appointment = book_appointment(by=nurse, patient=patient_a, clinic=clinic_a, details=video("zoom"))
    meeting = appointment.meeting
    # As the worker leaves it once Zoom answered.
    meeting.join_url, meeting.host_url = "https://zoom.example/j/123", "https://zoom.example/s/123?zak=secret"
    meeting.passcode, meeting.dial_in, meeting.delivery_status = "482913", "+1 438 809 7799", "done"
    meeting.save()

    purge_past_retention(now=meeting.end + timedelta(days=29))
    meeting.refresh_from_db()
    assert meeting.join_url
    report = purge_past_retention(now=meeting.end + timedelta(days=31))

    meeting.refresh_from_db()
    assert (meeting.join_url, meeting.host_url, meeting.passcode, meeting.dial_in) == ("", "", "", "")
    assert report.destroyed == {"meeting_details": 1}
    appointment.refresh_from_db()
    assert appointment.meeting == meeting and appointment.participants.exists()
    assert DestructionRecord.objects.get().patient_id == patient_a.public_id


def test_holds_need_a_reason_are_one_per_patient_and_are_never_deleted(patient_a, administrator):
    with pytest.raises(Invalid):
        place_legal_hold(by=administrator, patient=patient_a, reason="  ")
    hold = place_legal_hold(by=administrator, patient=patient_a, reason="Enquête du coroner")
    with pytest.raises(Conflict):
        place_legal_hold(by=administrator, patient=patient_a, reason="Encore")
    with pytest.raises(AppendOnlyError):
        hold.delete()
    with pytest.raises(AppendOnlyError):
        LegalHold.objects.all().delete()
    lift_legal_hold(hold, by=administrator, reason="Fin de l'enquête")
    lift_legal_hold(hold, by=administrator, reason="Deux fois")  # nothing more

    assert AuditEvent.objects.filter(action=AuditEvent.Action.LEGAL_HOLD_LIFTED).count() == 1


def test_destruction_records_cannot_be_changed_or_deleted(received):
    purge_past_retention(now=received.delivered_at + timedelta(days=31))
    destruction = DestructionRecord.objects.get()

    with pytest.raises(AppendOnlyError):
        destruction.delete()
    with pytest.raises(AppendOnlyError):
        DestructionRecord.objects.update(rule="other")


def test_the_daily_task_runs_the_purge_and_beat_schedules_it(received, eager_workers):
    result = purge_past_retention_task.delay().get()

    assert result["destroyed"] == {} and "run" in result  # the copy is still within its period
    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-past-retention"]
    assert schedule["task"] == "privacy.tasks.purge_past_retention_task"
    assert schedule["schedule"] == 24 * 3600.0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RETENTION_PURGE, actor=None).count() == 1


def test_the_privacy_officer_places_and_lifts_a_hold_in_the_admin(client, administrator, patient_a):
    client.force_login(administrator)
    add = reverse("admin:privacy_legalhold_add")

    unknown = client.post(add, {"patient_public_id": "00000000-0000-0000-0000-000000000000", "reason": "Litige"})
    placed = client.post(add, {"patient_public_id": str(patient_a.public_id), "reason": "Litige"})
    again = client.post(add, {"patient_public_id": str(patient_a.public_id), "reason": "Encore"})

    assert unknown.status_code == 200 and again.status_code == 200  # the form again, with the reason
    assert placed.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.patient, hold.placed_by, hold.is_active) == (patient_a, administrator, True)
    assert client.get(reverse("admin:privacy_legalhold_delete", args=[hold.pk])).status_code == 403

    lifted = client.post(reverse("admin:privacy_legalhold_change", args=[hold.pk]), {"lift_reason": "Règlement"})

    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active and hold.lifted_by == administrator and hold.lift_reason == "Règlement"
    actions = AuditEvent.objects.filter(patient_id=patient_a.public_id).values_list("action", flat=True)
    assert sorted(actions) == sorted([AuditEvent.Action.LEGAL_HOLD_SET, AuditEvent.Action.LEGAL_HOLD_LIFTED])


def test_the_admin_lists_holds_destructions_and_communications_read_only(
    client, administrator, received, physician, patient_a, directory, django_capture_on_commit_callbacks
):
    signed_to(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    purge_past_retention(now=received.delivered_at + timedelta(days=31))
    place_legal_hold(by=administrator, patient=patient_a, reason="Litige")
    client.force_login(administrator)

    for model in ("legalhold", "destructionrecord", "communicationrecord"):
        assert client.get(reverse(f"admin:privacy_{model}_changelist")).status_code == 200
    for model in ("destructionrecord", "communicationrecord"):
        assert client.get(reverse(f"admin:privacy_{model}_add")).status_code == 403
