"""PostgreSQL triggers that keep append-only tables append-only, with one door for anonymising.

The trigger function refuses every DELETE, and every UPDATE unless the anonymise service
opened ``buurtkit.core.anonymising.unlocked()`` in its transaction (the setting
``buurtkit.anonymising``) AND the update changes nothing but the named text columns that can
hold a copy of a person's name or number. Everything else in the row (amounts, accounts,
times, kinds) stays as it was written. Migrations use :func:`allow_anonymising`.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def immutable_function_sql(function: str, what: str, anonymisable: tuple[str, ...] = ()) -> str:
    """``CREATE OR REPLACE FUNCTION function()``: refuse changes to ``what`` (e.g. "transfers"),
    except an anonymising update of only the ``anonymisable`` columns."""
    guard = ""
    if anonymisable:
        minus = " ".join(f"- '{column}'" for column in anonymisable)
        guard = f"""
  IF TG_OP = 'UPDATE'
     AND coalesce(current_setting('buurtkit.anonymising', true), '') = 'on'
     AND (to_jsonb(NEW) {minus}) = (to_jsonb(OLD) {minus}) THEN
    RETURN NEW;
  END IF;"""
    return f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN{guard}
  RAISE EXCEPTION '{what} are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def allow_anonymising(function: str, what: str, columns: tuple[str, ...]) -> Any:
    """A migration operation: let anonymising clear ``columns`` of the rows ``function``
    guards (on PostgreSQL; SQLite has the ORM guard only). Reversed, the door closes."""

    def up(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(immutable_function_sql(function, what, columns), params=None)

    def down(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(immutable_function_sql(function, what), params=None)

    return migrations.RunPython(up, down)
