"""The exchange office counter (wisselkantoor): paper notes in, paper notes out, the till.

Thin views: reads through ``ledger.selectors``, writes through ``ledger.services``. A clerk
chooses the office, finds the resident (by name or account number), serves them (acting on
their behalf: most come to the counter because they have no smartphone), counts the notes per
denomination and confirms. The total is recomputed on every change (htmx) and, without
JavaScript, with the "Show the total" button. Every confirm form carries an idempotency key
made when it is shown, so a double click exchanges once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import Account, AccountKind, Currency
from buurtkit.ledger.numbers import format_account_number
from buurtkit.ledger.pages.forms import pin_field
from buurtkit.ledger.pages.views import money
from buurtkit.web.decorators import community_page, on_behalf_key
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

EXCHANGEABLE = {AccountKind.RESIDENT, AccountKind.MERCHANT}
PERMISSION = "ledger.exchange"

NOTE_ATTRS = {
    "inputmode": "numeric",
    "pattern": "[0-9]*",
    "autocomplete": "off",
    "class": "notes",
    "size": "5",
}


class NotesForm(forms.Form):
    """One number input per denomination (``note_5``), plus the confirm key."""

    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, denominations: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.denominations = denominations
        for d in denominations:
            self.fields[f"note_{d}"] = forms.CharField(
                label=_("Notes of %(d)s") % {"d": d},
                required=False,
                max_length=7,
                widget=forms.TextInput(attrs=NOTE_ATTRS),
            )

    def notes(self) -> dict[str, str]:
        data = self.data if self.is_bound else {}
        return {str(d): (data.get(f"note_{d}") or "").strip() for d in self.denominations}

    def note_fields(self) -> list[Any]:
        return [self[f"note_{d}"] for d in self.denominations]


class WithdrawForm(NotesForm):
    pin = pin_field(
        gettext_lazy("Payment PIN of the resident"),
        required=False,
        help_text=gettext_lazy(
            "Only when you are not serving the resident: they type their own PIN."
        ),
    )


class CountForm(NotesForm):
    note = forms.CharField(
        label=gettext_lazy("Remark"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("For example why a note is missing."),
    )


class CorrectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the till corrected?"),
        max_length=200,
        help_text=gettext_lazy("Written in the log with your name."),
    )


def _denominations(currency: Currency) -> list[int]:
    return sorted(int(d) for d in currency.denominations)


def _office_or_404(request: HttpRequest, office_id: int) -> Any:
    return selectors.office_get(actor=actor_of(request), office_id=office_id)


def _account_view(account: Account) -> dict[str, Any]:
    return {
        "pk": account.pk,
        "name": account.name,
        "kind": account.get_kind_display(),
        "number": format_account_number(account.number),
        "balance": money(account.currency, account.balance),
        "person_id": account.person_id,
        "frozen": account.frozen,
    }


def _exchangeable(actor: Actor, account_id: int) -> Account:
    account = selectors.account_get(actor=actor, account_id=account_id)
    if account.kind not in EXCHANGEABLE:
        raise NotFound(_("Account not found."))
    return account


def _served_account(actor: Actor) -> Account | None:
    if actor.on_behalf_of_id is None:
        return None
    return selectors.resident_account(actor=actor, person_id=actor.on_behalf_of_id)


def _may_withdraw_without_pin(actor: Actor, account: Account) -> bool:
    if actor.has("ledger.manage"):
        return True
    if account.person_id is not None:
        return account.person_id == actor.on_behalf_of_id
    return account.organisation_id in actor.organisation_ids


def _till(actor: Actor, office_id: int) -> dict[str, Any]:
    state = selectors.till_state(actor=actor, office_id=office_id)
    currency = state.currency
    return {
        "lines": [
            {"denomination": x.denomination, "notes": x.notes, "value": money(currency, x.value)}
            for x in state.lines
        ],
        "total": money(currency, state.total),
        "notes": state.notes,
    }


def _history(actor: Actor, office_id: int) -> list[dict[str, Any]]:
    """Today's movements, one line per exchange (its notes together)."""
    day = selectors.office_day(actor=actor, office_id=office_id)
    currency = selectors.currency_get(actor=actor)
    lines: dict[Any, dict[str, Any]] = {}
    for m in day["movements"]:
        group = m.transfer_id or f"{m.reason}-{m.daily_count_id}-{m.idempotency_key}-{m.at}"
        line = lines.get(group)
        if line is None:
            t = m.transfer
            party = ""
            if t is not None:
                party = (t.credit if t.kind == "exchange_in" else t.debit).name
            line = lines[group] = {
                "at": m.at,
                "what": m.get_reason_display(),
                "party": party,
                "notes": [],
                "amount": money(currency, t.amount) if t is not None else "",
                "by": m.actor_label,
                "on_behalf": m.on_behalf_of_id is not None,
                "note": m.note,
            }
        line["notes"].append(f"{m.delta:+d} × {m.denomination}")
    return list(lines.values())


