"""Fewer indexes for a payment to write; ``ledger_fast_payment`` locks by primary key and
never scans a table.

- ``ledger_transfer``: the ``currency`` index goes (nothing reads transfers by currency alone),
  and the one-to-one ``reverses`` becomes a partial unique index that holds only reversals
  instead of a NULL for every payment. A payment writes five index entries instead of seven.
- ``ledger_account``: the lone ``community`` index goes (``account_number_unique`` begins with
  the community). PostgreSQL used it to lock a payment's two accounts by reading every account
  of the community; ``ledger_fast_payment`` now finds them by id and checks the community
  itself, so a big neighbourhood costs a payment no more than a small one.

Only the function's lock and its ``enable_seqscan`` setting change; the rest is 0007's text.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_OLD_LOCK = """    FOR r IN
      SELECT * FROM ledger_account a
       WHERE a.community_id = p_community AND a.id IN (p_debit, p_credit)
       ORDER BY a.id FOR UPDATE
    LOOP
      IF r.id = p_debit THEN d := r; ELSE c := r; END IF;
    END LOOP;"""
# One row at a time by primary key, lowest id first. Each is an equality on the primary key,
# which PostgreSQL reads through the index however stale its statistics; "id IN (a, b)" let it
# choose a sequential scan of a table full of the hot accounts' dead row versions.
_NEW_LOCK = """    SELECT * INTO r FROM ledger_account a WHERE a.id = LEAST(p_debit, p_credit) FOR UPDATE;
    IF FOUND AND r.community_id = p_community THEN
      IF r.id = p_debit THEN d := r; ELSE c := r; END IF;
    END IF;
    SELECT * INTO r FROM ledger_account a WHERE a.id = GREATEST(p_debit, p_credit) FOR UPDATE;
    IF FOUND AND r.community_id = p_community THEN
      IF r.id = p_debit THEN d := r; ELSE c := r; END IF;
    END IF;"""


# Every statement in the function finds rows by a key. PostgreSQL keeps a session's plans for
# them, and a plan made while a table was small (a new install, a new neighbourhood) may be a
# sequential scan that it goes on using as the table grows: each payment then reads every
# transfer to find its key. No scans: the plans use the indexes whatever the statistics say.
_OLD_HEADER = "LANGUAGE plpgsql VOLATILE AS $$"
_NEW_HEADER = "LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$"


def _function(new: bool) -> str:
    sql = importlib.import_module("buurtkit.ledger.migrations.0007_fast_payment").PG_UP
    assert _OLD_LOCK in sql and sql.count(_OLD_HEADER) == 1
    if not new:
        return sql
    return sql.replace(_OLD_LOCK, _NEW_LOCK).replace(_OLD_HEADER, _NEW_HEADER)


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function(new=True), params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function(new=False), params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('ledger', '0008_drop_redundant_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='community',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.community', verbose_name='community'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='currency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='transfers', to='ledger.currency'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='reverses',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='ledger.transfer'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.UniqueConstraint(condition=models.Q(('reverses__isnull', False)), fields=('reverses',), name='transfer_reversed_once'),
        ),
        migrations.RunPython(up, down),
    ]
