"""Self-tests of the fake fax gateway, driven the way the portal drives it: one email per fax over
SMTP, a PDF attached, and delivery reports read back as email (and POSTed over HTTP).

Plain smtplib and email clients, no database: if these fail, the fake is wrong, not the portal.
"""

import email
import email.policy
import io
import smtplib
import socket
import threading
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from pypdf import PdfWriter

from .fax import DOMAIN, FaxGateway
from .fixtures import fax_gateway  # noqa: F401  (the fixture under test)

SENDER = "telecopies@telesante.test"
NUMBER = "15145551234"


@pytest.fixture
def gateway() -> Iterator[FaxGateway]:
    with FaxGateway() as fake:
        yield fake


def make_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def fax_message(
    *,
    to: str = f"{NUMBER}@{DOMAIN}",
    ref: str | None = None,
    pdfs: list[bytes] | None = None,
    body: str = "Télécopie du portail Télésanté\nPages : 2 plus cette page\n",
    subject: str | None = None,
) -> EmailMessage:
    ref = ref or str(uuid.uuid4())
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject if subject is not None else f"Ordonnance pour la pharmacie [ref FAX-{ref}]"
    message["X-Portal-Fax-Ref"] = ref
    message["Message-ID"] = make_msgid(domain="telesante.test")
    message.set_content(body)
    for index, pdf in enumerate([make_pdf(2)] if pdfs is None else pdfs):
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"ordonnance-{index}.pdf")
    return message


def send(gateway: FaxGateway, message: EmailMessage) -> None:
    with smtplib.SMTP(gateway.host, gateway.port, timeout=5) as client:
        client.send_message(message, from_addr=SENDER)


def parse(report: bytes) -> EmailMessage:
    return email.message_from_bytes(report, policy=email.policy.default)


def report_lines(report: bytes) -> list[str]:
    return parse(report).get_content().splitlines()


def test_a_good_fax_is_recorded_with_its_pdf_and_reported_delivered(gateway):
    ref = str(uuid.uuid4())
    pdf = make_pdf(3)
    message = fax_message(ref=ref, pdfs=[pdf])

    send(gateway, message)

    [fax] = gateway.wait_for(1)
    assert (fax.number, fax.domain, fax.address) == (NUMBER, DOMAIN, f"{NUMBER}@{DOMAIN}")
    assert fax.ref == ref
    assert fax.subject == f"Ordonnance pour la pharmacie [ref FAX-{ref}]"
    assert fax.message_id == message["Message-ID"]
    assert fax.sender == SENDER
    assert fax.header("x-portal-fax-ref") == ref
    assert fax.body == "Télécopie du portail Télésanté\nPages : 2 plus cette page\n"
    assert fax.pdf == pdf
    assert (fax.pdf_filename, fax.pages) == ("ordonnance-0.pdf", 3)
    assert b"Content-Type: application/pdf" in fax.raw

    [report] = gateway.reports
    assert b"\r\n" in report  # rendered with policy SMTP
    parsed = parse(report)
    assert parsed["From"] == f"rapports@{DOMAIN}"
    assert parsed["To"] == SENDER
    assert parsed["Subject"] == f"Fax delivered [ref FAX-{ref}]"
    assert parsed["In-Reply-To"] == message["Message-ID"]
    assert report_lines(report) == ["Status: delivered", f"Number: {NUMBER}", "Pages: 3"]
    assert gateway.report_statuses == []  # no report_url: nothing POSTed


@pytest.mark.parametrize("number", ["5145551234", "15145551234"])
def test_ten_and_eleven_digit_numbers_are_faxed(gateway, number):
    send(gateway, fax_message(to=f"{number}@{DOMAIN}"))

    assert [fax.number for fax in gateway.wait_for(1)] == [number]


