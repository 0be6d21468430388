"""Reads of monitoring: indicators (from the roll-up), plans and their dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.indicators import (
    BRUSSELS,
    INDICATORS,
    Indicator,
    Measure,
    add_months,
    indicators_of,
    months_between,
)
from buurtkit.core.modules import MODULES
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.monitoring import rules
from buurtkit.monitoring.models import (
    BudgetCategory,
    BudgetLine,
    IndicatorCount,
    IndicatorRun,
    IndicatorSubject,
    Milestone,
    Plan,
    Target,
)
from buurtkit.places.models import Municipality


def local_today() -> date:
    return timezone.localtime(clock.now(), BRUSSELS).date()


@dataclass(frozen=True)
class Filters:
    place_id: int | None = None
    municipality_id: int | None = None
    neighbourhood: str = ""
    breakdown: str = ""  # "kind:it_cafe"

    def q(self) -> Q:
        q = Q(breakdown=self.breakdown)
        if self.place_id:
            q &= Q(place_id=self.place_id)
        if self.municipality_id:
            q &= Q(municipality_id=self.municipality_id)
        if self.neighbourhood:
            q &= Q(neighbourhood__iexact=self.neighbourhood.strip())
        return q


def indicators_list(*, actor: Actor) -> list[Indicator]:
    """Every indicator this community may ask for (of the modules switched on here)."""
    actor.require("monitoring.view")
    return indicators_of(actor.community.enabled_modules)


def indicator_get(*, actor: Actor, key: str, field_name: str = "indicator") -> Indicator:
    """The indicator ``key``; unknown, or of a module switched off here, is a clear error."""
    actor.require("monitoring.view")
    return indicator_check(community=actor.community, key=key, field_name=field_name)


def indicator_check(*, community: Any, key: str, field_name: str = "indicator") -> Indicator:
    indicator = INDICATORS.get(key)
    if indicator is None:
        msg = _("There is no indicator “%(key)s”.") % {"key": key}
        raise ValidationFailed(msg, fields={field_name: msg}, code="unknown_indicator")
    if indicator.switchable and not community.has_module(indicator.module):
        module = MODULES.get(indicator.module)
        msg = _(
            "The indicator “%(indicator)s” is counted by the module “%(module)s”, which is "
            "switched off in this community."
        ) % {"indicator": indicator.label, "module": module.name if module else indicator.module}
        raise ValidationFailed(msg, fields={field_name: msg}, code="module_off")
    return indicator


def breakdown_check(indicator: Indicator, breakdown: str, field_name: str = "breakdown") -> str:
    """``"dimension:value"`` of one of the indicator's dimensions, or ""."""
    breakdown = (breakdown or "").strip()
    if not breakdown:
        return ""
    dimension, _sep, value = breakdown.partition(":")
    if dimension not in dict(indicator.dimensions) or not value:
        names = ", ".join(d for d, _label in indicator.dimensions) or "—"
        msg = _(
            "“%(breakdown)s” is not a breakdown of this indicator. Write dimension:value; "
            "its dimensions: %(names)s."
        ) % {"breakdown": breakdown, "names": names}
        raise ValidationFailed(msg, fields={field_name: msg})
    return breakdown[:80]


def _rows(actor: Actor, indicator: Indicator, filters: Filters) -> QuerySet[Any]:
    table: Any = IndicatorSubject if indicator.measure == Measure.UNIQUE else IndicatorCount
    return scoped(table, actor.community).filter(filters.q(), indicator=indicator.key)


def _value(actor: Actor, indicator: Indicator, first: date, after: date, filters: Filters) -> int:
    rows = _rows(actor, indicator, filters).filter(month__lt=after)
    if indicator.measure == Measure.UNIQUE:
        return rows.filter(month__gte=first).aggregate(n=Count("subject_id", distinct=True))["n"]
    if indicator.measure == Measure.COUNT:
        rows = rows.filter(month__gte=first)
    return int(rows.aggregate(n=Sum("value"))["n"] or 0)


def _per_month(
    actor: Actor, indicator: Indicator, first: date, after: date, filters: Filters
) -> list[tuple[date, int]]:
    months = months_between(first, after)
    rows = _rows(actor, indicator, filters).filter(month__gte=first, month__lt=after)
    if indicator.measure == Measure.UNIQUE:
        found = dict(
            rows.values_list("month").annotate(n=Count("subject_id", distinct=True)).order_by()
        )
        return [(m, found.get(m, 0)) for m in months]
    found = dict(rows.values_list("month").annotate(n=Sum("value")).order_by())
    if indicator.measure == Measure.COUNT:
        return [(m, int(found.get(m) or 0)) for m in months]
    level = _value(actor, indicator, first, first, filters)  # the stock before the first month
    series = []
    for m in months:
        level += int(found.get(m) or 0)
        series.append((m, level))
    return series


