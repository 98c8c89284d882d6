"""A small threaded HTTP(S) server for the fake providers.

A fake listens on 127.0.0.1 on a port the system picks, keeps every request it receives (and what it
answered), and can be told to misbehave for the next few requests: answer an error, answer late,
or answer garbage. Subclasses declare routes and their own error envelope.
"""

import contextlib
import datetime
import ipaddress
import json
import logging
import re
import shutil
import signal
import ssl
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from requests.structures import CaseInsensitiveDict

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MALFORMED_JSON = b'{"id": "truncated", "join'


@dataclass
class RecordedRequest:
    method: str
    path: str  # percent-decoded, without the query string
    raw_path: str  # as received, query string included
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    body: Any  # parsed JSON, a dict for a form, text otherwise, None when empty
    raw_body: bytes
    status: int | None = None  # what the fake answered
    response_body: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    received_at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic clock)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list → JSON; bytes as they are; None → empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: str  # "fail", "slow" or "malformed"
    times: int
    method: str | None
    path: str | None
    status: int = 500
    retry_after: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


Route = tuple[str, str, str]  # (method, regex on the raw path, name of the handler method)


class FakeServer:
    """Base class: subclasses set `routes` and override `error_body`.

    A handler method receives the RecordedRequest and the route's named groups (percent-decoded)
    and returns a Reply.
    """

    routes: list[Route] = []
    name = "fake"

    def __init__(self, *, tls: bool = False, port: int = 0) -> None:
        self.tls = tls
        self._requested_port = port
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._script: list[_Fault] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cert_dir: Path | None = None
        self.ca_bundle = ""
        self.handler_errors: list[str] = []
        self._compiled = [(method, re.compile(pattern), handler) for method, pattern, handler in self.routes]

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        server = _Server((HOST, self._requested_port), _Handler)
        server.fake = self
        if self.tls:
            self._cert_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-tls-"))
            ca_path, cert_path, key_path = make_certificates(self._cert_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_path, key_path)
            server.ssl_context = context
            self.ca_bundle = str(ca_path)
        self._server = server
        # A short poll keeps stop() quick: shutdown() waits for the loop to look at its flag.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are answering late on purpose
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._cert_dir is not None:
            shutil.rmtree(self._cert_dir, ignore_errors=True)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    # -- what it received -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str | None = None, path_contains: str | None = None) -> list[RecordedRequest]:
        return [
            request
            for request in self.requests
            if (method is None or request.method == method) and (path_contains is None or path_contains in request.path)
        ]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- fault switches ---------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` and the fake's error envelope
        (or `body`), with a Retry-After header when given (seconds or a date, sent as written)."""
        with self._lock:
            self._faults.append(
                _Fault(
                    "fail",
                    times,
                    method,
                    path,
                    status=status,
                    retry_after=None if retry_after is None else str(retry_after),
                    body=body,
                    headers=dict(headers or {}),
                )
            )

    def slow_next(self, seconds: float, *, times: int = 1, method: str | None = None, path: str | None = None) -> None:
        """Wait `seconds` before handling the next `times` matching requests."""
        with self._lock:
            self._faults.append(_Fault("slow", times, method, path, seconds=seconds))

    def malformed_next(self, *, times: int = 1, method: str | None = None, path: str | None = None) -> None:
        """Answer the next `times` matching requests with 200 and broken JSON."""
        with self._lock:
            self._faults.append(_Fault("malformed", times, method, path))

    def script_next(self, *steps: dict[str, Any], method: str | None = None, path: str | None = None) -> None:
        """Misbehave on the next matching requests in this exact order, one step per request, before
        any other switch: {"fail": 429, "retry_after": 3}, {"slow": 30} (a hang, then the normal
        answer, which the client may no longer wait for), {"slow": 30, "fail": 504} (a hang, then
        an error: nothing was done) or {"malformed": True}."""
        with self._lock:
            for step in steps:
                if "fail" in step:
                    fault = _Fault("fail", 1, method, path, status=step["fail"], seconds=step.get("slow", 0.0))
                    if step.get("retry_after") is not None:
                        fault.retry_after = str(step["retry_after"])
                elif "slow" in step:
                    fault = _Fault("slow", 1, method, path, seconds=step["slow"])
                elif step.get("malformed"):
                    fault = _Fault("malformed", 1, method, path)
                else:
                    raise ValueError(f"Unknown step {step!r}")
                self._script.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._script.clear()

    def _take_scripted(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._script:
                if fault.matches(method, path):
                    self._script.remove(fault)
                    return fault
        return None

    def _take_fault(self, kinds: tuple[str, ...], method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- for subclasses ---------------------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None) -> Any:
        return {"error": {"status": status, "message": message or "Error"}}

    def error(self, status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, self.error_body(status, message), dict(headers or {}))

    def not_found_reply(self, request: RecordedRequest) -> Reply:
        return self.error(404, f"No route for {request.method} {request.path}.")

    # -- dispatch ---------------------------------------------------------------------------------

    def _handle(self, request: RecordedRequest) -> Reply:
        scripted = self._take_scripted(request.method, request.path)
        if scripted is not None and scripted.seconds:
            self._stopping.wait(scripted.seconds)
        if scripted is not None and scripted.kind == "slow":
            scripted = None
        slow = self._take_fault(("slow",), request.method, request.path) if scripted is None else None
        if slow is not None:
            self._stopping.wait(slow.seconds)
        fault = scripted or self._take_fault(("fail", "malformed"), request.method, request.path)
        if fault is not None and fault.kind == "malformed":
            return Reply(200, MALFORMED_JSON, {"Content-Type": "application/json"})
        if fault is not None:
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            body = fault.body if fault.body is not None else self.error_body(fault.status)
            return Reply(fault.status, body, headers)
        raw_path = urlsplit(request.raw_path).path
        for method, pattern, handler in self._compiled:
            match = pattern.match(raw_path)
            if match and method == request.method:
                arguments = {name: unquote(value) for name, value in match.groupdict().items()}
                return getattr(self, handler)(request, **arguments)
        return self.not_found_reply(request)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the connection's own thread, so a client that
        # connects and stalls cannot block the accept loop.
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        # wrap_socket detaches the plain socket that shutdown_request() will close; close ours.
        with wrapped:
            super().finish_request(wrapped, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the client's delayed ACK adds 40 ms to each.
    disable_nagle_algorithm = True
    timeout = 10  # idle keep-alive connections end on their own after a stop()
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.server.fake.name, format % args)

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=unquote(split.path),
            raw_path=self.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=CaseInsensitiveDict(self.headers.items()),
            body=_parse_body(self.headers.get("Content-Type", ""), raw_body),
            raw_body=raw_body,
        )
        try:
            reply = fake._handle(request)
        except Exception:
            fake.handler_errors.append(traceback.format_exc())
            logger.exception("%s failed on %s %s", fake.name, request.method, request.path)
            reply = fake.error(500, "The fake server failed; see handler_errors.")
        request.status = reply.status
        request.response_body = reply.body
        request.response_headers = dict(reply.headers)
        fake._record(request)
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        if reply.body is None:
            payload = b""
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json"} if payload else {}
            headers.update(reply.headers)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            # The client gave up first (a timeout test): nobody is left to read the answer.
            self.close_connection = True


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (as `timeout` or a process manager sends), for the CLI entry points."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


def _parse_body(content_type: str, raw: bytes) -> Any:
    if not raw:
        return None
    kind = content_type.split(";")[0].strip().lower()
    text = raw.decode("utf-8", errors="replace")
    if kind == "application/json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away certificate authority and a server certificate for 127.0.0.1 it signed.

    Two certificates rather than one self-signed: OpenSSL's strict mode refuses a CA certificate
    presented as a server's own. Returns (CA bundle, server certificate, server key) paths.
    """
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Télésanté test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    cert_path = directory / "server.pem"
    key_path = directory / "server-key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path
