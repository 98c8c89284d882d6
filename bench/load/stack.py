"""The processes a benchmark runs against, started as in production: gunicorn (DEBUG off, the project's
gunicorn.conf.py), a real Celery worker over Redis, PostgreSQL; plus a sampler of their memory.

Each benchmark owns its own PostgreSQL database and Redis database number (defaults: `loadtest` and 6),
so that it never disturbs the tests or another benchmark running at the same time.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = sys.executable

DEFAULT_DATABASE = os.environ.get("BENCH_LOAD_DATABASE", "loadtest")
DEFAULT_REDIS_DB = int(os.environ.get("BENCH_LOAD_REDIS_DB", "6"))
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("BENCH_REDIS_SERVER", "redis://127.0.0.1:6379")


def environment(
    *, database: str = DEFAULT_DATABASE, redis_db: int = DEFAULT_REDIS_DB, var_dir: str | None = None, **extra: str
) -> dict[str, str]:
    """Production-like settings: DEBUG off, a real secret key, PostgreSQL and Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "telesante.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG_SERVER}/{database}",
            "CELERY_BROKER_URL": f"{REDIS_SERVER}/{redis_db}",
            "PORTAL_VAR_DIR": var_dir or f"/tmp/{database}-var",  # noqa: S108 (a scratch folder per benchmark)
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env["STATIC_ROOT"] = str(Path(env["PORTAL_VAR_DIR"]) / "staticfiles")
    env["DJANGO_SECRET_KEY"] = env.get("BENCH_SECRET_KEY") or _secret_key(Path(env["PORTAL_VAR_DIR"]))
    env.update(extra)
    return env


def _secret_key(var_dir: Path) -> str:
    """A random key kept in the scratch folder: DEBUG off refuses the development one, and the sessions
    the data set signs must still be valid when gunicorn reads them."""
    path = var_dir / "bench-secret-key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(60))
        path.chmod(0o600)
    return path.read_text().strip()


