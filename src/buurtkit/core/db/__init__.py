"""Database helpers for the few hot paths that need more than the ORM (ADR 0012, ADR 0013)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


def fetchone_server_bound(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run one statement on PostgreSQL with its parameters sent apart from the SQL (server-side
    binding) and return its first row.

    Django's cursors bind on the client: psycopg quotes every parameter into the SQL text,
    which for a call with twenty-odd arguments costs more Python than the rest of the
    request. Here the parameters travel in PostgreSQL's binary protocol instead. The cursor
    is Django's own wrapper around it, so the connection's health check, the error
    translation and the query log (``django_assert_num_queries``) work as for any query.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    # The wrapper itself, looked up once: each use of the ``connection`` proxy is a lookup in
    # a thread- and task-local store.
    db = connections[DEFAULT_DB_ALIAS]
    # What Django's connection.cursor() does before it makes its own (client-binding) cursor.
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        # (django-stubs types make_cursor's argument as Django's own wrapper)
        raw: Any = ServerBindingCursor(db.connection)  # type: ignore[call-arg]
    wrapped = db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    with wrapped as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
