"""A fake email-to-fax ("cloud fax") gateway: an SMTP server that takes one fax per message and
confirms each one with a delivery report, as the portal's cloud fax provider does.

The portal sends a fax as one email to `<digits>@<fax domain>` with the PDF attached; the gateway
answers 250 once it has queued the fax, and later sends a report email (and, when given a
`report_url`, POSTs that report to the portal, as the provider's inbound-mail webhook would).
What a real gateway refuses (a local part that is not a fax number, no PDF or several) is refused
here too, with 550 at DATA time, so the portal's handling of a permanent refusal can be tested.

Run by hand:  python -m tests.fakes.fax --port 8025
"""

import argparse
import email
import email.policy
import io
import logging
import re
import socket
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader

from .server import wait_for_interrupt

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
DOMAIN = "fax.test.invalid"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
REF_HEADER = "X-Portal-Fax-Ref"
REPORT_SENDER = "rapports"  # local part of the reports' From, at the fax domain
REPORT_TIMEOUT_SECONDS = 5.0
DEFAULT_REPORT_DELAY_SECONDS = 0.2

FAX_NUMBER = re.compile(r"\d{10,11}")  # E.164 without "+": NANP with or without the leading 1
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SUBJECT_REF = re.compile(rf"\[ref FAX-(?P<ref>{_UUID})\]\s*$")
HEADER_REF = re.compile(_UUID)

# The reports go to 127.0.0.1: an http_proxy in the environment must not be asked to carry them.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class ReceivedFax:
    """One fax the gateway accepted: one recipient of one message."""

    number: str  # digits only, E.164 without "+"
    domain: str
    subject: str  # decoded and unfolded
    ref: str  # the transmission's UUID, from the subject's "[ref FAX-…]" or else the X-Portal-Fax-Ref header
    message_id: str
    sender: str  # envelope MAIL FROM, where the report goes
    headers: dict[str, str]  # the message's top-level headers, decoded; first one wins when repeated
    body: str  # the text/plain part (the cover page), decoded, with "\n" line ends as the portal wrote it
    pdf: bytes
    pdf_filename: str
    pages: int
    raw: bytes = field(repr=False)  # the message as received

    @property
    def address(self) -> str:
        return f"{self.number}@{self.domain}"

    def header(self, name: str, default: str = "") -> str:
        """A header by case-insensitive name, as mail headers are."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), default)


@dataclass
class _Fault:
    kind: str  # "refuse", "fail" or "silent"
    times: int
    code: int = 0
    reason: str = ""


class _Refused(Exception):
    """What the gateway answers at DATA instead of 250, e.g. '550 5.6.0 …'."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.response = f"{code} {_one_line(text)}"


