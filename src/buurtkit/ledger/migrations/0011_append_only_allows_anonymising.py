"""Anonymising may clear personal text in append-only rows on PostgreSQL (issue 18).

Only the columns that can hold a copy of a person's name or number (description, actor_label, note) may change,
and only inside the anonymise service's transaction: see ``buurtkit.core.db.append_only``.
"""

from django.db import migrations

from buurtkit.core.db.append_only import allow_anonymising


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_fast_payment_from_file")]
    operations = [allow_anonymising("ledger_transfer_immutable", "transfers", ('description', 'actor_label', 'note'))]
