"""Search and count a regional stock fast (bench/lending_stock.py: 100,000 devices).

- ``search_text``: brand and model in capitals, a stored generated column, so text search
  compares it as it is instead of calling UPPER() on every row;
- the stock overview counts per state, kind and pool from one covering index; text search
  counts from the (community, search_text) index;
- on PostgreSQL also a trigram index on ``search_text`` (``pg_trgm``, a trusted extension that
  the database owner may create), which a selective search term uses.
"""

import django.db.models.functions.text
from django.db import migrations, models


def trigram_up(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS device_search_trgm_idx ON lending_device "
        "USING gin (search_text gin_trgm_ops)"
    )


def trigram_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS device_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0004_referrals_queue_invites"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="device",
            name="device_stock_idx",
        ),
        migrations.AddField(
            model_name="device",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Concat("brand", models.Value(" "), "model")
                ),
                output_field=models.CharField(max_length=161),
            ),
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(
                fields=["community", "state", "kind", "pool"], name="device_stock_pool_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(fields=["community", "search_text"], name="device_text_idx"),
        ),
        migrations.RunPython(trigram_up, trigram_down, elidable=False),
    ]
