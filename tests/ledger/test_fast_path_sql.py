"""The fast path's function in the database is its one file, ``ledger/sql/ledger_fast_payment.sql``.

A change to the file must come with a migration that loads it (``0010_fast_payment_from_file``
and its successors record the file's digest), and a change to the function must be made in
the file: either alone fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import pytest
from django.db import connection, transaction

from buurtkit.ledger import sql_files
from buurtkit.ledger.migrations import __path__ as migrations_path

FENCE_SCHEMA = "ledger_fast_path_file"


def _definition(cursor: Any, qualified_name: str) -> str:
    """``pg_get_functiondef`` (the whole ``CREATE`` statement as PostgreSQL keeps it: arguments,
    result, language, volatility, settings and body), without the function's schema."""
    cursor.execute("SELECT pg_get_functiondef(%s::regproc)", [qualified_name])
    text = str(cursor.fetchone()[0])
    return re.sub(r"FUNCTION [\w\"]+\.ledger_fast_payment\(", "FUNCTION ledger_fast_payment(", text)


@pytest.mark.django_db
@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the fast path exists on PostgreSQL only: run with DATABASE_URL=postgres://...",
)
def test_the_function_in_the_database_is_the_file() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE p.proname = %s",
            [sql_files.FAST_PAYMENT],
        )
        schemas = [row[0] for row in cursor.fetchall()]
        assert len(schemas) == 1, schemas  # one function: no stale overload left behind
        deployed = _definition(cursor, f"{schemas[0]}.{sql_files.FAST_PAYMENT}")
        # The file's statement, created in a schema of its own (and rolled back): PostgreSQL
        # writes both definitions out the same way, so only a real difference shows.
        with transaction.atomic():
            cursor.execute(f"CREATE SCHEMA {FENCE_SCHEMA}")
            cursor.execute(f"SET LOCAL search_path TO {FENCE_SCHEMA}, {schemas[0]}")
            cursor.execute(sql_files.function_sql(sql_files.FAST_PAYMENT))
            from_file = _definition(cursor, f"{FENCE_SCHEMA}.{sql_files.FAST_PAYMENT}")
            transaction.set_rollback(True)
    assert deployed == from_file, (
        "ledger_fast_payment in the database is not ledger/sql/ledger_fast_payment.sql: change "
        "the function in that file (and add a migration that loads it), not in a migration"
    )


def test_the_newest_migration_that_loads_the_file_was_written_for_it() -> None:
    """Runs on every database: the digest needs none."""
    loaders = {}
    for info in pkgutil.iter_modules(migrations_path):
        module = importlib.import_module(f"buurtkit.ledger.migrations.{info.name}")
        if hasattr(module, "FUNCTION_SHA256"):
            loaders[info.name] = module.FUNCTION_SHA256
    assert "0010_fast_payment_from_file" in loaders
    newest = max(loaders)
    assert loaders[newest] == sql_files.digest(sql_files.FAST_PAYMENT), (
        f"ledger/sql/ledger_fast_payment.sql changed after migration {newest} was written: add a "
        "migration that loads it (like 0010_fast_payment_from_file) with FUNCTION_SHA256 = "
        f"{sql_files.digest(sql_files.FAST_PAYMENT)!r}"
    )
