"""A professional is never booked twice at the same time, whatever the race (PostgreSQL).

An exclusion constraint on the organizer and the time range of every appointment not cancelled.
SQLite, the embedded default, has a single writer: the booking service's check under its write
lock gives the same guarantee there.
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_double_booking
    EXCLUDE USING gist (organizer_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (status <> 'cancelled');
"""
BACKWARD = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_double_booking;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_appointments")]

    operations = [migrations.RunPython(forward, backward)]
