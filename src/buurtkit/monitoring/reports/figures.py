"""The figures a report is made of: counts only, gathered once and kept in the snapshot.

Every count passes through ``suppression.suppress`` here (the one place), so the writers (XLSX,
PDF, CSV) and the API only ever see what may be shown. Labels are translated into the report's
language while gathering: the snapshot keeps the words that were sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.indicators import Indicator, Measure, add_months, months_between
from buurtkit.core.scoping import scoped
from buurtkit.monitoring import rules, selectors
from buurtkit.monitoring.models import (
    BudgetCategory,
    BudgetLine,
    IndicatorCount,
    IndicatorSubject,
    Milestone,
    Plan,
    ReportKind,
    Spending,
    Target,
)
from buurtkit.monitoring.reports.suppression import suppress
from buurtkit.places.models import Municipality


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def status_label(status: str) -> str:
    return {
        rules.NOT_STARTED: _("not started"),
        rules.ON_TRACK: _("on track"),
        rules.BEHIND: _("behind"),
        rules.MET: _("met"),
        rules.MISSED: _("missed"),
        rules.NO_INDICATOR: _("not measured yet"),
    }[status]


def _series(value: selectors.IndicatorValue | None) -> list[list[Any]]:
    if value is None:
        return []
    return [[_month(m), suppress(v)] for m, v in value.months]


def _target_row(actor: Actor, target: Target, first: date, last_day: date, as_of: date) -> dict:
    """A target measured from its start to the end of the report's period (and, separately,
    in the report's period only)."""
    row: dict[str, Any] = {
        "objective": (
            f"{target.objective.position}. {target.objective.title}" if target.objective else ""
        ),
        "title": target.title,
        "indicator": target.indicator,
        "breakdown": target.breakdown,
        "unit": "",
        "target": target.value,
        "starts_on": target.starts_on.isoformat(),
        "ends_on": target.ends_on.isoformat(),
        "note": target.note,
        "measured": None,
        "in_period": None,
        "share": None,
        "expected": 0,
        "status": rules.NO_INDICATOR,
        "months": [],
        "problem": "",
    }
    indicator: Indicator | None = None
    if target.indicator:
        try:
            indicator = selectors.indicator_check(community=actor.community, key=target.indicator)
        except ValidationFailed as refused:
            row["problem"] = str(refused.detail)
    measured: int | None = None
    if indicator is not None:
        row["unit"] = str(indicator.unit)
        filters = selectors.Filters(breakdown=target.breakdown)
        upto = min(target.ends_on, as_of)
        measured = 0
        if upto >= target.starts_on:
            measured = selectors.indicator_value(
                actor=actor, key=indicator.key, first=target.starts_on, last=upto, filters=filters
            ).value
        window_first = max(target.starts_on, first)
        window_last = min(target.ends_on, last_day)
        if window_last >= window_first:
            in_period = selectors.indicator_value(
                actor=actor, key=indicator.key, first=window_first, last=window_last,
                filters=filters,
            )  # fmt: skip
            row["in_period"] = suppress(in_period.value)
            row["months"] = _series(in_period)
        row["measured"] = suppress(measured)
    progress = rules.progress(
        value=measured, target=target.value, first=target.starts_on, last=target.ends_on,
        today=as_of,
    )  # fmt: skip
    row["status"] = progress.status
    row["expected"] = progress.expected
    # A share would give a small count away: none when the count is suppressed.
    row["share"] = progress.share if isinstance(row["measured"], int) else None
    row["status_label"] = status_label(progress.status)
    return row


