"""Small counts are never shown: the one place that decides (every report and export uses it).

A count of 1 to 4 could point at a person ("the one resident of Heule who got a laptop in
March"), so it is written as "< 5". Zero names no one and stays 0. Money (budget lines) and the
targets themselves (what a plan aims for) are not counts of what happened and are not touched.
"""

from __future__ import annotations

THRESHOLD = 5
SUPPRESSED = "< 5"

Shown = int | str


def suppress(value: int) -> Shown:
    """``value`` as it may be shown: 1 to 4 (or -1 to -4) become "< 5"."""
    if 0 < abs(value) < THRESHOLD:
        return SUPPRESSED
    return value


def is_suppressed(value: object) -> bool:
    return value == SUPPRESSED


def as_number(value: object) -> int:
    """For charts: a suppressed value is drawn as 0 (the chart's note says so)."""
    return value if isinstance(value, int) else 0
