"""The benchmark: gunicorn with production settings against the region's data set.

    .venv/bin/python bench/run.py [--scale 1.0] [--duration 8] [--rounds 1] [--only agenda_html_week,...]

Generates the data set if needed (bench/generate.py), starts gunicorn (gunicorn.conf.py, DEBUG off,
a generated secret key, bench.settings = the portal's settings plus the baseline view and an
`X-Queries` header) on 127.0.0.1, and drives each scenario with wrk (Debian's `wrk`, scripted in Lua
for the tokens, the session cookies and the booking bodies). Requests carry `X-Forwarded-Proto: https`
as the TLS proxy in front of the portal would, so the production redirect to HTTPS stays on.

Each scenario is first probed once (status and `X-Queries`), then loaded. Rows are printed as one
table and written to bench/results/<timestamp>.json and bench/results/latest.json (keys: bench/README.md).
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402

HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
RESULTS = ROOT / "bench" / "results"
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


# -- the server -----------------------------------------------------------------------------------


# One secret key for the server and for this process, which signs the sessions it opens for the server.
SECRET_KEY = os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(60))


def server_env(database: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=generate.database_url(database),
        CELERY_BROKER_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        PORTAL_VAR_DIR=os.environ.get("PORTAL_VAR_DIR", str(Path(tempfile.gettempdir()) / "bench-var")),
        STATIC_MANIFEST="false",  # no collectstatic needed: the pages' static files are not fetched
        LOG_LEVEL="WARNING",
    )
    return env


def start_gunicorn(env: dict[str, str], workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"{HOST}:{PORT}",
        "--workers",
        str(workers),
        "--access-logfile",
        "/dev/null",
        "telesante.wsgi",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if probe("GET", "/bench/baseline/", {})[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def worker_peak_rss_mb(process: subprocess.Popen) -> float | None:
    """The highest peak resident memory (VmHWM) among gunicorn's workers."""
    peaks = []
    for child in Path("/proc").iterdir():
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(process.pid) and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return round(max(peaks), 1) if peaks else None


def probe(method: str, path: str, headers: dict[str, str], body: str | None = None) -> tuple[int, int | None, bytes]:
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    connection.request(method, path, body=body, headers=PROXY_HEADERS | headers)
    response = connection.getresponse()
    content = response.read()
    queries = response.getheader("X-Queries")
    connection.close()
    return response.status, int(queries) if queries else None, content


def apply_new_migrations(database: str) -> None:
    """Migrations that landed after the data set was built (new indexes, mostly) apply to it."""
    generate.configure_django(database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    connection.close()


# -- the people: sessions and tokens of generated staff --------------------------------------------


def credentials(database: str, meta: dict) -> dict:
    """Session keys and API tokens for the benchmark's staff, made as a sign-in would make them."""
    generate.configure_django(database)
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from rest_framework.authtoken.models import Token

    from directory.middleware import SESSION_EPOCH, SIGNED_IN_AT
    from directory.models import Clinic, Patient, User

    def session_for(user: User) -> str:
        request = RequestFactory().get("/")
        request.session = SessionStore()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SIGNED_IN_AT] = time.time()
        request.session[SESSION_EPOCH] = user.session_epoch
        request.session.save()
        return request.session.session_key

    professionals = []
    for user in User.objects.filter(username__in=meta["bench_users"]).order_by("username"):
        clinic = Clinic.objects.filter(memberships__user=user).first()
        patient = Patient.objects.filter(clinics=clinic).order_by("id").first()
        professionals.append(
            {
                "username": user.username,
                "session": session_for(user),
                "token": Token.objects.get_or_create(user=user)[0].key,
                "patient": str(patient.public_id),
            }
        )
    archivist = User.objects.get(username="bench-archivist-1")
    manager = User.objects.get(username="bench-manager-1")
    one_clinic = Clinic.objects.filter(memberships__user=manager).order_by("id").first()
    sample = Patient.objects.filter(clinics__memberships__user__username=meta["bench_users"][0]).order_by("id")[7]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(start) FROM scheduling_appointment WHERE start > '2030-01-01'")
        latest = cursor.fetchone()[0]
    booking_base = (latest or datetime(2031, 1, 1, tzinfo=UTC)) + timedelta(days=1)
    connection.close()
    return {
        "cookie_name": "__Host-sessionid",
        "professionals": professionals,
        "archivist": session_for(archivist),
        "manager": session_for(manager),
        "manager_clinic": str(one_clinic.public_id),
        "search": {"name": sample.search_name[:5], "file_number": sample.file_number, "nam": sample.nam},
        "booking_base": int(booking_base.replace(hour=13, minute=0, second=0, microsecond=0).timestamp()),
    }


