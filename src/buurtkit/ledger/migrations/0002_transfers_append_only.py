"""Transfers are append-only in PostgreSQL itself: row UPDATE and DELETE are refused.

Corrections are reversal transfers. (Account balances do change, inside the same transaction
as the transfer that moves them; the invariant tests prove they always equal the transfers.)
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION ledger_transfer_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'transfers are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE OR DELETE ON ledger_transfer
  FOR EACH ROW EXECUTE FUNCTION ledger_transfer_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS ledger_transfer_no_update ON ledger_transfer;
DROP FUNCTION IF EXISTS ledger_transfer_immutable();
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
