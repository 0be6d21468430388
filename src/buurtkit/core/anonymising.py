"""Clearing personal data from stored rows, append-only ones included, when a person is anonymised.

Anonymising keeps rows (statistics, money history, call durations and costs) and clears the
text that says who someone is. Two tools for the modules' anonymisers:

- :func:`scrub_rows` replaces every trace of the person (their name, phone number in its
  written forms, e-mail address, login name) inside given text or JSON columns, wherever the
  trace was copied (a TwiML answer, a webhook's parameters, a form answer, a log label);
- :func:`force_update` sets columns on rows whose model refuses updates in the ORM
  (transfers, call events, audit events).

Append-only tables are guarded on PostgreSQL by triggers that refuse ``UPDATE`` and
``DELETE``. The triggers let an ``UPDATE`` through only inside :func:`unlocked`, which sets
the transaction-local setting ``buurtkit.anonymising`` (deletes stay refused). Only the
anonymise service opens it, in its own transaction; the setting ends with that transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction

#: What a cleared trace is replaced with inside a longer text.
REDACTED = "[…]"

PG_SETTING = "buurtkit.anonymising"

#: The guard every append-only trigger function starts with (see the triggers' migrations).
PG_ALLOW_ANONYMISING = (
    f"IF TG_OP = 'UPDATE' AND coalesce(current_setting('{PG_SETTING}', true), '') = 'on' "
    "THEN RETURN NEW; END IF;"
)


@contextmanager
def unlocked() -> Iterator[None]:
    """Let :func:`force_update` change append-only rows until the block ends (PostgreSQL)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("unlocked() must run inside a transaction")
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [PG_SETTING])
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [PG_SETTING])


def force_update(queryset: models.QuerySet[Any], **values: Any) -> int:
    """``UPDATE`` past an append-only queryset's refusal (PostgreSQL: only inside :func:`unlocked`)."""
    return models.QuerySet.update(queryset, **values)


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted(
        {n.strip() for n in needles if n and len(n.strip()) >= 3}, key=len, reverse=True
    )
    if not cleaned:
        return None
    return re.compile("|".join(re.escape(n) for n in cleaned), re.IGNORECASE)


def scrub_value(value: Any, needles: Iterable[str] | re.Pattern[str] | None) -> Any:
    """``value`` with every needle replaced, inside strings, lists and dicts (keys too)."""
    pattern = needles if isinstance(needles, re.Pattern) or needles is None else _pattern(needles)
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [scrub_value(v, pattern) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub_value(v, pattern) for v in value)
    if isinstance(value, dict):
        return {scrub_value(k, pattern): scrub_value(v, pattern) for k, v in value.items()}
    return value


def scrub_rows(
    queryset: models.QuerySet[Any], fields: Sequence[str], needles: Iterable[str]
) -> int:
    """Replace every needle inside ``fields`` (text or JSON) of the rows; return rows changed.

    The rows are read and compared in Python, so it works the same for text and JSON columns
    on both engines; callers narrow ``queryset`` to the rows that can hold the traces.
    """
    pattern = _pattern(needles)
    if pattern is None:
        return 0
    changed = 0
    for row in queryset.values("pk", *fields).iterator():
        values = {f: scrub_value(row[f], pattern) for f in fields}
        values = {f: v for f, v in values.items() if v != row[f]}
        if values:
            changed += force_update(queryset.model._base_manager.filter(pk=row["pk"]), **values)
    return changed