@pytest.mark.parametrize(
    ("pdfs", "found"), [([], "has 0"), ([b"%PDF-1.4", b"%PDF-1.4"], "has 2"), ([b"not a pdf"], "cannot be read")]
)
def test_a_message_without_exactly_one_readable_pdf_is_refused_permanently(gateway, pdfs, found):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gateway, fax_message(pdfs=pdfs))

    assert refused.value.smtp_code == 550
    assert found in refused.value.smtp_error.decode()
    assert gateway.faxes == []
    assert gateway.reports == []
    assert len(gateway.refused) == 1


@pytest.mark.parametrize(
    ("to", "found"),
    [
        (f"514555123@{DOMAIN}", "not a fax number"),  # 9 digits
        (f"151455512345@{DOMAIN}", "not a fax number"),  # 12 digits
        (f"+15145551234@{DOMAIN}", "not a fax number"),
        (f"pharmacie@{DOMAIN}", "not a fax number"),
        (f"{NUMBER}@fax.example.org", "relaying denied"),
    ],
)
def test_an_address_that_is_not_a_fax_number_here_is_refused_permanently(gateway, to, found):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gateway, fax_message(to=to))

    assert refused.value.smtp_code == 550
    assert found in refused.value.smtp_error.decode()
    assert gateway.faxes == []


def test_the_reference_comes_from_the_header_when_the_subject_lacks_it(gateway):
    ref = str(uuid.uuid4())
    send(gateway, fax_message(ref=ref, subject="Ordonnance"))

    [fax] = gateway.wait_for(1)
    assert fax.ref == ref
    assert parse(gateway.reports[0])["Subject"] == f"Fax delivered [ref FAX-{ref}]"


def test_refuse_next_answers_a_temporary_refusal_then_accepts(gateway):
    gateway.refuse_next()
    message = fax_message()

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gateway, message)
    assert (refused.value.smtp_code, refused.value.smtp_error) == (451, b"Try again later")
    assert gateway.faxes == []
    assert gateway.reports == []

    send(gateway, message)  # the retry
    assert len(gateway.wait_for(1)) == 1
    assert len(gateway.reports) == 1


def test_refuse_next_can_refuse_permanently_several_times(gateway):
    gateway.refuse_next(2, code=550, reason="5.7.1 Number on the do-not-fax list")

    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(gateway, fax_message())
        assert refused.value.smtp_code == 550
    send(gateway, fax_message())

    assert len(gateway.wait_for(1)) == 1
    assert gateway.refused == ["550 5.7.1 Number on the do-not-fax list"] * 2


def test_fail_next_reports_the_fax_failed_with_the_reason(gateway):
    gateway.fail_next(reason="Ligne occupée")
    failed_ref, delivered_ref = str(uuid.uuid4()), str(uuid.uuid4())

    send(gateway, fax_message(ref=failed_ref))
    send(gateway, fax_message(ref=delivered_ref))

    assert len(gateway.wait_for(2)) == 2  # accepted all the same
    failed, delivered = gateway.reports
    assert parse(failed)["Subject"] == f"Fax failed [ref FAX-{failed_ref}]"
    assert report_lines(failed) == ["Status: failed", f"Number: {NUMBER}", "Pages: 2", "Reason: Ligne occupée"]
    assert parse(delivered)["Subject"] == f"Fax delivered [ref FAX-{delivered_ref}]"


def test_silent_next_accepts_the_fax_but_never_reports_it(gateway):
    silent_ref, reported_ref = str(uuid.uuid4()), str(uuid.uuid4())
    gateway.silent_next()

    send(gateway, fax_message(ref=silent_ref))
    send(gateway, fax_message(ref=reported_ref))

    assert [fax.ref for fax in gateway.wait_for(2)] == [silent_ref, reported_ref]
    assert [parse(report)["Subject"] for report in gateway.reports] == [f"Fax delivered [ref FAX-{reported_ref}]"]


def test_a_stopped_gateway_refuses_connections_and_comes_back_on_the_same_port(gateway):
    port = gateway.port

    gateway.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(gateway.host, port, timeout=2)

    gateway.start()
    assert gateway.port == port
    assert gateway.environment()["FAX_EMAIL_PORT"] == port
    send(gateway, fax_message())
    assert len(gateway.wait_for(1)) == 1


