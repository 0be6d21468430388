"""Deadlines and the "late" / "very late" marks, read with the injectable clock.

A ticket gets two deadlines from its category when it comes in (or when its category
changes): the first answer within ``first_response_hours`` and the solution within
``resolution_hours``. It is *late* when a deadline has passed without the answer or the
solution, and *very late* when as much time again has passed (twice the time allowed).
A ticket waiting for the resident, resolved or closed carries no mark.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from buurtkit.helpdesk.models import ACTIVE

ON_TIME = ""
LATE = "late"
VERY_LATE = "very_late"


def deadlines(category: Any, received: datetime) -> dict[str, datetime | None]:
    """The four deadline columns of a ticket received at ``received`` in ``category``."""
    if category is None:
        return {
            "first_response_due_at": None,
            "first_response_very_late_at": None,
            "resolve_due_at": None,
            "resolve_very_late_at": None,
        }
    first = timedelta(hours=category.first_response_hours)
    resolve = timedelta(hours=category.resolution_hours)
    return {
        "first_response_due_at": received + first,
        "first_response_very_late_at": received + 2 * first,
        "resolve_due_at": received + resolve,
        "resolve_very_late_at": received + 2 * resolve,
    }


def mark(ticket: Any, now: datetime) -> str:
    """``""``, ``"late"`` or ``"very_late"`` for one ticket at ``now``."""
    if ticket.status not in ACTIVE:
        return ON_TIME
    worst = ON_TIME
    pairs = [(ticket.resolve_due_at, ticket.resolve_very_late_at)]
    if ticket.first_response_at is None:
        pairs.append((ticket.first_response_due_at, ticket.first_response_very_late_at))
    for due, very in pairs:
        if very is not None and now >= very:
            return VERY_LATE
        if due is not None and now >= due:
            worst = LATE
    return worst


def late_q(now: datetime, *, very: bool = False) -> Q:
    """The tickets that are late (or very late) at ``now``, as a filter."""
    first, resolve = (
        ("first_response_very_late_at", "resolve_very_late_at")
        if very
        else ("first_response_due_at", "resolve_due_at")
    )
    return Q(status__in=ACTIVE) & (
        Q(**{f"{resolve}__lte": now}) | Q(first_response_at__isnull=True, **{f"{first}__lte": now})
    )
