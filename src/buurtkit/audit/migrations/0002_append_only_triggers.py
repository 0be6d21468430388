"""Make audit events append-only in PostgreSQL itself, not only in the ORM.

Row-level UPDATE and DELETE are refused for every role. TRUNCATE (a whole-table, owner-only
maintenance operation that Django's test flush uses) is left to database privileges: see
docs/operations.md for revoking it from the application's role in production. SQLite relies
on the ORM guard (AuditQuerySet / AuditEvent.save).
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION audit_event_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_event_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_immutable();
"""
def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the SQL contains a literal % (plpgsql RAISE format), not a placeholder.
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
