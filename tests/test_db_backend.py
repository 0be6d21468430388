"""The PostgreSQL backend's health check (``buurtkit.core.db.postgresql``, ADR 0013) and
``fetchone_server_bound``: against a real server whose connections are really cut."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import DataError, OperationalError, close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from buurtkit.core.db import fetchone_server_bound

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's backend: run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def cut_connection() -> int:
    """End this thread's database connection from the server side, as a restart would."""
    pid = connection.connection.info.backend_pid
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in {"cursor_factory", "prepare_threshold", "context"}
    }
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    return int(pid)


def _next_request() -> None:
    """What Django does between two requests (``request_finished``/``request_started``)."""
    close_old_connections()


def _answer() -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 40 + 2")
        return cursor.fetchone()[0]


def test_a_connection_idle_for_a_while_is_checked_and_replaced() -> None:
    assert _answer() == 42
    _next_request()
    cut = cut_connection()
    connection.last_checked_at -= 60  # idle for a minute
    assert _answer() == 42  # the check found it dead and connected again
    assert connection.connection.info.backend_pid != cut


def test_a_connection_used_a_moment_ago_is_not_asked_again() -> None:
    assert _answer() == 42
    _next_request()
    cut = cut_connection()
    # No SELECT 1 first: the query itself finds out, and fails ...
    with pytest.raises(OperationalError):
        _answer()
    # ... and Django drops the connection at the end of that request: the next one works.
    _next_request()
    assert _answer() == 42
    assert connection.connection.info.backend_pid != cut


def test_server_bound_call_is_logged_and_its_errors_are_djangos() -> None:
    with CaptureQueriesContext(connection) as queries:
        row = fetchone_server_bound("SELECT %s::int + %s::int, %s::text[]", [40, 2, ["a", "b"]])
    assert row == (42, ["a", "b"])
    # The parameters went apart from the SQL: PostgreSQL's placeholders, no quoted values.
    assert queries.captured_queries[-1]["sql"] == "SELECT $1::int + $2::int, $3::text[]"
    with pytest.raises(DataError):  # django.db's, not psycopg's
        fetchone_server_bound("SELECT 1 / %s::int", [0])
