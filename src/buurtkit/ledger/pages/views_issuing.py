"""Staff pages for issuing: budgets, rewarding volunteers, second approvals, monthly payouts."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core import exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.ledger import selectors, services
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash


def _issuing_allowed(actor: Any) -> bool:
    return bool(actor.has("ledger.issue") or actor.has("ledger.manage") or actor.has("ledger.view"))


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    actor = actor_of(request)
    currency = services.community_currency(actor)
    can_issue = actor.has("ledger.issue") or actor.has("ledger.manage")
    # Only who may issue sees what waits for approval (the selector refuses the others).
    pending = list(selectors.pending_rewards(actor=actor)) if can_issue else []
    q = request.GET.get("q", "") if request.method == "GET" else request.POST.get("q", "")
    budgets = selectors.budgets_list(actor=actor)
    today = selectors.local_today()
    return {
        "currency": currency,
        "budgets": [b for b in budgets if b.budget.ends_on >= today],
        "past_budgets": [b for b in budgets if b.budget.ends_on < today],
        # Only the organisations the login issues for (its own, or all for a coordinator).
        "issuers": [
            a for a in selectors.issuer_accounts(actor=actor) if services.may_issue_from(actor, a)
        ]
        if can_issue
        else [],
        "pending": [
            (p, selectors.may_approve(actor, p) and services.may_issue_from(actor, p.issuer))
            for p in pending
        ],
        "runs": list(selectors.redemption_runs(actor=actor)) if actor.has("ledger.manage") else [],
        "can_issue": can_issue,
        "can_manage": actor.has("ledger.manage"),
        "q": q,
        "found": selectors.residents_to_reward(actor=actor, q=q) if can_issue and q else [],
        "without_account": selectors.people_without_account(actor=actor, q=q) if can_issue else [],
        "open_next": f"{reverse('web:issuing', kwargs={'slug': actor.community.slug})}?"
        + urlencode({"q": q}),
        "reward_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "form": request.POST if request.method == "POST" else {},
        **extra,
    }


@community_page()
def issuing_home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not _issuing_allowed(actor):
        actor.require("ledger.issue")
    if not selectors.currency_exists(actor=actor):
        return render(
            request,
            "web/error.html",
            {
                "title": _("Issuing torekes"),
                "message": _("This community has no currency yet."),
            },
        )
    return render(request, "ledger/issuing.html", _context(request))


@require_POST
@community_page()
def issuing_reward(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        result = services.reward_create(
            actor=actor,
            issuer_account_id=int(request.POST.get("issuer") or 0),
            resident_account_id=int(request.POST.get("resident") or 0),
            amount=request.POST.get("amount", ""),
            reason=request.POST.get("reason", ""),
            idempotency_key=request.POST.get("idempotency_key", ""),
        )
    except (ServiceError, ValueError) as exc:
        message = str(getattr(exc, "detail", "")) or _("Check the fields and try again.")
        fields = getattr(exc, "fields", {})
        return render(
            request,
            "ledger/issuing.html",
            _context(request, error=message, field_errors=fields),
            status=422 if isinstance(exc, ServiceError) and exc.status == 422 else 409,
        )
    if result.pending is not None:
        flash(request, _("The reward is waiting for a second person to approve it."))
    else:
        flash(request, _("The reward has been paid."))
    return redirect("web:issuing", slug=actor.community.slug)


@require_POST
@community_page()
def issuing_decide(request: HttpRequest, pending_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        if request.POST.get("decision") == "approve":
            services.pending_reward_approve(actor=actor, pending_id=pending_id)
            flash(request, _("Approved: the reward has been paid."))
        else:
            services.pending_reward_reject(
                actor=actor, pending_id=pending_id, note=request.POST.get("note", "")
            )
            flash(request, _("Rejected: no money has moved."))
    except ServiceError as exc:
        if exc.status == 404:
            raise  # another community's request is simply not there
        flash(request, str(exc.detail), level="error")
    return redirect("web:issuing", slug=actor.community.slug)


@require_POST
@community_page("ledger.manage")
def issuing_budget(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        services.budget_create(
            actor=actor,
            account_id=int(request.POST.get("account") or 0),
            starts_on=request.POST.get("starts_on", ""),
            ends_on=request.POST.get("ends_on", ""),
            amount=request.POST.get("budget_amount", ""),
        )
    except (ServiceError, ValueError) as exc:
        message = str(getattr(exc, "detail", "")) or _("Check the fields and try again.")
        return render(
            request,
            "ledger/issuing.html",
            _context(request, budget_error=message, budget_fields=getattr(exc, "fields", {})),
            status=422,
        )
    flash(request, _("The budget has been saved."))
    return redirect("web:issuing", slug=actor.community.slug)


@require_POST
@community_page("ledger.manage")
def issuing_redemption(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        run = services.redemption_run(actor=actor, month=request.POST.get("month", ""))
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return redirect("web:issuing", slug=actor.community.slug)
    return redirect("web:payouts", slug=actor.community.slug, run_id=run.pk)


@community_page("ledger.manage")
def issuing_payouts(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = actor_of(request)
    run = selectors.redemption_run_get(actor=actor, run_id=run_id)
    lines = selectors.payout_lines(actor=actor, run=run)
    return render(
        request,
        "ledger/payouts.html",
        {
            "run": run,
            "lines": lines,
            "currency": run.currency,
            "total": sum(line.amount for line in lines),
            "total_euro_cents": sum(line.euro_cents for line in lines),
        },
    )


@community_page("ledger.manage")
def issuing_payouts_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = actor_of(request)
    run = selectors.redemption_run_get(actor=actor, run_id=run_id)
    file = selectors.payout_csv(actor=actor, run=run)
    return exports.csv_text_response(file.content, filename=file.filename)
