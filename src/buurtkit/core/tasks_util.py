"""Enqueue background tasks only once the surrounding transaction has committed.

A service names its task by dotted path (``"buurtkit.ledger.tasks.send_payment_receipt"``)
rather than importing it: ``tasks.py`` imports the services it wraps, so an import the
other way round would make an import circle inside the app. The path is looked up when
the task is enqueued, and a path that names no task fails loudly then (and in the tests).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from buurtkit.core import clock

TaskRef = Any  # a django-tasks Task, or the dotted path of one


def resolve_task(task: TaskRef) -> Any:
    """The task object for ``task`` (a Task, or the dotted path of one)."""
    found = import_string(task) if isinstance(task, str) else task
    if not hasattr(found, "enqueue"):
        raise TypeError(f"{task!r} is not a background task")
    return found


def enqueue_after_commit(task: TaskRef, *args: Any, robust: bool = False, **kwargs: Any) -> None:
    """Enqueue ``task`` with ids as arguments after the current transaction commits.

    If the transaction rolls back the task is never enqueued, so a worker never sees
    a row that does not exist. ``robust=True``: a queue that fails to take the task is
    logged and the request still answers (for extras such as a receipt, when the work
    itself has committed); by default the failure is raised.
    """
    found = resolve_task(task)
    transaction.on_commit(lambda: found.enqueue(*args, **kwargs), robust=robust)


def can_retry_later(task: TaskRef) -> bool:
    """Whether the configured backend can run ``task`` at a later time (database queue, RQ)."""
    return bool(resolve_task(task).get_backend().supports_defer)


def retry_after_commit(task: TaskRef, delay: timedelta, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` to run ``delay`` from now, once the current transaction commits."""
    found = resolve_task(task)
    run_after = clock.now() + delay
    transaction.on_commit(
        lambda: found.using(run_after=run_after).enqueue(*args, **kwargs), robust=False
    )
