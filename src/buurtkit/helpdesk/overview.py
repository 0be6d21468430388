"""Figures for the staff overview and the barrier reports: counts and times only, never who.

Periods are in Brussels time (weeks start on Monday, months on the first). Small counts in
the barrier report (1 to 4) are shown as "< 5" so that nobody can be recognised in it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.helpdesk.deadlines import late_q
from buurtkit.helpdesk.models import (
    UNFINISHED,
    Barrier,
    Category,
    Channel,
    HelpdeskSettings,
    HomeVisit,
    PublicService,
    Status,
    Team,
    Ticket,
    VisitStatus,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Counts below this (and above 0) are shown as "< 5" in reports for outsiders.
SMALL = 5


def suppressed(count: int) -> int | str:
    """A count as it may leave the helpdesk: 1 to 4 become "< 5"."""
    return f"< {SMALL}" if 0 < count < SMALL else count


def local_today() -> date:
    return clock.now().astimezone(BRUSSELS).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BRUSSELS)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


# --- barrier reports ---


@dataclass
class BarrierReport:
    months: list[date]
    #: (service key, service name, one cell per month: a number or "< 5")
    rows: list[tuple[str, str, list[int | str]]]


def barrier_report(
    actor: Actor, *, last: date, months: int = 12, language: str = "nl"
) -> BarrierReport:
    """Tickets tagged per public service and month (the month the question came in), for
    ``months`` months up to the month of ``last``. Counts only; 1 to 4 shown as "< 5"."""
    actor.require("helpdesk.view")
    months = max(1, min(months, 36))
    end_month = last.replace(day=1)
    first = _add_months(end_month, -(months - 1))
    month_list = [_add_months(first, i) for i in range(months)]
    start, stop = _start_of(first), _start_of(_add_months(end_month, 1))
    counts: dict[tuple[int, date], int] = {}
    tagged = (
        Barrier.objects.in_community(actor.community)
        .filter(occurred_at__gte=start, occurred_at__lt=stop)
        .values_list("service_id", "occurred_at")
    )
    for service_id, at in tagged:
        month = at.astimezone(BRUSSELS).date().replace(day=1)
        counts[(service_id, month)] = counts.get((service_id, month), 0) + 1
    rows = []
    for service in PublicService.objects.in_community(actor.community):
        cells = [counts.get((service.pk, m), 0) for m in month_list]
        if not service.active and not any(cells):
            continue
        name = str(service.name.get(language) or service.name.get("nl") or service.key)
        rows.append((service.key, name, [suppressed(c) for c in cells]))
    return BarrierReport(months=month_list, rows=rows)


# --- the staff overview ---


@dataclass
class TimeRow:
    key: str
    label: str
    tickets: int
    first_response_hours: float | None
    resolution_hours: float | None


@dataclass
class Week:
    start: date
    tickets: int
    first_response_hours: float | None
    resolution_hours: float | None


@dataclass
class VisitFigures:
    year: int
    target: int
    done: int
    planned: int
    by_buddy: int
    by_provider: int
    budget_cents: int
    spent_cents: int
    reserved_cents: int

    @property
    def left_cents(self) -> int:
        return self.budget_cents - self.spent_cents - self.reserved_cents


@dataclass
class Overview:
    weeks: list[Week]
    teams: list[dict[str, object]]
    channels: list[TimeRow]
    categories: list[TimeRow]
    visits: VisitFigures
    first: date = field(default_factory=local_today)


def _median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max((end - start).total_seconds(), 0) / 3600


def _names(language: str, rows: object) -> dict[int, str]:
    return {
        r.pk: str(r.name.get(language) or r.name.get("nl") or r.key)  # type: ignore[attr-defined]
        for r in rows  # type: ignore[attr-defined]
    }


def staff_overview(actor: Actor, *, weeks: int = 12, language: str = "nl") -> Overview:
    """The queue per team now; first-response and resolution times (median hours) per channel,
    category and week for the tickets that came in over the last ``weeks`` weeks; the home
    visits of this (Brussels) year against the target and the budget."""
    actor.require("helpdesk.view")
    community = actor.community
    now = clock.now()
    today = now.astimezone(BRUSSELS).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=max(1, min(weeks, 52)) - 1)
    tickets = Ticket.objects.in_community(community)

    # The queue per team: unfinished, waiting for the resident, late, very late.
    unfinished = Q(status__in=UNFINISHED)
    per_team = (
        tickets.filter(unfinished)
        .values("team_id")
        .annotate(
            unfinished=Count("id"),
            waiting=Count("id", filter=Q(status=Status.WAITING)),
            late=Count("id", filter=late_q(now)),
            very_late=Count("id", filter=late_q(now, very=True)),
        )
    )
    team_names = _names(language, Team.objects.in_community(community))
    teams = sorted(
        (
            {
                "team": team_names.get(row["team_id"], _("no team")),
                "unfinished": row["unfinished"],
                "waiting": row["waiting"],
                "late": row["late"],
                "very_late": row["very_late"],
            }
            for row in per_team
        ),
        key=lambda r: str(r["team"]),
    )

    rows = list(
        tickets.filter(created_at__gte=_start_of(first)).values_list(
            "channel", "category_id", "created_at", "first_response_at", "resolved_at"
        )
    )
    week_list = [first + timedelta(weeks=i) for i in range((monday - first).days // 7 + 1)]
    buckets: dict[str, dict[object, tuple[list[float], list[float], list[int]]]] = {
        "week": {},
        "channel": {},
        "category": {},
    }
    for channel, category_id, created, answered, resolved in rows:
        day = created.astimezone(BRUSSELS).date()
        keys = {
            "week": day - timedelta(days=day.weekday()),
            "channel": channel,
            "category": category_id,
        }
        for kind, key in keys.items():
            first_times, solve_times, count = buckets[kind].setdefault(key, ([], [], [0]))
            count[0] += 1
            if (h := _hours(created, answered)) is not None:
                first_times.append(h)
            if (h := _hours(created, resolved)) is not None:
                solve_times.append(h)

    def row(kind: str, key: object, label: str) -> TimeRow:
        first_times, solve_times, count = buckets[kind].get(key, ([], [], [0]))
        return TimeRow(
            key=str(key or ""),
            label=label,
            tickets=count[0],
            first_response_hours=_median_hours(first_times),
            resolution_hours=_median_hours(solve_times),
        )

    channels = [
        row("channel", value, str(label))
        for value, label in Channel.choices
        if value in buckets["channel"]
    ]
    category_names = _names(language, Category.objects.in_community(community))
    category_ids: list[int | None] = [
        k for k in buckets["category"] if k is None or isinstance(k, int)
    ]
    categories = [
        row("category", pk, category_names.get(pk or 0) or _("no category"))
        for pk in sorted(category_ids, key=lambda k: category_names.get(k or 0, "~"))
    ]
    week_rows = []
    for start in week_list:
        r = row("week", start, "")
        week_rows.append(Week(start, r.tickets, r.first_response_hours, r.resolution_hours))
    return Overview(
        weeks=week_rows,
        teams=teams,
        channels=channels,
        categories=categories,
        visits=visit_figures(actor, year=today.year),
        first=first,
    )


def visit_figures(actor: Actor, *, year: int) -> VisitFigures:
    """Home visits of a budget year (Brussels): done and planned against the target; the
    providers' cost spent (done) and reserved (planned) against the budget."""
    settings, _made = HelpdeskSettings.objects.get_or_create(community=actor.community)
    visits = HomeVisit.objects.in_community(actor.community).filter(budget_year=year)
    provider = Q(volunteer__isnull=True)
    sums = visits.aggregate(
        done=Count("id", filter=Q(status=VisitStatus.DONE)),
        planned=Count("id", filter=Q(status__in=(VisitStatus.PLANNED, VisitStatus.CHECKED_IN))),
        by_buddy=Count("id", filter=Q(status=VisitStatus.DONE, volunteer__isnull=False)),
        by_provider=Count("id", filter=Q(status=VisitStatus.DONE) & provider),
        spent=Sum("cost_cents", filter=Q(status=VisitStatus.DONE) & provider),
        reserved=Sum(
            "cost_cents",
            filter=Q(status__in=(VisitStatus.PLANNED, VisitStatus.CHECKED_IN)) & provider,
        ),
    )
    return VisitFigures(
        year=year,
        target=settings.visit_target,
        done=sums["done"],
        planned=sums["planned"],
        by_buddy=sums["by_buddy"],
        by_provider=sums["by_provider"],
        budget_cents=settings.visit_budget_cents,
        spent_cents=int(sums["spent"] or 0),
        reserved_cents=int(sums["reserved"] or 0),
    )
