"""The audit trail is a hash chain: changing or deleting an entry shows, and a command finds the first break."""

import contextlib
import importlib
import logging
import threading
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction

from audit import chain
from audit.models import AuditEvent
from audit.services import record, verify_chain
from audit.tasks import verify_audit_chain_task

Action = AuditEvent.Action


def record_some(actor, count=5, patient=None):
    return [
        record(actor=actor, action=Action.PATIENT_SEARCH, patient=patient, details={"shown": [str(i)]})
        for i in range(count)
    ]


def without_trigger(sql, params=()):
    """Run `sql` behind the append-only trigger's back, inside the test's transaction (rolled back after)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses while foreign key checks wait
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_append_only")
        cursor.execute(sql, params)


@contextlib.contextmanager
def captured_logs(name):
    """The records a logger emits (the suite runs with pytest's logging plugin off, so no caplog)."""
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def run_command():
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestChain:
    def test_each_entry_carries_the_hash_of_the_one_before(self, nurse_a, patient_a):
        record_some(nurse_a, patient=patient_a)

        events = list(AuditEvent.objects.order_by("id"))
        assert events[0].previous_hash == chain.GENESIS
        assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
        assert all(len(e.hash) == 64 and int(e.hash, 16) >= 0 for e in events)
        assert len({e.hash for e in events}) == len(events)

    def test_the_hash_stored_is_the_hash_of_what_the_database_gives_back(self, nurse_a, patient_a):
        record(
            actor=nurse_a, action=Action.PATIENT_VIEW, target=patient_a, patient=patient_a, details={"b": 1, "a": "é"}
        )

        event = AuditEvent.objects.get()
        row = {name: getattr(event, name) for name in chain.CONTENT_FIELDS}
        assert chain.compute_hash(row, event.previous_hash) == event.hash

    def test_the_command_says_intact(self, nurse_a):
        record_some(nurse_a, 3)

        assert run_command().splitlines()[0] == "Audit chain intact: 3 entries"

    def test_an_empty_trail_is_intact(self):
        assert run_command().splitlines() == ["Audit chain intact: 0 entries"]

    def test_changing_an_entry_breaks_the_chain_at_that_entry(self, nurse_a):
        events = record_some(nurse_a)
        without_trigger("UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["quelqu_un", events[2].id])

        report = verify_chain()

        assert (report.first_break.entry_id, report.first_break.problem) == (
            events[2].id,
            chain.Problem.CONTENT_CHANGED,
        )
        assert report.last_id == events[1].id
        with pytest.raises(CommandError) as raised:
            run_command()
        assert raised.value.returncode == 1
        assert f"Audit chain broken at entry {events[2].id}:" in str(raised.value)

    def test_changing_the_details_breaks_the_chain(self, nurse_a):
        events = record_some(nurse_a)
        without_trigger("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"shown": ["9"]}', events[3].id])

        assert verify_chain().first_break.entry_id == events[3].id

    def test_deleting_an_entry_breaks_the_chain_at_the_next_one(self, nurse_a):
        events = record_some(nurse_a)
        without_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[2].id])

        failure = verify_chain().first_break

        assert (failure.entry_id, failure.problem, failure.previous_id) == (
            events[3].id,
            chain.Problem.MISSING_ENTRIES,
            events[1].id,
        )
        with pytest.raises(CommandError, match=f"entry {events[3].id}: .*missing between entry {events[1].id}"):
            run_command()

    def test_deleting_the_first_entry_shows(self, nurse_a):
        events = record_some(nurse_a, 3)
        without_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[0].id])

        failure = verify_chain().first_break

        assert (failure.entry_id, failure.problem, failure.previous_id) == (
            events[1].id,
            chain.Problem.MISSING_ENTRIES,
            None,
        )

    def test_a_rehashed_entry_pointing_elsewhere_is_a_mismatch(self, nurse_a):
        events = record_some(nurse_a)
        # A forger rewrites entry 3 to follow entry 0, recomputing its hash: the links no longer match.
        forged = AuditEvent.objects.get(id=events[3].id)
        row = {name: getattr(forged, name) for name in chain.CONTENT_FIELDS}
        digest = chain.compute_hash(row, events[0].hash)
        without_trigger(
            "UPDATE audit_auditevent SET previous_hash = %s, hash = %s WHERE id = %s",
            ["f" * 64, digest, events[1].id],  # keep the no-fork constraint happy
        )
        assert verify_chain().first_break.entry_id == events[1].id

    def test_the_task_logs_the_first_break_with_ids_only(self, nurse_a, patient_a):
        events = record_some(nurse_a, patient=patient_a)
        without_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])

        with captured_logs("audit.tasks") as records:
            result = verify_audit_chain_task()

        assert result == {
            "intact": False,
            "entries": 2,
            "break_id": events[2].id,
            "problem": chain.Problem.MISSING_ENTRIES,
        }
        [message] = [r.getMessage() for r in records if r.levelno == logging.ERROR]
        assert f"entry {events[2].id}" in message
        assert str(patient_a.public_id) not in message and nurse_a.username not in message

    def test_the_task_reports_an_intact_chain(self, nurse_a):
        record_some(nurse_a, 2)

        assert verify_audit_chain_task()["intact"] is True

    def test_verification_reads_in_batches(self, nurse_a):
        record_some(nurse_a, 7)

        assert verify_chain(chunk_size=2).entries == 7

    def test_events_cannot_be_bulk_created(self):
        with pytest.raises(TypeError):
            AuditEvent.objects.bulk_create([AuditEvent(action=Action.LOGIN)])

    def test_the_database_refuses_a_fork(self, nurse_a):
        record_some(nurse_a, 2)

        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (occurred_at, actor_username, action, target_type, target_id, "
                "channel, details, previous_hash, hash) SELECT occurred_at, actor_username, action, target_type, "
                "target_id, channel, details, previous_hash, %s FROM audit_auditevent WHERE id = "
                "(SELECT MIN(id) FROM audit_auditevent)",
                ["e" * 64],
            )


def test_the_migration_hashes_like_the_chain():
    """The backfill carries a frozen copy of the hashing: it must agree with audit.chain."""
    migration = importlib.import_module("audit.migrations.0004_audit_hash_chain")
    event = AuditEvent(
        id=42,
        actor_id=7,
        actor_username="infirmiere_a",
        action=Action.PATIENT_VIEW,
        target_type="patient",
        target_id=str(uuid.uuid4()),
        patient_id=uuid.uuid4(),
        channel="web",
        ip_address="2001:DB8::1",
        details={"fields": ["email"], "é": 1},
    )
    row = {name: getattr(event, name) for name in chain.CONTENT_FIELDS}

    assert migration._canonical(event, "a" * 64) == chain.canonical(row, "a" * 64)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers with immediate transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_recording_keeps_one_chain(nurse_a):
    threads_count, per_thread = 8, 10
    start = threading.Barrier(threads_count)
    errors = []

    def work():
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    record(actor=nurse_a, action=Action.PATIENT_SEARCH, details={})
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(previous) == threads_count * per_thread
    assert len(set(previous)) == len(previous)
    assert verify_chain().intact
