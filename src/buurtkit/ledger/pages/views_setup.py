"""Setting up a circle from pages (issue 16): the coordinator makes the currency, its exchange
offices, the issuing budgets per organisation and the shops that accept it, without a shell.

One page (``/<slug>/ledger/setup/``) with a form per step (prefixed: one page, unique field
ids); each form posts to its own address
and the page comes back with what was typed and the error next to its field. The work is in
``ledger.services.setup``; the office and budget forms carry an idempotency key, so a double
click makes one office or one budget.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.ledger import directory, selectors, services
from buurtkit.ledger.pages.forms_setup import BudgetForm, CurrencyForm, OfficeForm, ShopForm
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash


def _currency_initial(currency: Any) -> dict[str, Any]:
    if currency is None:
        return {"decimals": 0, "euro_cents_per_unit": 10, "denominations": "1, 5, 10"}
    initial: dict[str, Any] = {
        "code": currency.code,
        "decimals": currency.decimals,
        "euro_cents_per_unit": currency.euro_cents_per_unit,
        "denominations": ", ".join(str(d) for d in currency.denominations),
        "approval_threshold": selectors.format_amount(
            currency, services.reward_approval_threshold(currency)
        ),
    }
    for lang, names in (currency.names or {}).items():
        for number in ("singular", "plural"):
            initial[f"name_{lang}_{number}"] = names.get(number, "")
    return initial


SETUP_PAGE_SIZE = 20


def _paged(request: HttpRequest, items: list[Any], name: str) -> Any:
    """One page of a setup list, paged on its own (``?offices_page=2``): the three lists grow
    apart. ``page.query`` keeps the search and the other lists' pages for the links."""
    param = f"{name}_page"
    page: Any = Paginator(items, SETUP_PAGE_SIZE).get_page(request.GET.get(param))
    params = request.GET.copy()
    params.pop(param, None)
    page.query, page.param, page.anchor = params.urlencode(), param, name
    return page


def _page(request: HttpRequest, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    actor = actor_of(request)
    currency = directory.public_currency(community=actor.community)
    orgs = directory.setup_organisations(actor=actor)
    currency_form = bound.get("currency_form") or CurrencyForm(initial=_currency_initial(currency))
    if currency is not None:
        currency_form.fields["code"].disabled = True
        currency_form.fields["decimals"].disabled = True
    context: dict[str, Any] = {
        "currency": currency,
        "currency_form": currency_form,
        "organisations": orgs,
    }
    if currency is not None:
        q = (request.GET.get("q") or "").strip()[:100]
        key = {"idempotency_key": uuid.uuid4().hex}
        budgets = selectors.budgets_list(actor=actor)
        today = selectors.local_today()
        public = reverse("web:ledger_places", kwargs={"slug": actor.community.slug})
        context |= {
            "office_form": bound.get("office_form")
            or OfficeForm(initial=key, organisations=orgs, prefix="office"),
            "budget_form": bound.get("budget_form")
            or BudgetForm(initial=key, organisations=orgs, prefix="budget"),
            "shop_form": bound.get("shop_form") or ShopForm(organisations=orgs, prefix="shop"),
            "q": q,
            "offices": _paged(request, directory.setup_offices(actor=actor, q=q), "offices"),
            "shops": _paged(request, directory.setup_shops(actor=actor, q=q), "shops"),
            "budgets": _paged(
                request,
                [
                    b
                    for b in budgets
                    if b.budget.ends_on >= today and (not q or q.lower() in b.organisation.lower())
                ],
                "budgets",
            ),
            "public_url": request.build_absolute_uri(public),
            "embed_url": request.build_absolute_uri(
                reverse("web:ledger_places_embed", kwargs={"slug": actor.community.slug})
            ),
        }
    return render(request, "ledger/setup.html", context, status=status)


@community_page("ledger.manage")
def circle_setup(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@community_page("ledger.manage")
def circle_setup_currency(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    existing = directory.public_currency(community=actor.community)
    form = CurrencyForm(request.POST, initial=_currency_initial(existing))
    if existing is not None:
        form.fields["code"].disabled = True
        form.fields["decimals"].disabled = True
    if not form.is_valid():
        return _page(request, status=422, currency_form=form)
    data = form.cleaned_data
    try:
        currency = services.currency_set(
            actor=actor,
            code=data["code"],
            names=form.names(),
            decimals=data["decimals"],
            denominations=data["denominations"],
            euro_cents_per_unit=data["euro_cents_per_unit"],
            approval_threshold=data["approval_threshold"],
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        apply_service_error(form, exc)
        return _page(request, status=422, currency_form=form)
    if currency.created:  # type: ignore[attr-defined]
        flash(request, _("The currency has been made. Now add an exchange office and budgets."))
    else:
        flash(request, _("The currency has been saved."))
    return redirect("web:ledger_setup", slug=actor.community.slug)


def _organisation_id(form: forms.Form) -> int:
    return int(form.cleaned_data["organisation_id"])


@require_POST
@community_page("ledger.manage")
def circle_setup_office(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = OfficeForm(
        request.POST, organisations=directory.setup_organisations(actor=actor), prefix="office"
    )
    if not form.is_valid():
        return _page(request, status=422, office_form=form)
    try:
        office = services.exchange_office_open(
            actor=actor,
            name=form.cleaned_data["name"],
            organisation_id=_organisation_id(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        apply_service_error(form, exc)
        return _page(request, status=422, office_form=form)
    flash(request, _("Exchange office %(name)s is open.") % {"name": office.name})
    return redirect(reverse("web:ledger_setup", kwargs={"slug": actor.community.slug}) + "#offices")


@require_POST
@community_page("ledger.manage")
def circle_setup_budget(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = BudgetForm(
        request.POST, organisations=directory.setup_organisations(actor=actor), prefix="budget"
    )
    if not form.is_valid():
        return _page(request, status=422, budget_form=form)
    data = form.cleaned_data
    try:
        services.organisation_budget_create(
            actor=actor,
            organisation_id=_organisation_id(form),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            amount=data["amount"],
            idempotency_key=data["idempotency_key"],
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        exc.fields = {
            ("organisation_id" if k == "account_id" else k): v for k, v in exc.fields.items()
        }
        apply_service_error(form, exc)
        return _page(request, status=422, budget_form=form)
    flash(request, _("The budget has been saved."))
    return redirect(reverse("web:ledger_setup", kwargs={"slug": actor.community.slug}) + "#budgets")


@require_POST
@community_page("ledger.manage")
def circle_setup_shop(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = ShopForm(
        request.POST, organisations=directory.setup_organisations(actor=actor), prefix="shop"
    )
    if not form.is_valid():
        return _page(request, status=422, shop_form=form)
    try:
        account = services.shop_accept(actor=actor, organisation_id=_organisation_id(form))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        apply_service_error(form, exc)
        return _page(request, status=422, shop_form=form)
    flash(request, _("%(name)s now accepts payments.") % {"name": account.name})
    return redirect(reverse("web:ledger_setup", kwargs={"slug": actor.community.slug}) + "#shops")
