"""Stock counters and text search at a regional size (bench/lending_stock.py, docs/lending.md).

- ``StockCount``: devices per kind, pool and state, kept by the stock service with every
  device event, so the stock overview reads a few rows instead of counting every device.
  Filled here from the devices there are.
- Text search: the (community, search_text) btree goes. A search counts its matches only up
  to a cap now, and on PostgreSQL a scan of that index in text order had to pass every
  "ACER…" to "LENOVO…" before the first "SAMSUNG GALAXY"; the planner now takes the trigram
  index (a rare term) or reads the table until the cap (a common one).
- On SQLite an FTS5 trigram table over ``search_text`` (external content: it stores only its
  index), kept in step by triggers on every insert, delete and change of brand or model. Text
  search asks it first how many devices match and finds rare terms through it.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count


FTS_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS lending_device_fts USING fts5("
    "search_text, content='lending_device', content_rowid='id', tokenize='trigram')",
    "INSERT INTO lending_device_fts(lending_device_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS lending_device_fts_ai AFTER INSERT ON lending_device BEGIN "
    "INSERT INTO lending_device_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS lending_device_fts_ad AFTER DELETE ON lending_device BEGIN "
    "INSERT INTO lending_device_fts(lending_device_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS lending_device_fts_au AFTER UPDATE OF brand, model "
    "ON lending_device BEGIN "
    "INSERT INTO lending_device_fts(lending_device_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO lending_device_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
FTS_DOWN = [
    "DROP TRIGGER IF EXISTS lending_device_fts_ai",
    "DROP TRIGGER IF EXISTS lending_device_fts_ad",
    "DROP TRIGGER IF EXISTS lending_device_fts_au",
    "DROP TABLE IF EXISTS lending_device_fts",
]


def fts_up(apps, schema_editor):
    connection = schema_editor.connection
    # The trigram tokenizer came with SQLite 3.34; without it search scans (selectors).
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 34):
        for sql in FTS_SQL:
            schema_editor.execute(sql)


def fts_down(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in FTS_DOWN:
            schema_editor.execute(sql)


def fill(apps, schema_editor):
    Device = apps.get_model("lending", "Device")
    StockCount = apps.get_model("lending", "StockCount")
    rows = (
        Device.objects.values_list("community_id", "kind", "pool", "state")
        .annotate(n=Count("*"))
        .order_by()
    )
    StockCount.objects.bulk_create(
        [
            StockCount(community_id=c, kind=kind, pool=pool, state=state, n=n)
            for c, kind, pool, state, n in rows
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_scheduled_job"),
        ("lending", "0006_handover_identity_reminders"),
    ]

    operations = [
        migrations.CreateModel(
            name="StockCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("laptop", "laptop"),
                            ("pc", "desktop PC"),
                            ("tablet", "tablet"),
                            ("smartphone", "smartphone"),
                            ("screen", "screen"),
                            ("projector", "projector"),
                            ("router", "router or modem"),
                            ("other", "other"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "pool",
                    models.CharField(
                        choices=[
                            ("handout", "for residents"),
                            ("place", "equipment of a place"),
                            ("parts", "spare parts"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("received", "received"),
                            ("wiped", "wiped"),
                            ("refurbished", "refurbished"),
                            ("checked", "checked"),
                            ("available", "available"),
                            ("reserved", "reserved"),
                            ("handed_over", "handed over"),
                            ("in_repair", "in repair"),
                            ("returned", "returned"),
                            ("written_off", "written off"),
                            ("recycled", "recycled"),
                        ],
                        max_length=12,
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                (
                    "community",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.community",
                        verbose_name="community",
                    ),
                ),
            ],
            options={
                "verbose_name": "stock count",
                "verbose_name_plural": "stock counts",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("community", "kind", "pool", "state"), name="stock_count_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(model_name="device", name="device_text_idx"),
        migrations.RunPython(fts_up, fts_down, elidable=False),
    ]
