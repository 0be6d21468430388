"""Periods of partners' caps (month, quarter, year) as people in Belgium count them: they
start at midnight in Europe/Brussels, not in UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def _first_month(period: str, month: int) -> int:
    if period == "month":
        return month
    if period == "quarter":
        return 3 * ((month - 1) // 3) + 1
    if period == "year":
        return 1
    raise ValueError(f"unknown period {period!r}")


def period_start(period: str, now: datetime) -> datetime:
    """The start (an aware datetime) of the month, quarter or year ``now`` lies in."""
    local = now.astimezone(BRUSSELS)
    return datetime(local.year, _first_month(period, local.month), 1, tzinfo=BRUSSELS)


def next_period_start(period: str, now: datetime) -> datetime:
    """The start of the period after the one ``now`` lies in."""
    start = period_start(period, now)
    step = {"month": 1, "quarter": 3, "year": 12}[period]
    month = start.month - 1 + step
    return datetime(start.year + month // 12, month % 12 + 1, 1, tzinfo=BRUSSELS)
