"""Payment requests: the shop's screen with a big QR code, and the payer's page.

The shop (or a resident) types an amount; the next screen shows a QR code of the payer's page
``/<slug>/pay/requests/<token>/`` and the amount, and checks every few seconds (htmx) until it
is paid. The payer scans it, sees whom they pay, how much and what for, and confirms with
their payment PIN; a counter clerk acting on behalf of a resident confirms without it.
"""

from __future__ import annotations

import uuid
from typing import Any

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.ledger import selectors, services
from buurtkit.ledger.numbers import format_account_number
from buurtkit.ledger.pages.forms import PaymentRequestForm, PayRequestForm, PayRequestWithPinForm
from buurtkit.ledger.pages.views import (
    _account_code,
    _my_account,
    _no_account,
    _without_pin,
    money,
)
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

POLL_SECONDS = 3


def _view(actor: Actor, payment_request: Any) -> dict[str, Any]:
    payee = payment_request.payee
    return {
        "token": payment_request.token,
        "payee_name": payee.name,
        "payee_number": format_account_number(payee.number),
        "amount": money(payee.currency, payment_request.amount),
        "description": payment_request.description,
        "status": payment_request.status_at(clock.now()),
        "status_label": _status_label(payment_request.status_at(clock.now())),
        "created_at": payment_request.created_at,
        "expires_at": payment_request.expires_at,
        "transfer_id": payment_request.transfer_id,
    }


def _status_label(status: str) -> str:
    return {
        "open": _("waiting for payment"),
        "paid": _("paid ✓"),
        "cancelled": _("cancelled"),
        "expired": _("expired"),
    }.get(status, status)


def _pay_url(request: HttpRequest, slug: str, token: str) -> str:
    return request.build_absolute_uri(
        reverse("web:payment_request_pay", kwargs={"slug": slug, "token": token})
    )


def _qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=6, omitsize=True, svgclass="qr")
    return mark_safe(svg)  # noqa: S308 - made by segno from our own URL, no user text in it


# --- the asking side ---------------------------------------------------------------------------


