"""The load test, end to end: a fresh database, the data set, gunicorn (production
settings, DEBUG off), a real Celery worker with beat over Redis, locust headless, then the invariants in
SQL and the peak memory of the web and worker processes.

    .venv/bin/python -m bench.load.runner                     # 50 users, 5 minutes
    .venv/bin/python -m bench.load.runner --duration 30 --users 20   # a smoke run for development

Prints the rows (bench/run.py's shape) as JSON and keeps locust's CSV files under the scratch folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load import stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# The sweeper (scheduling.tasks.redeliver_pending_task) runs every 60 s and takes rows pending for 1 min.
RELAY_INTERVAL_SECONDS = 60
READ_TARGET = "reads p95<=300ms p99<=1s; 0 unexpected errors"
WRITE_TARGET = "booking p95<=500ms; only expected 409s"

INVARIANTS = {
    "overlapping_appointments": """
        SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
          ON a.organizer_id = b.organizer_id AND a.id < b.id
         AND a.status <> 'cancelled' AND b.status <> 'cancelled'
         AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
    """,
    # Every video appointment booked during the run has its meeting row (the platform's outbox row).
    "booked_video_without_meeting": """
        SELECT count(*) FROM scheduling_appointment
         WHERE created_at >= %(since)s AND modality = 'video' AND meeting_id IS NULL
    """,
    # Every participant with an email of an appointment booked during the run has exactly one invitation.
    "participants_without_one_invitation": """
        SELECT count(*) FROM scheduling_participant p JOIN scheduling_appointment a ON a.id = p.appointment_id
         WHERE a.created_at >= %(since)s AND p.email <> ''
           AND (SELECT count(*) FROM scheduling_notice n WHERE n.participant_id = p.id AND n.kind = 'invitation') <> 1
    """,
    # Every appointment cancelled during the run: a cancellation notice per participant with an email.
    "cancelled_without_cancellation_notice": """
        SELECT count(*) FROM scheduling_participant p JOIN scheduling_appointment a ON a.id = p.appointment_id
         WHERE a.status = 'cancelled' AND a.updated_at >= %(since)s AND p.email <> ''
           AND NOT EXISTS (SELECT 1 FROM scheduling_notice n WHERE n.participant_id = p.id AND n.kind = 'cancellation')
    """,
    "meetings_pending_too_long": """
        SELECT count(*) FROM virtualcare_meeting
         WHERE delivery_status = 'pending' AND pending_action <> ''
           AND updated_at < now() - make_interval(secs => %(limit)s)
    """,
    "notices_pending_too_long": """
        SELECT count(*) FROM scheduling_notice
         WHERE delivery_status = 'pending' AND created_at < now() - make_interval(secs => %(limit)s)
    """,
    "outbox_failed": """
        SELECT (SELECT count(*) FROM virtualcare_meeting WHERE delivery_status = 'failed' AND created_at >= %(since)s)
             + (SELECT count(*) FROM scheduling_notice WHERE delivery_status = 'failed' AND created_at >= %(since)s
                   -- an invitation not sent because its appointment was cancelled first is by design
                   AND last_error <> 'Appointment cancelled before sending.')
    """,
}
PENDING_NOW = """
    SELECT (SELECT count(*) FROM virtualcare_meeting WHERE delivery_status = 'pending' AND pending_action <> '')
         + (SELECT count(*) FROM scheduling_notice WHERE delivery_status = 'pending')