def test_wait_for_says_what_it_got_when_it_times_out_and_reset_forgets(gateway):
    gateway.refuse_next(code=550, reason="Nope")
    with pytest.raises(smtplib.SMTPDataError):
        send(gateway, fax_message())

    with pytest.raises(AssertionError, match=r"Expected 1 faxes within 0\.05 s, got 0.*550 Nope"):
        gateway.wait_for(1, timeout=0.05)

    send(gateway, fax_message())
    gateway.fail_next()
    gateway.reset()
    assert (gateway.faxes, gateway.reports, gateway.refused) == ([], [], [])
    send(gateway, fax_message())  # the fail_next switch went with the reset
    assert report_lines(gateway.reports[0])[0] == "Status: delivered"


def test_report_for_builds_a_report_by_hand(gateway):
    ref = str(uuid.uuid4())
    send(gateway, fax_message(ref=ref))
    [fax] = gateway.wait_for(1)

    report = gateway.report_for(fax, delivered=False, reason="No answer")

    assert parse(report)["Subject"] == f"Fax failed [ref FAX-{ref}]"
    assert report_lines(report) == ["Status: failed", f"Number: {NUMBER}", "Pages: 2", "Reason: No answer"]


class _ReportSink(ThreadingHTTPServer):
    """The portal's report endpoint, reduced to what the test reads."""

    daemon_threads = True

    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _SinkHandler)
        self.status = status
        self.received: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/fax/reports/"


class _SinkHandler(BaseHTTPRequestHandler):
    server: _ReportSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[_ReportSink]:
    server = _ReportSink(204)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_reports_are_posted_with_the_bearer_token(gateway, sink):
    gateway.report_url, gateway.report_token, gateway.report_delay = sink.url, "jeton-rapports", 0.01

    send(gateway, fax_message())

    assert gateway.wait_for_report_statuses(1) == [204]
    [post] = sink.received
    assert post["path"] == "/fax/reports/"
    assert post["headers"]["Authorization"] == "Bearer jeton-rapports"
    assert post["headers"]["Content-Type"] == "message/rfc822"
    assert post["body"] == gateway.reports[0]


def test_a_report_post_that_fails_is_recorded(gateway, sink):
    sink.status = 401
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    gateway.report_delay = 0

    gateway.report_url = sink.url
    send(gateway, fax_message())
    assert gateway.wait_for_report_statuses(1) == [401]

    gateway.report_url = closed_url
    send(gateway, fax_message())
    [_, failure] = gateway.wait_for_report_statuses(2)
    assert "Connection refused" in failure


def test_the_fixture_points_the_settings_at_the_gateway_and_django_mail_reaches_it(fax_gateway, settings):  # noqa: F811
    assert settings.FAX_EMAIL_DOMAIN == DOMAIN
    assert ("127.0.0.1", fax_gateway.port) == (settings.FAX_EMAIL_HOST, settings.FAX_EMAIL_PORT)
    ref = str(uuid.uuid4())
    connection = mail.get_connection(
        backend=settings.FAX_EMAIL_BACKEND, host=settings.FAX_EMAIL_HOST, port=settings.FAX_EMAIL_PORT, timeout=5
    )
    message = mail.EmailMessage(
        subject=f"Ordonnance [ref FAX-{ref}]",
        body="Page couverture",
        from_email=SENDER,
        to=[f"{NUMBER}@{settings.FAX_EMAIL_DOMAIN}"],
        headers={"X-Portal-Fax-Ref": ref},
        connection=connection,
    )
    message.attach("ordonnance.pdf", make_pdf(), "application/pdf")

    assert message.send() == 1

    [fax] = fax_gateway.wait_for(1)
    assert (fax.ref, fax.body, fax.pages, fax.pdf_filename) == (ref, "Page couverture", 1, "ordonnance.pdf")
