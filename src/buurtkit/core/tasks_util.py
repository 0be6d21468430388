"""Enqueue background tasks only once the surrounding transaction has committed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from buurtkit.core import clock


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` with ids as arguments after the current transaction commits.

    If the transaction rolls back the task is never enqueued, so a worker never sees
    a row that does not exist.
    """
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=False)


def can_retry_later(task: Any) -> bool:
    """Whether the configured backend can run ``task`` at a later time (database queue, RQ)."""
    return bool(task.get_backend().supports_defer)


def retry_after_commit(task: Any, delay: timedelta, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` to run ``delay`` from now, once the current transaction commits."""
    run_after = clock.now() + delay
    transaction.on_commit(
        lambda: task.using(run_after=run_after).enqueue(*args, **kwargs), robust=False
    )