class FaxGateway:
    """The fake gateway. `start()` it (or use it as a context manager), send it mail, read `faxes`.

    Thread-safe: aiosmtpd serves in its own thread, reports are POSTed from others, and the test
    reads and flips switches from its own.
    """

    name = "fax"

    def __init__(
        self,
        *,
        port: int = 0,
        domain: str = DOMAIN,
        report_url: str = "",
        report_token: str = "",
        report_delay: float = DEFAULT_REPORT_DELAY_SECONDS,
    ) -> None:
        self.domain = domain
        # Plain attributes on purpose: a test may point the reports elsewhere after start().
        self.report_url = report_url
        self.report_token = report_token
        self.report_delay = report_delay
        self._port = port  # 0 until the first start() picks one; kept so a restart reuses it
        self._lock = threading.RLock()
        self._controller: Controller | None = None
        self._faxes: list[ReceivedFax] = []
        self._reports: list[bytes] = []
        self._report_statuses: list[int | str] = []
        self._refused: list[str] = []
        self._refusals: deque[_Fault] = deque()
        self._outcomes: deque[_Fault] = deque()  # fail and silent share one queue: their order is kept
        self.handler_errors: list[str] = []

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen, on a free port the first time and on that same port after a stop()."""
        with self._lock:
            if self._controller is not None:
                return self
            # We bind the socket ourselves and hand it over, rather than probing for a free port and
            # letting aiosmtpd bind it later: another xdist worker cannot take it in between.
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((HOST, self._port))
                self._port = listener.getsockname()[1]
                controller = _Controller(_Handler(self), listener, self.domain)
                controller.start()
            except BaseException:
                listener.close()
                raise
            self._controller = controller
        return self

    def stop(self) -> None:
        """Close the port: clients now get "connection refused" until start() is called again.

        Reports already queued for POSTing still go out, as a real gateway's outbound mail would.
        """
        with self._lock:
            controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        assert self._port, "start() the fake first"
        return self._port

    def environment(self) -> dict[str, str | int]:
        """The settings that point the portal at this fake."""
        return {
            "FAX_EMAIL_DOMAIN": self.domain,
            "FAX_EMAIL_HOST": HOST,
            "FAX_EMAIL_PORT": self.port,
            "FAX_EMAIL_BACKEND": SMTP_BACKEND,
        }

    # -- what it received and sent ----------------------------------------------------------------

    @property
    def faxes(self) -> list[ReceivedFax]:
        with self._lock:
            return list(self._faxes)

    @property
    def reports(self) -> list[bytes]:
        """Every delivery report built so far, as rendered bytes (policy SMTP: CRLF line ends)."""
        with self._lock:
            return list(self._reports)

    @property
    def report_statuses(self) -> list[int | str]:
        """One item per report POST finished: the HTTP status, or the error's text when there was none."""
        with self._lock:
            return list(self._report_statuses)

    @property
    def refused(self) -> list[str]:
        """The SMTP answers given instead of 250, e.g. '550 5.6.0 …', one per message refused."""
        with self._lock:
            return list(self._refused)

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedFax]:
        """Wait until at least `count` faxes were accepted and return them all.

        The portal may send from a Celery worker or a thread; polling keeps the test from guessing.
        """
        return self._poll(lambda: self.faxes, count, timeout, "faxes")

    def wait_for_report_statuses(self, count: int, timeout: float = 10) -> list[int | str]:
        """Wait until at least `count` report POSTs have finished and return their statuses."""
        return self._poll(lambda: self.report_statuses, count, timeout, "report POSTs")

    def reset(self) -> None:
        """Forget what was received and sent, and every pending fault switch."""
        with self._lock:
            self._faxes.clear()
            self._reports.clear()
            self._report_statuses.clear()
            self._refused.clear()
            self._refusals.clear()
            self._outcomes.clear()
            self.handler_errors.clear()

    # -- fault switches ---------------------------------------------------------------------------

    def refuse_next(self, n: int = 1, code: int = 451, reason: str = "Try again later") -> None:
        """Answer the next `n` messages with `code` at DATA (451: temporary, 550: permanent)."""
        assert 400 <= code < 600, "an SMTP refusal is a 4xx or 5xx code"
        assert n > 0, "n counts messages: 1 or more"
        with self._lock:
            self._refusals.append(_Fault("refuse", n, code=code, reason=reason))

    def fail_next(self, n: int = 1, reason: str = "Busy") -> None:
        """Accept the next `n` faxes, then report them failed with `reason` (busy line, no answer…)."""
        assert n > 0, "n counts faxes: 1 or more"
        with self._lock:
            self._outcomes.append(_Fault("fail", n, reason=reason))

    def silent_next(self, n: int = 1) -> None:
        """Accept the next `n` faxes and never report on them, as when a report gets lost."""
        assert n > 0, "n counts faxes: 1 or more"
        with self._lock:
            self._outcomes.append(_Fault("silent", n))

    # -- reports ----------------------------------------------------------------------------------

    def report_for(self, fax: ReceivedFax, *, delivered: bool = True, reason: str = "") -> bytes:
        """The report email the gateway sends about `fax`, rendered as bytes.

        Subject `Fax delivered [ref FAX-<uuid>]` or `Fax failed [ref FAX-<uuid>]`; body lines
        `Status:`, `Number:`, `Pages:` and, for a failure, `Reason:`.
        """
        status = "delivered" if delivered else "failed"
        report = EmailMessage()
        report["From"] = f"{REPORT_SENDER}@{self.domain}"
        if fax.sender:
            report["To"] = fax.sender
        # Without a reference the portal cannot match the report; echo its subject as gateways do.
        report["Subject"] = f"Fax {status} [ref FAX-{fax.ref}]" if fax.ref else f"Fax {status}: {fax.subject}"
        report["Date"] = format_datetime(datetime.now(UTC))
        report["Message-ID"] = make_msgid(domain=self.domain)
        if fax.message_id:
            report["In-Reply-To"] = fax.message_id
            report["References"] = fax.message_id
        report["Auto-Submitted"] = "auto-replied"  # RFC 3834: nobody should answer it
        lines = [f"Status: {status}", f"Number: {fax.number}", f"Pages: {fax.pages}"]
        if not delivered:
            lines.append(f"Reason: {_one_line(reason)}")
        report.set_content("\n".join(lines) + "\n")
        return report.as_bytes(policy=email.policy.SMTP)

    # -- the SMTP side (called in aiosmtpd's thread) ----------------------------------------------

    def _receive(self, sender: str, recipients: list[str], raw: bytes) -> str:
        with self._lock:
            refusal = self._take(self._refusals)
        try:
            if refusal is not None:
                raise _Refused(refusal.code, refusal.reason)
            faxes = self._parse(sender, recipients, raw)
        except _Refused as refused:
            with self._lock:
                self._refused.append(refused.response)
            logger.info("fax gateway refused a message: %s", refused.response)
            return refused.response
        for fax in faxes:
            with self._lock:
                outcome = self._take(self._outcomes)
                # The fax and its report appear together: a test that sees one sees the other.
                self._faxes.append(fax)
                if outcome is not None and outcome.kind == "silent":
                    report = None
                else:
                    failed = outcome is not None and outcome.kind == "fail"
                    report = self.report_for(fax, delivered=not failed, reason=outcome.reason if failed else "")
                    self._reports.append(report)
                url, token, delay = self.report_url, self.report_token, self.report_delay
            logger.info("fax to %s, ref %s, %d page(s)", fax.number, fax.ref or "(none)", fax.pages)
            if report is not None and url:
                threading.Thread(
                    target=self._post_report, args=(report, url, token, delay), name="fax-report", daemon=True
                ).start()
        return "250 2.0.0 OK: queued for fax transmission"

    def _parse(self, sender: str, recipients: list[str], raw: bytes) -> list[ReceivedFax]:
        numbers = [self._fax_number(recipient) for recipient in recipients]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        pdfs = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
        if len(pdfs) != 1:
            raise _Refused(
                550, f"5.6.0 A fax takes exactly one application/pdf attachment; this message has {len(pdfs)}."
            )
        pdf = pdfs[0].get_content()
        try:
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
        except Exception as error:  # pypdf raises many kinds on garbage; all mean "cannot render"
            raise _Refused(550, f"5.6.0 The PDF attachment cannot be read: {type(error).__name__}: {error}") from None
        if pages == 0:
            raise _Refused(550, "5.6.0 The PDF attachment has no page.")
        headers: dict[str, str] = {}
        for name, value in message.items():
            # A header folded right after its colon unfolds with a leading space; nobody means it.
            headers.setdefault(name, str(value).strip())
        subject = str(message.get("Subject", "")).strip()
        match = SUBJECT_REF.search(subject)
        header_ref = str(message.get(REF_HEADER, "")).strip()
        ref = match["ref"] if match else header_ref if HEADER_REF.fullmatch(header_ref) else ""
        text = message.get_body(preferencelist=("plain",))
        return [
            ReceivedFax(
                number=number,
                domain=domain,
                subject=subject,
                ref=ref,
                message_id=str(message.get("Message-ID", "")).strip(),
                sender=sender,
                headers=dict(headers),
                body=text.get_content().replace("\r\n", "\n") if text is not None else "",
                pdf=pdf,
                pdf_filename=pdfs[0].get_filename() or "",
                pages=pages,
                raw=raw,
            )
            for number, domain in numbers
        ]

    def _fax_number(self, recipient: str) -> tuple[str, str]:
        local, _, domain = recipient.rpartition("@")
        if domain.lower() != self.domain.lower():
            raise _Refused(550, f"5.7.1 <{recipient}>: relaying denied; this gateway only faxes to @{self.domain}.")
        if not FAX_NUMBER.fullmatch(local):
            raise _Refused(
                550, f"5.1.1 <{recipient}>: not a fax number; the local part must be 10 or 11 digits (E.164, no +)."
            )
        return local, domain

    def _post_report(self, report: bytes, url: str, token: str, delay: float) -> None:
        time.sleep(delay)  # a real gateway reports after the call, never in the same breath as the 250
        headers = {"Content-Type": "message/rfc822"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=report, headers=headers, method="POST")
        result: int | str
        try:
            with _OPENER.open(request, timeout=REPORT_TIMEOUT_SECONDS) as response:
                result = response.status
        except urllib.error.HTTPError as error:
            result = error.code
            error.close()
        except Exception as error:  # refused, timed out, reset: the test wants to read which
            result = f"{type(error).__name__}: {error}"
        with self._lock:
            self._report_statuses.append(result)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _take(queue: deque[_Fault]) -> _Fault | None:
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    def _poll(self, read: Any, count: int, timeout: float, what: str) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = read()
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"Expected {count} {what} within {timeout} s, got {len(found)}: {found!r}; "
                    f"refused: {self.refused!r}; handler errors: {self.handler_errors!r}"
                )
            time.sleep(0.01)