def _reach(actor: Actor, first: date, last: date) -> dict[str, Any]:
    """Unique people reached across the modules in the period; per target group when
    people gave their consent to a profile (monitoring/reach.py)."""
    after = add_months(last.replace(day=1), 1)
    keys = [i.key for i in selectors.indicators_list(actor=actor) if i.reaches_people]
    total = (
        scoped(IndicatorSubject, actor.community)
        .filter(indicator__in=keys, breakdown="", month__gte=first, month__lt=after)
        .aggregate(n=Count("subject_id", distinct=True))["n"]
    )
    per_indicator = []
    for key in keys:
        value = selectors.indicator_value(actor=actor, key=key, first=first, last=last)
        per_indicator.append(
            {"label": str(value.indicator.label), "reached": suppress(value.value)}
        )
    # Per target group: the consented profiles of the people reached (monitoring/reach.py),
    # against the community's residents per group and its ambition.
    from buurtkit.monitoring import reach as reach_per_group

    by_group = [
        {
            "group": row.group,
            "label": str(row.label),
            "reached": suppress(row.people),
            "population": row.population if row.population is not None else "—",
            "ambition": f"{row.ambition_percent} %",
        }
        for row in reach_per_group.reach(actor=actor, first=first, last=last).groups
    ]
    return {
        "total": suppress(int(total or 0)),
        "per_indicator": per_indicator,
        "by_group": by_group,
    }


def _budget(actor: Actor, plan: Plan, first: date, last_day: date) -> dict[str, Any]:
    """Planned against spent up to the end of the period, and spent in the period (cents)."""
    order = {value: n for n, value in enumerate(BudgetCategory.values)}
    labels = dict(BudgetCategory.choices)
    spending = scoped(Spending, actor.community).filter(line__plan=plan, spent_on__lte=last_day)
    to_date = dict(spending.values_list("line_id").annotate(n=Sum("amount_cents")).order_by())
    in_period = dict(
        spending.filter(spent_on__gte=first)
        .values_list("line_id")
        .annotate(n=Sum("amount_cents"))
        .order_by()
    )
    lines = sorted(
        scoped(BudgetLine, actor.community).filter(plan=plan).order_by("pk"),
        key=lambda line: order.get(line.category, 99),
    )
    rows: list[dict[str, Any]] = []
    for line in lines:
        spent = int(to_date.get(line.pk) or 0)
        rows.append(
            {
                "category": line.category,
                "category_label": str(labels.get(line.category, line.category)),
                "title": line.title,
                "planned_cents": line.planned_cents,
                "spent_cents": spent,
                "spent_in_period_cents": int(in_period.get(line.pk) or 0),
                "share": round(100 * spent / line.planned_cents) if line.planned_cents else None,
            }
        )
    planned = sum(r["planned_cents"] for r in rows)
    spent = sum(r["spent_cents"] for r in rows)
    return {
        "lines": rows,
        "planned_cents": planned,
        "spent_cents": spent,
        "spent_in_period_cents": sum(r["spent_in_period_cents"] for r in rows),
        "share": round(100 * spent / planned) if planned else None,
    }


def _milestones(actor: Actor, plan: Plan, as_of: date, first: date | None) -> list[dict]:
    found = scoped(Milestone, actor.community).filter(plan=plan).order_by("due_on", "pk")
    rows = []
    for m in found:
        done = m.done_on is not None and m.done_on <= as_of
        if first is not None and m.due_on < first and done:
            continue  # a steering report: what was done before the quarter is old news
        status = "done" if done else ("late" if m.due_on < as_of else "to_come")
        rows.append(
            {
                "title": m.title,
                "due_on": m.due_on.isoformat(),
                "done_on": m.done_on.isoformat() if done and m.done_on else None,
                "status": status,
                "status_label": {"done": _("done"), "late": _("late"), "to_come": _("to come")}[
                    status
                ],
            }
        )
    return rows


