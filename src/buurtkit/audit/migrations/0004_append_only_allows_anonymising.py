"""Anonymising may clear personal text in append-only rows on PostgreSQL (issue 18).

Only the columns that can hold a copy of a person's name or number (actor_label, data) may change,
and only inside the anonymise service's transaction: see ``buurtkit.core.db.append_only``.
"""

from django.db import migrations

from buurtkit.core.db.append_only import allow_anonymising


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_drop_redundant_indexes")]
    operations = [allow_anonymising("audit_event_immutable", "audit events", ('actor_label', 'data'))]
