"""A document for the patient: an email with a link only, a page that asks the birth date, every try audited."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from audit.models import AuditEvent
from prescriptions.models import Transmission
from prescriptions.services import MAX_LINK_CHECKS, choose_recipient, retry_transmission, sign_prescription
from tests.prescriptions.conftest import draft, give_personal_email_consent


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent_link(physician, patient_with_email, eager_workers, django_capture_on_commit_callbacks):
    give_personal_email_consent(physician, patient_with_email)
    prescription = draft(physician, patient_with_email, "laboratory", callback_phone="+14504665055")
    assert choose_recipient(prescription, by=physician, recipient=None).allowed
    with django_capture_on_commit_callbacks(execute=True):
        sign_prescription(prescription, by=physician)
    transmission = prescription.transmissions.get()
    assert transmission.status == Transmission.Status.SENT
    return transmission


def link_path(message) -> str:
    return re.search(r"https?://[^/]+(/document/[^/\s]+/)", message.body).group(1)


def test_the_email_carries_a_link_and_nothing_clinical(sent_link, patient_with_email):
    message = mail.outbox[-1]
    assert message.to == [patient_with_email.email]
    assert message.attachments == []
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        for clinical in ("FSC", "créatinine", "Ordonnances", "AH-251", patient_with_email.nam, "oncologie"):
            assert clinical not in text
    assert "/document/" in message.body
    assert message.extra_headers["X-Telesante-Sensitivity"] == "confidential"
    assert "date de naissance" in message.body  # the patient's language


def test_the_right_birth_date_downloads_the_pdf_and_is_audited(client, sent_link, patient_with_email):
    path = link_path(mail.outbox[-1])
    page = client.get(path)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    answer = client.post(path, {"date_of_birth": patient_with_email.date_of_birth.isoformat()})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert "Ordonnances%20m%C3%A9dicales_" in answer["Content-Disposition"]
    sent_link.refresh_from_db()
    assert sent_link.status == Transmission.Status.CONFIRMED
    assert sent_link.downloaded_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PATIENT_DOWNLOAD, target_id=str(sent_link.public_id), ip_address="127.0.0.1"
    ).exists()


def test_a_wrong_birth_date_is_refused_then_the_link_locks(client, sent_link, patient_with_email):
    path = link_path(mail.outbox[-1])
    wrong = patient_with_email.date_of_birth.replace(year=patient_with_email.date_of_birth.year + 1).isoformat()
    for _attempt in range(MAX_LINK_CHECKS):
        answer = client.post(path, {"date_of_birth": wrong})
        assert answer.status_code == 400
        assert "ne correspond pas" in answer.content.decode()
        assert answer["Content-Type"].startswith("text/html")
    locked = client.post(path, {"date_of_birth": patient_with_email.date_of_birth.isoformat()})
    assert locked.status_code == 410
    assert "verrouillé" in locked.content.decode()
    refusals = AuditEvent.objects.filter(
        action=AuditEvent.Action.PATIENT_DOWNLOAD_REFUSED, target_id=str(sent_link.public_id)
    )
    assert refusals.count() == MAX_LINK_CHECKS
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PATIENT_DOWNLOAD).exists()


def test_one_address_guessing_across_links_is_slowed_down(client, sent_link, patient_with_email):
    path = link_path(mail.outbox[-1])
    cache.set("patient-download-failures:127.0.0.1", 10, 900)
    answer = client.post(path, {"date_of_birth": patient_with_email.date_of_birth.isoformat()})
    assert answer.status_code == 429


def test_garbage_birth_dates_are_a_clear_400(client, sent_link):
    path = link_path(mail.outbox[-1])
    for value in ("", "1958-02-31", "pas une date", "9" * 300):
        answer = client.post(path, {"date_of_birth": value})
        assert answer.status_code == 400


def test_an_expired_link_is_refused_and_a_new_one_is_sent(
    client, sent_link, physician, patient_with_email, django_capture_on_commit_callbacks
):
    path = link_path(mail.outbox[-1])
    Transmission.objects.filter(pk=sent_link.pk).update(link_expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.post(path, {"date_of_birth": patient_with_email.date_of_birth.isoformat()})
    assert expired.status_code == 410
    assert "expiré" in expired.content.decode()
    sent_link.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        retry_transmission(sent_link, by=physician)
    new_path = link_path(mail.outbox[-1])
    assert new_path != path
    assert client.get(path).status_code == 410  # the old link died with the new one
    assert client.post(new_path, {"date_of_birth": patient_with_email.date_of_birth.isoformat()}).status_code == 200


def test_an_unknown_token_is_refused(client, db):
    assert client.get("/document/pas-un-jeton/").status_code == 410