# -- the scenarios ----------------------------------------------------------------------------------


def scenarios(meta: dict, people: dict) -> list[dict]:
    week = date.fromisoformat(meta["bench_week"])
    week_from = f"{week}T00:00:00-05:00"
    week_to = f"{week + timedelta(days=7)}T00:00:00-05:00"
    cookie = people["cookie_name"]
    pros = people["professionals"]

    def session(key: str) -> dict[str, str]:
        return {"Cookie": f"{cookie}={key}"}

    def token(person: dict) -> dict[str, str]:
        return {"Authorization": f"Token {person['token']}"}

    json_post = {"Content-Type": "application/json"}
    today = datetime.now(UTC).date()
    year_ago = today - timedelta(days=365)
    five_years_ago = today - timedelta(days=5 * 365 - 30)
    search = people["search"]

    def search_requests(query: str) -> list:
        return [["POST", "/api/v1/patients/search/", token(p) | json_post, json.dumps({"query": query})] for p in pros]

    return [
        {"scenario": "baseline", "requests": [["GET", "/bench/baseline/", {}, None]], "target": "reference (1.00)"},
        {
            "scenario": "agenda_html_week",
            "requests": [["GET", f"/agenda/?jour={week}&vue=semaine", session(p["session"]), None] for p in pros],
            "target": "p95<60ms; ratio>=0.20; queries<=10",
            "checks": {"p95_ms": 60, "ratio": 0.20, "queries": 10},
        },
        {
            "scenario": "appointments_api_week",
            "requests": [
                [
                    "GET",
                    f"/api/v1/appointments/?organizer={p['username']}&from={week_from}&to={week_to}",
                    token(p),
                    None,
                ]
                for p in pros
            ],
            "target": "ratio>=0.25; queries<=4",
            "checks": {"ratio": 0.25, "queries": 4},
        },
        {
            "scenario": "patient_search_name_prefix",
            "requests": search_requests(search["name"]),
            "target": "p95<40ms",
            "checks": {"p95_ms": 40},
        },
        {
            "scenario": "patient_search_file_number",
            "requests": search_requests(search["file_number"]),
            "target": "p95<40ms",
            "checks": {"p95_ms": 40},
        },
        {
            "scenario": "patient_search_nam",
            "requests": search_requests(search["nam"]),
            "target": "p95<40ms",
            "checks": {"p95_ms": 40},
        },
        {
            "scenario": "booking_post",
            "requests": [
                [
                    "POST",
                    "/api/v1/appointments/",
                    token(p) | json_post,
                    json.dumps(
                        {
                            "patient": p["patient"],
                            "start": "%s",  # filled by the Lua script: a slot no other request takes
                            "duration_minutes": 30,
                            "modality": "video",
                            "reason": "between_cycles",
                        }
                    ),
                ]
                for p in pros
            ],
            "booking": True,
            "target": "ratio>=0.15; 0 double bookings",
            "checks": {"ratio": 0.15},
        },
        {
            "scenario": "dashboard_clinic_12_months",
            "requests": [
                [
                    "GET",
                    f"/tableau-de-bord/?clinic={people['manager_clinic']}&period=custom&start={year_ago}&end={today}",
                    session(people["manager"]),
                    None,
                ]
            ],
            "sequential": 5,
            "target": "p95<300ms",
            "checks": {"p95_ms": 300},
        },
        {
            "scenario": "dashboard_establishment_5_years",
            "requests": [
                [
                    "GET",
                    f"/tableau-de-bord/?period=custom&start={five_years_ago}&end={today}",
                    session(people["manager"]),
                    None,
                ]
            ],
            "sequential": 5,
            "target": "p95<1500ms",
            "checks": {"p95_ms": 1500},
        },
        {
            "scenario": "archivist_queue_200",
            "requests": [["GET", "/archives/", session(people["archivist"]), None]],
            "target": "p95<60ms; constant queries",
            "checks": {"p95_ms": 60},
        },
    ]


