"""Pure rules of places: the opening checklist, the life cycle and "open now".

No database here: the services and selectors hand in what they read, so the rules are tested
on their own and shared by the pages, the API and the poster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# --- the life cycle -------------------------------------------------------------------------

PLANNED, EQUIPPING, OPEN, CLOSED = "planned", "equipping", "open", "closed"

#: status -> the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    PLANNED: frozenset({EQUIPPING, CLOSED}),
    EQUIPPING: frozenset({PLANNED, OPEN, CLOSED}),
    OPEN: frozenset({CLOSED}),
    CLOSED: frozenset({EQUIPPING, OPEN}),
}


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


# --- the checklist --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str | Promise
    manual: bool  # ticked by staff; otherwise it follows from the place's data


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("address", _("Address, postcode and municipality filled in"), False),
    ChecklistItem("host", _("Host organisation chosen"), False),
    ChecklistItem("contact", _("A phone number or e-mail address for questions"), False),
    ChecklistItem("hours", _("Opening hours entered"), False),
    ChecklistItem("equipment_tested", _("Equipment installed and tested"), True),
    ChecklistItem("internet_tested", _("Internet tested on the spot"), True),
    ChecklistItem("accessibility_checked", _("Accessibility checked on the spot"), True),
    ChecklistItem("people_arranged", _("A digibuddy or staff member for every opening"), True),
    ChecklistItem("poster_hung", _("Poster with the opening hours at the entrance"), True),
)
MANUAL_ITEMS = frozenset(item.key for item in CHECKLIST if item.manual)


def checklist_state(place: Any, *, hours_count: int) -> list[tuple[ChecklistItem, bool]]:
    """Each checklist item with whether it is done for ``place``."""
    automatic = {
        "address": bool(place.street and place.postcode and place.municipality_id),
        "host": bool(place.host_id),
        "contact": bool(place.phone or place.email),
        "hours": hours_count > 0,
    }
    ticked = place.checklist or {}
    return [
        (item, bool(ticked.get(item.key)) if item.manual else automatic[item.key])
        for item in CHECKLIST
    ]


def checklist_missing(place: Any, *, hours_count: int) -> list[ChecklistItem]:
    return [item for item, done in checklist_state(place, hours_count=hours_count) if not done]


# --- opening hours --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One stretch of a day a place is open (``drop_in``: help is there, ``who``: by whom)."""

    day: date
    opens: time
    closes: time
    drop_in: bool = False
    who: str = ""
    reason: str = ""  # for a day with special hours

    def start(self, tz: Any) -> datetime:
        return datetime.combine(self.day, self.opens, tzinfo=tz)

    def end(self, tz: Any) -> datetime:
        return datetime.combine(self.day, self.closes, tzinfo=tz)


@dataclass(frozen=True)
class Exception_:
    starts_on: date
    ends_on: date
    opens: time | None
    closes: time | None
    reason: str


@dataclass(frozen=True)
class Weekly:
    weekday: int
    opens: time
    closes: time
    drop_in: bool = False
    who: str = ""


def periods_on(
    day: date, weekly: Iterable[Weekly], exceptions: Iterable[Exception_]
) -> list[Period]:
    """The periods ``day`` has, exceptions (holidays, special hours) taking precedence."""
    for exc in exceptions:
        if exc.starts_on <= day <= exc.ends_on:
            if exc.opens is None or exc.closes is None:
                return []
            return [Period(day, exc.opens, exc.closes, reason=exc.reason)]
    return sorted(
        (
            Period(day, w.opens, w.closes, w.drop_in, w.who)
            for w in weekly
            if w.weekday == day.weekday()
        ),
        key=lambda p: (p.opens, p.closes),
    )


def closed_reason(day: date, exceptions: Iterable[Exception_]) -> str | None:
    """Why ``day`` is closed by an exception, or None when no exception closes it."""
    for exc in exceptions:
        if exc.starts_on <= day <= exc.ends_on and (exc.opens is None or exc.closes is None):
            return exc.reason or ""
    return None


@dataclass(frozen=True)
class OpenState:
    open_now: bool
    drop_in_now: bool
    until: time | None  # when the current period ends
    who: str  # the digibuddy on duty now
    next_period: Period | None  # the next time it opens (when closed now)


def open_state(
    now: datetime, weekly: Sequence[Weekly], exceptions: Sequence[Exception_], *, horizon: int = 14
) -> OpenState:
    """Whether a place is open at ``now`` (a local, aware datetime) and when it opens next."""
    tz = now.tzinfo
    today = now.date()
    current = [p for p in periods_on(today, weekly, exceptions) if p.start(tz) <= now < p.end(tz)]
    if current:
        drop_in = [p for p in current if p.drop_in]
        return OpenState(
            open_now=True,
            drop_in_now=bool(drop_in),
            until=max(p.closes for p in current),
            who=next((p.who for p in drop_in + current if p.who), ""),
            next_period=None,
        )
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        for period in periods_on(day, weekly, exceptions):
            if period.start(tz) > now:
                return OpenState(False, False, None, "", period)
    return OpenState(False, False, None, "", None)


def week_table(
    monday: date, weekly: Sequence[Weekly], exceptions: Sequence[Exception_]
) -> list[tuple[date, list[Period], str | None]]:
    """Seven days from ``monday``: each day's periods and, when an exception closes it, why."""
    days = [monday + timedelta(days=i) for i in range(7)]
    return [(d, periods_on(d, weekly, exceptions), closed_reason(d, exceptions)) for d in days]
