"""Paying with one phone: the resident's pay pages, and the counter's PIN and lost-phone actions.

Thin views: every read goes through ``ledger.selectors``, every write through ``ledger.services``.
A resident pays in three steps (who, how much, confirm with the PIN) and sees a receipt. The
confirm form carries an idempotency key made when it is shown, so a double click or a browser
retry pays once. Staff acting on behalf of a resident pay for them without a PIN.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core import exports
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError, ValidationFailed
from buurtkit.core.public_url import PublicUrlMissing
from buurtkit.ledger import selectors, services, statements, stickers
from buurtkit.ledger.models import Account, AccountKind, Currency, TransferKind
from buurtkit.ledger.numbers import format_account_number
from buurtkit.ledger.pages.forms import (
    AmountForm,
    ConfirmForm,
    ConfirmWithPinForm,
    CounterPinForm,
    LostPhoneForm,
    PayeeForm,
    PinForm,
)
from buurtkit.ledger.rules import display_name
from buurtkit.people.selectors import person_get
from buurtkit.qrcodes import exports as qr_exports
from buurtkit.qrcodes.codes import readable
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

PAYABLE = {AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION}
STATEMENT_LINES = 10  # on the resident's phone; staff see more


# --- display helpers ---------------------------------------------------------------------


def money(currency: Currency, minor: int, *, signed: bool = False) -> str:
    """12 torekes / 12,50 torekes in the page's language; ``signed`` adds + or −."""
    value = Decimal(abs(minor)).scaleb(-currency.decimals)
    text = number_format(value, decimal_pos=currency.decimals, use_l10n=True, force_grouping=True)
    one = minor in (10**currency.decimals, -(10**currency.decimals))
    name = currency.name((get_language() or "nl")[:2], plural=not one)
    sign = ("+ " if minor > 0 else "− " if minor < 0 else "") if signed else ""
    if not signed and minor < 0:
        sign = "− "
    return f"{sign}{text} {name}"


def account_label(account: Account) -> str:
    """An account's name as a person reads it (``rules.display_name``: the system accounts in
    the page's language, "Exchange office (paper torekes)" rather than "Paper in circulation")."""
    if account.kind != AccountKind.SYSTEM:
        return account.name
    return display_name(account.name, account.system_role or "")


def _acting_person_id(actor: Actor) -> int | None:
    return actor.on_behalf_of_id or actor.person_id


def _my_account(actor: Actor) -> Account | None:
    person_id = _acting_person_id(actor)
    if not person_id:
        return None
    return selectors.resident_account(actor=actor, person_id=person_id)


def _without_pin(actor: Actor) -> bool:
    """Staff acting on behalf with the right to pay for a resident need no PIN."""
    return actor.on_behalf_of_id is not None and actor.has("ledger.pay_on_behalf")