"""


def run(
    *,
    duration: int = 300,
    users: int = 50,
    spawn_rate: float = 10,
    web_workers: int | None = None,
    reuse_data: bool = False,
) -> list[dict]:
    env = stack.environment()
    var = Path(env["PORTAL_VAR_DIR"])
    var.mkdir(parents=True, exist_ok=True)
    personas = var / "personas.json"
    if not (reuse_data and personas.exists()):
        stack.recreate_database(env)
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [stack.PYTHON, "-m", "bench.load.dataset", "--out", str(personas)],
            cwd=stack.ROOT,
            env=env,
            check=True,
            stdout=sys.stderr,
        )
        print(f"data set: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stack.flush_redis(env)
    stack.collectstatic(env)
    for log in ("gunicorn.log", "worker.log"):
        (var / log).unlink(missing_ok=True)
    _say("starting the worker (with beat) and gunicorn")
    worker = stack.start_worker(env, concurrency=2, beat=True)
    web = None
    try:
        web = stack.start_gunicorn(env, workers=web_workers)
        warm_up_failures = stack.warm_up(web)
        # Only what happens under the measured load counts below (the log keeps the warm-up's lines).
        warm_up_log_lines = len(web.log_path.read_text(errors="replace").splitlines())
        sampler = stack.MemorySampler({"web": web.pid, "worker": worker.pid}).start()
        since = _database_now(env)
        prefix = var / "locust"
        counts_path = var / "locust-counts.json"
        counts_path.unlink(missing_ok=True)
        locust_env = dict(env, LOAD_PERSONAS=str(personas), LOAD_COUNTS=str(counts_path))
        command = [
            str(stack.BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "-t",
            f"{duration}s",
            "--host",
            web.url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
        ]
        _say(f"locust: {users} users for {duration} s against {web.url}")
        load_before = os.getloadavg()
        with (var / "locust.log").open("wb") as log:
            subprocess.run(command, cwd=stack.ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        load_after = os.getloadavg()
        _say("waiting for the outbox to drain, then checking the invariants")
        drained_after = _wait_drained(env, timeout=RELAY_INTERVAL_SECONDS + 60)
        sampler.stop()
        invariants = _invariants(env, since)
    finally:
        if web:
            web.stop()
        worker.stop()
    counts = json.loads(counts_path.read_text()) if counts_path.exists() else {}
    server_errors = _server_errors(var / "gunicorn.log", skip=warm_up_log_lines)
    worker_errors = _worker_errors(var / "worker.log")
    rows = _locust_rows(Path(f"{prefix}_stats.csv"), counts=counts, users=users, duration=duration)
    rows[0]["notes"] += (
        f"; load average {load_before[0]:.1f} before, {load_after[0]:.1f} at the end (other work on the machine "
        "counts too)"
    )
    rows.append(_invariant_row(invariants, drained_after, server_errors, worker_errors))
    rows[-1]["notes"] += f"; warm-up (30 requests before the load) failures: {warm_up_failures}"
    rows.extend(stack.memory_rows(sampler))
    return rows


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _connect(env: dict[str, str]):
    import psycopg2

    return psycopg2.connect(env["DATABASE_URL"])


def _database_now(env: dict[str, str]):
    with _connect(env) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def _wait_drained(env: dict[str, str], *, timeout: float) -> float | None:
    """Seconds until no outbox row is pending any more (None if some still are after `timeout`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with _connect(env) as connection, connection.cursor() as cursor:
            cursor.execute(PENDING_NOW)
            if cursor.fetchone()[0] == 0:
                return round(time.monotonic() - started, 1)
        time.sleep(1)
    return None


def _invariants(env: dict[str, str], since) -> dict[str, int]:
    results = {}
    with _connect(env) as connection, connection.cursor() as cursor:
        for name, sql in INVARIANTS.items():
            cursor.execute(sql, {"since": since, "limit": RELAY_INTERVAL_SECONDS + 60})
            results[name] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM scheduling_appointment WHERE created_at >= %s", [since])
        results["appointments_booked"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM scheduling_notice WHERE created_at >= %s AND delivery_status = 'done'", [since]
        )
        results["notices_sent"] = cursor.fetchone()[0]
    return results


def _server_errors(log: Path, *, skip: int = 0) -> int:
    """5xx in gunicorn's access log (its format puts the status after the quoted request line)."""
    if not log.exists():
        return 0
    pattern = re.compile(r'" (5\d\d) ')
    return sum(1 for line in log.read_text(errors="replace").splitlines()[skip:] if pattern.search(line))


def _worker_errors(log: Path) -> int:
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text(errors="replace").splitlines() if " ERROR/" in line or "Traceback" in line)


