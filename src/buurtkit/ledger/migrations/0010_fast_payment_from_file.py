"""PostgreSQL only: ``ledger_fast_payment`` from its one file, ``ledger/sql/ledger_fast_payment.sql``.

From here on the function's definition lives in that file, not in migrations (0007 and 0009
keep theirs: they are history). To change the function, edit the file and add a migration like
this one, with the file's new digest (``buurtkit.ledger.sql_files.digest``) as FUNCTION_SHA256;
tests/ledger/test_fast_path_sql.py fails until both are there.

The function this first loads is 0009's, with the comments that name the Python it mirrors
brought up to date (the ledger's services became a package, issue 19).
"""

import importlib

from django.db import migrations

from buurtkit.ledger import sql_files

FUNCTION_SHA256 = "8751f26ebfbd18da8ddad4f0da7fe066faee23491610468f1e8fe1075f0e15d9"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql_files.function_sql(sql_files.FAST_PAYMENT), params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("buurtkit.ledger.migrations.0009_lean_indexes")
        schema_editor.execute(previous._function(new=True), params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_lean_indexes")]
    operations = [migrations.RunPython(up, down)]
