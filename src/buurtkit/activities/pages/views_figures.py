"""The staff overview of activities (``/<slug>/activities/figures/``) with its charts and
exports, and the public monthly brochure (PDF)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from buurtkit.activities import documents, selectors_figures
from buurtkit.activities.selectors_figures import (
    FIRST_YEAR,
    LAST_YEAR,
    PERIODS,
    local_today,
    period_of,
)
from buurtkit.activities.services.exports import names_export_record
from buurtkit.core import exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.public_url import public_url
from buurtkit.places.selectors import municipalities_list
from buurtkit.web.charts import hbar_chart, month_chart
from buurtkit.web.decorators import community_page, public_page


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _day(value: str | None) -> date | None:
    """``2030-03`` (a month) or ``2030-03-15`` (a day); anything else: None (today)."""
    text = (value or "").strip()
    try:
        if len(text) == 7:
            day = date.fromisoformat(text + "-01")
        elif len(text) == 10:
            day = date.fromisoformat(text)
        else:
            return None
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _choice(request: HttpRequest) -> dict[str, Any]:
    period = request.GET.get("period", "month")
    return {
        "period": period if period in PERIODS else "month",
        "day": _day(request.GET.get("at")),
        "municipality_id": _int(request.GET.get("municipality")),
    }


def _query(**params: Any) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})


@community_page("activities.view")
def overview(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    choice = _choice(request)
    language = translation.get_language() or "nl"
    f = selectors_figures.activity_figures(actor=actor, language=language, **choice)
    period = f["period"]
    trend = f["trend"]
    chart = month_chart(
        [row["month"] for row in trend],
        [row["participants"] for row in trend],
        this_month=f["today"].replace(day=1),
    )
    same = {"period": period.kind, "municipality": choice["municipality_id"]}
    return render(
        request,
        "activities/figures.html",
        {
            "f": f,
            "period": period,
            "chart": chart,
            "breakdowns": [
                (_("Per kind of activity"), f["per_kind"], hbar_chart(_items(f["per_kind"]))),
                (_("Per topic"), f["per_category"], hbar_chart(_items(f["per_category"]))),
                (
                    _("Per neighbourhood where people live"),
                    f["per_neighbourhood"],
                    hbar_chart(_items(f["per_neighbourhood"])),
                ),
            ],
            "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
            "municipalities": municipalities_list(community=actor.community),
            "municipality_id": choice["municipality_id"],
            "previous": _query(at=period.previous.isoformat(), **same),
            "next": _query(at=period.next.isoformat(), **same),
            "this": _query(at=period.first.isoformat(), **same),
            "may_export_names": actor.has("activities.export_names"),
        },
    )


def _items(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted(((capfirst(str(r["label"])), r["total"]) for r in rows), key=lambda i: -i[1])


def _export(request: HttpRequest, what: str) -> HttpResponse:
    actor = actor_of(request)
    choice = _choice(request)
    series_id = _int(request.GET.get("series")) if what == "evaluations" else None
    rows = selectors_figures.export_rows(
        actor=actor,
        what=what,
        language=translation.get_language() or "nl",
        series_id=series_id,
        **choice,
    )
    period = period_of(choice["period"], choice["day"] or local_today())
    name = f"{actor.community.slug}-activities-{what}-{period.first:%Y-%m}-{period.kind}"
    if series_id:
        name = f"{actor.community.slug}-activities-evaluations-activity-{series_id}"
    if request.GET.get("fmt") == "xlsx":
        return exports.xlsx_response(rows, filename=f"{name}.xlsx", sheet_title=what)
    return exports.csv_response(rows, filename=f"{name}.csv")


@community_page("activities.view")
def export_attendance(request: HttpRequest) -> HttpResponse:
    return _export(request, "attendance")


@community_page("activities.view")
def export_figures(request: HttpRequest) -> HttpResponse:
    return _export(request, "figures")


@community_page("activities.view")
def export_evaluations(request: HttpRequest) -> HttpResponse:
    """The evaluations given in the period (``?series=`` one activity's), without names."""
    return _export(request, "evaluations")


@community_page("activities.export_names")
def export_names(request: HttpRequest) -> HttpResponse:
    """Who signed up and came, with names: only with ``activities.export_names``; every
    download is written in the log."""
    actor = actor_of(request)
    choice = _choice(request)
    period = period_of(choice["period"], choice["day"] or local_today())
    fmt = "xlsx" if request.GET.get("fmt") == "xlsx" else "csv"
    rows = list(
        selectors_figures.names_export_rows(
            actor=actor,
            period=period,
            municipality_id=choice["municipality_id"],
            language=translation.get_language() or "nl",
        )
    )
    names_export_record(
        actor=actor,
        period=period.kind,
        first=period.first,
        municipality_id=choice["municipality_id"],
        fmt=fmt,
    )
    name = f"{actor.community.slug}-activities-names-{period.first:%Y-%m}-{period.kind}"
    if fmt == "xlsx":
        return exports.xlsx_response(rows, filename=f"{name}.xlsx", sheet_title="names")
    return exports.csv_response(rows, filename=f"{name}.csv")


@public_page
def brochure(request: HttpRequest) -> HttpResponse:
    """The programme of a month as an A4 PDF to print (``?month=2030-03``; this month)."""
    community = request.community  # type: ignore[attr-defined]
    language = translation.get_language() or "nl"
    month = (_day(request.GET.get("month")) or local_today()).replace(day=1)
    sessions = selectors_figures.brochure_sessions(community=community, month=month)
    base = public_url(fallback=request.build_absolute_uri("/"))
    portal = base + reverse("web:activities_programme", args=[community.slug])
    data = documents.brochure_pdf(
        community=community,
        month=month,
        sessions=sessions,
        language=language,
        portal_url=portal,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{community.slug}-programme-{month:%Y-%m}-{language}.pdf"'
    )
    return response
