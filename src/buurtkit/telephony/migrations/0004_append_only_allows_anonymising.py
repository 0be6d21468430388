"""Anonymising may clear personal text in append-only rows on PostgreSQL (issue 18).

Only the columns that can hold a copy of a person's name or number (params, response) may change,
and only inside the anonymise service's transaction: see ``buurtkit.core.db.append_only``.
"""

from django.db import migrations

from buurtkit.core.db.append_only import allow_anonymising


class Migration(migrations.Migration):
    dependencies = [("telephony", "0003_flows_recordings")]
    operations = [allow_anonymising("telephony_callevent_immutable", "call events", ('params', 'response'))]