def _per_municipality(
    actor: Actor, indicator: Indicator, first: date, after: date, filters: Filters
) -> dict[int | None, int]:
    rows = _rows(actor, indicator, filters).filter(month__lt=after)
    if indicator.measure != Measure.LEVEL:
        rows = rows.filter(month__gte=first)
    if indicator.measure == Measure.UNIQUE:
        agg = rows.values_list("municipality_id").annotate(n=Count("subject_id", distinct=True))
    else:
        agg = rows.values_list("municipality_id").annotate(n=Sum("value"))
    return {key: int(n or 0) for key, n in agg.order_by()}


def month_range(first: date, last: date) -> tuple[date, date]:
    """The months ``first``..``last`` (any days in them) as (first month, month after)."""
    if last < first:
        msg = _("The end of the period lies before its start.")
        raise ValidationFailed(msg, fields={"end": msg})
    start = first.replace(day=1)
    after = add_months(last.replace(day=1), 1)
    if rules.months_in(start, last) > rules.MAX_MONTHS:
        msg = _("Choose a period of at most %(n)d months.") % {"n": rules.MAX_MONTHS}
        raise ValidationFailed(msg, fields={"end": msg})
    return start, after


@dataclass(frozen=True)
class IndicatorValue:
    indicator: Indicator
    first: date
    after: date
    filters: Filters
    value: int
    months: list[tuple[date, int]]
    counted_at: Any


def indicator_value(
    *, actor: Actor, key: str, first: date, last: date, filters: Filters | None = None
) -> IndicatorValue:
    """An indicator for the months ``first``..``last`` with filters, from the roll-up."""
    indicator = indicator_get(actor=actor, key=key)
    filters = filters or Filters()
    breakdown_check(indicator, filters.breakdown)
    if filters.municipality_id:
        get_scoped(Municipality, actor.community, pk=filters.municipality_id)
    start, after = month_range(first, last)
    return IndicatorValue(
        indicator=indicator,
        first=start,
        after=after,
        filters=filters,
        value=_value(actor, indicator, start, after, filters),
        months=_per_month(actor, indicator, start, after, filters),
        counted_at=counted_at(actor=actor, key=indicator.key),
    )


def indicator_values(
    *, actor: Actor, key: str, first: date, last: date, filters: Filters | None = None
) -> list[IndicatorValue]:
    """One indicator (``key``) or, with ``key`` "", every indicator of the modules switched on."""
    if key:
        return [indicator_value(actor=actor, key=key, first=first, last=last, filters=filters)]
    if filters and filters.breakdown:
        msg = _("Choose an indicator to ask for one of its breakdowns.")
        raise ValidationFailed(msg, fields={"breakdown": msg})
    return [
        indicator_value(actor=actor, key=i.key, first=first, last=last, filters=filters)
        for i in indicators_list(actor=actor)
    ]


def counted_at(*, actor: Actor, key: str | None = None) -> Any:
    """When the roll-up last counted ``key`` (or the oldest of all: figures are as of then)."""
    runs = scoped(IndicatorRun, actor.community)
    if key:
        return runs.filter(indicator=key).values_list("counted_at", flat=True).first()
    return runs.order_by("counted_at").values_list("counted_at", flat=True).first()


def people_reached(
    *, actor: Actor, key: str, first: date, last: date, filters: Filters | None = None
) -> QuerySet[Any]:
    """The ids of the people an indicator that reaches people reached in the months (for the
    reach per target group and a person's digital track: monitoring's next part)."""
    indicator = indicator_get(actor=actor, key=key)
    if not indicator.reaches_people:
        msg = _("This indicator does not count people.")
        raise ValidationFailed(msg, fields={"indicator": msg})
    start, after = month_range(first, last)
    return (
        _rows(actor, indicator, filters or Filters())
        .filter(month__gte=start, month__lt=after)
        .values_list("subject_id", flat=True)
        .distinct()
    )


# --- plans ----------------------------------------------------------------------------------


def plans_list(*, actor: Actor, q: str = "") -> QuerySet[Plan]:
    actor.require("monitoring.view")
    plans = scoped(Plan, actor.community)
    if q.strip():
        plans = plans.filter(Q(name__icontains=q.strip()) | Q(funder__icontains=q.strip()))
    return plans.order_by("-starts_on", "name")


def plan_get(*, actor: Actor, plan_id: int) -> Plan:
    actor.require("monitoring.view")
    return get_scoped(Plan, actor.community, pk=plan_id)


def target_get(*, actor: Actor, plan_id: int, target_id: int) -> Target:
    actor.require("monitoring.view")
    return get_scoped(Target, actor.community, pk=target_id, plan_id=plan_id)


def budget_line_get(*, actor: Actor, plan_id: int, line_id: int) -> BudgetLine:
    actor.require("monitoring.view")
    return get_scoped(BudgetLine, actor.community, pk=line_id, plan_id=plan_id)


