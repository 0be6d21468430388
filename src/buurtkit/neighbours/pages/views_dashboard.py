"""Buurbel's home for staff: the figures per week (charts with their tables, a CSV), the cost
projection for a municipality against the licence, and the telephony price tables.

Counts and sums only: no participant's name or number is on these pages or in the CSV.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core import exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError, ValidationFailed
from buurtkit.neighbours import costs, selectors, services
from buurtkit.neighbours.dashboard import WEEK_CHOICES, Dashboard
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.models import PriceItem
from buurtkit.web.charts import bar_chart, hbar_chart
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash

DEFAULT_WEEKS = 8

#: The other Buurbel pages, shown when they exist (URL name, title, one line about it).
PAGES = [
    ("buurbel_participants", gettext_lazy("Participants"), gettext_lazy("Who takes part.")),
    (
        "buurbel_follow_up",
        gettext_lazy("Needs follow-up"),
        gettext_lazy("People someone should check on."),
    ),
    ("buurbel_rules", gettext_lazy("Matching rules"), gettext_lazy("Who may meet whom.")),
    ("buurbel_runs", gettext_lazy("Matching runs"), gettext_lazy("Proposed pairs.")),
    (
        "buurbel_introductions",
        gettext_lazy("Introductions by phone"),
        gettext_lazy("Calls, answers and meetings per pair."),
    ),
    (
        "buurbel_announcements",
        gettext_lazy("Announcements"),
        gettext_lazy("Messages played in the calls."),
    ),
    ("buurbel_flows", gettext_lazy("Call flows"), gettext_lazy("What callers hear and press.")),
    ("buurbel_costs", gettext_lazy("Costs"), gettext_lazy("What the calls cost in a year.")),
    ("buurbel_prices", gettext_lazy("Prices"), gettext_lazy("The price list of the provider.")),
]

GROUPS = [
    ("community", gettext_lazy("The municipality")),
    ("calls", gettext_lazy("The calls")),
    ("minutes", gettext_lazy("How long the calls take")),
    ("provider", gettext_lazy("Provider and money")),
]


def _links(slug: str, *, skip: str = "") -> list[dict[str, Any]]:
    links = []
    for name, title, about in PAGES:
        if name == skip:
            continue
        try:
            url = reverse(f"web:{name}", args=[slug])
        except NoReverseMatch:
            continue
        links.append({"url": url, "title": title, "about": about})
    return links


def _weeks(request: HttpRequest) -> int:
    text = request.GET.get("weeks", "")
    return int(text) if text in {str(n) for n in WEEK_CHOICES} else DEFAULT_WEEKS


def _usd(micros: int) -> str:
    """Dollars as the provider bills them, and in euro at the cost model's rate:
    ``"$ 9,01 (€ 8,29)"`` (two decimals, the reader's number format)."""
    euro_cents = Decimal(micros) * USD_EUR / 10_000
    return f"{telephony_services.format_money(micros, 'USD')} ({_eur(euro_cents)})"


USD_EUR = costs.Inputs().usd_eur  # euros for one dollar, the cost model's default rate


def _rate_note() -> str:
    return _("Amounts in dollars, as the provider bills them; in euro at $ 1 = %(rate)s.") % {
        "rate": _eur(USD_EUR * 100)
    }


def _eur(cents: int | Decimal, places: int = 2) -> str:
    """In the reader's number format: ``€ 1.234,56`` in Dutch, ``€ 1,234.56`` in English."""
    amount = (Decimal(cents) / 100).quantize(Decimal(1).scaleb(-places))
    return "€ " + number_format(amount, places, force_grouping=True)


def _usd_cents(micros: int) -> str:
    """Dollars rounded to cents, for yearly totals: ``150531916`` → ``"USD 150.53"``."""
    amount = (Decimal(micros) / 1_000_000).quantize(Decimal("0.01"))
    return "USD " + number_format(amount, 2, force_grouping=True)


def _charts(board: Dashboard) -> dict[str, dict[str, Any]]:
    mondays = [w.monday for w in board.weeks]
    every = max(math.ceil(len(mondays) / 5), 1)

    def chart(values: list[int]) -> dict[str, Any]:
        return bar_chart(mondays, values, label_every=every)

    series = {
        "new": [w.participants_new for w in board.weeks],
        "active": [w.participants_active for w in board.weeks],
        "calls": [w.calls for w in board.weeks],
        "rate": [round(w.answer_rate or 0) for w in board.weeks],
        "introductions": [w.introductions for w in board.weeks],
        "connected": [w.connected for w in board.weeks],
        "met": [w.met for w in board.weeks],
        "cost": [round(Decimal(w.cost_micros) / 10_000) for w in board.weeks],  # US cents
    }
    return {key: chart(values) for key, values in series.items()}


@community_page("neighbours.view")
def buurbel(request: HttpRequest) -> HttpResponse:
    """The figures per week, headline numbers first, and the way to the other Buurbel pages."""
    actor = actor_of(request)
    weeks = _weeks(request)
    board = selectors.dashboard_weeks(actor=actor, weeks=weeks)
    rows = [
        {"week": w, "cost": _usd(w.cost_micros), "rate": w.answer_rate}
        for w in reversed(board.weeks)
    ]
    context = {
        "board": board,
        "weeks": weeks,
        "week_choices": WEEK_CHOICES,
        "charts": _charts(board),
        "rows": rows,
        "total_cost": _usd(board.totals.get("cost_micros", 0)),
        "rate_note": _rate_note(),
        "links": _links(actor.community.slug),
        "partner_figures": selectors.partner_figures(actor=actor),
    }
    return render(request, "neighbours/dashboard.html", context)


@community_page("neighbours.view")
def buurbel_partners_csv(request: HttpRequest) -> HttpResponse:
    """One line per partner organisation: its participants, introductions and follow-ups.
    Organisations' names and counts only: no personal data."""
    actor = actor_of(request)
    rows: list[list[Any]] = [
        [
            _("partner"),
            _("participants"),
            _("can be called"),
            _("introductions made"),
            _("met"),
            _("follow-ups open"),
        ]
    ]
    for f in selectors.partner_figures(actor=actor):
        rows.append(
            [
                f["name"],
                f["participants"],
                f["callable"],
                f["introduced"],
                f["met"],
                f["follow_up"],
            ]
        )
    return exports.csv_response(rows, filename=f"buurbel-{actor.community.slug}-partners.csv")


def _csv_rate(rate: Decimal | None) -> str:
    return "" if rate is None else f"{rate:f}"


@community_page("neighbours.view")
def buurbel_dashboard_csv(request: HttpRequest) -> HttpResponse:
    """One line per week: counts and the cost of the calls. No personal data."""
    actor = actor_of(request)
    weeks = _weeks(request)
    board = selectors.dashboard_weeks(actor=actor, weeks=weeks)
    rows: list[list[Any]] = [
        [
            _("week (Monday)"),
            _("new participants"),
            _("phones verified"),
            _("active participants"),
            _("calls placed"),
            _("calls answered"),
            _("answer rate (%)"),
            _("introductions started"),
            _("connected or appointment"),
            _("met"),
            _("cost of the calls (USD)"),
        ]
    ]
    for w in board.weeks:
        rows.append(
            [
                w.monday.isoformat(),
                w.participants_new,
                w.participants_verified,
                w.participants_active,
                w.calls,
                w.calls_answered,
                _csv_rate(w.answer_rate),
                w.introductions,
                w.connected,
                w.met,
                costs.usd(w.cost_micros),
            ]
        )
    name = f"buurbel-{actor.community.slug}-{board.start.isoformat()}-{board.end.isoformat()}"
    return exports.csv_response(rows, filename=f"{name}.csv")


# --- costs -------------------------------------------------------------------------------------


def _form_fields(values: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    groups = []
    for key, title in GROUPS:
        items = []
        for f in costs.FIELDS:
            if f.group != key:
                continue
            items.append(
                {
                    "name": f.name,
                    "kind": f.kind,
                    "label": f.label,
                    "help": f.help,
                    "value": values.get(f.name, ""),
                    "error": errors.get(f.name, ""),
                    "low": f.low,
                    "high": f.high,
                    "choices": costs.PROVIDERS if f.kind == "choice" else (),
                }
            )
        groups.append(
            {"title": title, "fields": items, "has_error": any(i["error"] for i in items)}
        )
    return groups


@require_POST
@community_page("neighbours.match")
def buurbel_call_settings(request: HttpRequest) -> HttpResponse:
    """Switch answering machine detection on or off (off by default)."""
    actor = actor_of(request)
    row = services.call_settings_update(
        actor=actor, machine_detection=request.POST.get("machine_detection") == "1"
    )
    if row.machine_detection:
        flash(request, _("Answering machine detection is on for Buurbel's calls."))
    else:
        flash(request, _("Answering machine detection is off for Buurbel's calls."))
    return redirect("web:buurbel_costs", slug=actor.community.slug)


@community_page("neighbours.view")
def buurbel_costs(request: HttpRequest) -> HttpResponse:
    """The projection form (GET: the link keeps the inputs) with its result, and the real costs
    per month so far."""
    actor = actor_of(request)
    asked = any(f.name in request.GET for f in costs.FIELDS)
    call_settings = selectors.call_settings(actor.community.pk)
    # The default model counts machine detection only where this community switched it on.
    values = costs.Inputs(machine_detection=call_settings.machine_detection).as_params()
    if asked:
        values = {f.name: request.GET.get(f.name, "") for f in costs.FIELDS}
    errors: dict[str, str] = {}
    result = None
    try:
        result = selectors.cost_projection(actor=actor, **values)
    except ValidationFailed as exc:
        errors = {k: str(v) for k, v in exc.fields.items()}
    context: dict[str, Any] = {
        "groups": _form_fields(values, errors),
        "errors": errors,
        "result": result,
        "links": _links(actor.community.slug, skip="buurbel_costs"),
        "call_settings": call_settings,
        "may_change_settings": actor.has("neighbours.match"),
    }
    if result is not None:
        lines = [
            {
                "line": line,
                "unit_price": costs.usd(line.unit_micros),
                "usd": _usd_cents(line.usd_micros),
                "eur": _eur(line.eur_cents),
            }
            for line in result.lines
        ]
        chart = hbar_chart(
            sorted(
                ((line.label, line.eur_cents) for line in result.lines if line.eur_cents),
                key=lambda item: -item[1],
            )
        )
        context.update(
            {
                "lines": lines,
                "chart": chart,
                "total_usd": _usd_cents(result.total_usd_micros),
                "total_eur": _eur(result.total_eur_cents),
                "licence": _eur(result.licence_eur_cents),
                "together": _eur(result.licence_plus_telephony_eur_cents),
                "budget": _eur(result.telephony_budget_eur_cents),
                "per_participant": _eur(result.per_participant_eur_cents),
                "per_inhabitant": _eur(result.per_inhabitant_eur_cents, 4),
                "licence_per_inhabitant": _eur(costs.LICENCE_CENTS_PER_INHABITANT),
                "licence_minimum": _eur(costs.LICENCE_MINIMUM_CENTS),
            }
        )
    months = selectors.actual_costs(actor=actor, months=12)
    context["months"] = [
        {
            "m": m,
            "calls": _usd(m.call_micros),
            "sms": _usd(m.sms_micros),
            "total": _usd(m.total_micros),
        }
        for m in reversed(months)
    ]
    context["months_total"] = _usd(sum(m.total_micros for m in months))
    context["rate_note"] = _rate_note()
    return render(request, "neighbours/costs.html", context)


# --- prices ------------------------------------------------------------------------------------


@community_page("neighbours.view")
def buurbel_prices(request: HttpRequest) -> HttpResponse:
    """The price tables per provider; who may change prices edits one row at a time."""
    actor = actor_of(request)
    can_edit = actor.has("telephony.prices")
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    row_key = ""
    if request.method == "POST":
        if not can_edit:
            return render(
                request,
                "web/error.html",
                {"title": _("No access"), "message": _("You may not change the prices.")},
                status=403,
            )
        provider = request.POST.get("provider", "")
        item = request.POST.get("item", "")
        row_key = f"{provider}:{item}"
        typed = {
            "unit": request.POST.get("unit", "").strip(),
            "free_per_month": request.POST.get("free_per_month", "").strip(),
        }
        free_text = typed["free_per_month"] or "0"
        try:
            unit = costs.dollars_to_micros(typed["unit"])
        except ValidationFailed as exc:
            errors["unit"] = str(exc.detail)
        if not free_text.isdigit() or len(free_text) > 9:
            errors["free_per_month"] = _("Give a whole number, 0 or more.")
        if not errors:
            try:
                telephony_services.price_set(
                    actor=actor,
                    provider=provider,
                    item=item,
                    unit_micros=unit,
                    free_per_month=int(free_text),
                )
            except ServiceError as exc:
                errors["unit"] = str(exc.detail)
            else:
                flash(request, _("The price has been saved."))
                return redirect("web:buurbel_prices", slug=actor.community.slug)
    tables = []
    for table in selectors.price_tables(actor=actor):
        rows = []
        for p in table.prices:
            key = f"{table.provider}:{p.item}"
            mine = key == row_key
            rows.append(
                {
                    "key": key,
                    "item": p.item,
                    "label": PriceItem(p.item).label,
                    "unit": costs.usd(p.unit_micros),
                    "free_per_month": p.free_per_month,
                    "typed_unit": typed.get("unit") if mine else costs.usd(p.unit_micros),
                    "typed_free": typed.get("free_per_month") if mine else p.free_per_month,
                    "errors": errors if mine else {},
                    "stored": p.id is not None,
                }
            )
        tables.append({"table": table, "rows": rows})
    context = {
        "tables": tables,
        "can_edit": can_edit,
        "error_message": next(iter(errors.values()), ""),
        "links": _links(actor.community.slug, skip="buurbel_prices"),
    }
    return render(request, "neighbours/prices.html", context, status=422 if errors else 200)
