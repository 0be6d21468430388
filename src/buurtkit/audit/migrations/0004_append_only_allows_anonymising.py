"""Anonymising may clear personal text in append-only rows on PostgreSQL (issue 18).

The trigger function still refuses every DELETE, and every UPDATE unless the anonymise
service opened ``buurtkit.core.anonymising.unlocked()`` in its transaction (the setting
``buurtkit.anonymising``) AND the update changes nothing but the text columns that can hold a
copy of a person's name or number (actor_label, data). Everything else in the row (amounts,
accounts, times, kinds) stays as it was written.
"""

from django.db import migrations

KEEP = "actor_label, data"


def function(allow: bool) -> str:
    guard = ""
    if allow:
        minus = " ".join(f"- '{c.strip()}'" for c in KEEP.split(","))
        guard = f"""
  IF TG_OP = 'UPDATE'
     AND coalesce(current_setting('buurtkit.anonymising', true), '') = 'on'
     AND (to_jsonb(NEW) {minus}) = (to_jsonb(OLD) {minus}) THEN
    RETURN NEW;
  END IF;"""
    return f"""
CREATE OR REPLACE FUNCTION audit_event_immutable() RETURNS trigger AS $$
BEGIN{guard}
  RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(True), params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(False), params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_drop_redundant_indexes")]
    operations = [migrations.RunPython(up, down)]
