"""Transmissions through the outbox: the fax reaches the gateway with everything the guide requires,
the archives get their copy, the gateway's report confirms it, and nothing is lost or doubled."""

import email
from email.policy import default as default_policy

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import TemporaryFailure
from documentation.models import SignedDocument
from documentation.permissions import documents_for_review
from documentation.services import file_document
from prescriptions.models import Transmission
from prescriptions.services import (
    choose_recipient,
    deliver_transmission,
    redeliver_pending_transmissions,
    retry_transmission,
    sign_prescription,
)
from tests.prescriptions.conftest import draft

TOKEN = "jeton-des-rapports"


@pytest.fixture
def reports_endpoint(settings):
    settings.TRANSMISSION_REPORTS_TOKEN = TOKEN
    return "/envois/rapports/"


@pytest.fixture
def filing_folder(settings, tmp_path):
    settings.FILING_CHANNEL = "drop_folder"
    settings.FILING_DROP_FOLDER = str(tmp_path / "depot")
    return tmp_path / "depot"


def sign_for(physician, patient, recipient, capture, category="medication"):
    prescription = draft(physician, patient, category, allergies="Pénicilline (urticaire)", no_known_allergies=False)
    assert choose_recipient(prescription, by=physician, recipient=recipient).allowed
    with capture(execute=True):
        sign_prescription(prescription, by=physician)
    prescription.refresh_from_db()
    return prescription