def _statistics(actor: Actor, first: date, last: date) -> list[dict[str, Any]]:
    """Every indicator per month, in total and per municipality and neighbourhood."""
    after = add_months(last.replace(day=1), 1)
    months = months_between(first, after)
    names = dict(
        Municipality.objects.in_community(actor.community).values_list("pk", "name")  # type: ignore[attr-defined]
    )
    everywhere = _("all")
    rows: list[dict[str, Any]] = []
    for indicator in selectors.indicators_list(actor=actor):
        label, unit = str(indicator.label), str(indicator.unit)
        per: dict[tuple[Any, str], dict[date, int]] = defaultdict(dict)
        agg: Any
        if indicator.measure == Measure.UNIQUE:
            agg = (
                scoped(IndicatorSubject, actor.community)
                .filter(indicator=indicator.key, breakdown="", month__gte=first, month__lt=after)
                .values_list("month", "municipality_id", "neighbourhood")
                .annotate(n=Count("subject_id", distinct=True))
                .order_by()
            )
        else:
            qs = scoped(IndicatorCount, actor.community).filter(
                indicator=indicator.key, breakdown="", month__lt=after
            )
            if indicator.measure == Measure.COUNT:
                qs = qs.filter(month__gte=first)
            agg = (
                qs.values_list("month", "municipality_id", "neighbourhood")
                .annotate(n=Sum("value"))
                .order_by()
            )
        for month, municipality_id, hood, n in agg:
            key = (municipality_id, hood or "")
            per[key][month] = per[key].get(month, 0) + int(n or 0)
        total = selectors.indicator_value(actor=actor, key=indicator.key, first=first, last=last)
        for month, value in total.months:
            rows.append(
                {
                    "indicator": indicator.key, "label": label, "unit": unit,
                    "month": _month(month), "municipality": everywhere, "neighbourhood": "",
                    "value": suppress(value),
                }
            )  # fmt: skip
        groups = sorted(per, key=lambda k: (names.get(k[0], "~"), k[1]))
        for municipality_id, hood in groups:
            values = per[(municipality_id, hood)]
            level = 0
            if indicator.measure == Measure.LEVEL:  # a stock: the changes before count too
                level = sum(v for m, v in values.items() if m < first)
            for month in months:
                if indicator.measure == Measure.LEVEL:
                    level += values.get(month, 0)
                    value = level
                else:
                    value = values.get(month, 0)
                rows.append(
                    {
                        "indicator": indicator.key, "label": label, "unit": unit,
                        "month": _month(month),
                        "municipality": names.get(municipality_id, "") if municipality_id else "",
                        "neighbourhood": hood, "value": suppress(value),
                    }
                )  # fmt: skip
    return rows


def _has_data(figures: dict[str, Any]) -> bool:
    def positive(value: Any) -> bool:
        return value not in (None, 0, "")

    if any(positive(t.get("in_period")) for t in figures.get("targets", [])):
        return True
    if positive(figures.get("reach", {}).get("total")):
        return True
    if figures.get("budget", {}).get("spent_in_period_cents"):
        return True
    return any(positive(r["value"]) for r in figures.get("statistics", []))


def collect(
    *, actor: Actor, plan: Plan, kind: str, first: date, last: date, today: date
) -> dict[str, Any]:
    """The figures of a report of ``kind`` on ``plan`` for the months ``first``..``last``
    (first days of months), as of ``today`` (nothing after it is counted)."""
    last_day = rules.month_end(last)
    as_of = min(last_day, today)
    figures: dict[str, Any] = {
        "kind": kind,
        "title": str(dict(ReportKind.choices)[kind]),
        "community": actor.community.name,
        "plan": {
            "name": plan.name,
            "funder": plan.funder,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
        },
        "period": {"first": _month(first), "last": _month(last), "as_of": as_of.isoformat()},
        "counted_at": None,
        "targets": [],
        "statistics": [],
    }
    counted = selectors.counted_at(actor=actor)
    figures["counted_at"] = counted.isoformat() if counted else None
    if kind in (ReportKind.FUNDER, ReportKind.STEERING):
        targets = (
            scoped(Target, actor.community)
            .filter(plan=plan)
            .select_related("objective")
            .order_by("objective__position", "position", "starts_on", "pk")
        )
        figures["targets"] = [_target_row(actor, t, first, last_day, as_of) for t in targets]
        figures["reach"] = _reach(actor, first, last)
        figures["budget"] = _budget(actor, plan, first, last_day)
        figures["milestones"] = _milestones(
            actor, plan, as_of, first if kind == ReportKind.STEERING else None
        )
    else:
        figures["statistics"] = _statistics(actor, first, last)
    figures["has_data"] = first <= today and _has_data(figures)
    return figures