def milestone_get(*, actor: Actor, plan_id: int, milestone_id: int) -> Milestone:
    actor.require("monitoring.view")
    return get_scoped(Milestone, actor.community, pk=milestone_id, plan_id=plan_id)


@dataclass
class TargetProgress:
    target: Target
    indicator: Indicator | None
    problem: str  # why it cannot be measured here ("" when it can)
    progress: rules.Progress
    months: list[tuple[date, int]] = field(default_factory=list)
    per_municipality: list[tuple[str, int]] = field(default_factory=list)


def target_progress(
    actor: Actor, target: Target, today: date, municipalities: list[Municipality]
) -> TargetProgress:
    indicator, problem = None, ""
    if target.indicator:
        try:
            indicator = indicator_check(community=actor.community, key=target.indicator)
        except ValidationFailed as refused:
            problem = str(refused.detail)
    first = target.starts_on.replace(day=1)
    after = add_months(target.ends_on.replace(day=1), 1)
    if indicator is None:
        return TargetProgress(
            target,
            None,
            problem,
            rules.progress(
                value=None, target=target.value, first=target.starts_on,
                last=target.ends_on, today=today,
            ),
        )  # fmt: skip
    filters = Filters(breakdown=target.breakdown)
    value = _value(actor, indicator, first, after, filters)
    result = TargetProgress(
        target,
        indicator,
        "",
        rules.progress(
            value=value, target=target.value, first=target.starts_on, last=target.ends_on,
            today=today,
        ),
        months=_per_month(actor, indicator, first, after, filters),
    )  # fmt: skip
    if len(municipalities) > 1:
        found = _per_municipality(actor, indicator, first, after, filters)
        result.per_municipality = [(m.name, found.get(m.pk, 0)) for m in municipalities]
    return result


@dataclass(frozen=True)
class BudgetRow:
    line: BudgetLine
    spent: int
    share: int | None


def budget(*, actor: Actor, plan: Plan) -> dict[str, Any]:
    """Planned against spent per line and per category, in euro cents."""
    actor.require("monitoring.view")
    order = {value: n for n, value in enumerate(BudgetCategory.values)}  # wages first
    lines = sorted(
        scoped(BudgetLine, actor.community)
        .filter(plan=plan)
        .annotate(spent=Sum("spending__amount_cents"))
        .order_by("pk"),
        key=lambda line: order.get(line.category, 99),
    )
    rows = [
        BudgetRow(
            line,
            int(line.spent or 0),  # type: ignore[attr-defined]
            round(100 * int(line.spent or 0) / line.planned_cents)  # type: ignore[attr-defined]
            if line.planned_cents
            else None,
        )
        for line in lines
    ]
    categories = []
    for value, label in BudgetCategory.choices:
        mine = [r for r in rows if r.line.category == value]
        if mine:
            planned = sum(r.line.planned_cents for r in mine)
            spent = sum(r.spent for r in mine)
            categories.append(
                {
                    "category": label,
                    "planned": planned,
                    "spent": spent,
                    "share": round(100 * spent / planned) if planned else None,
                }
            )
    planned = sum(r.line.planned_cents for r in rows)
    spent = sum(r.spent for r in rows)
    return {
        "rows": rows,
        "categories": categories,
        "planned": planned,
        "spent": spent,
        "share": round(100 * spent / planned) if planned else None,
    }


def plan_dashboard(*, actor: Actor, plan_id: int, today: date | None = None) -> dict[str, Any]:
    """Everything on a plan's dashboard."""
    plan = plan_get(actor=actor, plan_id=plan_id)
    today = today or local_today()
    municipalities = list(plan.municipalities.order_by("name"))
    targets = [
        target_progress(actor, t, today, municipalities)
        for t in scoped(Target, actor.community)
        .filter(plan=plan)
        .select_related("objective")
        .order_by("objective__position", "position", "starts_on", "pk")
    ]
    milestones = list(scoped(Milestone, actor.community).filter(plan=plan).order_by("due_on"))
    counts: dict[str, int] = {}
    for t in targets:
        counts[t.progress.status] = counts.get(t.progress.status, 0) + 1
    return {
        "plan": plan,
        "today": today,
        "elapsed": rules.progress(
            value=0, target=1, first=plan.starts_on, last=plan.ends_on, today=today
        ).elapsed,
        "objectives": list(plan.objectives.order_by("position", "pk")),
        "targets": targets,
        "status_counts": counts,
        "municipalities": municipalities,
        "budget": budget(actor=actor, plan=plan),
        "milestones": milestones,
        "milestones_late": [m for m in milestones if m.done_on is None and m.due_on < today],
        "counted_at": counted_at(actor=actor),
        "months": months_between(plan.starts_on, plan.ends_on + timedelta(days=1)),
    }
