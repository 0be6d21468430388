"""Test data built once per module instead of once per test, and still never seen elsewhere.

``rolled_back_world`` opens a transaction around a whole module: a module-scoped fixture builds
its rows inside it, every test then runs in a savepoint of it (pytest-django's ``db``), and the
transaction is rolled back when the module is done. So each test starts from exactly the rows
built, and no other test (one that counts a whole table, or flushes the database with
``transactional_db``) ever sees them. A module that uses it must not hold ``transactional_db``
tests (they would run inside the open transaction).

What a test could still carry over to the next, the fixture handing out the world must reset:
model instances (hand out a deep copy, or read them again) and per-process caches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction


@contextmanager
def rolled_back_world(django_db_blocker: Any) -> Iterator[None]:
    """Build the world inside ``with django_db_blocker.unblock():`` within this block."""
    with django_db_blocker.unblock():
        outer = transaction.atomic(using=DEFAULT_DB_ALIAS)
        # Marked like a TestCase's own transaction, so services' durable blocks still work.
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
            outer.__exit__(None, None, None)


def reset_process_caches() -> None:
    """The per-process caches a rolled-back test may have filled with rows that are gone."""
    from buurtkit.people.selectors import forget_api_keys
    from buurtkit.qrcodes import cache as qr_cache

    qr_cache.clear()
    forget_api_keys()
