"""Monitoring's pages: thin views over ``monitoring.services`` and ``monitoring.selectors``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.core.indicators import add_months
from buurtkit.monitoring import rules, selectors, services
from buurtkit.monitoring.pages.forms import (
    BudgetLineForm,
    MilestoneForm,
    ObjectiveForm,
    PlanForm,
    SpendingForm,
    TargetForm,
)
from buurtkit.places.selectors import municipalities_list
from buurtkit.web.charts import month_chart
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

#: The shared status badges (web's app.css): green, red, dashed.
STATUS_CSS = {
    rules.ON_TRACK: "status-active",
    rules.MET: "status-active",
    rules.BEHIND: "status-retired",
    rules.MISSED: "status-retired",
    rules.NOT_STARTED: "status-unassigned",
    rules.NO_INDICATOR: "status-unassigned",
}


def _status_label(status: str) -> str:
    return {
        rules.NOT_STARTED: _("not started"),
        rules.ON_TRACK: _("on track"),
        rules.BEHIND: _("behind"),
        rules.MET: _("met"),
        rules.MISSED: _("missed"),
        rules.NO_INDICATOR: _("not measured yet"),
    }[status]


@community_page("monitoring.view")
def plans(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    page = paginate(request, selectors.plans_list(actor=actor, q=q))
    return render(
        request,
        "monitoring/plans.html",
        {"page": page, "q": q, "can_manage": actor.has("monitoring.manage")},
    )


def _month(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat((value or "").strip() + "-01")
    except ValueError:
        return default


@community_page("monitoring.view")
def indicators(request: HttpRequest) -> HttpResponse:
    """Every indicator of the modules switched on here, for a period of months."""
    actor = actor_of(request)
    this = selectors.local_today().replace(day=1)
    first = _month(request.GET.get("start"), date(this.year, 1, 1))
    last = _month(request.GET.get("end"), this)
    error = ""
    rows: list[Any] = []
    try:
        for indicator in selectors.indicators_list(actor=actor):
            rows.append(
                selectors.indicator_value(actor=actor, key=indicator.key, first=first, last=last)
            )
    except ServiceError as exc:
        error, rows = str(exc.detail), []
    return render(
        request,
        "monitoring/indicators.html",
        {
            "rows": rows,
            "start": first,
            "end": last,
            "error": error,
            "counted_at": selectors.counted_at(actor=actor),
        },
    )


@require_POST
@community_page("monitoring.view")
def recount(request: HttpRequest) -> HttpResponse:
    services.figures_recount(actor=actor_of(request))
    flash(request, _("The figures are counted again."))
    back = request.POST.get("plan", "")
    if back.isdigit():
        return redirect("web:monitoring_plan", request.community.slug, int(back))  # type: ignore[attr-defined]
    return redirect("web:monitoring_indicators", request.community.slug)  # type: ignore[attr-defined]


def _plan_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> PlanForm:
    actor = actor_of(request)
    return PlanForm(
        request.POST or None,
        initial=initial,
        municipalities=[(m.pk, m.name) for m in municipalities_list(community=actor.community)],
    )


@community_page("monitoring.manage")
def plan_new(request: HttpRequest) -> HttpResponse:
    today = selectors.local_today()
    start = add_months(today.replace(day=1), 1)
    form = _plan_form(
        request, {"starts_on": start, "ends_on": rules.month_end(add_months(start, 23))}
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=actor_of(request), **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The plan is made. Add its targets next."))
            return redirect("web:monitoring_plan", request.community.slug, plan.pk)  # type: ignore[attr-defined]
    return render(request, "monitoring/form.html", {"form": form, "title": _("Make a plan")})


@community_page("monitoring.manage")
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    form = _plan_form(
        request,
        {
            "name": plan.name,
            "funder": plan.funder,
            "starts_on": plan.starts_on,
            "ends_on": plan.ends_on,
            "description": plan.description,
            "municipality_ids": [m.pk for m in plan.municipalities.all()],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=actor, plan_id=plan.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request, "monitoring/form.html", {"form": form, "plan": plan, "title": _("Change the plan")}
    )


@community_page("monitoring.view")
def dashboard(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    d = selectors.plan_dashboard(actor=actor, plan_id=plan_id)
    this_month = d["today"].replace(day=1)
    cards = []
    for t in d["targets"]:
        months = [(m, v) for m, v in t.months if m <= this_month]
        cards.append(
            {
                "t": t,
                "status": _status_label(t.progress.status),
                "css": STATUS_CSS[t.progress.status],
                "chart": month_chart(
                    [m for m, _v in months], [v for _m, v in months], this_month=this_month
                )
                if months and any(v for _m, v in months)
                else None,
            }
        )
    counts = [
        (_status_label(status), d["status_counts"].get(status, 0), status)
        for status in (rules.ON_TRACK, rules.MET, rules.BEHIND, rules.MISSED,
                       rules.NOT_STARTED, rules.NO_INDICATOR)
        if d["status_counts"].get(status)
    ]  # fmt: skip
    return render(
        request,
        "monitoring/dashboard.html",
        {"d": d, "cards": cards, "counts": counts, "can_manage": actor.has("monitoring.manage")},
    )


@community_page("monitoring.manage")
def objective_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    form = ObjectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_create(actor=actor, plan_id=plan.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The objective is added."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "plan": plan, "title": _("Add an objective")},
    )


def _target_form(request: HttpRequest, plan: Any, initial: dict[str, Any] | None) -> TargetForm:
    actor = actor_of(request)
    return TargetForm(
        request.POST or None,
        initial=initial,
        indicators=[(i.key, str(i.label)) for i in selectors.indicators_list(actor=actor)],
        objectives=[(o.pk, f"{o.position}. {o.title}") for o in plan.objectives.all()],
    )


@community_page("monitoring.manage")
def target_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    form = _target_form(request, plan, None)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_create(actor=actor, plan_id=plan.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The target is added."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request, "monitoring/form.html", {"form": form, "plan": plan, "title": _("Add a target")}
    )


@community_page("monitoring.manage")
def target_edit(request: HttpRequest, plan_id: int, target_id: int) -> HttpResponse:
    actor = actor_of(request)
    target = selectors.target_get(actor=actor, plan_id=plan_id, target_id=target_id)
    plan = target.plan
    form = _target_form(
        request,
        plan,
        {
            "title": target.title,
            "indicator": target.indicator,
            "breakdown": target.breakdown,
            "value": target.value,
            "starts_on": target.starts_on,
            "ends_on": target.ends_on,
            "objective_id": target.objective_id,
            "note": target.note,
        },
    )
    if request.method == "POST" and request.POST.get("remove"):
        services.target_remove(actor=actor, plan_id=plan.pk, target_id=target.pk)
        flash(request, _("The target is removed."))
        return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_update(
                actor=actor, plan_id=plan.pk, target_id=target.pk, **form.cleaned_data
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "plan": plan, "title": _("Change the target"), "removable": True},
    )


@community_page("monitoring.manage")
def budget_line_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    form = BudgetLineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.budget_line_create(actor=actor, plan_id=plan.pk, **form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The budget line is added."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "plan": plan, "title": _("Add a budget line")},
    )


@community_page("monitoring.manage")
def spending_add(request: HttpRequest, plan_id: int, line_id: int) -> HttpResponse:
    actor = actor_of(request)
    line = selectors.budget_line_get(actor=actor, plan_id=plan_id, line_id=line_id)
    form = SpendingForm(request.POST or None, initial={"spent_on": selectors.local_today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.spending_add(
                actor=actor, plan_id=line.plan_id, line_id=line.pk, **form.service_data()
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The spending is entered."))
            return redirect("web:monitoring_plan", actor.community.slug, line.plan_id)
    return render(
        request,
        "monitoring/form.html",
        {
            "form": form,
            "plan": line.plan,
            "title": _("Enter spending: %(line)s") % {"line": line.title},
        },
    )


@community_page("monitoring.manage")
def milestone_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("done_on", None)
        try:
            services.milestone_create(actor=actor, plan_id=plan.pk, **data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The milestone is added."))
            return redirect("web:monitoring_plan", actor.community.slug, plan.pk)
    return render(
        request, "monitoring/form.html", {"form": form, "plan": plan, "title": _("Add a milestone")}
    )


@community_page("monitoring.manage")
def milestone_edit(request: HttpRequest, plan_id: int, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = selectors.milestone_get(actor=actor, plan_id=plan_id, milestone_id=milestone_id)
    form = MilestoneForm(
        request.POST or None,
        initial={
            "title": milestone.title,
            "due_on": milestone.due_on,
            "done_on": milestone.done_on,
            "note": milestone.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_update(
                actor=actor, plan_id=milestone.plan_id, milestone_id=milestone.pk,
                **form.cleaned_data,
            )  # fmt: skip
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:monitoring_plan", actor.community.slug, milestone.plan_id)
    return render(
        request,
        "monitoring/form.html",
        {"form": form, "plan": milestone.plan, "title": _("Change the milestone")},
    )
