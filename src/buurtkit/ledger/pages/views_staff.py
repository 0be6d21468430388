"""The currency's staff overview: totals, activity per week (charts drawn on the server), merchants.

No JavaScript and no chart library: the bars are inline SVG computed here, with the same numbers
in a table for screen readers and for copying. The CSV export holds weeks and merchants only —
merchants are organisations — so it carries no personal data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buurtkit.core import clock, exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound
from buurtkit.ledger import selectors
from buurtkit.ledger.models import Currency
from buurtkit.ledger.pages.views_copy import copy_targets
from buurtkit.web.charts import bar_chart
from buurtkit.web.decorators import community_page

WEEKS = 16


def _major(currency: Currency, minor: int) -> Decimal:
    return Decimal(minor).scaleb(-currency.decimals)


def _currency_name(currency: Currency) -> str:
    return currency.name((get_language() or "nl")[:2], plural=True)


def _overview_data(request: HttpRequest) -> dict[str, Any] | None:
    actor = actor_of(request)
    try:
        currency = selectors.currency_get(actor=actor)
    except NotFound:
        return None
    totals = selectors.totals(actor=actor)
    weeks = selectors.weekly_activity(actor=actor, weeks=WEEKS)
    merchants = selectors.merchant_activity(actor=actor)
    return {"currency": currency, "totals": totals, "weeks": weeks, "merchants": merchants}


@community_page("ledger.view")
def ledger_overview(request: HttpRequest) -> HttpResponse:
    data = _overview_data(request)
    if data is None:
        return render(request, "ledger/overview.html", {"currency": None})
    currency: Currency = data["currency"]
    weeks = data["weeks"]
    dates = [w.week for w in weeks]
    totals = {k: _major(currency, v) for k, v in data["totals"].items()}
    merchants = [
        {
            "name": m.name,
            "payments": m.payments,
            "received": _major(currency, m.received),
            "redeemed": _major(currency, m.redeemed),
            "euro": Decimal(m.redeemed_cents).scaleb(-2),
            "balance": _major(currency, m.balance),
        }
        for m in merchants_sorted(data["merchants"])
    ]
    rows = [
        {
            "week": w.week,
            "transfers": w.transfers,
            "payments": w.payments,
            "paid": _major(currency, w.paid),
            "active": w.active_accounts,
        }
        for w in weeks
    ]
    redeemed_euro = Decimal(data["totals"]["redeemed"] * currency.euro_cents_per_unit).scaleb(
        -2 - currency.decimals
    )
    return render(
        request,
        "ledger/overview.html",
        {
            "currency": currency,
            "units": _currency_name(currency),
            "fmt": f"{currency.decimals}g",  # floatformat: the currency's decimals, grouped
            "totals": totals,
            "redeemed_euro": redeemed_euro,
            "transfers_chart": bar_chart(dates, [w.transfers for w in weeks]),
            "active_chart": bar_chart(dates, [w.active_accounts for w in weeks]),
            "rows": rows,
            "merchants": merchants,
            "first_week": dates[0] if dates else None,
            "copy_targets": [c for c, _target in copy_targets(request)],
        },
    )


def merchants_sorted(
    merchants: list[selectors.MerchantActivity],
) -> list[selectors.MerchantActivity]:
    """Busiest shop first."""
    return sorted(merchants, key=lambda m: (-m.received, m.name))


@community_page("ledger.view")
def ledger_overview_csv(request: HttpRequest) -> HttpResponse:
    """Weeks and merchants as CSV, for funders and spreadsheets: no resident appears in it."""
    data = _overview_data(request)
    rows: list[list[Any]] = [
        [
            _("section"),
            _("week starting"),
            _("merchant or total"),
            _("transfers"),
            _("active accounts"),
            _("payments"),
            _("amount"),
            _("converted to euro"),
            _("euro"),
        ]
    ]
    if data is not None:
        currency: Currency = data["currency"]
        labels = {
            "issued": _("issued"),
            "paper": _("on paper"),
            "digital": _("digital"),
            "redeemed": _("converted to euro"),
        }
        for key, label in labels.items():
            value = data["totals"].get(key, 0)
            rows.append(["total", "", label, "", "", "", _major(currency, value), "", ""])
        for w in data["weeks"]:
            rows.append(
                [
                    "week",
                    w.week.isoformat(),
                    "",
                    w.transfers,
                    w.active_accounts,
                    w.payments,
                    _major(currency, w.paid),
                    "",
                    "",
                ]
            )
        for m in merchants_sorted(data["merchants"]):
            rows.append(
                [
                    "merchant",
                    "",
                    m.name,
                    "",
                    "",
                    m.payments,
                    _major(currency, m.received),
                    _major(currency, m.redeemed),
                    Decimal(m.redeemed_cents).scaleb(-2),
                ]
            )
    today = clock.now().date().isoformat()
    slug = request.community.slug  # type: ignore[attr-defined]
    return exports.csv_response(rows, filename=f"currency-overview-{slug}-{today}.csv")
