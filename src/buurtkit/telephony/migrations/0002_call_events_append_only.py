"""Call events are append-only in PostgreSQL itself: the webhook log is evidence of what the
provider told us and what we answered, and is never edited."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION telephony_callevent_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'call events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER telephony_callevent_no_update BEFORE UPDATE OR DELETE ON telephony_callevent
  FOR EACH ROW EXECUTE FUNCTION telephony_callevent_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS telephony_callevent_no_update ON telephony_callevent;
DROP FUNCTION IF EXISTS telephony_callevent_immutable();
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("telephony", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