def post_report(client, raw: bytes, token: str = TOKEN):
    return client.post(
        "/envois/rapports/", data=raw, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_fax_carries_the_pdf_and_every_element_the_guide_requires(
    physician, patient_a, directory, fax_gateway, eager_workers, django_capture_on_commit_callbacks, archivist_a
):
    pharmacy = directory["pharmacy"]
    prescription = sign_for(physician, patient_a, pharmacy, django_capture_on_commit_callbacks)
    (fax,) = fax_gateway.wait_for(1)
    transmission = prescription.transmissions.get()

    assert fax.number == "14505550202"
    assert fax.ref == str(transmission.public_id)
    assert fax.pdf == bytes(prescription.document.pdf)
    assert fax.pdf_filename == f"Ordonnances médicales_{patient_a.file_number}.pdf"
    body = fax.body
    required = [
        # the recipient: name, fax, phone
        "Pharmacie Auxbonsoins",
        "(450) 555-0202",
        "(450) 555-0201",
        # the sender: name, first name, licence number, phone where reachable
        "Marc-André Gagnon",
        "1-95123",
        "(450) 466-5055",
        # the patient: name, first name, date of birth, NAM, file number
        patient_a.last_name,
        patient_a.first_name,
        patient_a.date_of_birth.isoformat(),
        patient_a.nam_display,
        patient_a.file_number,
        # what spares the pharmacist a call
        "Pénicilline (urticaire)",
        "Prévention des nausées",
        "Ondansétron 8 mg comprimé 1 co PO BID PRN 30 jours",
        "TÉLÉCONSULTATION",
        "ne doit pas être utilisée pour des situations demandant une réponse immédiate",
    ]
    for element in required:
        assert element in body, element
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.SENT

    # The archives have their copy, in their review queue.
    assert documents_for_review(archivist_a).filter(pk=prescription.document_id, review_status="pending").exists()


def test_the_confirmation_moves_to_confirmed_and_the_copy_goes_once_filed(
    client,
    physician,
    patient_a,
    directory,
    fax_gateway,
    eager_workers,
    django_capture_on_commit_callbacks,
    archivist_a,
    reports_endpoint,
    filing_folder,
):
    prescription = sign_for(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    fax_gateway.wait_for(1)
    document = prescription.document

    # The archivist files it first: the record has it, but the fax is not confirmed, so the copy stays.
    with django_capture_on_commit_callbacks(execute=True):
        file_document(document, by=archivist_a)
    document.refresh_from_db()
    assert document.delivery_status == "done"
    assert document.pdf is not None and document.copy_held_for_transmission

    with django_capture_on_commit_callbacks(execute=True):
        answer = post_report(client, fax_gateway.reports[0])
    assert answer.status_code == 200
    transmission = prescription.transmissions.get()
    assert transmission.status == Transmission.Status.CONFIRMED
    assert transmission.confirmation == "Pages: 1"
    document.refresh_from_db()
    assert document.pdf is None
    assert document.copy_removed_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DOCUMENT_COPY_REMOVED, target_id=str(document.public_id)
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.TRANSMISSION_CONFIRMED, target_id=str(transmission.public_id)
    ).exists()


def test_confirmed_first_then_filed_removes_the_copy_at_filing(
    client,
    physician,
    patient_a,
    directory,
    fax_gateway,
    eager_workers,
    django_capture_on_commit_callbacks,
    archivist_a,
    reports_endpoint,
    filing_folder,
):
    prescription = sign_for(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    fax_gateway.wait_for(1)
    with django_capture_on_commit_callbacks(execute=True):
        post_report(client, fax_gateway.reports[0])
    document = SignedDocument.objects.get(pk=prescription.document_id)
    assert document.pdf is not None  # the record does not have it yet
    assert not document.copy_held_for_transmission
    with django_capture_on_commit_callbacks(execute=True):
        file_document(document, by=archivist_a)
    document.refresh_from_db()
    assert document.pdf is None
    assert (filing_folder / f"{document.public_id}.pdf").exists()


def test_a_failure_report_shows_its_reason_and_retry_sends_again(
    client,
    physician,
    patient_a,
    directory,
    fax_gateway,
    eager_workers,
    django_capture_on_commit_callbacks,
    reports_endpoint,
):
    fax_gateway.fail_next(1, reason="Ligne occupée")
    prescription = sign_for(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    fax_gateway.wait_for(1)
    post_report(client, fax_gateway.reports[0])
    transmission = prescription.transmissions.get()
    assert transmission.status == Transmission.Status.FAILED
    assert transmission.failure_reason == "Ligne occupée"
    assert prescription.document.pdf is not None  # a failed fax keeps the copy for the retry

    with django_capture_on_commit_callbacks(execute=True):
        retry_transmission(transmission, by=physician)
    fax_gateway.wait_for(2)
    with django_capture_on_commit_callbacks(execute=True):
        post_report(client, fax_gateway.reports[1])
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CONFIRMED
    assert transmission.attempts == 1


def test_gateway_down_the_fax_waits_then_leaves_once_when_it_is_back(
    physician, patient_a, directory, fax_gateway, django_capture_on_commit_callbacks, eager_workers, settings
):
    fax_gateway.stop()
    prescription = draft(physician, patient_a, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    # The broker is down too, for good measure: the row is saved and the sweeper hands it over later.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=False):
        sign_prescription(prescription, by=physician)
    transmission = prescription.transmissions.get()
    with pytest.raises(TemporaryFailure):
        deliver_transmission(transmission.pk)
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.QUEUED
    assert "Fax gateway" in transmission.failure_reason or "Passerelle" in transmission.failure_reason
    assert transmission.sending_since is None

    fax_gateway.start()
    assert redeliver_pending_transmissions(older_than=timezone.timedelta(0)) == 1
    assert redeliver_pending_transmissions(older_than=timezone.timedelta(0)) == 0
    deliver_transmission(transmission.pk)  # a late duplicate of the task does nothing
    assert len(fax_gateway.wait_for(1)) == 1
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.SENT
    assert transmission.attempts == 2


def test_a_refused_fax_fails_with_the_gateways_reason(
    physician, patient_a, directory, fax_gateway, eager_workers, django_capture_on_commit_callbacks
):
    fax_gateway.refuse_next(1, code=550, reason="5.7.1 Sender not registered")
    prescription = sign_for(physician, patient_a, directory["pharmacy"], django_capture_on_commit_callbacks)
    transmission = prescription.transmissions.get()
    assert transmission.status == Transmission.Status.FAILED
    assert "550" in transmission.failure_reason and "Sender not registered" in transmission.failure_reason
    assert fax_gateway.faxes == []


def test_a_worker_killed_while_sending_never_faxes_twice(
    physician, patient_a, directory, fax_gateway, django_capture_on_commit_callbacks
):
    prescription = draft(physician, patient_a, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    with django_capture_on_commit_callbacks(execute=False):
        sign_prescription(prescription, by=physician)
    transmission = prescription.transmissions.get()
    # The worker wrote its attempt and died before it knew whether the gateway took the fax.
    Transmission.objects.filter(pk=transmission.pk).update(sending_since=timezone.now(), attempts=1)
    deliver_transmission(transmission.pk)
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.FAILED
    assert "cannot tell whether" in transmission.failure_reason or "impossible de savoir" in transmission.failure_reason
    assert fax_gateway.faxes == []


def test_secure_email_asks_for_a_read_receipt_and_the_receipt_confirms(
    client, physician, patient_a, directory, eager_workers, django_capture_on_commit_callbacks, reports_endpoint
):
    prescription = sign_for(
        physician, patient_a, directory["establishment_pharmacy"], django_capture_on_commit_callbacks
    )
    (message,) = mail.outbox
    assert message.to == ["pharmacie@ssss.gouv.qc.ca"]
    assert message.extra_headers["Disposition-Notification-To"]
    assert message.attachments[0][0] == prescription.document.file_name
    assert "1-95123" in message.body
    transmission = prescription.transmissions.get()
    assert transmission.status == Transmission.Status.SENT
    # The network's mail server has it: the portal no longer needs its copy for this transmission.
    prescription.document.refresh_from_db()
    assert not prescription.document.copy_held_for_transmission

    receipt = read_receipt(message.extra_headers["Message-ID"])
    answer = post_report(client, receipt)
    assert answer.status_code == 200, answer.content
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CONFIRMED
    assert "displayed" in transmission.confirmation


def read_receipt(original_message_id: str) -> bytes:
    raw = (
        "From: pharmacie@ssss.gouv.qc.ca\r\n"
        "To: telesante@portail.invalid\r\n"
        "Subject: Lu : Ordonnance\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nVotre message a été lu.\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: outlook.office365.com\r\n"
        "Final-Recipient: rfc822;pharmacie@ssss.gouv.qc.ca\r\n"
        f"Original-Message-ID: {original_message_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "--b--\r\n"
    )
    assert email.message_from_string(raw, policy=default_policy).get_content_type() == "multipart/report"
    return raw.encode()


def test_the_reports_door_needs_its_token(client, settings, db):
    settings.TRANSMISSION_REPORTS_TOKEN = ""
    assert post_report(client, b"Subject: x\r\n\r\n").status_code == 404
    settings.TRANSMISSION_REPORTS_TOKEN = TOKEN
    assert post_report(client, b"Subject: x\r\n\r\n", token="mauvais").status_code == 401
    assert post_report(client, b"Subject: x\r\n\r\nbonjour").status_code == 202
    assert post_report(client, b"\x00\xff garbage").status_code == 202
    unknown = b"Subject: Fax delivered [ref FAX-6cf6b225-0e29-43d3-ba47-6f2f8da63361]\r\n\r\nStatus: delivered\r\n"
    assert post_report(client, unknown).status_code == 202
