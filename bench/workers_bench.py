"""1,000 bookings' meetings and invitations through real Celery workers: Teams meetings and
Graph mail at the fake Microsoft Graph of the tests (tests/fakes/graph.py), answering every request in
50 ms. Target: all done in under 60 s with the default worker settings; no duplicate at the fake nor in
the database.

How: 1,000 Teams bookings are made through the booking service while no worker runs (their tasks wait
in Redis), then a worker with the default settings (`celery -A telesante worker`: prefork, one process
per core) starts and the clock runs from its launch (start-up included) until every meeting and
invitation row is done.

    .venv/bin/python -m bench.workers_bench [--bookings 1000] [--pool prefork] [--concurrency N]
"""

from __future__ import annotations

import argparse
import email
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import stack

DATABASE = "loadtest_workers"
PROFESSIONALS = 20
PROVIDER_DELAY_SECONDS = 0.05


def _slow_fakes(delay: float):
    """The Graph fake (and its Entra fake) answering every request after `delay` seconds."""
    from tests.fakes.graph import EntraFake, GraphFake

    class SlowEntra(EntraFake):
        def _handle(self, request):
            time.sleep(delay)
            return super()._handle(request)

    class SlowGraph(GraphFake):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.entra = SlowEntra(
                tenant_id=self.entra.tenant_id, client_id=self.entra.client_id, client_secret=self.entra.client_secret
            )

        def _handle(self, request):
            time.sleep(delay)
            return super()._handle(request)

    return SlowGraph()


