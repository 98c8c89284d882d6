"""The hash chain that makes the audit trail tamper-evident.

Each entry stores the SHA-256 of the entry before it (`previous_hash`) and its own `hash`, computed
over a canonical serialisation of its content plus `previous_hash`. Changing a row changes its hash;
deleting a row leaves the next row pointing at a hash that no longer exists. `verify_chain()` walks
the rows in id order in constant memory and reports the first break.

The chain has no secret: it proves that nobody changed the trail without also rewriting every later
hash. Record the head hash (the periodic task logs it) somewhere else to detect a rewritten tail.
"""

import datetime
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections

GENESIS = "0" * 64
# pg_advisory_xact_lock key shared by every writer of the audit trail ("auditcha" in ASCII).
LOCK_KEY = 0x6175646974636861
CONTENT_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "patient_id",
    "channel",
    "ip_address",
    "details",
)


def _instant(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.isoformat(timespec="microseconds")


def _ip(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def _uuid(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return str(uuid.UUID(str(value)))


def canonical(row: Mapping[str, Any], previous_hash: str) -> bytes:
    """The bytes the hash covers: the row's content and the previous hash, as sorted-key JSON."""
    payload = {
        "id": int(row["id"]),
        "occurred_at": _instant(row["occurred_at"]),
        "actor_id": row["actor_id"],
        "actor_username": row["actor_username"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "patient_id": _uuid(row["patient_id"]),
        "channel": row["channel"],
        "ip_address": _ip(row["ip_address"]),
        # Round-tripped so that what was written and what the database gives back serialise alike.
        "details": json.loads(json.dumps(row["details"] or {})),
        "previous_hash": previous_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(row: Mapping[str, Any], previous_hash: str) -> str:
    return hashlib.sha256(canonical(row, previous_hash)).hexdigest()


def link(event, using: str) -> None:
    """Give a new event its id, previous_hash and hash. Call inside a transaction: the lock lasts until its end."""
    model = type(event)
    table = model._meta.db_table
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One appender at a time: the lock is held until the transaction commits, so the next
            # appender reads this row as the latest. Hence the portal locks rows with FOR NO KEY UPDATE
            # (select_for_update(no_key=True)): a plain FOR UPDATE would block the foreign-key checks
            # made at commit by a transaction holding this lock, and deadlock with it.
            # The read is a statement of its own, taken after
            # the lock (a statement's snapshot dates from its start). Ids come from the sequence.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence(%s, 'id')), "  # noqa: S608 (our own table name)  # nosec B608
                f'(SELECT hash FROM "{table}" ORDER BY id DESC LIMIT 1)',
                [table],
            )
            new_id, latest = cursor.fetchone()
        elif connection.vendor == "sqlite":
            # Immediate transactions (settings): this writer already holds the database's write lock.
            # The sequence keeps the id of a deleted last row from being given again.
            cursor.execute(
                f'SELECT MAX(COALESCE((SELECT MAX(id) FROM "{table}"), 0), '  # noqa: S608 (our own table name)  # nosec B608
                "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) + 1, "
                f'(SELECT hash FROM "{table}" ORDER BY id DESC LIMIT 1)',
                [table],
            )
            new_id, latest = cursor.fetchone()
        else:
            last = (
                model._base_manager.using(using)
                .select_for_update(no_key=True)
                .order_by("-id")
                .values("id", "hash")
                .first()
            )
            new_id, latest = (last["id"] + 1, last["hash"]) if last else (1, None)
    event.id = new_id
    event.previous_hash = latest if latest is not None else GENESIS
    event.hash = compute_hash({name: getattr(event, name) for name in CONTENT_FIELDS}, event.previous_hash)


class Problem:
    CONTENT_CHANGED = "content_changed"
    PREVIOUS_HASH_MISMATCH = "previous_hash_mismatch"
    MISSING_ENTRIES = "missing_entries"


DESCRIPTIONS = {
    Problem.CONTENT_CHANGED: "its content no longer matches its hash (changed after it was recorded)",
    Problem.PREVIOUS_HASH_MISMATCH: "its previous_hash names entry {pointed} instead of entry {previous}",
    Problem.MISSING_ENTRIES: "its previous_hash matches no entry: entries are missing between entry {previous} and it",
}


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    problem: str
    previous_id: int | None  # the last intact entry before the break (None: the break is at the start)
    pointed_id: int | None = None  # for a mismatch: the entry the previous_hash actually names

    def describe(self) -> str:
        detail = DESCRIPTIONS[self.problem].format(
            previous=self.previous_id if self.previous_id is not None else "(start of the trail)",
            pointed=self.pointed_id,
        )
        return f"entry {self.entry_id}: {detail}"


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries checked (all of them when intact; up to and including the break otherwise)
    last_id: int | None  # the last intact entry
    last_hash: str
    first_break: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_chain(*, using: str = "default", chunk_size: int = 2000) -> ChainReport:
    """Walk the trail in id order, recompute every hash and return the first break, if any."""
    from .models import AuditEvent

    rows = (
        AuditEvent._base_manager.using(using)
        .order_by("id")
        .values(*CONTENT_FIELDS, "previous_hash", "hash")
        .iterator(chunk_size=chunk_size)
    )
    expected_previous, previous_id, count = GENESIS, None, 0
    for row in rows:
        count += 1
        if compute_hash(row, row["previous_hash"]) != row["hash"]:
            failure = ChainBreak(row["id"], Problem.CONTENT_CHANGED, previous_id)
            return ChainReport(count, previous_id, expected_previous, failure)
        if row["previous_hash"] != expected_previous:
            pointed = (
                AuditEvent._base_manager.using(using)
                .filter(hash=row["previous_hash"])
                .values_list("id", flat=True)
                .first()
            )
            problem = Problem.MISSING_ENTRIES if pointed is None else Problem.PREVIOUS_HASH_MISMATCH
            failure = ChainBreak(row["id"], problem, previous_id, pointed)
            return ChainReport(count, previous_id, expected_previous, failure)
        expected_previous, previous_id = row["hash"], row["id"]
    return ChainReport(count, previous_id, expected_previous)
