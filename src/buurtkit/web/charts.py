"""Charts drawn on the server as inline SVG: no JavaScript, no chart library.

A chart is a dict of shapes the templates draw (``web/_bars.html`` for bars over time,
``web/_hbars.html`` for a breakdown); every page shows the same numbers in a table too, for
screen readers and for copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import formats

# The chart's drawing box (SVG user units); it scales to the width of the page.
CHART_W, CHART_H = 480, 250
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 54, 8, 16, 40
AXIS_DIGIT = 14  # width of a digit of the axis text at its largest (phones), in user units


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    week: date  # the bar's week (``per="week"``) or day (``per="day"``)
    label: str  # under the bar, or "" when there is no room
    current: bool  # this week (or today), still running

    @property
    def day(self) -> date:
        return self.week


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k that is at least ``value`` (a round top for the axis)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(
    weeks: list[date],
    values: list[int],
    *,
    per: str = "week",
    label_every: int = 4,
    current: bool = True,
    label_format: str = "j M",
) -> dict[str, Any]:
    """Bars, axis lines and labels for one series, ready for the template to draw.

    ``per`` is "week", "day" or "month" (the bars' tooltips say which); a label is written under every
    ``label_every``-th bar; ``current``: the last bar is a period still running (drawn dashed).
    """
    top = nice_ceiling(max([*values, 1]))
    left = max(PAD_LEFT, AXIS_DIGIT * len(str(top)) + 12)  # room for the axis numbers
    plot_w = CHART_W - left - PAD_RIGHT
    plot_h = CHART_H - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(len(values), 1)
    every = max(label_every, 1)
    bars = []
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        height = plot_h * value / top
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.15, 1),
                y=round(PAD_TOP + plot_h - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                value=value,
                week=week,
                label=formats.date_format(week, label_format) if i % every == 0 else "",
                current=current and i == len(values) - 1,
            )
        )
    gridlines = [
        {"y": round(PAD_TOP + plot_h - plot_h * f, 1), "value": int(top * f)} for f in (0, 0.5, 1)
    ]
    return {
        "per": per,
        "width": CHART_W,
        "height": CHART_H,
        "left": left,
        "right": CHART_W - PAD_RIGHT,
        "label_y": CHART_H - 8,
        "bars": bars,
        "gridlines": gridlines,
        "top": top,
        "highest": max(bars, key=lambda b: b.value) if bars else None,
        "current": bars[-1] if bars else None,
        "total": sum(values),
    }


def day_chart(days: list[date], values: list[int], *, today: date) -> dict[str, Any]:
    """Bars per day; at most four dates under the axis whatever the length of the period."""
    return bar_chart(
        days,
        values,
        per="day",
        label_every=math.ceil(len(days) / 4),
        current=bool(days) and days[-1] == today,
    )


def month_chart(months: list[date], values: list[int], *, this_month: date) -> dict[str, Any]:
    """Bars per month (``months`` are first days); every other month is named under the axis."""
    return bar_chart(
        months,
        values,
        per="month",
        label_every=2 if len(months) > 6 else 1,
        current=bool(months) and months[-1] == this_month,
        label_format="M",
    )


# Horizontal bars (one row per category): the label on a line, under it the bar and its value.
HBAR_W, HBAR_ROW, HBAR_VALUE = 480, 62, 120
HBAR_CHARS = 34  # longer labels are shortened in the chart (the table has them whole)


@dataclass(frozen=True)
class HBar:
    y: float  # top of the bar
    label_y: float
    value_y: float
    width: float
    label: str  # shortened to fit the chart
    full_label: str
    value: int
    share: int  # percent of the total, rounded


def hbar_chart(items: list[tuple[str, int]]) -> dict[str, Any]:
    """A breakdown as horizontal bars: ``items`` are (label, value), largest first."""
    total = sum(value for _label, value in items)
    top = max([value for _label, value in items] + [1])
    room = HBAR_W - HBAR_VALUE
    bars = [
        HBar(
            y=i * HBAR_ROW + 30,
            label_y=i * HBAR_ROW + 22,
            value_y=i * HBAR_ROW + 42,
            width=round(max(room * value / top, 1 if value else 0), 1),
            label=label if len(label) <= HBAR_CHARS else label[: HBAR_CHARS - 1] + "…",
            full_label=label,
            value=value,
            share=round(100 * value / total) if total else 0,
        )
        for i, (label, value) in enumerate(items)
    ]
    return {
        "width": HBAR_W,
        "height": max(len(bars), 1) * HBAR_ROW,
        "bar_h": 24,
        "bars": bars,
        "total": total,
    }
