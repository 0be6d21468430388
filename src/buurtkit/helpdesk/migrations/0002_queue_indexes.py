"""The queue at a city's size (bench/helpdesk_queue.py: 200,000 tickets): newest-first walks
for the unfinished tickets and for all tickets, and on PostgreSQL a stored full-text vector.

- ``helpdesk_unfinished_idx`` (partial, unfinished statuses): the queue's default view and its
  filters (team, channel, category, late, mine) read the newest unfinished tickets in index
  order and stop after a page, instead of sorting every unfinished ticket of a team.
- ``helpdesk_recent_idx``: "all tickets" newest first, deep pages, and searches for common
  words (read newest first, checking the vector, until the page is full).
- PostgreSQL: ``search_vector``, a stored generated column (``to_tsvector('simple',
  search_text)``) with its GIN index, replaces the expression index of 0001; a search no longer
  computes the vector of every row it checks. The model does not declare the column: the
  database fills it, and only ``selectors.search`` reads it.
"""

from django.db import migrations, models


def _search_vector(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE helpdesk_ticket ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX helpdesk_ticket_search_vector_gin ON helpdesk_ticket "
        "USING gin (search_vector)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS helpdesk_ticket_search_gin")


def _drop_search_vector(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX helpdesk_ticket_search_gin ON helpdesk_ticket "
        "USING gin (to_tsvector('simple', search_text))"
    )
    schema_editor.execute("ALTER TABLE helpdesk_ticket DROP COLUMN search_vector")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_tickets")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "waiting", "handed_over"])),
                fields=["community", "-created_at", "-id"],
                name="helpdesk_unfinished_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["community", "-created_at", "-id"], name="helpdesk_recent_idx"
            ),
        ),
        migrations.RunPython(_search_vector, _drop_search_vector),
    ]
