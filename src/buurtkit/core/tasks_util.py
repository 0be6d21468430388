"""Enqueue background tasks only once the surrounding transaction has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` with ids as arguments after the current transaction commits.

    If the transaction rolls back the task is never enqueued, so a worker never sees
    a row that does not exist.
    """
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=False)
