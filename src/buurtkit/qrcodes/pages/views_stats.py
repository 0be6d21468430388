"""Scan statistics for staff: all codes (filtered by tag and team), one code, and a CSV export.

Finished days come from the daily sums (``CodeDay``/``ScanDaily``) so a year of a busy city stays
fast; today is counted from the single scans. Before reading, the finished days that are not
summed yet are summed (``rollup_pending``: one cheap query when there is nothing to do).

Charts are inline SVG drawn on the server (``web.charts``); every chart has its numbers in a
table under it. Bot scans (link previews, crawlers) are never in the figures for people; they are
shown apart. The CSV holds days and codes only: no personal data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from buurtkit.core import exports
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.qrcodes import selectors, services
from buurtkit.web.charts import bar_chart, day_chart, hbar_chart
from buurtkit.web.decorators import community_page

PERIODS = [
    ("7", 7, gettext_lazy("Last 7 days")),
    ("30", 30, gettext_lazy("Last 30 days")),
    ("90", 90, gettext_lazy("Last 90 days")),
    ("365", 365, gettext_lazy("Last 365 days")),
]
DEFAULT_PERIOD = "30"
MAX_DAYS = 731  # a custom period: at most two years
TOP = 20
DAILY_UP_TO = 92  # longer periods are drawn per week (the CSV has every day)

DEVICES = {
    "phone": gettext_lazy("Phone"),
    "tablet": gettext_lazy("Tablet"),
    "desktop": gettext_lazy("Computer"),
    "other": gettext_lazy("Other"),
}
SOURCES = {"print": gettext_lazy("Printed code"), "link": gettext_lazy("Shared link")}


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date
    today: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Filters:
    period: Period
    tag: str
    team_id: int | None
    errors: dict[str, str]

    def query(self) -> str:
        """The filters as a query string (links to the CSV and to one code keep them)."""
        params: dict[str, Any] = {"period": self.period.key}
        if self.period.key == "custom":
            params["start"] = self.period.start.isoformat()
            params["end"] = self.period.end.isoformat()
        if self.tag:
            params["tag"] = self.tag
        if self.team_id:
            params["team"] = self.team_id
        return urlencode(params)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _filters(request: HttpRequest) -> Filters:
    """Period, tag and team from the query string; a wrong custom period falls back to 30 days
    with a message per field."""
    today = selectors.local_today()
    errors: dict[str, str] = {}
    key = "custom" if request.GET.get("custom") else request.GET.get("period", DEFAULT_PERIOD)
    lengths = {k: n for k, n, _label in PERIODS}
    period = Period(DEFAULT_PERIOD, today - dt.timedelta(days=29), today, today)
    if key in lengths:
        period = Period(key, today - dt.timedelta(days=lengths[key] - 1), today, today)
    elif key == "custom":
        start = _date(request.GET.get("start", ""))
        end = _date(request.GET.get("end", ""))
        if start is None:
            errors["start"] = _("Give a date, for example 2025-03-01.")
        if end is None:
            errors["end"] = _("Give a date, for example 2025-03-31.")
        if start and end:
            if end > today:
                errors["end"] = _("The period cannot end after today.")
            elif start > end:
                errors["start"] = _("The first day must come before the last day.")
            elif (end - start).days + 1 > MAX_DAYS:
                errors["start"] = _("Choose a period of at most %(n)d days.") % {"n": MAX_DAYS}
            else:
                period = Period("custom", start, end, today)
    team = request.GET.get("team", "")
    return Filters(
        period=period,
        tag=request.GET.get("tag", "").strip()[:40],
        team_id=int(team) if team.isdigit() and len(team) < 10 else None,
        errors=errors,
    )


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code or _("unknown")


def _source_name(source: str) -> str:
    if source in SOURCES:
        return str(SOURCES[source])
    if not source:
        return _("unknown")
    return _("Own tag “%(src)s”") % {"src": source}


def _route_name(position: int, names: dict[int, str] | None) -> str:
    if position < 0:
        return _("No route (paused or nothing matched)")
    label = _("Route %(n)d") % {"n": position + 1}
    name = (names or {}).get(position, "")
    return f"{label}: {name}" if name else label


def _breakdowns(
    actor: Actor, f: Filters, code_id: int | None, route_names: dict[int, str] | None
) -> list[dict[str, Any]]:
    """Per route, source, device and language: a chart and its table rows each."""
    titles = {
        "route": _("Per route"),
        "source": _("Printed code or shared link"),
        "device": _("Per device"),
        "language": _("Per language"),
    }
    columns = {
        "route": _("Route"),
        "source": _("Scanned from"),
        "device": _("Device"),
        "language": _("Language"),
    }
    notes = {} if code_id else {"route": _("(route numbers, added up over the codes)")}
    names = {
        "route": lambda v: _route_name(int(v), route_names),
        "source": _source_name,
        "device": lambda v: str(DEVICES.get(v, v or _("unknown"))),
        "language": _language_name,
    }
    result = []
    every = selectors.scans_breakdowns(
        actor=actor,
        start=f.period.start,
        end=f.period.end,
        code_id=code_id,
        tag=f.tag,
        owner_id=f.team_id,
    )
    for by in selectors.BREAKDOWNS:
        rows = every[by]
        items = [(names[by](row[by]), row["scans"]) for row in rows]
        chart = hbar_chart(items)
        result.append(
            {
                "key": by,
                "title": titles[by],
                "column": columns[by],
                "note": notes.get(by, ""),
                "chart": chart,
                "rows": chart["bars"],
            }
        )
    return result


def _per_week(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Days added up per week (Monday to Sunday); ``day`` is the week's Monday."""
    weeks: dict[dt.date, dict[str, Any]] = {}
    for d in days:
        monday = d["day"] - dt.timedelta(days=d["day"].weekday())
        week = weeks.setdefault(monday, {"day": monday, "scans": 0, "visitors": 0, "bots": 0})
        for key in ("scans", "visitors", "bots"):
            week[key] += d[key]
    return list(weeks.values())


