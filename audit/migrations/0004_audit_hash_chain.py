"""Audit events carry the hash of the entry before them, and existing entries are chained in id order.

The append-only trigger of 0002 refuses UPDATE, so the backfill lifts it for its own transaction:
PostgreSQL disables it around the updates; SQLite loses it anyway when Django rebuilds the table to
add the columns and the constraint, so it is created again at the end (and after a reversal).
The hashing is frozen here as it was when this migration was written (see audit.chain).
"""

import datetime
import hashlib
import ipaddress
import json
import uuid

from django.db import migrations, models

GENESIS = "0" * 64
BATCH = 1000
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS audit_event_append_only BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""


def _canonical(row, previous_hash):
    occurred_at = row.occurred_at
    if occurred_at.tzinfo is not None:
        occurred_at = occurred_at.astimezone(datetime.UTC)
    ip = row.ip_address
    if ip not in (None, ""):
        try:
            ip = str(ipaddress.ip_address(str(ip)))
        except ValueError:
            ip = str(ip)
    else:
        ip = None
    payload = {
        "id": int(row.id),
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_username": row.actor_username,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "patient_id": str(uuid.UUID(str(row.patient_id))) if row.patient_id not in (None, "") else None,
        "channel": row.channel,
        "ip_address": ip,
        "details": json.loads(json.dumps(row.details or {})),
        "previous_hash": previous_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # ALTER TABLE refuses while deferred foreign key checks wait in the transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_append_only")
    manager = AuditEvent._base_manager.using(schema_editor.connection.alias)
    previous_hash, last_id = GENESIS, 0
    while batch := list(manager.filter(id__gt=last_id).order_by("id")[:BATCH]):
        for row in batch:
            digest = hashlib.sha256(_canonical(row, previous_hash)).hexdigest()
            manager.filter(id=row.id).update(previous_hash=previous_hash, hash=digest)
            previous_hash, last_id = digest, row.id
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def restore_sqlite_trigger(apps, schema_editor):
    """Django rebuilds a SQLite table to add a column or a unique constraint, which drops its triggers."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_prescription_actions")]

    operations = [
        # Runs last when the migration is reversed, after the table was rebuilt without the columns.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="previous entry's hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("previous_hash",), name="audit_chain_no_fork"),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
