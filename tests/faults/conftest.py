"""What the fault tests share: private Redis and PostgreSQL they may stop, Celery workers and gunicorn
as real processes, an SMTP sink that can be switched off, and polling with a deadline.

The machine's own PostgreSQL (5432) and Redis (6379) are never stopped: other runs use them.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from kombu import pools

from telesante.celery import app

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")

# Every test of this folder runs on one xdist worker: they start and stop servers and processes.
FAULTS = pytest.mark.xdist_group("faults")


def needs_postgresql() -> pytest.MarkDecorator:
    """Worker processes and the web share the test's database: SQLite (one file, one writer) cannot."""
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several processes share the database: needs PostgreSQL (DATABASE_URL)",
    )


needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")
needs_postgres_binaries = pytest.mark.skipif(
    not (PG_BIN / "pg_ctl").exists() or shutil.which("runuser") is None,
    reason="needs PostgreSQL 15's initdb/pg_ctl and runuser to start a private cluster",
)


def wait_until(condition: Callable[[], Any], *, seconds: float = 30, what: str = "the condition") -> Any:
    """Poll `condition` until it is true; fail with `what` once the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: still not true after {seconds} s")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- Redis ----------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a fixed port, that it may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), seconds=10, what="redis-server listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def forget_broker_connections() -> None:
    # Celery keeps its broker connections in pools: drop them so the next message uses the new URL.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A stopped private Redis, already the broker of this process (start() it when the test wants)."""
    redis = PrivateRedis()
    saved = app.conf.broker_url, app.conf.result_backend
    app.conf.broker_url, app.conf.result_backend = redis.url, None
    forget_broker_connections()
    try:
        yield redis
    finally:
        redis.stop()
        app.conf.broker_url, app.conf.result_backend = saved
        forget_broker_connections()


# -- PostgreSQL -----------------------------------------------------------------------------------


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port, owned by the postgres user (initdb refuses root)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.log = self.folder / "server.log"

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def pg_ctl(self, action: str, *more: str) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "-t",
            "30",
            *more,
            action,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


def database_url_of_this_run() -> str:
    """The URL of the database pytest-django made for this run, for processes started by a test."""
    given = connection.settings_dict
    return f"postgres://{given['USER']}@{given['HOST'] or '127.0.0.1'}:{given['PORT'] or 5432}/{given['NAME']}"


# -- worker and web processes ---------------------------------------------------------------------


def process_environment(**more: Any) -> dict[str, str]:
    """The environment of a worker or web process: this run's database, queue and broker, quick retries."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "telesante.test_settings",
        "DATABASE_URL": database_url_of_this_run(),
        "PORTAL_TEST_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_BROKER_URL": app.conf.broker_url,
        "CELERY_RESULT_BACKEND": "",
        "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        "OUTBOX_RETRY_CAP_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    environment.update({name: str(value) for name, value in more.items()})
    return environment


class Processes:
    """Processes a test started; each is killed (its whole group) at the end whatever happened."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def celery_worker(
        self, environment: dict[str, str], *, concurrency: int = 2, name: str = "worker", queue: str = ""
    ) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "telesante",
                "worker",
                "--pool",
                "prefork" if concurrency > 1 else "solo",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "-Q",
                queue or settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                f"{name}-{os.getpid()}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill_group() takes the pool children too
        )
        self.started.append(process)
        return process

    def gunicorn(self, environment: dict[str, str], *, port: int, workers: int = 2) -> subprocess.Popen:
        log = (self.folder / "gunicorn.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-tmp-dir",
                str(self.folder),
                "--max-requests",
                "0",
                "telesante.wsgi",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    @staticmethod
    def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)

    def stop(self, process: subprocess.Popen) -> None:
        """A polite stop (SIGTERM: warm shutdown), then SIGKILL for whatever is left of its group."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        self.kill_group(process)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        for process in started.started:
            started.kill_group(process)


# -- mail -----------------------------------------------------------------------------------------


class MailSink:
    """An SMTP server that keeps every message, keyed by Message-ID as a mailbox dedupes them.

    stop() closes the port (clients get "connection refused") and start() opens the same one again.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []  # (Message-ID, recipient)
        self._controller: Controller | None = None

    def start(self) -> "MailSink":
        controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="mail.test.invalid")
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append((message["Message-ID"] or "", parseaddr(recipient)[1]))
        return "250 2.0.0 Ok: queued"

    def received(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.messages)

    def settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_TIMEOUT": 5,
        }


@pytest.fixture
def mail_sink(settings) -> Iterator[MailSink]:
    sink = MailSink().start()
    for name, value in sink.settings().items():
        setattr(settings, name, value)
    try:
        yield sink
    finally:
        sink.stop()


# -- what the portal sends ------------------------------------------------------------------------


def graph_mail(graph_fake) -> list[tuple[str, str]]:
    """(internetMessageId, recipient) of every sendMail the Graph fake accepted."""
    found = []
    for sent in list(graph_fake.sent_mail):
        message = sent.get("message") or {}
        for recipient in message.get("toRecipients", []):
            found.append((message.get("internetMessageId", ""), recipient["emailAddress"]["address"]))
    return found


def sweep(older_than: timedelta = timedelta(0)) -> int:
    """The periodic sweeper (beat runs it every few minutes), run now: hands pending rows over again."""
    from prescriptions.services import redeliver_pending_transmissions
    from scheduling.services import redeliver_pending

    return redeliver_pending(older_than=older_than) + redeliver_pending_transmissions(older_than=older_than)
