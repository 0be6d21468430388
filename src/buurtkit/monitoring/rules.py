"""Pure rules of monitoring: plan periods in whole months and a target's progress against the
time elapsed. No database."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date

#: A target counts as on track while it has at least this share of what the time elapsed
#: asks for (a month of delay on a two-year target is not yet "behind").
TOLERANCE = 0.9
#: The longest plan, in months.
MAX_MONTHS = 120

NOT_STARTED, ON_TRACK, BEHIND, MET, MISSED, NO_INDICATOR = (
    "not_started",
    "on_track",
    "behind",
    "met",
    "missed",
    "no_indicator",
)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_start(day: date) -> bool:
    return day.day == 1


def is_month_end(day: date) -> bool:
    return day == month_end(day)


def months_in(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Progress:
    value: int | None  # measured so far (None: no indicator)
    target: int
    share: int  # percent of the target reached
    elapsed: int  # percent of the period gone by
    expected: int  # what the time elapsed asks for
    status: str


def progress(*, value: int | None, target: int, first: date, last: date, today: date) -> Progress:
    """``value`` against ``target`` for the days ``first``..``last``, as of ``today``: a straight
    line from 0 at the start to the target at the end is "on track"."""
    days = (last - first).days + 1
    gone = min(max((today - first).days + 1, 0), days)
    elapsed = gone / days if days > 0 else 1.0
    expected = round(target * elapsed)
    share = round(100 * (value or 0) / target) if target else 100
    if value is None:
        status = NO_INDICATOR
    elif value >= target:
        status = MET
    elif today < first:
        status = NOT_STARTED
    elif today > last:
        status = MISSED
    elif value >= math.floor(
        TOLERANCE * target * elapsed
    ):  # counts are whole: less than one is none
        status = ON_TRACK
    else:
        status = BEHIND
    return Progress(value, target, share, round(100 * elapsed), expected, status)
