"""Writes of monitoring: plans, objectives, targets, budget lines, spending and milestones.

Keyword-only, atomic, permission ``monitoring.manage`` checked, audited. And the recount of the
figures on request (``figures_recount``), which staff with ``monitoring.view`` may start.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.monitoring import rollup, rules, selectors
from buurtkit.monitoring.models import (
    BudgetCategory,
    BudgetLine,
    Milestone,
    Objective,
    Plan,
    Spending,
    Target,
)
from buurtkit.places.models import Municipality

MAX_CENTS = 10**13  # ten thousand million euro: far above any plan's budget


def _text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        msg = _("Fill this in.")
        raise ValidationFailed(msg, fields={field: msg})
    if len(text) > max_length:
        msg = _("Use at most %(n)d characters.") % {"n": max_length}
        raise ValidationFailed(msg, fields={field: msg})
    return text


def _plan_period(starts_on: date, ends_on: date) -> tuple[date, date]:
    """Whole months: the first day of the first month to the last day of the last."""
    if not rules.is_month_start(starts_on):
        msg = _("A plan starts on the first day of a month.")
        raise ValidationFailed(msg, fields={"starts_on": msg})
    if not rules.is_month_end(ends_on):
        msg = _("A plan ends on the last day of a month.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if ends_on <= starts_on:
        msg = _("The end lies before the start.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if rules.months_in(starts_on, ends_on) > rules.MAX_MONTHS:
        msg = _("A plan lasts at most %(n)d months.") % {"n": rules.MAX_MONTHS}
        raise ValidationFailed(msg, fields={"ends_on": msg})
    return starts_on, ends_on


def _municipalities(actor: Actor, ids: Iterable[int]) -> list[Municipality]:
    """The municipalities of this community; one of another community is refused: a plan
    belongs to one community."""
    wanted = sorted(set(ids))
    found = list(Municipality.objects.in_community(actor.community).filter(pk__in=wanted))
    if len(found) != len(wanted):
        msg = _("A plan belongs to one community: choose municipalities of this community only.")
        raise ValidationFailed(msg, fields={"municipality_ids": msg}, code="other_community")
    return found


@transaction.atomic
def plan_create(
    *,
    actor: Actor,
    name: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    funder: str = "",
    municipality_ids: Iterable[int] = (),
    idempotency_key: str | None = None,
) -> Plan:
    actor.require("monitoring.manage")
    name = _text(name, "name", max_length=150)
    description = _text(description, "description", max_length=5000, required=False)
    funder = _text(funder, "funder", max_length=150, required=False)
    starts_on, ends_on = _plan_period(starts_on, ends_on)
    municipalities = _municipalities(actor, municipality_ids)
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint(
        [name, description, funder, starts_on, ends_on, sorted(m.pk for m in municipalities)]
    )

    def create() -> Plan:
        if Plan.objects.in_community(actor.community).filter(name__iexact=name).exists():
            msg = _("There is already a plan with this name.")
            raise ValidationFailed(msg, fields={"name": msg})
        plan = Plan.objects.create(
            community=actor.community, name=name, description=description, funder=funder,
            starts_on=starts_on, ends_on=ends_on, created_at=clock.now(),
            created_by_label=actor.label, idempotency_key=key, request_hash=request_hash,
        )  # fmt: skip
        plan.municipalities.set(municipalities)
        audit_record(actor=actor, verb="monitoring.plan_created", obj=plan)
        return plan

    if not key:
        return create()
    return run_once(
        queryset=Plan.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another plan."),
    )


@transaction.atomic
def plan_update(
    *,
    actor: Actor,
    plan_id: int,
    name: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    funder: str = "",
    municipality_ids: Iterable[int] = (),
) -> Plan:
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, for_update=True, pk=plan_id)
    name = _text(name, "name", max_length=150)
    starts_on, ends_on = _plan_period(starts_on, ends_on)
    municipalities = _municipalities(actor, municipality_ids)
    if (
        Plan.objects.in_community(actor.community)
        .filter(name__iexact=name)
        .exclude(pk=plan.pk)
        .exists()
    ):
        msg = _("There is already a plan with this name.")
        raise ValidationFailed(msg, fields={"name": msg})
    outside = (
        Target.objects.in_community(actor.community)
        .filter(plan=plan)
        .exclude(starts_on__gte=starts_on, ends_on__lte=ends_on)
    )
    if outside.exists():
        msg = _("Some targets would fall outside the plan: change their periods first.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    plan.name, plan.starts_on, plan.ends_on = name, starts_on, ends_on
    plan.description = _text(description, "description", max_length=5000, required=False)
    plan.funder = _text(funder, "funder", max_length=150, required=False)
    plan.save()
    plan.municipalities.set(municipalities)
    audit_record(actor=actor, verb="monitoring.plan_changed", obj=plan)
    return plan


@transaction.atomic
def objective_create(
    *, actor: Actor, plan_id: int, title: str, description: str = "", position: int | None = None
) -> Objective:
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, for_update=True, pk=plan_id)
    title = _text(title, "title", max_length=200)
    if position is None:
        position = plan.objectives.count() + 1
    objective = Objective.objects.create(
        community=actor.community, plan=plan, title=title, position=max(int(position), 0),
        description=_text(description, "description", max_length=2000, required=False),
    )  # fmt: skip
    audit_record(actor=actor, verb="monitoring.objective_created", obj=objective)
    return objective


def _target_fields(
    actor: Actor,
    plan: Plan,
    *,
    title: str,
    indicator: str,
    breakdown: str,
    value: int,
    starts_on: date | None,
    ends_on: date | None,
    objective_id: int | None,
    note: str,
) -> dict[str, Any]:
    indicator = (indicator or "").strip()
    breakdown = (breakdown or "").strip()
    if indicator:
        found = selectors.indicator_check(community=actor.community, key=indicator)
        breakdown = selectors.breakdown_check(found, breakdown)
        title = (title or "").strip() or str(found.label)
    elif breakdown:
        msg = _("Choose an indicator first.")
        raise ValidationFailed(msg, fields={"breakdown": msg})
    elif not (note or "").strip():
        msg = _("Say how this target will be measured, since it has no indicator.")
        raise ValidationFailed(msg, fields={"note": msg})
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        msg = _("Give a whole number above zero.")
        raise ValidationFailed(msg, fields={"value": msg})
    first = (starts_on or plan.starts_on).replace(day=1)
    last = rules.month_end(ends_on or plan.ends_on)
    if last < first:
        msg = _("The end lies before the start.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if first < plan.starts_on or last > plan.ends_on:
        msg = _("The period lies outside the plan (%(start)s to %(end)s).") % {
            "start": plan.starts_on.isoformat(),
            "end": plan.ends_on.isoformat(),
        }
        raise ValidationFailed(
            msg, fields={"starts_on" if first < plan.starts_on else "ends_on": msg}
        )
    objective = None
    if objective_id:
        objective = get_scoped(Objective, actor.community, pk=objective_id, plan=plan)
    return {
        "title": _text(title, "title", max_length=200),
        "indicator": indicator,
        "breakdown": breakdown,
        "value": value,
        "starts_on": first,
        "ends_on": last,
        "objective": objective,
        "note": _text(note, "note", max_length=300, required=False),
    }


@transaction.atomic
def target_create(
    *,
    actor: Actor,
    plan_id: int,
    value: int,
    title: str = "",
    indicator: str = "",
    breakdown: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    objective_id: int | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> Target:
    """A target of the plan; the period defaults to the whole plan, in whole months."""
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, for_update=True, pk=plan_id)
    fields = _target_fields(
        actor, plan, title=title, indicator=indicator, breakdown=breakdown, value=value,
        starts_on=starts_on, ends_on=ends_on, objective_id=objective_id, note=note,
    )  # fmt: skip
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint(
        [plan.pk, {k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()}]
    )

    def create() -> Target:
        target = Target.objects.create(
            community=actor.community, plan=plan, position=plan.targets.count() + 1,
            idempotency_key=key, request_hash=request_hash, **fields,
        )  # fmt: skip
        audit_record(
            actor=actor, verb="monitoring.target_created", obj=target,
            data={"plan": plan.pk, "indicator": target.indicator},
        )  # fmt: skip
        return target

    if not key:
        return create()
    return run_once(
        queryset=Target.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another target."),
    )


@transaction.atomic
def target_update(
    *,
    actor: Actor,
    plan_id: int,
    target_id: int,
    value: int,
    title: str = "",
    indicator: str = "",
    breakdown: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    objective_id: int | None = None,
    note: str = "",
) -> Target:
    actor.require("monitoring.manage")
    target = get_scoped(Target, actor.community, for_update=True, pk=target_id, plan_id=plan_id)
    fields = _target_fields(
        actor, target.plan, title=title, indicator=indicator, breakdown=breakdown, value=value,
        starts_on=starts_on, ends_on=ends_on, objective_id=objective_id, note=note,
    )  # fmt: skip
    for name, new in fields.items():
        setattr(target, name, new)
    target.save()
    audit_record(actor=actor, verb="monitoring.target_changed", obj=target)
    return target


@transaction.atomic
def target_remove(*, actor: Actor, plan_id: int, target_id: int) -> None:
    actor.require("monitoring.manage")
    target = get_scoped(Target, actor.community, for_update=True, pk=target_id, plan_id=plan_id)
    audit_record(actor=actor, verb="monitoring.target_removed", obj=target)
    target.delete()


def _cents(value: int, field: str, *, allow_negative: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        msg = _("Give an amount in euro.")
        raise ValidationFailed(msg, fields={field: msg})
    if abs(value) > MAX_CENTS or (value < 0 and not allow_negative):
        msg = _("Give an amount between 0 and 100,000,000,000 euro.")
        raise ValidationFailed(msg, fields={field: msg})
    return value


@transaction.atomic
def budget_line_create(
    *, actor: Actor, plan_id: int, category: str, title: str, planned_cents: int
) -> BudgetLine:
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, for_update=True, pk=plan_id)
    if category not in BudgetCategory.values:
        msg = _("Choose wages, running costs, outside services or investments.")
        raise ValidationFailed(msg, fields={"category": msg})
    line = BudgetLine.objects.create(
        community=actor.community, plan=plan, category=category,
        title=_text(title, "title", max_length=200),
        planned_cents=_cents(planned_cents, "planned_cents"),
    )  # fmt: skip
    audit_record(
        actor=actor, verb="monitoring.budget_line_created", obj=line,
        data={"planned_cents": line.planned_cents},
    )  # fmt: skip
    return line


@transaction.atomic
def spending_add(
    *,
    actor: Actor,
    plan_id: int,
    line_id: int,
    spent_on: date,
    amount_cents: int,
    note: str = "",
) -> Spending:
    """Money spent on a budget line; a negative amount corrects an earlier entry."""
    actor.require("monitoring.manage")
    line = get_scoped(BudgetLine, actor.community, for_update=True, pk=line_id, plan_id=plan_id)
    amount = _cents(amount_cents, "amount_cents", allow_negative=True)
    if amount == 0:
        msg = _("Give an amount other than zero.")
        raise ValidationFailed(msg, fields={"amount_cents": msg})
    if spent_on > selectors.local_today():
        msg = _("Enter what was spent, not what will be: this day is still to come.")
        raise ValidationFailed(msg, fields={"spent_on": msg})
    entry = Spending.objects.create(
        community=actor.community, line=line, spent_on=spent_on, amount_cents=amount,
        note=_text(note, "note", max_length=200, required=False), entered_at=clock.now(),
        entered_by_label=actor.label,
    )  # fmt: skip
    audit_record(
        actor=actor, verb="monitoring.spending_added", obj=line,
        data={"amount_cents": amount, "spent_on": spent_on.isoformat()},
    )  # fmt: skip
    return entry


@transaction.atomic
def milestone_create(
    *, actor: Actor, plan_id: int, title: str, due_on: date, note: str = ""
) -> Milestone:
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, for_update=True, pk=plan_id)
    milestone = Milestone.objects.create(
        community=actor.community, plan=plan, title=_text(title, "title", max_length=200),
        due_on=due_on, note=_text(note, "note", max_length=300, required=False),
    )  # fmt: skip
    audit_record(actor=actor, verb="monitoring.milestone_created", obj=milestone)
    return milestone


@transaction.atomic
def milestone_update(
    *,
    actor: Actor,
    plan_id: int,
    milestone_id: int,
    title: str,
    due_on: date,
    done_on: date | None = None,
    note: str = "",
) -> Milestone:
    actor.require("monitoring.manage")
    milestone = get_scoped(
        Milestone, actor.community, for_update=True, pk=milestone_id, plan_id=plan_id
    )
    if done_on is not None and done_on > selectors.local_today():
        msg = _("A milestone is done on a day that has come.")
        raise ValidationFailed(msg, fields={"done_on": msg})
    milestone.title = _text(title, "title", max_length=200)
    milestone.due_on = due_on
    milestone.done_on = done_on
    milestone.note = _text(note, "note", max_length=300, required=False)
    milestone.save()
    audit_record(
        actor=actor, verb="monitoring.milestone_changed", obj=milestone,
        data={"done": done_on is not None},
    )  # fmt: skip
    return milestone


def figures_recount(*, actor: Actor) -> int:
    """Count the last months of every indicator again now (the job does so every 15 minutes)."""
    actor.require("monitoring.view")
    return rollup.recount_community(actor.community)


# The reports (monitoring/reports/services.py): asked for here, made in the background.
from buurtkit.monitoring.reports.services import report_build, report_generate  # noqa: E402, F401
