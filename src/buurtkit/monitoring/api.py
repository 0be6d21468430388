"""The monitoring API: indicators with a period and filters, plans, targets with progress.

Reads need ``monitoring.view``, writes ``monitoring.manage``. Periods are whole months
(``YYYY-MM``); every figure is read from the roll-up (ADR 0016).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from buurtkit.core.apitools import (
    MONTH_PATTERN,
    NONBLANK,
    Id,
    In,
    actor_of,
    idempotency_key_header,
    one_of,
    paged,
)
from buurtkit.core.indicators import INDICATORS
from buurtkit.monitoring import selectors, services
from buurtkit.monitoring.models import BudgetCategory, Plan

router = Router(tags=["monitoring"])

IndicatorKey = one_of(INDICATORS.keys())


class MonitoringDimensionOut(Schema):
    key: str
    label: str


class MonitoringIndicatorOut(Schema):
    key: str
    module: str
    label: str
    unit: str
    measure: str
    description: str
    dimensions: list[MonitoringDimensionOut]
    reaches_people: bool


def _indicator_out(i: Any) -> dict[str, Any]:
    return {
        "key": i.key,
        "module": i.module,
        "label": str(i.label),
        "unit": str(i.unit),
        "measure": str(i.measure),
        "description": str(i.description),
        "dimensions": [{"key": k, "label": str(label)} for k, label in i.dimensions],
        "reaches_people": i.reaches_people,
    }


class MonitoringMonthOut(Schema):
    month: str
    value: int


class MonitoringValueOut(Schema):
    indicator: MonitoringIndicatorOut
    start: str
    end: str
    value: int
    months: list[MonitoringMonthOut]
    counted_at: datetime | None


class MonitoringValueQuery(Schema):
    indicator: IndicatorKey | None = Field(  # type: ignore[valid-type]
        None, description="One indicator; none: every indicator of the modules switched on."
    )
    start: str | None = Field(None, pattern=MONTH_PATTERN, description="First month, YYYY-MM.")
    end: str | None = Field(None, pattern=MONTH_PATTERN, description="Last month, YYYY-MM.")
    place_id: Id | None = None
    municipality_id: Id | None = None
    neighbourhood: str = Field("", max_length=100)
    breakdown: str = Field(
        "", max_length=80, description="With one indicator: dimension:value, e.g. kind:it_cafe"
    )


def _month(text: str | None, default: date) -> date:
    return date.fromisoformat(text + "-01") if text else default


@router.get("/indicators", response=list[MonitoringIndicatorOut], summary="List the indicators")
def list_indicators(request: HttpRequest) -> Any:
    return [_indicator_out(i) for i in selectors.indicators_list(actor=actor_of(request))]


@router.get(
    "/values",
    response=list[MonitoringValueOut],
    summary="Indicators' values for a period of months (default: this year), with filters",
)
def indicator_values(request: HttpRequest, query: Query[MonitoringValueQuery]) -> Any:
    this = selectors.local_today().replace(day=1)
    values = selectors.indicator_values(
        actor=actor_of(request),
        key=query.indicator or "",
        first=_month(query.start, date(this.year, 1, 1)),
        last=_month(query.end, this),
        filters=selectors.Filters(
            place_id=query.place_id,
            municipality_id=query.municipality_id,
            neighbourhood=query.neighbourhood,
            breakdown=query.breakdown,
        ),
    )
    return [
        {
            "indicator": _indicator_out(value.indicator),
            "start": value.first.strftime("%Y-%m"),
            "end": value.months[-1][0].strftime("%Y-%m") if value.months else "",
            "value": value.value,
            "months": [{"month": m.strftime("%Y-%m"), "value": v} for m, v in value.months],
            "counted_at": value.counted_at,
        }
        for value in values
    ]


class MonitoringPlanOut(Schema):
    id: int
    name: str
    funder: str
    description: str
    starts_on: date
    ends_on: date
    municipality_ids: list[int]

    @staticmethod
    def resolve_municipality_ids(obj: Plan | dict[str, Any]) -> list[int]:
        if isinstance(obj, dict):  # the plan's page (get_plan) answers a dict
            return list(obj["municipality_ids"])
        return sorted(m.pk for m in obj.municipalities.all())


class MonitoringPlanIn(In):
    name: str = Field(..., min_length=1, max_length=150, pattern=NONBLANK)
    starts_on: date = Field(..., description="The first day of a month.")
    ends_on: date = Field(..., description="The last day of a month.")
    funder: str = Field("", max_length=150)
    description: str = Field("", max_length=5000)
    municipality_ids: list[Id] = Field([], max_length=100)


@router.get("/plans", response=list[MonitoringPlanOut], summary="List plans")
@paged
def list_plans(request: HttpRequest, q: str = Query("", max_length=100)) -> Any:
    return selectors.plans_list(actor=actor_of(request), q=q).prefetch_related("municipalities")


@router.post(
    "/plans",
    response={200: MonitoringPlanOut, 201: MonitoringPlanOut},
    summary="Make a plan (send an Idempotency-Key)",
)
def create_plan(
    request: HttpRequest,
    payload: MonitoringPlanIn,
    idempotency_key: str | None = idempotency_key_header("plan"),
) -> Any:
    plan = services.plan_create(
        actor=actor_of(request), idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(200 if getattr(plan, "replayed", False) else 201, plan)


class MonitoringObjectiveOut(Schema):
    id: int
    position: int
    title: str
    description: str


class MonitoringBudgetLineOut(Schema):
    id: int
    category: BudgetCategory
    title: str
    planned_cents: int
    spent_cents: int


class MonitoringMilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_on: date | None
    note: str


class MonitoringPlanDetailOut(MonitoringPlanOut):
    objectives: list[MonitoringObjectiveOut]
    budget_lines: list[MonitoringBudgetLineOut]
    milestones: list[MonitoringMilestoneOut]


@router.get("/plans/{plan_id}", response=MonitoringPlanDetailOut, summary="A plan")
def get_plan(request: HttpRequest, plan_id: Id) -> Any:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    budget = selectors.budget(actor=actor, plan=plan)
    return {
        "id": plan.pk,
        "name": plan.name,
        "funder": plan.funder,
        "description": plan.description,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "municipality_ids": sorted(m.pk for m in plan.municipalities.all()),
        "objectives": list(plan.objectives.order_by("position", "pk")),
        "budget_lines": [
            {
                "id": r.line.pk,
                "category": r.line.category,
                "title": r.line.title,
                "planned_cents": r.line.planned_cents,
                "spent_cents": r.spent,
            }
            for r in budget["rows"]
        ],
        "milestones": list(plan.milestones.order_by("due_on", "pk")),
    }


class MonitoringTargetOut(Schema):
    id: int
    title: str
    objective_id: int | None
    indicator: str
    breakdown: str
    value: int
    starts_on: date
    ends_on: date
    note: str


class MonitoringTargetProgressOut(MonitoringTargetOut):
    measured: int | None = Field(..., description="The value so far (null: no indicator).")
    share: int = Field(..., description="Percent of the target reached.")
    elapsed: int = Field(..., description="Percent of the target's period gone by.")
    expected: int = Field(..., description="What the time gone by asks for.")
    status: str = Field(
        ..., description="not_started, on_track, behind, met, missed or no_indicator."
    )
    problem: str
    months: list[MonitoringMonthOut]


class MonitoringTargetIn(In):
    value: int = Field(..., ge=1, le=2**31 - 1)
    title: str = Field("", max_length=200)
    indicator: IndicatorKey | None = None  # type: ignore[valid-type]
    breakdown: str = Field("", max_length=80)
    starts_on: date | None = None
    ends_on: date | None = None
    objective_id: Id | None = None
    note: str = Field("", max_length=300)


@router.get(
    "/plans/{plan_id}/targets",
    response=list[MonitoringTargetProgressOut],
    summary="A plan's targets with their progress",
)
def list_targets(request: HttpRequest, plan_id: Id) -> Any:
    dashboard = selectors.plan_dashboard(actor=actor_of(request), plan_id=plan_id)
    today = dashboard["today"]
    return [
        {
            "id": t.target.pk,
            "title": t.target.title,
            "objective_id": t.target.objective_id,
            "indicator": t.target.indicator,
            "breakdown": t.target.breakdown,
            "value": t.target.value,
            "starts_on": t.target.starts_on,
            "ends_on": t.target.ends_on,
            "note": t.target.note,
            "measured": t.progress.value,
            "share": t.progress.share,
            "elapsed": t.progress.elapsed,
            "expected": t.progress.expected,
            "status": t.progress.status,
            "problem": t.problem,
            "months": [
                {"month": m.strftime("%Y-%m"), "value": v} for m, v in t.months if m <= today
            ],
        }
        for t in dashboard["targets"]
    ]


@router.post(
    "/plans/{plan_id}/targets",
    response={200: MonitoringTargetOut, 201: MonitoringTargetOut},
    summary="Add a target to a plan (send an Idempotency-Key)",
)
def create_target(
    request: HttpRequest,
    plan_id: Id,
    payload: MonitoringTargetIn,
    idempotency_key: str | None = idempotency_key_header("target"),
) -> Any:
    data = payload.dict()
    data["indicator"] = data["indicator"] or ""
    target = services.target_create(
        actor=actor_of(request), plan_id=plan_id, idempotency_key=idempotency_key, **data
    )
    return Status(200 if getattr(target, "replayed", False) else 201, target)


# Reach per target group, the digital track and surveys (issue 15): their own file.
from buurtkit.monitoring import reach_api  # noqa: E402

reach_api.register(router)

# --- report snapshots (monitoring/reports/api.py) --------------------------------------------

from buurtkit.monitoring.reports.api import register as register_reports  # noqa: E402

register_reports(router)
