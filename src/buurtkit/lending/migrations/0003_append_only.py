"""The device bank's evidence is append-only in PostgreSQL itself: a device's history (its
wipes are what the erasure certificates certify), the agreement texts residents sign, and the
signed hand-overs. Anonymising may clear the name, signature and PDF of a hand-over and
nothing else; the ORM refuses the same on SQLite (``lending.models``)."""

from django.db import migrations

from buurtkit.core.db.append_only import immutable_function_sql

TABLES = {
    "lending_deviceevent": ("lending_deviceevent_immutable", "device events", ()),
    "lending_agreementtext": ("lending_agreementtext_immutable", "agreement texts", ()),
    "lending_handover": (
        "lending_handover_immutable",
        "hand-overs",
        ("recipient_label", "signature_png", "agreement_pdf", "pdf_sha256", "connectivity_note"),
    ),
    "lending_handoverdevice": ("lending_handoverdevice_immutable", "hand-overs", ()),
}


def up(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (function, what, columns) in TABLES.items():
        schema_editor.execute(immutable_function_sql(function, what, columns), params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}();",
            params=None,
        )


def down(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (function, _what, _columns) in TABLES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};", params=None)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();", params=None)


class Migration(migrations.Migration):
    dependencies = [("lending", "0002_referrals_handovers_loans_repairs")]
    operations = [migrations.RunPython(up, down)]