@community_page()
def payment_requests(request: HttpRequest) -> HttpResponse:
    """The shop's requests and a form to ask for a new amount."""
    actor = actor_of(request)
    slug = actor.community.slug
    accounts = selectors.request_payee_accounts(actor=actor)
    if not accounts and not actor.has("ledger.view"):
        return _no_account(request)
    form = PaymentRequestForm(
        request.POST or None,
        accounts=accounts,
        initial={"key": f"web-{uuid.uuid4().hex}"},
    )
    if request.method == "POST" and accounts and form.is_valid():
        try:
            created = services.payment_request_create(
                actor=actor,
                payee_account_id=form.cleaned_data["account"],
                amount=form.cleaned_data["amount"],
                description=form.cleaned_data["description"],
                idempotency_key=form.cleaned_data["key"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("web:payment_request_show", slug=slug, token=created.token)
    recent = selectors.payment_requests_visible(actor=actor)[:20]
    return render(
        request,
        "ledger/requests.html",
        {
            "form": form if accounts else None,
            "requests": [_view(actor, r) for r in recent],
            # The shop's fixed code for its counter: customers scan it and type the amount.
            "shop_codes": [_account_code(actor, a) for a in accounts if a.kind != "resident"],
        },
        status=422 if form.errors else 200,
    )


def _own_request(actor: Actor, token: str) -> Any:
    """A request the actor asked (or may manage); another's is simply not found."""
    payment_request = selectors.payment_request_get(actor=actor, token=token)
    if not services.may_manage_payment_request(actor, payment_request):
        raise NotFound(_("Payment request not found."))
    return payment_request


def _not_found(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return render(
        request, "web/error.html", {"title": _("Not found"), "message": exc.detail}, status=404
    )


@community_page()
def payment_request_show(request: HttpRequest, token: str) -> HttpResponse:
    """The screen the shop turns to the payer: a big QR code, the amount, "paid ✓" when paid."""
    actor = actor_of(request)
    try:
        payment_request = _own_request(actor, token)
    except ServiceError as exc:
        return _not_found(request, exc)
    return render(request, "ledger/request_show.html", _screen(request, actor, payment_request))


def _screen(request: HttpRequest, actor: Actor, payment_request: Any) -> dict[str, Any]:
    view = _view(actor, payment_request)
    url = _pay_url(request, actor.community.slug, payment_request.token)
    return {
        "pr": view,
        "qr": _qr_svg(url) if view["status"] == "open" else "",
        "url": url,
        "poll": POLL_SECONDS,
    }


@community_page()
def payment_request_status(request: HttpRequest, token: str) -> HttpResponse:
    """The status part of the shop's screen, polled by htmx until the request is closed."""
    actor = actor_of(request)
    try:
        payment_request = _own_request(actor, token)
    except ServiceError as exc:
        return _not_found(request, exc)
    return render(request, "ledger/_request_status.html", _screen(request, actor, payment_request))


@require_POST
@community_page()
def payment_request_cancel(request: HttpRequest, token: str) -> HttpResponse:
    actor = actor_of(request)
    slug = actor.community.slug
    try:
        services.payment_request_cancel(actor=actor, token=token)
    except NotFound as exc:
        return _not_found(request, exc)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("The request is cancelled. Nobody can pay it any more."))
    return redirect("web:payment_requests", slug=slug)


# --- the payer ---------------------------------------------------------------------------------


@community_page()
def payment_request_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The payer's page: whom, how much, what for; confirm with the PIN; then the receipt."""
    actor = actor_of(request)
    slug = actor.community.slug
    try:
        payment_request = selectors.payment_request_get(actor=actor, token=token)
    except ServiceError as exc:
        return _not_found(request, exc)
    mine = _my_account(actor)
    own_request = mine is not None and mine.pk == payment_request.payee_id
    if mine is None or own_request:
        if services.may_manage_payment_request(actor, payment_request):
            return redirect("web:payment_request_show", slug=slug, token=payment_request.token)
        return _no_account(request)
    without_pin = _without_pin(actor)
    form_class = PayRequestForm if without_pin else PayRequestWithPinForm
    view = _view(actor, payment_request)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                paid = services.payment_request_pay(
                    actor=actor,
                    token=payment_request.token,
                    idempotency_key=form.cleaned_data["key"],
                    pin=None if without_pin else form.cleaned_data["pin"],
                    debit_account_id=mine.pk,
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                view = _view(actor, selectors.payment_request_get(actor=actor, token=token))
            else:
                return redirect("web:pay_receipt", slug=slug, transfer_id=paid.transfer_id)
    else:
        form = form_class(initial={"key": f"web-{uuid.uuid4().hex}"})
    return render(
        request,
        "ledger/request_pay.html",
        {
            "form": form,
            "pr": view,
            "balance": money(mine.currency, mine.balance),
            "without_pin": without_pin,
            "pin_status": services.pin_status(actor=actor, person_id=mine.person_id),  # type: ignore[arg-type]
        },
        status=422 if form.errors else 200,
    )


# --- SMS receipts (opt-in), on the staff account page ---------------------------------------


@require_POST
@community_page()
def account_sms_receipts(request: HttpRequest, account_id: int) -> HttpResponse:
    """Switch SMS receipts on or off (the account holder's wish, recorded by staff)."""
    actor = actor_of(request)
    slug = actor.community.slug
    contact = request.POST.get("contact_person_id") or ""
    try:
        services.account_set_sms_receipts(
            actor=actor,
            account_id=account_id,
            enabled=request.POST.get("enabled") == "1",
            contact_person_id=int(contact) if contact.isdigit() else None,
        )
    except NotFound as exc:
        return _not_found(request, exc)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("Saved."))
    return redirect("web:ledger_account", slug=slug, account_id=account_id)