def _figures(actor: Actor, f: Filters, code_id: int | None = None) -> dict[str, Any]:
    """Totals, and bars per day (or per week for periods longer than ``DAILY_UP_TO`` days)."""
    days = selectors.scans_per_day(
        actor=actor,
        start=f.period.start,
        end=f.period.end,
        code_id=code_id,
        tag=f.tag,
        owner_id=f.team_id,
    )
    today = f.period.today
    if f.period.days <= DAILY_UP_TO:
        per, rows = "day", days
        dates = [d["day"] for d in rows]

        def chart(values: list[int]) -> dict[str, Any]:
            return day_chart(dates, values, today=today)
    else:
        per, rows = "week", _per_week(days)
        dates = [d["day"] for d in rows]

        def chart(values: list[int]) -> dict[str, Any]:
            every = math.ceil(len(values) / 5)
            return bar_chart(dates, values, label_every=every, current=f.period.end == today)

    return {
        "days": days,
        "per": per,
        "rows": rows,
        "totals": {key: sum(d[key] for d in days) for key in ("scans", "visitors", "bots")},
        "scans_chart": chart([d["scans"] for d in rows]),
        "visitors_chart": chart([d["visitors"] for d in rows]),
        "includes_today": f.period.end == today,
    }


def _url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _common(f: Filters) -> dict[str, Any]:
    return {
        "f": f,
        "periods": PERIODS,
        "query": f.query(),
        "period_text": _("%(start)s to %(end)s (%(n)d days)")
        % {
            "start": formats.date_format(f.period.start, "j M Y"),
            "end": formats.date_format(f.period.end, "j M Y"),
            "n": f.period.days,
        },
    }


@community_page("qrcodes.view")
def qr_stats(request: HttpRequest) -> HttpResponse:
    """All codes of the community, or those with a tag or of a team."""
    actor = actor_of(request)
    community = request.community  # type: ignore[attr-defined]
    f = _filters(request)
    services.rollup_pending(community_id=community.pk)
    top = selectors.top_codes(
        actor=actor,
        start=f.period.start,
        end=f.period.end,
        limit=TOP,
        tag=f.tag,
        owner_id=f.team_id,
    )
    context = {
        **_common(f),
        **_figures(actor, f),
        "breakdowns": _breakdowns(actor, f, None, None),
        "top": top,
        "tags": selectors.tags_list(actor=actor),
        "teams": selectors.teams_list(actor=actor),
        "codes_url": _url_or_none("web:qr_codes", community.slug),
    }
    return render(request, "qrcodes/staff/stats.html", context)


@community_page("qrcodes.view")
def qr_code_stats(request: HttpRequest, code_id: int) -> HttpResponse:
    """One code: the same figures, and per route with the route's name."""
    actor = actor_of(request)
    community = request.community  # type: ignore[attr-defined]
    code = selectors.code_get(actor=actor, code_id=code_id)
    f = _filters(request)
    f = Filters(period=f.period, tag="", team_id=None, errors=f.errors)
    services.rollup_pending(community_id=community.pk)
    route_names = {r.position: r.name or r.action for r in code.routes.all()}
    context = {
        **_common(f),
        **_figures(actor, f, code.pk),
        "breakdowns": _breakdowns(actor, f, code.pk, route_names),
        "code": code,
        "code_url": _url_or_none("web:qr_code", community.slug, code.pk),
    }
    return render(request, "qrcodes/staff/stats_code.html", context)


@community_page("qrcodes.view")
def qr_stats_csv(request: HttpRequest) -> HttpResponse:
    """Per day and code of the period: scans by people, unique visitors, bot scans.

    Days and codes only (the code's title and team are not personal data); streamed, so a year of
    two thousand codes does not sit in memory. Days without any scan of a code are left out.
    """
    actor = actor_of(request)
    community = request.community  # type: ignore[attr-defined]
    f = _filters(request)
    services.rollup_pending(community_id=community.pk)
    codes = {
        c["id"]: c
        for c in selectors.codes_list(actor=actor, tag=f.tag, owner_id=f.team_id).values(
            "id", "code", "slug", "title", "owner__name"
        )
    }
    rows = selectors.code_days(
        actor=actor, start=f.period.start, end=f.period.end, tag=f.tag, owner_id=f.team_id
    )
    header = [
        _("day"),
        _("code"),
        _("vanity name"),
        _("title"),
        _("team"),
        _("scans"),
        _("visitors"),
        _("bot scans"),
    ]

    def lines() -> Iterator[list[Any]]:
        yield header
        for row in rows:
            code = codes.get(row["code_id"])
            if code is None:
                continue
            yield [
                row["day"].isoformat(),
                code["code"],
                code["slug"] or "",
                code["title"],
                code["owner__name"] or "",
                row["scans"],
                row["visitors"],
                row["bots"],
            ]

    name = f"qr-scans-{community.slug}-{f.period.start.isoformat()}-{f.period.end.isoformat()}"
    response = exports.csv_streaming_response(lines(), filename=f"{name}.csv")
    return cast(HttpResponse, response)  # streamed; ``community_page`` types its views loosely
