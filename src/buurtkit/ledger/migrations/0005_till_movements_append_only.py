"""Till movements are append-only in PostgreSQL itself, like transfers: every paper note in a
till is traced to a deposit, a withdrawal, a float or a correction, and none is edited away."""

from django.db import migrations

PG_UP = """
CREATE TRIGGER ledger_tillmovement_no_update BEFORE UPDATE OR DELETE ON ledger_tillmovement
  FOR EACH ROW EXECUTE FUNCTION ledger_transfer_immutable();
"""
PG_DOWN = "DROP TRIGGER IF EXISTS ledger_tillmovement_no_update ON ledger_tillmovement;"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_budgets_approvals_exchange_offices")]
    operations = [migrations.RunPython(up, down)]
