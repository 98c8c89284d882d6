"""The Graph mail backend against the fake Graph: what sendMail receives, how failures come out
(retryable or not, as `deliver_notice` reads them), and the portal's invitations sent through it."""

import base64
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import timezone
from icalendar import Calendar

from common.errors import TemporaryFailure
from directory.models import ClinicMembership
from scheduling.models import Notice
from scheduling.services import BookingDetails, book_appointment, deliver_notice
from telesante.celery import app
from tests import factories
from tests.fakes.graph import ACCESS_POLICY_MESSAGE, MAIL_SENDER
from virtualcare.mail import GraphMailRefused, GraphMailTemporaryError
from virtualcare.services import sync_meeting

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Telesante//Portail//FR\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:abc@telesante.portail\r\nSUMMARY:T\xc3\xa9l\xc3\xa9consultation\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)
ICS_TYPE = "text/calendar; charset=utf-8; method=REQUEST"


@pytest.fixture
def graph_mail(settings, graph_fake):
    settings.EMAIL_BACKEND = "virtualcare.mail.GraphEmailBackend"
    return graph_fake


def invitation(to: str = "louise.cote@example.com") -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject="Téléconsultation — Clinique A",
        body="Votre rendez-vous",
        from_email="telesante@portail.invalid",
        to=[f"Louise Côté <{to}>"],
        headers={
            "Message-ID": "<3f6d2c1e@telesante.portail>",
            "X-Telesante-Sensitivity": "confidential",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative("<p>Votre <b>rendez-vous</b></p>", "text/html")
    message.attach("invitation.ics", ICS, ICS_TYPE)
    return message


def sendmail_calls(fake):
    return fake.requests_to("POST", "/sendMail")


def test_an_invitation_arrives_with_its_html_recipient_header_and_calendar_file(graph_mail):
    assert invitation().send() == 1

    [call] = sendmail_calls(graph_mail)
    assert call.status == 202  # the fake checked the body against Graph's sendMail schema
    assert call.path == f"/v1.0/users/{MAIL_SENDER}/sendMail"
    assert call.body["saveToSentItems"] is False
    [sent] = graph_mail.sent_mail
    message = sent["message"]
    assert sent["user"] == MAIL_SENDER
    assert message["subject"] == "Téléconsultation — Clinique A"
    assert message["body"] == {"contentType": "html", "content": "<p>Votre <b>rendez-vous</b></p>"}
    assert message["toRecipients"] == [{"emailAddress": {"address": "louise.cote@example.com", "name": "Louise Côté"}}]
    assert message["ccRecipients"] == message["bccRecipients"] == []
    # Only X- headers go through Graph; the encryption marker is one of them (contracts §1.5).
    assert message["internetMessageHeaders"] == [{"name": "X-Telesante-Sensitivity", "value": "confidential"}]
    assert message["internetMessageId"] == "<3f6d2c1e@telesante.portail>"
    [attachment] = message["attachments"]
    assert attachment["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert (attachment["name"], attachment["contentType"]) == ("invitation.ics", ICS_TYPE)
    assert base64.b64decode(attachment["contentBytes"]) == ICS


def test_a_text_only_message_is_sent_as_text(graph_mail):
    EmailMessage("Rappel", "Texte seul", to=["paul@example.com"], cc=["a@example.com"], bcc=["b@example.com"]).send()

    [sent] = graph_mail.sent_mail
    assert sent["message"]["body"] == {"contentType": "text", "content": "Texte seul"}
    assert sent["message"]["ccRecipients"] == [{"emailAddress": {"address": "a@example.com"}}]
    assert sent["message"]["bccRecipients"] == [{"emailAddress": {"address": "b@example.com"}}]
    assert "internetMessageHeaders" not in sent["message"] and "attachments" not in sent["message"]


def test_a_read_receipt_asked_by_header_is_asked_through_graph(graph_mail):
    message = EmailMessage(
        "Ordonnance", "Voir le PDF", to=["pharmacie@ssss.gouv.qc.ca"], headers={"Disposition-Notification-To": "a@b.c"}
    )
    message.attach("Ordonnances médicales_012345.pdf", b"%PDF-1.7 test", "application/pdf")
    message.send()

    [call] = sendmail_calls(graph_mail)
    assert call.status == 202  # the fake checked the body against Graph's sendMail schema
    [sent] = graph_mail.sent_mail
    assert sent["message"]["isReadReceiptRequested"] is True
    assert sent["message"]["attachments"][0]["name"] == "Ordonnances médicales_012345.pdf"


def test_a_throttled_send_is_a_retryable_smtp_error_with_its_delay(graph_mail):
    graph_mail.fail_next(429, retry_after=7, path="/sendMail")

    with pytest.raises(GraphMailTemporaryError) as throttled:
        invitation().send()

    assert isinstance(throttled.value, smtplib.SMTPException)
    assert throttled.value.retry_after == 7
    assert graph_mail.sent_mail == []


def test_a_refusal_is_a_permanent_error_that_is_not_retried_as_a_mail_server_fault(graph_mail):
    graph_mail.deny_user(MAIL_SENDER)

    with pytest.raises(GraphMailRefused) as refused:
        invitation().send()

    assert not isinstance(refused.value, OSError | smtplib.SMTPException)
    assert refused.value.status == 403 and ACCESS_POLICY_MESSAGE in refused.value.reason


def test_fail_silently_returns_zero_without_raising(graph_mail):
    graph_mail.fail_next(503, path="/sendMail")

    assert invitation().send(fail_silently=True) == 0
    assert graph_mail.sent_mail == []


def test_several_messages_are_sent_with_one_token(graph_mail):
    messages = [invitation(f"patient{n}@example.com") for n in range(3)]

    with mail.get_connection() as connection:
        assert connection.send_messages(messages) == 3

    assert len(graph_mail.sent_mail) == 3
    assert len(graph_mail.entra.issued_tokens) == 1
    assert len({call.header("Authorization") for call in sendmail_calls(graph_mail)}) == 1


# -- the portal's invitations, through Graph ------------------------------------------------------
# Minimal copies of tests/scheduling/conftest.py's fixtures (a conftest is not visible from here).


@pytest.fixture
def eager_workers():
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def nurse(clinic_a):
    return factories.staff(
        clinic_a,
        ClinicMembership.Role.PROFESSIONAL,
        username="ipo",
        email="julie.tremblay@ssss.gouv.qc.ca",
        profession="pivot_nurse_oncology",
    )


@pytest.fixture
def louise(clinic_a):
    return factories.patient(clinic_a, email="louise.cote@example.com", preferred_language="fr")


def jitsi_video() -> BookingDetails:
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    return BookingDetails(
        kind="scheduled", modality="video", platform="jitsi", reason="between_cycles", start=start, duration_minutes=30
    )


@pytest.mark.django_db
def test_a_jitsi_booking_sends_its_invitations_through_graph_with_the_calendar_file(
    graph_mail, nurse, louise, clinic_a, eager_workers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=jitsi_video())

    appointment.refresh_from_db()
    by_address = {sent["message"]["toRecipients"][0]["emailAddress"]["address"]: sent for sent in graph_mail.sent_mail}
    assert set(by_address) == {"louise.cote@example.com", "julie.tremblay@ssss.gouv.qc.ca"}
    assert all(call.status == 202 for call in sendmail_calls(graph_mail))
    patient_mail = by_address["louise.cote@example.com"]["message"]
    assert patient_mail["body"]["contentType"] == "html"
    assert appointment.meeting.join_url.split("?")[0] in patient_mail["body"]["content"]
    assert {"name": "X-Telesante-Sensitivity", "value": "confidential"} in patient_mail["internetMessageHeaders"]
    [attachment] = patient_mail["attachments"]
    assert (attachment["name"], attachment["contentType"]) == ("invitation.ics", ICS_TYPE)
    calendar = Calendar.from_ical(base64.b64decode(attachment["contentBytes"]))
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == f"{appointment.public_id}@telesante.portail"
    assert mail.outbox == []  # nothing went through Django's test backend
    assert Notice.objects.filter(delivery_status="done").count() == 2


@pytest.mark.django_db
def test_a_throttled_graph_leaves_the_invitation_pending_as_a_temporary_failure(graph_mail, nurse, louise, clinic_a):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=jitsi_video())
    sync_meeting(appointment.meeting_id)  # the Jitsi link, so the invitation may leave
    notice = Notice.objects.get(participant__email="louise.cote@example.com")
    graph_mail.fail_next(503, path="/sendMail")

    with pytest.raises(TemporaryFailure):
        deliver_notice(notice.pk)
    notice.refresh_from_db()
    assert notice.delivery_status == "pending" and notice.last_error == "Mail server: GraphMailTemporaryError"

    assert deliver_notice(notice.pk).delivery_status == "done"
    assert len(graph_mail.sent_mail) == 1


@pytest.mark.django_db
def test_a_refused_invitation_is_marked_failed_with_its_reason_and_a_throttle_delay_is_kept(
    graph_mail, nurse, louise, clinic_a
):
    appointment = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=jitsi_video())
    sync_meeting(appointment.meeting_id)
    refused, throttled = Notice.objects.order_by("id")[:2]
    graph_mail.fail_next(403, path="/sendMail")

    assert deliver_notice(refused.pk).delivery_status == "failed"
    graph_mail.fail_next(429, retry_after=9, path="/sendMail")
    with pytest.raises(TemporaryFailure) as later:
        deliver_notice(throttled.pk)

    refused.refresh_from_db()
    assert refused.last_error.startswith("Graph") or "403" in refused.last_error, refused.last_error
    assert later.value.retry_after == 9