class _Handler:
    """aiosmtpd's hook object: hands the message to the gateway, and never lets an error escape."""

    def __init__(self, gateway: FaxGateway) -> None:
        self.gateway = gateway

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:
            content = envelope.original_content or b""
            return self.gateway._receive(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        except Exception:
            self.gateway.handler_errors.append(traceback.format_exc())
            logger.exception("the fake fax gateway failed on a message")
            return "451 4.3.0 The fake fax gateway failed; see handler_errors."


class _Controller(Controller):
    """aiosmtpd's Controller on a socket bound beforehand (Controller itself needs a port up front)."""

    def __init__(self, handler: _Handler, listener: socket.socket, domain: str) -> None:
        self._listener = listener
        # server_hostname spares the reverse DNS look-up aiosmtpd does for its greeting.
        super().__init__(
            handler, hostname=HOST, port=listener.getsockname()[1], server_hostname=domain, ready_timeout=5.0
        )

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._listener, ssl=self.ssl_context)


def _one_line(text: str) -> str:
    """An SMTP reply or a report line cannot hold a line break."""
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake email-to-fax gateway by hand.")
    parser.add_argument("--port", type=int, default=8025, help="SMTP port")
    parser.add_argument("--domain", default=DOMAIN, help="the fax domain: faxes go to <digits>@DOMAIN")
    parser.add_argument("--report-url", default="", help="POST each delivery report here (message/rfc822)")
    parser.add_argument("--report-token", default="", help="bearer token for --report-url")
    parser.add_argument("--report-delay", type=float, default=DEFAULT_REPORT_DELAY_SECONDS, help="seconds")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter, one line per command
    fake = FaxGateway(
        port=arguments.port,
        domain=arguments.domain,
        report_url=arguments.report_url,
        report_token=arguments.report_token,
        report_delay=arguments.report_delay,
    )
    fake.start()
    print("# Fake fax gateway running. Point the portal at it with:")
    for name, value in fake.environment().items():
        print(f"export {name}={value}")
    print("# Ctrl-C stops it.")
    try:
        wait_for_interrupt()
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
