"""Indexes for the patient search among a region's patients (PostgreSQL only).

The search matches a name fragment anywhere in the name (`search_name LIKE '%...%'`), a file number
whatever its case (`UPPER(file_number)`) or a NAM (`nam = ...`), ORed: without an index for each,
PostgreSQL reads every patient. A trigram index serves the fragment; the other two are plain. SQLite,
the embedded default, has a few patients and no trigrams: nothing to do there.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patient_search_name_trigram ON directory_patient USING gin (search_name gin_trgm_ops)",
    'CREATE INDEX IF NOT EXISTS patient_file_number_any_case ON directory_patient (UPPER("file_number"::text))',
    "CREATE INDEX IF NOT EXISTS patient_nam_lookup ON directory_patient (nam) WHERE nam <> ''",
    # Statistics of the new expression: without them the planner guesses 0.5 % of the patients match a
    # file number and reads the whole table rather than the index.
    "ANALYZE directory_patient",
]
BACKWARD = [
    "DROP INDEX IF EXISTS patient_nam_lookup",
    "DROP INDEX IF EXISTS patient_file_number_any_case",
    "DROP INDEX IF EXISTS patient_search_name_trigram",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_emergency_access")]

    operations = [migrations.RunPython(forward, backward)]
