"""The database itself keeps the registers (PostgreSQL, as for the audit trail).

Incidents and legal holds are completed or lifted, never deleted; communication and destruction
records are never changed nor deleted. SQLite (the embedded development default) gets no trigger,
because Django's test flush empties tables with DELETE there; the models refuse both anyway.
"""

from django.db import migrations

TABLES = {
    "privacy_confidentialityincident": "DELETE",
    "privacy_legalhold": "DELETE",
    "privacy_communicationrecord": "UPDATE OR DELETE",
    "privacy_destructionrecord": "UPDATE OR DELETE",
}
FUNCTION = """
CREATE OR REPLACE FUNCTION privacy_register_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the privacy registers are kept: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, operations in TABLES.items():
        schema_editor.execute(
            f"CREATE TRIGGER {table}_kept BEFORE {operations} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION privacy_register_refuse_change();"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_kept ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS privacy_register_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_backfill_communications")]

    operations = [migrations.RunPython(forward, backward)]
