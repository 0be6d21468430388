"""A code's history is append-only in PostgreSQL itself: row UPDATE and DELETE are refused."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION qrcodes_history_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'code history is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER qrcodes_codeevent_no_update BEFORE UPDATE OR DELETE ON qrcodes_codeevent
  FOR EACH ROW EXECUTE FUNCTION qrcodes_history_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS qrcodes_codeevent_no_update ON qrcodes_codeevent;
DROP FUNCTION IF EXISTS qrcodes_history_immutable();
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("qrcodes", "0004_scan_sums_covering_indexes")]
    operations = [migrations.RunPython(up, down)]