def _book(count: int) -> float:
    """`count` Teams bookings through the service, spread over 20 professionals; returns the seconds taken."""
    from django.utils import timezone

    from directory import nam
    from directory.models import Clinic, ClinicMembership, Establishment, Installation, Patient, User
    from scheduling.services import BookingDetails, ParticipantDetails, book_appointment

    establishment = Establishment.objects.create(name="CISSS des travailleurs", phone="+14504661000")
    installation = Installation.objects.create(establishment=establishment, name="Hôpital des travailleurs")
    clinic = Clinic.objects.create(
        installation=installation, name="Clinique d'oncologie", phone="+14504665050", default_platform="teams"
    )
    users = []
    for n in range(PROFESSIONALS):
        user = User.objects.create(
            username=f"travail-{n:02d}",
            last_name="Gagnon",
            first_name="Marie",
            email=f"travail-{n:02d}@ssss.gouv.qc.ca",
            profession="pivot_nurse_oncology",
            practice_number=f"{2000000 + n}",
        )
        ClinicMembership.objects.create(user=user, clinic=clinic, role=ClinicMembership.Role.PROFESSIONAL)
        users.append(user)
    patients = []
    for p in range(50):
        born = datetime(1950 + p % 40, 1 + p % 12, 1 + p % 28).date()
        patient = Patient.objects.create(
            establishment=establishment,
            last_name="Tremblay",
            first_name="Louise",
            date_of_birth=born,
            sex="F",
            nam=nam.build("Tremblay", "Louise", born, "F"),
            file_number=str(300000 + p),
            phone="+14505550101",
            email=f"patient{p}@example.com",
        )
        patient.clinics.add(clinic)
        patients.append(patient)
    first_day = timezone.localdate() + timedelta(days=1)
    started = time.perf_counter()
    for number in range(count):
        user = users[number % PROFESSIONALS]
        slot = number // PROFESSIONALS
        day = first_day + timedelta(days=slot // 16)
        start = datetime.combine(day, clock(13 + (slot % 16) // 2, 30 * (slot % 2)), tzinfo=UTC)
        book_appointment(
            by=user,
            patient=patients[number % len(patients)],
            clinic=clinic,
            details=BookingDetails(
                kind="scheduled",
                modality="video",
                platform="teams",
                reason="between_cycles",
                start=start,
                duration_minutes=30,
                internet_ok=True,
                device_ok=True,
            ),
            participants=[
                ParticipantDetails(role="caregiver", name="Paul Tremblay", email=f"proche{number}@example.com")
            ]
            if number % 4 == 0
            else [],
        )
    return time.perf_counter() - started


def _outstanding() -> tuple[int, int]:
    from scheduling.models import Notice
    from virtualcare.models import Meeting

    meetings = Meeting.objects.filter(delivery_status="pending").exclude(pending_action="").count()
    return meetings, Notice.objects.filter(delivery_status="pending").count()


def run(*, bookings: int = 1000, pool: str | None = None, concurrency: int | None = None) -> list[dict]:
    """The rows, measured in a fresh process (Django set up with this benchmark's own database and broker)."""
    options = ["--bookings", str(bookings)]
    if pool:
        options += ["--pool", pool]
    if concurrency:
        options += ["--concurrency", str(concurrency)]
    return stack.run_isolated("bench.workers_bench", *options)


def measure(
    *, bookings: int = 1000, pool: str | None = None, concurrency: int | None = None, timeout: float = 600
) -> list[dict]:
    fake = _slow_fakes(PROVIDER_DELAY_SECONDS).start()
    try:
        env = stack.environment(
            database=DATABASE,
            EMAIL_BACKEND="virtualcare.mail.GraphEmailBackend",
            PROVIDER_TIMEOUT_SECONDS="5",
            STATIC_MANIFEST="false",
            **fake.environment(),
        )
        stack.recreate_database(env)
        stack.flush_redis(env)
        os.environ.update(env)
        import django

        django.setup()
        booking_seconds = _book(bookings)
        from django.db import connection

        from scheduling.models import Appointment, Notice
        from virtualcare.models import Meeting

        expected_notices = Notice.objects.count()
        extra = []
        if pool:
            extra += ["-P", pool]
        if concurrency:
            extra += ["-c", str(concurrency)]
        launched = time.perf_counter()
        worker = _start_default_worker(env, extra)
        sampler = stack.MemorySampler({"worker": worker.pid}).start()
        finished = None
        try:
            while time.perf_counter() - launched < timeout:
                if _outstanding() == (0, 0):
                    finished = time.perf_counter()
                    break
                connection.close()
                time.sleep(0.25)
        finally:
            sampler.stop()
            worker.stop()
        elapsed = (finished or time.perf_counter()) - launched
        # -- duplicates: at the fake and in the database ------------------------------------------------
        creations = Counter(
            r.body.get("externalId") for r in fake.requests_to("POST", "createOrGet") if isinstance(r.body, dict)
        )
        message_ids = Counter()
        for sent in fake.sent_mail:
            mime = sent.get("mime")
            if mime:
                message_ids[email.message_from_bytes(mime).get("Message-ID")] += 1
        duplicate_mail = sum(n - 1 for n in message_ids.values() if n > 1)
        repeated_creations = sum(n - 1 for n in creations.values() if n > 1)
        meetings_done = Meeting.objects.filter(delivery_status="done").exclude(join_url="").count()
        notices_done = Notice.objects.filter(delivery_status="done").count()
        failed = (
            Meeting.objects.filter(delivery_status="failed").count()
            + Notice.objects.filter(delivery_status="failed").count()
        )
        appointments = Appointment.objects.count()
        database_duplicates = appointments - Appointment.objects.values("meeting_id").distinct().count()
    finally:
        fake.stop()
    all_done = finished is not None and meetings_done == bookings and notices_done == expected_notices
    no_duplicate = (
        duplicate_mail == 0
        and len(fake.meetings) == bookings
        and len(message_ids) == expected_notices
        and database_duplicates == 0
    )
    settings_used = " ".join(extra) or "default (prefork, one process per core)"
    return [
        stack.row(
            f"workers_{bookings}_bookings" + (f" ({settings_used})" if extra else ""),
            rps=round((bookings + expected_notices) / elapsed, 1),
            target="1,000 bookings' meetings + invitations done < 60 s, default worker settings; no duplicate",
            met=all_done and no_duplicate and elapsed < 60,
            notes=(
                f"{meetings_done}/{bookings} Teams meetings and {notices_done}/{expected_notices} invitations done in "
                f"{elapsed:.1f} s from the worker's launch (start-up included; worker {settings_used}); fake Graph "
                f"answering in {1000 * PROVIDER_DELAY_SECONDS:.0f} ms: {len(fake.meetings)} meetings, "
                f"{len(fake.sent_mail)} mails, {duplicate_mail} duplicate Message-ID, {repeated_creations} repeated "
                f"createOrGet (idempotent); {failed} failed rows; {database_duplicates} duplicate rows in the "
                f"database; bookings made in {booking_seconds:.1f} s beforehand (service, no worker); rps = "
                "effects (meetings + mails) per second"
                f"; load average {os.getloadavg()[0]:.1f} at the end"
            ),
            elapsed_s=round(elapsed, 1),
            peak_rss_mb=max(sampler.peak_children_mb("worker") or 0, sampler.peak_root_mb("worker") or 0),
        )
    ]


def _start_default_worker(env: dict[str, str], extra: list[str]) -> stack.Service:
    """`celery -A telesante worker` as docker-compose.yml runs it; we only wait for it to exit later."""
    log_path = Path(env["PORTAL_VAR_DIR"]) / "workers-bench.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [str(stack.BIN / "celery"), "-A", "telesante", "worker", "-l", "WARNING", *extra]
    process = subprocess.Popen(  # noqa: S603
        command, cwd=stack.ROOT, env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT
    )
    return stack.Service("worker", process, log_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--pool", default=None, help="e.g. threads (default: Celery's, prefork)")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # always in this process
    args = parser.parse_args()
    print(json.dumps(measure(bookings=args.bookings, pool=args.pool, concurrency=args.concurrency), indent=2))


if __name__ == "__main__":
    main()