def _count_view(count: Any) -> dict[str, Any] | None:
    if count is None:
        return None
    rows = [
        {
            "denomination": int(d),
            "expected": int(count.expected.get(d, 0)),
            "counted": int(count.counted.get(d, 0)),
            "difference": int(count.discrepancy.get(d, 0)),
        }
        for d in sorted(count.expected, key=int)
    ]
    return {
        "pk": count.pk,
        "date": count.date,
        "at": count.at,
        "by": count.actor_label,
        "note": count.note,
        "rows": rows,
        "has_discrepancy": count.has_discrepancy,
        "corrected": count.corrections.exists(),
        "replaces": count.replaces_id,
    }


# --- pages -------------------------------------------------------------------------------


@community_page(PERMISSION)
def exchange_offices(request: HttpRequest) -> HttpResponse:
    """Choose the office you work at."""
    actor = actor_of(request)
    offices = list(selectors.offices_visible(actor=actor).filter(active=True))
    if len(offices) == 1 and "all" not in request.GET:
        return redirect("web:exchange_counter", slug=actor.community.slug, office_id=offices[0].pk)
    return render(request, "ledger/exchange_offices.html", {"offices": offices})


@community_page(PERMISSION)
def exchange_counter(request: HttpRequest, office_id: int) -> HttpResponse:
    """The counter screen: find the resident, the till, what happened today."""
    actor = actor_of(request)
    office = _office_or_404(request, office_id)
    q = request.GET.get("q", "").strip()
    found: list[dict[str, Any]] = []
    if q:
        found = [
            _account_view(a)
            for a in selectors.accounts_visible(actor=actor, q=q).filter(
                kind__in=list(EXCHANGEABLE)
            )[:20]
        ]
    chosen = None
    if request.GET.get("account"):
        try:
            chosen = _account_view(_exchangeable(actor, int(request.GET["account"])))
        except (NotFound, ValueError):
            flash(request, _("Account not found."), level="error")
    elif (served := _served_account(actor)) is not None:
        chosen = _account_view(served)
    return render(
        request,
        "ledger/exchange_counter.html",
        {
            "office": office,
            "q": q,
            "found": found,
            "searched": bool(q),
            "without_account": selectors.people_without_account(actor=actor, q=q),
            "open_next": f"{request.path}?account=__account__",
            "chosen": chosen,
            "serving_id": actor.on_behalf_of_id,
            "may_serve": actor.has("people.act_on_behalf"),
            "till": _till(actor, office.pk),
            "history": _history(actor, office.pk),
            "latest_count": _count_view(
                selectors.office_latest_count(actor=actor, office_id=office.pk)
            ),
        },
    )


@require_POST
@community_page(PERMISSION)
def exchange_serve(request: HttpRequest, office_id: int, account_id: int) -> HttpResponse:
    """Start serving a resident at the counter: act on their behalf, then back to the counter."""
    actor = actor_of(request)
    office = _office_or_404(request, office_id)
    account = _exchangeable(actor, account_id)
    if account.person_id is not None and actor.has("people.act_on_behalf"):
        request.session[on_behalf_key(actor.community.slug)] = account.person_id
        flash(request, _("You are now serving %(name)s.") % {"name": account.name})
    url = reverse(
        "web:exchange_counter", kwargs={"slug": actor.community.slug, "office_id": office.pk}
    )
    return redirect(f"{url}?account={account.pk}")