def manage(env: dict[str, str], *args: str, quiet: bool = True) -> None:
    subprocess.run(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def recreate_database(env: dict[str, str]) -> None:
    """Drop and create the benchmark's own database, then migrate it (about 6 s)."""
    import psycopg2

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    if not name.replace("_", "").isalnum():
        raise ValueError(f"Unexpected database name {name!r}")
    connection = psycopg2.connect(f"{PG_SERVER}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    manage(env, "migrate", "--no-input")


def flush_redis(env: dict[str, str]) -> None:
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()


def collectstatic(env: dict[str, str]) -> None:
    """The production storage needs the manifest; collected once per scratch folder."""
    if not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
        manage(env, "collectstatic", "--no-input")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log_path: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the process we started (gunicorn and Celery stop their own children)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(env: dict[str, str], *, port: int | None = None, workers: int | None = None) -> Service:
    """gunicorn with the project's gunicorn.conf.py (workers 2 x cores + 1 unless told), on loopback."""
    port = port or free_port()
    log_path = Path(env["PORTAL_VAR_DIR"]) / "gunicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_env = dict(env)
    if workers:
        run_env["WEB_CONCURRENCY"] = str(workers)
    log = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "telesante.wsgi"],
        cwd=ROOT,
        env=run_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    service = Service("gunicorn", process, log_path, url=f"http://127.0.0.1:{port}")
    _wait_http(service, f"{service.url}/health/?format=json")
    return service


def warm_up(service: Service, *, parallel: int = 10, rounds: int = 3, path: str = "/health/?format=json") -> int:
    """Send a few rounds of parallel requests so that every gunicorn worker has loaded the URLconf
    (a cold worker imports the FHIR models on its first request, seconds on a busy machine) before the
    measured load starts. Returns how many warm-up requests failed (a cold worker killed by gunicorn's
    30 s timeout answers 500: production meets the same on a busy host; see the load test notes)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_number: int) -> bool:
        request = urllib.request.Request(f"{service.url}{path}", headers={"X-Forwarded-Proto": "https"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=90) as answer:  # noqa: S310 (loopback)
                return answer.status < 500
        except OSError:
            return False

    failed = 0
    with ThreadPoolExecutor(parallel) as pool:
        for _round in range(rounds):
            failed += sum(1 for ok in pool.map(one, range(parallel)) if not ok)
    return failed


def _wait_http(service: Service, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited; see {service.log_path}")
        # The proxy in front of gunicorn says the request came over HTTPS (no redirect to https).
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 (loopback)
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            if answer.status < 500:
                return
        time.sleep(0.3)
    service.stop()
    raise RuntimeError(f"{service.name} did not answer {url} in {timeout} s; see {service.log_path}")


def start_worker(
    env: dict[str, str], *, concurrency: int = 2, beat: bool = False, extra: tuple[str, ...] = (), name: str = "worker"
) -> Service:
    """A real Celery worker (prefork) of the project's app, started like Procfile.dev's."""
    log_path = Path(env["PORTAL_VAR_DIR"]) / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "celery"),
        "-A",
        "telesante",
        "worker",
        "-l",
        "WARNING",
        "-c",
        str(concurrency),
        "-P",
        "prefork",
        "-n",
        f"{name}-{os.getpid()}@%h",
        *extra,
    ]
    if beat:
        command += ["-B", "-s", str(Path(env["PORTAL_VAR_DIR"]) / "celerybeat-schedule")]
    log = log_path.open("ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    service = Service(name, process, log_path)
    _wait_worker(service, env)
    return service


def _wait_worker(service: Service, env: dict[str, str], timeout: float = 60) -> None:
    """Ready when the worker answers a ping over the broker."""
    ping = [str(BIN / "celery"), "-A", "telesante", "inspect", "ping", "-t", "2", "-d", _node_name(service)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited; see {service.log_path}")
        answer = subprocess.run(ping, cwd=ROOT, env=env, capture_output=True, check=False)  # noqa: S603
        if answer.returncode == 0:
            return
        time.sleep(0.5)
    service.stop()
    raise RuntimeError(f"{service.name} did not answer a ping in {timeout} s; see {service.log_path}")


def _node_name(service: Service) -> str:
    return f"{service.name}-{os.getpid()}@{socket.gethostname()}"


@dataclass
class MemorySampler:
    """Samples the resident memory of each process of the given trees (psutil) every `interval` s and
    keeps the peak per process: the web workers are gunicorn's children, the worker's pool its children."""

    roots: dict[str, int]  # role -> pid of the process we started
    interval: float = 0.5
    peaks: dict[str, dict[int, int]] = field(default_factory=dict)  # role -> pid -> peak RSS bytes
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.sample()
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        import psutil

        for role, pid in self.roots.items():
            try:
                parent = psutil.Process(pid)
                processes = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in processes:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    rss = process.memory_info().rss
                    per_role = self.peaks.setdefault(role, {})
                    per_role[process.pid] = max(per_role.get(process.pid, 0), rss)

    def peak_children_mb(self, role: str) -> float | None:
        """The largest peak among the children (gunicorn's web workers, Celery's pool processes)."""
        root = self.roots[role]
        values = [rss for pid, rss in self.peaks.get(role, {}).items() if pid != root]
        return round(max(values) / 2**20, 1) if values else None

    def peak_root_mb(self, role: str) -> float | None:
        value = self.peaks.get(role, {}).get(self.roots[role])
        return round(value / 2**20, 1) if value else None


def memory_rows(
    sampler: MemorySampler, *, web_role: str | None = "web", worker_role: str | None = "worker"
) -> list[dict]:
    """Rows in bench/run.py's shape: peak RSS of a web worker (< 150 MB) and of a Celery worker (< 250 MB).

    For Celery, the main process and each pool child are separate processes: the largest counts."""
    rows = []
    if web_role and web_role in sampler.roots:
        worker_mb = sampler.peak_children_mb(web_role)
        rows.append(
            row(
                "memory_web_worker",
                target="peak RSS of a gunicorn web worker < 150 MB",
                met=None if worker_mb is None else worker_mb < 150,
                notes=f"peak RSS {worker_mb} MB (largest gunicorn worker; master {sampler.peak_root_mb(web_role)} MB)",
                peak_rss_mb=worker_mb,
            )
        )
    if worker_role and worker_role in sampler.roots:
        child_mb = sampler.peak_children_mb(worker_role) or 0.0
        main_mb = sampler.peak_root_mb(worker_role) or 0.0
        largest = max(child_mb, main_mb) or None
        rows.append(
            row(
                "memory_celery_worker",
                target="peak RSS of a Celery worker process < 250 MB",
                met=None if largest is None else largest < 250,
                notes=f"peak RSS {largest} MB (main process {main_mb} MB, largest pool child {child_mb} MB)",
                peak_rss_mb=largest,
            )
        )
    return rows


def row(scenario: str, **values) -> dict:
    """A result row with every key bench/run.py expects (None where it does not apply)."""
    base = {
        "scenario": scenario,
        "rps": None,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "queries": None,
        "ratio": None,
        "target": "",
        "met": None,
        "notes": "",
    }
    base.update(values)
    return base


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run_isolated(module: str, *args: str, timeout: float = 1800) -> list[dict]:
    """Run `python -m module --json args` in a fresh process and return its rows: a benchmark that sets
    up Django with its own settings (database, broker) must not inherit those of the caller (bench/run.py)."""
    answer = subprocess.run(  # noqa: S603
        [PYTHON, "-m", module, "--here", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
    )
    if answer.returncode != 0:
        raise RuntimeError(f"{module} failed: {answer.stderr.strip()[-800:]}")
    return json.loads(answer.stdout)