LUA = r"""
local requests = %(requests)s
local booking = %(booking)s
local base = %(base)d
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local r = requests[(counter %% #requests) + 1]
  local body = r[4]
  if booking then
    -- One hour per request, interleaved between threads: no two requests ever ask for the same slot.
    body = string.format(body, os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", base + (counter * 16 + tid) * 3600))
  end
  return wrk.format(r[1], r[2], r[3], body)
end
function done(summary, latency, requests)
  io.write(string.format(
    "BENCH-JSON {\"requests\": %%d, \"duration_us\": %%d, \"p50\": %%d, \"p95\": %%d, \"p99\": %%d, " ..
    "\"status_errors\": %%d, \"socket_errors\": %%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this text


def lua_script(scenario: dict, booking_base: int) -> str:
    entries = []
    for method, path, headers, body in scenario["requests"]:
        all_headers = PROXY_HEADERS | headers
        header_table = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in all_headers.items())
        entries.append(
            f"{{{lua_string(method)}, {lua_string(path)}, {{{header_table}}}, {lua_string(body) if body else 'nil'}}}"
        )
    return LUA % {
        "requests": "{" + ",\n".join(entries) + "}",
        "booking": "true" if scenario.get("booking") else "false",
        "base": booking_base,
    }


def run_wrk(scenario: dict, booking_base: int, *, duration: float, threads: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(scenario, booking_base))
    try:
        output = subprocess.run(  # noqa: S603
            [
                shutil.which("wrk") or "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{int(duration)}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://{HOST}:{PORT}/",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(script.name)
    if output.returncode:
        raise RuntimeError(f"wrk failed: {output.stderr or output.stdout}")
    line = next(line for line in output.stdout.splitlines() if line.startswith("BENCH-JSON "))
    figures = json.loads(line.removeprefix("BENCH-JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def measure(scenario: dict, people: dict, args) -> dict:
    method, path, headers, body = scenario["requests"][0]
    if scenario.get("booking"):
        body = body % (datetime.fromtimestamp(people["booking_base"] - 7200, UTC).isoformat())
    try:
        status, queries, content = probe(method, path, headers, body)
    except OSError as error:  # gunicorn killed the worker (30 s timeout): a figure, not a crash
        return failed_row(scenario, f"probe request failed: {error!r} (over gunicorn's 30 s timeout?)")
    # Twice for a page whose number of queries settles after the first call (a cache being filled).
    status, queries, content = (
        probe(method, path, headers, body) if not scenario.get("booking") else (status, queries, content)
    )
    notes = [f"probe HTTP {status}"]
    if status >= 300:
        notes.append(content[:200].decode(errors="replace"))
    if scenario.get("sequential"):
        return sequential(scenario, (method, path, headers, body), queries, notes, status)
    rounds = []
    for _ in range(args.rounds):
        rounds.append(
            run_wrk(
                scenario,
                people["booking_base"],
                duration=args.duration,
                threads=args.threads,
                connections=scenario.get("connections", args.connections),
            )
        )
    errors = sum(r["status_errors"] + r["socket_errors"] for r in rounds)
    if not sum(r["requests"] for r in rounds):
        return failed_row(scenario, f"no request completed in {args.duration} s under load")
    if errors:
        notes.append(f"{errors} responses >= 400 or socket errors under load")
    return {
        "scenario": scenario["scenario"],
        "rps": round(median([r["rps"] for r in rounds]), 1),
        "p50_ms": round(median([r["p50"] for r in rounds]) / 1000, 1),
        "p95_ms": round(median([r["p95"] for r in rounds]) / 1000, 1),
        "p99_ms": round(median([r["p99"] for r in rounds]) / 1000, 1),
        "queries": queries,
        "ratio": None,
        "target": scenario["target"],
        "met": None,
        "notes": "; ".join(notes),
        "_checks": scenario.get("checks", {}),
        "_ok": status < 300 and not errors,
    }


def sequential(scenario: dict, request: tuple, queries, notes: list[str], status: int) -> dict:
    """A heavy page (the dashboards) one request after the other, as a manager opens it: the
    latencies of N requests after the probe (percentiles of so few are the median and the slowest)."""
    method, path, headers, body = request
    timings = []
    for _ in range(scenario["sequential"]):
        started = time.perf_counter()
        try:
            code = probe(method, path, headers, body)[0]
        except OSError as error:
            return failed_row(scenario, f"request failed: {error!r} (over gunicorn's 30 s timeout?)")
        timings.append((time.perf_counter() - started) * 1000)
        status = max(status, code)
    timings.sort()
    notes.append(f"{len(timings)} requests one after the other (not wrk): p95 and p99 are the slowest")
    return {
        "scenario": scenario["scenario"],
        "rps": round(1000 / median(timings), 2),
        "p50_ms": round(median(timings), 1),
        "p95_ms": round(timings[-1], 1),
        "p99_ms": round(timings[-1], 1),
        "queries": queries,
        "ratio": None,
        "target": scenario["target"],
        "met": None,
        "notes": "; ".join(notes),
        "_checks": scenario.get("checks", {}),
        "_ok": status < 300,
    }


def failed_row(scenario: dict, note: str) -> dict:
    return {
        "scenario": scenario["scenario"],
        "rps": None,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "queries": None,
        "ratio": None,
        "target": scenario["target"],
        "met": False,
        "notes": note,
        "_checks": {},
        "_ok": False,
    }


def judge(rows: list[dict]) -> None:
    baseline = next((row for row in rows if row["scenario"] == "baseline"), None)
    for row in rows:
        if row.get("scenario") == "exclusion_constraint_insert_overhead":
            pass  # inserts per second of SQL, not comparable with HTTP requests
        elif baseline and row.get("rps") and baseline["rps"] and row.get("ratio") is None:
            row["ratio"] = round(row["rps"] / baseline["rps"], 3)
        checks = row.pop("_checks", None)
        ok = row.pop("_ok", True)
        if checks is None:
            continue
        if row["scenario"] == "baseline":
            row["met"] = None
            continue
        met = ok
        for key, limit in checks.items():
            value = row.get(key)
            if value is None:
                met = False
            elif key == "ratio":
                met = met and value >= limit
            else:
                met = met and value <= limit
        row["met"] = met


# -- the exclusion constraint's cost on an insert ----------------------------------------------------


def exclusion_overhead(database: str, *, inserts: int = 1000, rounds: int = 3) -> dict:
    """Single-row INSERTs into the appointment table (all its indexes and the exclusion constraint)
    and into a twin with the same indexes but no exclusion constraint, interleaved, each committed as
    a booking's insert is (fsync included); the rows are deleted afterwards."""
    import psycopg2

    connection = psycopg2.connect(generate.database_url(database))
    cursor = connection.cursor()
    cursor.execute("SELECT to_regclass('bench_appointment_twin')")
    if cursor.fetchone()[0] is None:
        started = time.monotonic()
        cursor.execute(
            "CREATE TABLE bench_appointment_twin (LIKE scheduling_appointment INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'bench_appointment_twin'::regclass AND contype = 'x'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE bench_appointment_twin DROP CONSTRAINT "{name}"')
        cursor.execute("INSERT INTO bench_appointment_twin SELECT * FROM scheduling_appointment")
        connection.commit()
        cursor.execute("ANALYZE bench_appointment_twin")
        connection.commit()
        print(f"  twin table built in {time.monotonic() - started:.1f} s", flush=True)
    cursor.execute("SELECT min(id), max(id) FROM directory_user WHERE username LIKE 'bench-pro-%%'")
    first_user, last_user = cursor.fetchone()
    cursor.execute(
        "SELECT patient_id, clinic_id FROM scheduling_appointment ORDER BY id LIMIT 1",
    )
    patient_id, clinic_id = cursor.fetchone()
    columns = (
        'public_id, created_at, updated_at, patient_id, clinic_id, organizer_id, start, "end", kind, modality, '
        "platform, reason, reason_details, fallback_phone, tablet_loan, status, outcome_details, recorded, sequence"
    )
    statement = (
        f"INSERT INTO {{table}} (id, {columns}) VALUES"  # noqa: S608 (two fixed table names)
        " (nextval('scheduling_appointment_id_seq'), gen_random_uuid(), "
        "now(), now(), %s, %s, %s, %s, %s, 'scheduled', 'video', 'teams', 'other', '', '', 'not_needed', 'scheduled', "
        "'', false, 0)"
    )
    timings = {"scheduling_appointment": [], "bench_appointment_twin": []}
    connection.commit()
    connection.autocommit = True
    base = datetime(2040, 1, 1, tzinfo=UTC)
    for round_number in range(rounds):
        for table in timings:
            started = time.perf_counter()
            for i in range(inserts):
                start = base + timedelta(hours=round_number * inserts + i)
                cursor.execute(
                    statement.format(table=table),
                    [
                        patient_id,
                        clinic_id,
                        first_user + i % (last_user - first_user + 1),
                        start,
                        start + timedelta(minutes=30),
                    ],
                )
            timings[table].append((time.perf_counter() - started) / inserts * 1000)
    for table in timings:
        cursor.execute(f"DELETE FROM {table} WHERE start >= %s", [base])  # noqa: S608 (two fixed table names)
    connection.close()
    with_exclusion = median(timings["scheduling_appointment"])
    without = median(timings["bench_appointment_twin"])
    overhead = with_exclusion / without - 1
    return {
        "scenario": "exclusion_constraint_insert_overhead",
        "rps": round(1000 / with_exclusion, 1),
        "p50_ms": round(with_exclusion, 3),
        "p95_ms": None,
        "p99_ms": None,
        "queries": 1,
        "ratio": None,
        "target": "exclusion constraint adds <=30% to an insert",
        "met": overhead <= 0.30,
        "notes": (
            f"median single-row INSERT {with_exclusion:.3f} ms with the constraint vs {without:.3f} ms on a twin "
            f"without it (+{overhead:.0%}); {rounds} interleaved rounds of {inserts} committed inserts"
        ),
    }


def double_bookings(database: str) -> int:
    import psycopg2

    connection = psycopg2.connect(generate.database_url(database))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
              ON a.organizer_id = b.organizer_id AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
            WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' AND a.start > '2030-01-01'
            """
        )
        count = cursor.fetchone()[0]
    connection.close()
    return count


def database_size(database: str) -> str:
    import psycopg2

    connection = psycopg2.connect(generate.database_url(database))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())), count(*) FROM scheduling_appointment"
        )
        size, appointments = cursor.fetchone()
    connection.close()
    return f"{size}, {appointments} appointments"


# -- the other benchmark modules, merged when present --------------------------------------------------


def merged_rows(args) -> list[dict]:
    rows = []
    for name in ("bench.celery_bench", "bench.pdf_bench", "bench.workers_bench", "bench.load"):
        if find_spec(name) is None or name in args.skip_modules:
            continue
        module = import_module(name)
        if not hasattr(module, "run"):
            continue
        try:
            rows += module.run()
        except Exception as error:
            rows.append({"scenario": name, "notes": f"failed: {error!r}", "met": False})
    return rows


def print_table(rows: list[dict]) -> None:
    header = ["scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "queries", "ratio", "target", "met"]
    table = [header]
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row.get("met")]
        table.append(
            [
                row["scenario"],
                *(
                    "-" if row.get(key) is None else str(row[key])
                    for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "queries", "ratio")
                ),
                row.get("target", ""),
                met,
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for number, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    for row in rows:
        if row.get("notes"):
            print(f"- {row['scenario']}: {row['notes']}")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "telesante_bench"))
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per scenario and round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (the baseline always runs)")
    parser.add_argument("--skip-modules", default="", help="comma-separated modules not to merge, e.g. bench.load")
    parser.add_argument("--no-merge", action="store_true", help="do not run the other benchmark modules")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: sudo apt-get install wrk")

    generate.main(["--scale", str(args.scale), "--database", args.database])
    meta = generate.dataset_state(args.database)
    apply_new_migrations(args.database)
    people = credentials(args.database, meta)
    env = server_env(args.database)
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1))
    print(f"gunicorn: {workers} workers, data set: {database_size(args.database)}", flush=True)
    server = start_gunicorn(env, workers)
    rows = []
    try:
        wanted = {name for name in args.only.split(",") if name}
        for scenario in scenarios(meta, people):
            if wanted and scenario["scenario"] not in wanted | {"baseline"}:
                continue
            print(f"running {scenario['scenario']}...", flush=True)
            rows.append(measure(scenario, people, args))
        peak = worker_peak_rss_mb(server)
    finally:
        stop(server)
    if not wanted or "booking_post" in wanted:
        doubled = double_bookings(args.database)
        booking = next(row for row in rows if row["scenario"] == "booking_post")
        booking["notes"] += f"; {doubled} double bookings in the database after the run"
        if doubled:
            booking["_ok"] = False
    # The bookings' Celery messages, which no worker took: the broker database is this benchmark's own.
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    if not wanted or "exclusion_constraint_insert_overhead" in wanted:
        print("running exclusion_constraint_insert_overhead...", flush=True)
        try:
            rows.append(exclusion_overhead(args.database))
        except Exception as error:  # the other figures are worth keeping
            rows.append(
                failed_row({"scenario": "exclusion_constraint_insert_overhead", "target": "<=30%"}, repr(error))
            )
    rows.append(
        {
            "scenario": "web_worker_peak_rss",
            "rps": None,
            "p50_ms": None,
            "p95_ms": None,
            "p99_ms": None,
            "queries": None,
            "ratio": None,
            "target": "<150 MB RSS",
            "met": None if peak is None else peak < 150,
            "notes": f"highest VmHWM of the gunicorn workers after the run: {peak} MB",
        }
    )
    judge(rows)
    if not args.no_merge:
        rows += merged_rows(args)
    print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_set": {key: meta[key] for key in ("scale", "rows", "seconds", "bench_week")},
        "database": database_size(args.database),
        "gunicorn_workers": workers,
        "load_generator": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s)",
        "rows": rows,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written: bench/results/{stamp}.json and bench/results/latest.json")
    return rows


if __name__ == "__main__":
    main()
