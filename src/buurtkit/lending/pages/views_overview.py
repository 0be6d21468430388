"""The device bank's staff overview (``/<slug>/lending/``) and its exports (CSV or XLSX,
without personal data)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from buurtkit.core import exports
from buurtkit.core.apitools import actor_of
from buurtkit.lending import selectors
from buurtkit.lending.models import (
    AgreementKind,
    Connectivity,
    DeviceKind,
    DeviceState,
    Pool,
    Repairer,
)
from buurtkit.places.selectors import municipalities_list
from buurtkit.web.charts import month_chart
from buurtkit.web.decorators import community_page

EXPORT_TITLES = {
    "devices": "devices",
    "handovers": "hand-overs",
    "loans": "loans",
    "repairs": "repairs",
}


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _table(cells: dict[str, dict[str, int]], choices: list[tuple[str, str]]) -> list[dict]:
    """Rows of a stock table in the order of ``choices``, one cell per device state."""
    return [
        {
            "label": label,
            "cells": [cells[key].get(state, 0) for state in DeviceState.values],
            "total": cells[key]["total"],
        }
        for key, label in choices
        if key in cells
    ]


@community_page("lending.view")
def overview(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    municipality_id = _int(request.GET.get("municipality"))
    figures = selectors.lending_overview(actor=actor, municipality_id=municipality_id)
    months = figures["handovers"]["months"]
    chart = month_chart(
        [row["month"] for row in months],
        [row["handovers"] for row in months],
        this_month=figures["today"].replace(day=1),
    )
    stock = figures["stock"]
    return render(
        request,
        "lending/overview.html",
        {
            "f": figures,
            "chart": chart,
            "states": DeviceState.choices,
            "by_kind": _table(stock["by_kind"], DeviceKind.choices),
            "by_pool": _table(stock["by_pool"], Pool.choices),
            "state_totals": [stock["by_state"].get(s, 0) for s in DeviceState.values],
            "kinds": AgreementKind.choices,
            "connectivity": [
                (label, figures["households"]["by_connectivity"][key])
                for key, label in Connectivity.choices
            ],
            "repairers": [
                (label, figures["repairs"]["by_repairer"][key]) for key, label in Repairer.choices
            ],
            "municipalities": municipalities_list(community=actor.community),
            "municipality_id": municipality_id,
            "exports": [
                ("devices", _("Devices")),
                ("handovers", _("Hand-overs per month, partner and kind")),
                ("loans", _("Loans")),
                ("repairs", _("Repairs")),
            ],
            "can_repair": actor.has("lending.repair"),
        },
    )


def _export(request: HttpRequest, what: str) -> HttpResponse:
    actor = actor_of(request)
    rows = selectors.export_rows(actor=actor, what=what)
    name = f"{actor.community.slug}-{EXPORT_TITLES[what]}"
    if request.GET.get("fmt") == "xlsx":
        return exports.xlsx_response(rows, filename=f"{name}.xlsx", sheet_title=what)
    return exports.csv_response(rows, filename=f"{name}.csv")


@community_page("lending.view")
def export_devices(request: HttpRequest) -> HttpResponse:
    return _export(request, "devices")


@community_page("lending.view")
def export_handovers(request: HttpRequest) -> HttpResponse:
    return _export(request, "handovers")


@community_page("lending.view")
def export_loans(request: HttpRequest) -> HttpResponse:
    return _export(request, "loans")


@community_page("lending.view")
def export_repairs(request: HttpRequest) -> HttpResponse:
    return _export(request, "repairs")