def _no_account(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/no_account.html")


def _lines(actor: Actor, account: Account, limit: int = STATEMENT_LINES) -> list[dict[str, Any]]:
    currency = account.currency
    return [
        {
            "at": line.transfer.at,
            "other": account_label(line.other),
            "what": line.transfer.description or _kind_words(line.transfer.kind, line.change),
            "change": money(currency, line.change, signed=True),
            "incoming": line.change > 0,
            "verb": _change_verb(line.transfer.kind, line.change),
            "balance": money(currency, line.balance_after),
            "counter": line.transfer.on_behalf_of_id is not None,
            "pk": line.transfer.pk,
        }
        for line in selectors.statement_lines(actor=actor, account_id=account.pk, limit=limit)
    ]


def _kind_words(kind: str, change: int) -> str:
    """What a line of one's history was, in plain words from the account's side."""
    if kind == "exchange_out":
        return _("Paper torekes taken at the exchange office")
    if kind == "exchange_in":
        return _("Paper torekes brought to the exchange office")
    if kind == "reversal":
        return _("Correction of an earlier payment")
    return str(TransferKind(kind).label) if kind in TransferKind.values else kind


def _change_verb(kind: str, change: int) -> str:
    """The word read out before the amount (screen readers), never "paid" for a paper
    withdrawal: the money did not go to anyone, it became paper."""
    if kind == "exchange_out":
        return _("changed into paper")
    if kind == "exchange_in":
        return _("paper changed into digital")
    return _("received") if change > 0 else _("paid")


def _account_code(actor: Actor, account: Account) -> dict[str, Any] | None:
    """The account's QR code to show (made the first time): scanning it pays this account."""
    if account.kind not in PAYABLE:
        return None
    code = services.account_qr_code(actor=actor, account_id=account.pk)
    try:
        url = qr_exports.scan_url(code.code)
    except PublicUrlMissing as exc:  # the page still works; the code waits for the address
        return {"code": code, "name": account.name, "missing": str(exc.detail)}
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr")
    return {
        "code": code,
        "name": account.name,
        "readable": readable(code.code),
        "scan_url": url,
        "svg": mark_safe(svg),  # noqa: S308 - made by segno from our own URL, no user text in it
        "print_url": reverse(
            "web:ledger_account_code",
            kwargs={"slug": actor.community.slug, "account_id": account.pk},
        ),
    }


def _payee(actor: Actor, raw: str, mine: Account) -> Account:
    """The account typed, checked: a typo in the number is caught by its check digit."""
    return selectors.payee_for(actor=actor, number=raw, payer=mine)


def _payee_view(account: Account) -> dict[str, str]:
    return {
        "name": account_label(account),
        "number": account.number,
        "display": format_account_number(account.number),
    }


def _blocked(actor: Actor, mine: Account) -> str:
    """Why this account cannot pay at all now (said at step 1, where nothing can be typed
    that would help), or "" when it can: the account is frozen, or the PIN is locked."""
    counter = actor.on_behalf_of_id is not None
    if mine.frozen:
        if counter:
            return _(
                "This account is blocked: no money can go in or out. A coordinator can unblock it."
            )
        return _(
            "Your account is blocked: you cannot pay now. Ask at the counter; they tell "
            "you why and can unblock it."
        )
    if (
        not _without_pin(actor)
        and mine.person_id is not None
        and services.pin_status(actor=actor, person_id=mine.person_id) == "locked"
    ):
        return _(
            "Your PIN is locked after too many wrong tries, so you cannot pay now. "
            "Ask at the counter for a new PIN."
        )
    return ""


def _over_balance(actor: Actor, mine: Account, amount: int) -> str:
    """What to say when ``amount`` is more than the account may pay (its balance, plus what
    it may go below zero), or "" when it fits: said at "how much?", where it can be fixed."""
    available = mine.balance - mine.lower_limit
    if amount <= available:
        return ""
    currency = mine.currency
    values = {
        "balance": money(currency, mine.balance),
        "most": money(currency, max(available, 0)),
        "limit": money(currency, -mine.lower_limit),
    }
    counter = actor.on_behalf_of_id is not None
    if mine.lower_limit < 0:
        if counter:
            return (
                _(
                    "Not enough money: this account has %(balance)s and may go %(limit)s below "
                    "zero. Type at most %(most)s."
                )
                % values
            )
        return (
            _(
                "Not enough money: you have %(balance)s and may go %(limit)s below zero. "
                "Type at most %(most)s."
            )
            % values
        )
    if counter:
        return _("Not enough money: this account has %(balance)s. Type at most %(most)s.") % values
    return _("Not enough money: you have %(balance)s. Type at most %(most)s.") % values


def _pay_url(name: str, slug: str, **params: str) -> str:
    url = reverse(name, kwargs={"slug": slug})
    return f"{url}?{urlencode(params)}" if params else url


# --- the resident's pages ----------------------------------------------------------------


@community_page()
def pay_home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    account = _my_account(actor)
    if account is None:
        return _no_account(request)
    person_id = _acting_person_id(actor)
    assert person_id is not None
    return render(
        request,
        "ledger/home.html",
        {
            "account": account,
            "number": format_account_number(account.number),
            "balance": money(account.currency, account.balance),
            "lines": _lines(actor, account),
            "pin_status": services.pin_status(actor=actor, person_id=person_id),
            "without_pin": _without_pin(actor),
            "qr": _account_code(actor, account),
            "statement": _statement_form(actor, account),
        },
    )


@community_page()
def pay_to(request: HttpRequest) -> HttpResponse:
    """Step 1: who do you pay? Type the number (its name is shown to check) or pick a recent one."""
    actor = actor_of(request)
    mine = _my_account(actor)
    if mine is None:
        return _no_account(request)
    blocked = _blocked(actor, mine)
    if blocked:
        return render(request, "ledger/pay_to.html", {"blocked": blocked, "step": 1})
    if "to" in request.GET and "number" not in request.GET:
        # ``?to=``: the QR code on a shop's counter (see ``ledger.qr``). A shop or organisation
        # goes straight to "how much?", which names it; anyone else is shown here to check.
        form = PayeeForm({"number": request.GET["to"]})
        if form.is_valid():
            try:
                payee = _payee(actor, form.cleaned_data["number"], mine)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if payee.kind in (AccountKind.MERCHANT, AccountKind.ORGANISATION):
                    slug = actor.community.slug
                    return redirect(_pay_url("web:pay_amount", slug, to=payee.number))
    else:
        form = PayeeForm(request.GET if "number" in request.GET else None)
    found = None
    if form.is_bound and form.is_valid():
        try:
            found = _payee_view(_payee(actor, form.cleaned_data["number"], mine))
        except ServiceError as exc:
            apply_service_error(form, exc)
    recent = [
        _payee_view(a) for a in selectors.recent_payees(actor=actor, account_id=mine.pk, limit=5)
    ]
    return render(
        request,
        "ledger/pay_to.html",
        {
            "form": form,
            "found": found,
            "recent": recent,
            "step": 1,
            "scan_prefix": qr_exports.scan_prefix(printing=False),
        },
    )


@community_page()
def pay_amount(request: HttpRequest) -> HttpResponse:
    """Step 2: how much? The amount is checked before the confirm page."""
    actor = actor_of(request)
    slug = actor.community.slug
    mine = _my_account(actor)
    if mine is None:
        return _no_account(request)
    try:
        payee = _payee(actor, request.GET.get("to", ""), mine)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return redirect("web:pay_to", slug=slug)
    form = AmountForm(request.GET if "amount" in request.GET else None)
    blocked = _blocked(actor, mine)
    if blocked:
        return render(request, "ledger/pay_to.html", {"blocked": blocked, "step": 1})
    if form.is_bound and form.is_valid():
        try:
            amount = services.parse_amount(mine.currency, form.cleaned_data["amount"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if over := _over_balance(actor, mine, amount):
                form.add_error("amount", over)
        if not form.errors:
            return redirect(
                _pay_url(
                    "web:pay_confirm",
                    slug,
                    to=payee.number,
                    amount=form.cleaned_data["amount"].strip(),
                    description=form.cleaned_data["description"].strip(),
                )
            )
    return render(
        request,
        "ledger/pay_amount.html",
        {
            "form": form,
            "payee": _payee_view(payee),
            "balance": money(mine.currency, mine.balance),
            "currency_name": mine.currency.name((get_language() or "nl")[:2]),
            "step": 2,
        },
    )


@community_page()
def pay_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: check and confirm with the PIN. The hidden key makes a second submit harmless."""
    actor = actor_of(request)
    slug = actor.community.slug
    mine = _my_account(actor)
    if mine is None:
        return _no_account(request)
    without_pin = _without_pin(actor)
    form_class = ConfirmForm if without_pin else ConfirmWithPinForm
    data = request.POST if request.method == "POST" else request.GET
    try:
        payee = _payee(actor, data.get("to", ""), mine)
        amount = services.parse_amount(mine.currency, data.get("amount", ""))
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return redirect("web:pay_to", slug=slug)
    description = (data.get("description") or "").strip()[:200]
    if _blocked(actor, mine) or _over_balance(actor, mine, amount):
        # Back to the step where it can be fixed; it says why.
        back = "web:pay_to" if _blocked(actor, mine) else "web:pay_amount"
        return redirect(
            _pay_url(
                back,
                slug,
                to=payee.number,
                amount=data.get("amount", ""),
                description=description,
            )
        )
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            common = {
                "actor": actor,
                "debit_account_id": mine.pk,
                "credit_account_id": payee.pk,
                "amount": amount,
                "idempotency_key": form.cleaned_data["key"],
                "description": description,
            }
            try:
                if without_pin:
                    transfer = services.payment_on_behalf(**common)
                else:
                    transfer = services.payment_with_pin(pin=form.cleaned_data["pin"], **common)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("web:pay_receipt", slug=slug, transfer_id=transfer.pk)
    else:
        form = form_class(
            initial={
                "to": payee.number,
                "amount": data.get("amount", ""),
                "description": description,
                "key": f"web-{uuid.uuid4().hex}",
            }
        )
    return render(
        request,
        "ledger/pay_confirm.html",
        {
            "form": form,
            "payee": _payee_view(payee),
            "amount": money(mine.currency, amount),
            "description": description,
            "balance_after": money(mine.currency, mine.balance - amount),
            "without_pin": without_pin,
            "pin_status": services.pin_status(actor=actor, person_id=mine.person_id),  # type: ignore[arg-type]
            "change_url": _pay_url(
                "web:pay_amount",
                slug,
                to=payee.number,
                amount=data.get("amount", ""),
                description=description,
            ),
            "step": 3,
        },
        status=422 if form.errors else 200,
    )


@community_page()
def pay_receipt(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """The receipt: for the resident (their side of it) or for staff who may see the accounts."""
    actor = actor_of(request)
    transfer = selectors.transfer_get(actor=actor, transfer_id=transfer_id)  # 404 if not theirs
    mine = _my_account(actor)
    outgoing = mine is None or transfer.credit_id != mine.pk
    other = transfer.credit if outgoing else transfer.debit
    currency = transfer.currency
    return render(
        request,
        "ledger/receipt.html",
        {
            "transfer": transfer,
            "outgoing": outgoing,
            "other": _payee_view(other),
            "amount": money(currency, transfer.amount),
            "balance_after": money(
                currency,
                transfer.debit_balance_after if outgoing else transfer.credit_balance_after,
            ),
            "counter": transfer.on_behalf_of_id is not None,
            "own": mine is not None,
        },
    )


@community_page()
def pay_pin(request: HttpRequest) -> HttpResponse:
    """Choose or change the payment PIN; at the counter staff set it after an identity check."""
    actor = actor_of(request)
    slug = actor.community.slug
    person_id = _acting_person_id(actor)
    if not person_id:
        return _no_account(request)
    status = services.pin_status(actor=actor, person_id=person_id)
    at_counter = actor.on_behalf_of_id is not None
    form: PinForm | CounterPinForm
    if at_counter:
        form = CounterPinForm(request.POST or None)
    else:
        form = PinForm(request.POST or None, has_pin=status == "set")
    if request.method == "POST" and form.is_valid() and (at_counter or status != "locked"):
        try:
            if at_counter:
                services.pin_reset_by_staff(
                    actor=actor,
                    person_id=person_id,
                    identity_checked=form.cleaned_data["identity_checked"],
                    new_pin=form.cleaned_data["pin"],
                )
            else:
                services.pin_set(
                    actor=actor,
                    person_id=person_id,
                    pin=form.cleaned_data["pin"],
                    current_pin=form.cleaned_data.get("current_pin"),
                )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The new PIN is saved. Keep it secret."))
            return redirect("web:pay_home", slug=slug)
    return render(
        request,
        "ledger/pin.html",
        {"form": form, "status": status, "at_counter": at_counter},
        status=422 if form.errors else 200,
    )


# --- staff -------------------------------------------------------------------------------


@community_page()
def ledger_account(request: HttpRequest, account_id: int) -> HttpResponse:
    """One account: number, balance and recent transfers with the running balance. Staff see
    any; a shop's or organisation's own people see theirs (anyone else: not found)."""
    actor = actor_of(request)
    account = selectors.account_get(actor=actor, account_id=account_id)
    return render(
        request,
        "ledger/account.html",
        {
            "account": account,
            "number": format_account_number(account.number),
            "balance": money(account.currency, account.balance),
            "lines": _lines(actor, account, limit=50),
            "qr": _account_code(actor, account),
            "statement": _statement_form(actor, account),
            "sms": _sms_receipts_card(actor, account),
        },
    )


def _sms_receipts_card(actor: Actor, account: Account) -> dict[str, Any] | None:
    """What the account page shows about SMS receipts, or None for accounts without payments.

    (Switching them is ``views_requests.account_sms_receipts``; this stays here, so that
    module imports this one and not the other way round: no import circle.)"""
    if account.kind not in ("resident", "merchant", "organisation"):
        return None
    contact = services.receipt_contact(account)
    return {
        "on": account.sms_receipts,
        "contact": contact,
        "resident": account.kind == "resident",
        "candidates": []
        if account.kind == "resident"
        else selectors.sms_contact_candidates(actor=actor, account=account),
        "may_change": actor.has("ledger.manage") or actor.has("ledger.pay_on_behalf"),
    }


@community_page()
def ledger_account_code(request: HttpRequest, account_id: int) -> HttpResponse:
    """The counter sticker (PDF): name, QR code, account number and what to do, for whoever
    may see the account."""
    actor = actor_of(request)
    code = services.account_qr_code(actor=actor, account_id=account_id)
    account = selectors.account_get(actor=actor, account_id=account_id)
    pdf = stickers.counter_sticker_pdf(
        account=account, code_value=code.code, scan_url=qr_exports.scan_url(code.code)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sticker-{account.number}.pdf"'
    return response


def _statement_day(request: HttpRequest, name: str) -> date | None:
    """``?from=`` or ``?to=`` as a date (YYYY-MM-DD, as a date field sends it), or None."""
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        msg = _("Choose a start and an end date.")
        raise ValidationFailed(msg, fields={name: msg}) from exc


@community_page()
def ledger_statement(request: HttpRequest, account_id: int, fmt: str) -> HttpResponse:
    """A statement of one account for a period (``?from=&to=``), as PDF or CSV, for whoever
    may see the account (the resident their own, staff any)."""
    actor = actor_of(request)
    if fmt not in ("pdf", "csv"):
        raise NotFound(_("Account not found."))
    try:
        date_from, date_to = _statement_day(request, "from"), _statement_day(request, "to")
        if fmt == "pdf":
            pdf = statements.statement_pdf(
                actor=actor, account_id=account_id, date_from=date_from, date_to=date_to
            )
            response = HttpResponse(pdf.content, content_type="application/pdf")
            filename = pdf.filename
        else:
            csv_file = selectors.statement_csv(
                actor=actor, account_id=account_id, date_from=date_from, date_to=date_to
            )
            response = exports.csv_text_response(csv_file.content, filename=csv_file.filename)
            filename = csv_file.filename
    except ValidationFailed as exc:
        flash(request, str(exc.detail), level="error")
        slug = actor.community.slug
        if actor.has("ledger.view"):
            return redirect("web:ledger_account", slug=slug, account_id=account_id)
        return redirect("web:pay_home", slug=slug)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _statement_form(actor: Actor, account: Account) -> dict[str, Any]:
    """The "statement of a period" form: this month so far by default."""
    today = selectors.local_today()
    return {
        "start": today.replace(day=1).isoformat(),
        "end": today.isoformat(),
        "pdf": reverse(
            "web:ledger_statement",
            kwargs={"slug": actor.community.slug, "account_id": account.pk, "fmt": "pdf"},
        ),
        "csv": reverse(
            "web:ledger_statement",
            kwargs={"slug": actor.community.slug, "account_id": account.pk, "fmt": "csv"},
        ),
    }


def may_open_account(actor: Actor) -> bool:
    """Whether the page offers "Open an account" (``services.resident_account_open`` decides)."""
    return any(actor.has(p) for p in services.ACCOUNT_OPENERS)


def currency_card(actor: Actor, person_id: int) -> dict[str, Any] | None:
    """What the person page shows about someone's money (staff only), or None."""
    if not (actor.has("ledger.view") or actor.has("ledger.pay_on_behalf")):
        return None
    account = selectors.resident_account(actor=actor, person_id=person_id)
    return {
        "account": account,
        "number": format_account_number(account.number) if account else "",
        "balance": money(account.currency, account.balance) if account else "",
        "pin_status": services.pin_status(actor=actor, person_id=person_id),
        "may_view": actor.has("ledger.view"),
        "may_help": actor.has("ledger.pay_on_behalf"),
        "may_open": account is None and may_open_account(actor),
        "form": LostPhoneForm(),
    }


@require_POST
@community_page("ledger.pay_on_behalf")
def person_lost_phone(request: HttpRequest, person_id: int) -> HttpResponse:
    """A lost phone: sign the person out everywhere and reset the PIN (after an identity check).

    ``action=reset_pin`` only resets the PIN (forgotten or locked).
    """
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    form = LostPhoneForm(request.POST)
    checked = form.is_valid() and form.cleaned_data["identity_checked"]
    lost = request.POST.get("action") != "reset_pin"
    try:
        if lost:
            ended = services.lost_phone(actor=actor, person_id=person.pk, identity_checked=checked)
        else:
            services.pin_reset_by_staff(actor=actor, person_id=person.pk, identity_checked=checked)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        if lost:
            flash(
                request,
                _(
                    "%(name)s is signed out on every device (%(n)d sessions ended) and the PIN "
                    "is reset. They choose a new PIN after signing in again."
                )
                % {"name": person.full_name, "n": ended},
            )
        else:
            flash(
                request,
                _("The PIN of %(name)s is reset. They choose a new one.")
                % {"name": person.full_name},
            )
    return redirect("web:person", slug=actor.community.slug, person_id=person.pk)


@require_POST
@community_page()
def person_open_account(request: HttpRequest, person_id: int) -> HttpResponse:
    """Open the account of a resident who has none (person page, counter, reward form), then
    go back where the button was (``next``), or to the person's page."""
    actor = actor_of(request)
    slug = actor.community.slug
    person = person_get(actor=actor, person_id=person_id)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("web:person", kwargs={"slug": slug, "person_id": person.pk})
    try:
        account = services.resident_account_open(actor=actor, person_id=person.pk)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise  # the error page says why (no right; not found)
        flash(request, str(exc.detail), level="error")
        return redirect(back)
    flash(
        request,
        _("%(name)s now has an account: %(number)s.")
        % {"name": person.full_name, "number": format_account_number(account.number)},
    )
    return redirect(back.replace("__account__", str(account.pk)))


def shop_home_context(actor: Actor) -> dict[str, Any] | None:
    """What a shop's people see first: per shop account the balance, today's payments in,
    and the buttons of their day (ask for a payment, the account, the counter sticker)."""
    days = selectors.shop_days(actor=actor)
    if not days:
        return None
    shops = []
    for day in days:
        account, currency = day.account, day.account.currency
        shops.append(
            {
                "account": account,
                "number": format_account_number(account.number),
                "balance": money(currency, account.balance),
                "received": money(currency, day.received),
                "count": len(day.payments),
                "payments": [
                    {
                        "at": t.at,
                        "from": account_label(t.debit),
                        "what": t.description,
                        "amount": money(currency, t.amount),
                    }
                    for t in day.payments
                ],
            }
        )
    return {"shops": shops, "community": actor.community}