def _exchange_page(
    request: HttpRequest, office_id: int, account_id: int, *, out: bool
) -> HttpResponse:
    actor = actor_of(request)
    slug = actor.community.slug
    office = _office_or_404(request, office_id)
    account = _exchangeable(actor, account_id)
    currency = account.currency
    form_class = WithdrawForm if out else NotesForm
    denominations = _denominations(currency)
    without_pin = not out or _may_withdraw_without_pin(actor, account)
    total = None
    if request.method == "POST":
        form = form_class(request.POST, denominations=denominations)
        form.is_valid()
        action = request.POST.get("action", "confirm")
        try:
            total = services.notes_parse(currency=currency, notes=form.notes())
        except ServiceError as exc:
            if not (action == "total" and request.headers.get("HX-Request")):
                apply_service_error(form, exc)
        if action == "total":
            pass  # the live total (htmx) or the "Show the total" button: nothing is written
        elif not form.errors:
            try:
                if out:
                    transfer = services.exchange_withdraw(
                        actor=actor,
                        office_id=office.pk,
                        account_id=account.pk,
                        notes=form.notes(),
                        idempotency_key=form.cleaned_data.get("key") or "",
                        pin=(form.cleaned_data.get("pin") or None) if not without_pin else None,
                    )
                else:
                    transfer = services.exchange_deposit(
                        actor=actor,
                        office_id=office.pk,
                        account_id=account.pk,
                        notes=form.notes(),
                        idempotency_key=form.cleaned_data.get("key") or "",
                    )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                amount = money(currency, transfer.amount)
                if out:
                    text = _("Give %(amount)s in paper notes to %(name)s.")
                else:
                    text = _("%(amount)s is now on the account of %(name)s.")
                flash(request, text % {"amount": amount, "name": account.name})
                url = reverse("web:exchange_counter", kwargs={"slug": slug, "office_id": office.pk})
                return redirect(f"{url}?account={account.pk}")
    else:
        form = form_class(initial={"key": f"web-{uuid.uuid4().hex}"}, denominations=denominations)
    if request.headers.get("HX-Request") and request.POST.get("action") == "total":
        return render(
            request,
            "ledger/exchange_total.html",
            {"total": money(currency, total) if total is not None else None},
        )
    return render(
        request,
        "ledger/exchange_notes.html",
        {
            "office": office,
            "account": _account_view(account),
            "form": form,
            "out": out,
            "without_pin": without_pin,
            "total": money(currency, total) if total is not None else None,
            "till": _till(actor, office.pk) if out else None,
            "post_url": request.path,
        },
        status=422 if form.errors else 200,
    )


@community_page(PERMISSION)
def exchange_deposit(request: HttpRequest, office_id: int, account_id: int) -> HttpResponse:
    """Paper in: count the notes handed in, their value goes to the account."""
    return _exchange_page(request, office_id, account_id, out=False)


@community_page(PERMISSION)
def exchange_withdraw(request: HttpRequest, office_id: int, account_id: int) -> HttpResponse:
    """Paper out: the notes asked for leave the till, their value leaves the account."""
    return _exchange_page(request, office_id, account_id, out=True)


@community_page(PERMISSION)
def exchange_count(request: HttpRequest, office_id: int) -> HttpResponse:
    """The daily count: type what is in the till; the difference with what should be there
    is recorded (and shown in red), never fixed silently."""
    actor = actor_of(request)
    office = _office_or_404(request, office_id)
    currency = selectors.currency_get(actor=actor)
    denominations = sorted(set(_denominations(currency)) | set(_till(actor, office.pk)["notes"]))
    form = CountForm(request.POST or None, denominations=denominations)
    if request.method == "POST" and form.is_valid():
        try:
            services.office_daily_count(
                actor=actor,
                office_id=office.pk,
                counted=form.notes(),
                note=form.cleaned_data.get("note") or "",
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The count is saved."))
            return redirect("web:exchange_count", slug=actor.community.slug, office_id=office.pk)
    day = selectors.office_day(actor=actor, office_id=office.pk)
    return render(
        request,
        "ledger/exchange_count.html",
        {
            "office": office,
            "form": form,
            "latest": _count_view(selectors.office_latest_count(actor=actor, office_id=office.pk)),
            "earlier": [_count_view(c) for c in day["counts"][1:]],
            "may_correct": actor.has("ledger.manage"),
            "correct_form": CorrectForm(),
        },
        status=422 if form.errors else 200,
    )


@require_POST
@community_page("ledger.manage")
def exchange_correct(request: HttpRequest, office_id: int, count_id: int) -> HttpResponse:
    """Book a count's differences on the till, with a reason (audited)."""
    actor = actor_of(request)
    office = _office_or_404(request, office_id)
    form = CorrectForm(request.POST)
    try:
        services.office_correct_count(
            actor=actor,
            office_id=office.pk,
            count_id=count_id,
            reason=form.data.get("reason", ""),
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("The till now matches the count. The correction is in the log."))
    return redirect("web:exchange_count", slug=actor.community.slug, office_id=office.pk)