def _locust_rows(stats: Path, *, counts: dict, users: int, duration: int) -> list[dict]:
    if not stats.exists():
        return [stack.row("load_total", target=READ_TARGET, met=False, notes=f"locust wrote no {stats.name}")]
    rows = []
    with stats.open() as handle:
        for line in csv.DictReader(handle):
            name = line["Name"]
            if name.startswith("agenda next week"):
                continue  # the one request per user at start, not part of the mix
            total = name == "Aggregated"
            is_write = name.startswith(("book", "cancel"))
            p95, p99 = _number(line["95%"]), _number(line["99%"])
            failures = int(line["Failure Count"])
            if total:
                met = failures == 0
                target = "0 unexpected errors (409s on book/cancel expected)"
            elif is_write:
                met = failures == 0 and p95 is not None and p95 <= 500
                target = WRITE_TARGET
            else:
                met = failures == 0 and p95 is not None and p95 <= 300 and p99 is not None and p99 <= 1000
                target = READ_TARGET
            notes = f"{line['Request Count']} requests, {failures} failures"
            if name.startswith("book"):
                notes += f", {counts.get('booked', 0)} booked, {counts.get('book_409', 0)} x 409 (slot taken)"
            if name.startswith("cancel"):
                notes += f", {counts.get('cancelled', 0)} cancelled, {counts.get('cancel_409', 0)} x 409"
            if total:
                notes += f"; {users} users x {duration} s, think time 1-3 s, locust on the same 2 cores"
            rows.append(
                stack.row(
                    "load_total" if total else "load: " + name,
                    rps=round(float(line["Requests/s"]), 1),
                    p50_ms=_number(line["50%"]),
                    p95_ms=p95,
                    p99_ms=p99,
                    target=target,
                    met=met,
                    notes=notes,
                    requests=int(line["Request Count"]),
                    failures=failures,
                )
            )
    rows.sort(key=lambda row: row["scenario"] != "load_total")
    return rows


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _invariant_row(invariants: dict, drained_after, server_errors: int, worker_errors: int) -> dict:
    broken = {
        name: value
        for name, value in invariants.items()
        if name not in ("appointments_booked", "notices_sent") and value != 0
    }
    met = not broken and server_errors == 0 and drained_after is not None
    notes = (
        f"{invariants['appointments_booked']} appointments booked, {invariants['notices_sent']} notices sent during "
        f"the run; outbox drained {drained_after} s after the load stopped"
        if drained_after is not None
        else "outbox NOT drained within relay interval + 60 s"
    )
    notes += f"; gunicorn 5xx: {server_errors}; worker errors/tracebacks: {worker_errors}"
    notes += "; broken: " + (", ".join(f"{k}={v}" for k, v in broken.items()) if broken else "none")
    return stack.row(
        "load_invariants",
        target="no overlap; every booking has its outbox rows; nothing pending > relay interval + 60 s; 0 x 5xx",
        met=met,
        notes=notes,
        invariants=invariants,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=300, help="seconds (default 300)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--web-workers", type=int, default=None, help="default: gunicorn.conf.py's (2 x cores + 1)")
    parser.add_argument("--reuse-data", action="store_true", help="keep the database and personas of the last run")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless there was no unexpected error and the invariants held (latencies are only reported)",
    )
    args = parser.parse_args()
    rows = run(
        duration=args.duration,
        users=args.users,
        spawn_rate=args.spawn_rate,
        web_workers=args.web_workers,
        reuse_data=args.reuse_data,
    )
    print(json.dumps(rows, indent=2, default=str))
    if args.check:
        verdicts = {row["scenario"]: row["met"] for row in rows if row["scenario"] in ("load_total", "load_invariants")}
        print("load test:", verdicts)
        if verdicts != {"load_total": True, "load_invariants": True}:
            sys.exit(1)


if __name__ == "__main__":
    main()
