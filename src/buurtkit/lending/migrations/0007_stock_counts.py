"""Stock counters: devices per kind, pool and state, kept by the stock service with every
device event, so the stock overview reads a few rows instead of counting every device
(bench/lending_stock.py). Filled here from the devices there are."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count


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
    ]
