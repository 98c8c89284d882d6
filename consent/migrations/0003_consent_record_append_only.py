"""The database itself refuses to change consent records, as for the audit trail.

PostgreSQL refuses UPDATE and DELETE; SQLite (the embedded default) refuses UPDATE, since Django's
test flush empties tables with DELETE there. The model refuses both anyway.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION consent_record_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_record_append_only BEFORE UPDATE OR DELETE ON consent_consentrecord
    FOR EACH ROW EXECUTE FUNCTION consent_record_refuse_change();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS consent_record_append_only ON consent_consentrecord;
DROP FUNCTION IF EXISTS consent_record_refuse_change();
"""
SQLITE_FORWARD = """
CREATE TRIGGER IF NOT EXISTS consent_record_append_only BEFORE UPDATE ON consent_consentrecord
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS consent_record_append_only;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_first_consent_scripts")]

    operations = [migrations.RunPython(forward, backward)]
