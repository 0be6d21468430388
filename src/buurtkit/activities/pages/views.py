"""The public programme: sessions by date, one session with its sign-up form, the cancel link.

No login: a resident signs up with a name and a number. Staff sign people up at the desk or
on the phone through the API (and, later, their own pages).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from buurtkit.activities import selectors, selectors_figures, services
from buurtkit.activities.models import ActivityKind
from buurtkit.activities.pages.forms import SignUpForm
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.core.texts import translated
from buurtkit.web.decorators import public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.pagination import paginate


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _euro(cents: int) -> str:
    """As the ``euro`` template filter writes it, in the reader's language."""
    return "€ " + number_format(Decimal(int(cents)) / 100, 2, force_grouping=True)


def _cards(page: Any, slug: str, language: str) -> list[dict[str, str]]:
    """The page's sessions as the plain texts their cards show. Made here in one pass: the
    programme lists many sessions, and template lookups per field cost more than the query."""
    brussels = ZoneInfo("Europe/Brussels")
    link = reverse("web:activities_session", args=[slug, 0])[:-2]  # ".../sessions/" + id + "/"
    free = gettext("free")
    full = gettext("full: waiting list")
    kinds = dict(ActivityKind.choices)
    cards = []
    for session in page:
        series, place = session.series, session.place
        starts = session.starts_at.astimezone(brussels)
        left = session.capacity - session.seats_taken
        cards.append(
            {
                "url": f"{link}{session.pk}/",
                "title": translated(series.title, language),
                "day": dateformat.format(starts, "l j F"),
                "hours": f"{starts:%H:%M}–{session.ends_at.astimezone(brussels):%H:%M}",
                "place": f"{place.name}, {place.street}" if place.street else place.name,
                "kind": capfirst(str(kinds.get(series.kind, series.kind))),
                "price": _euro(series.price_cents) if series.price_cents else free,
                "seats": full
                if left <= 0
                else ngettext("%(n)s seat left", "%(n)s seats left", left) % {"n": left},
            }
        )
    return cards


@public_page
def programme(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    kind = request.GET.get("kind", "")
    kind = kind if kind in ActivityKind.values else ""
    category_id = _int(request.GET.get("category"))
    place_id = _int(request.GET.get("place"))
    # act-figures: from a day, in a neighbourhood, near a place.
    start = _date(request.GET.get("from"))
    places = selectors.programme_places(community=community)
    neighbourhoods = selectors_figures.programme_neighbourhoods(places=places)
    neighbourhood = request.GET.get("hood", "")
    neighbourhood = neighbourhood if neighbourhood in neighbourhoods else ""
    near_id = _int(request.GET.get("near"))
    sessions = selectors_figures.programme_filtered(
        community=community,
        kind=kind,
        category_id=category_id,
        place_id=place_id,
        start=start,
        neighbourhood=neighbourhood,
        near_place_id=near_id,
    )
    page = paginate(request, sessions)
    language = translation.get_language() or "nl"
    return render(
        request,
        "activities/programme.html",
        {
            "page": page,
            "cards": _cards(page, community.slug, language),
            "kinds": ActivityKind.choices,
            "kind": kind,
            "categories": selectors.programme_categories(community=community),
            "category_id": category_id,
            "places": places,
            "place_id": place_id,
            "start": start,
            "neighbourhoods": neighbourhoods,
            "neighbourhood": neighbourhood,
            "near_places": selectors_figures.places_to_be_near(community=community),
            "near_id": near_id,
            "language": language,
        },
    )


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2199 else None


@public_page
@require_http_methods(["GET", "POST"])
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    session = selectors.public_session(community=community, session_id=session_id)
    language = translation.get_language() or "nl"
    done: dict[str, Any] | None = None
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made, token = services.public_sign_up(
                    community=community,
                    session_id=session.pk,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    phone=data["phone"],
                    email=data["email"],
                    language=data["language"],
                    consent=data["consent"],
                    address=_client_address(request),
                    idempotency_key=data["idempotency_key"],
                    base_url=request.build_absolute_uri("/"),
                    loaded_session=session,
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                done = {
                    "registration": made[0],
                    "sessions": len(made),
                    "position": selectors.waiting_position(made[0]),
                    "cancel_path": services.cancel_path(community, made[0], token) if token else "",
                    "my_path": services.my_path(community, made[0], token) if token else "",
                }
    else:
        form = SignUpForm(initial={"language": language, "idempotency_key": uuid.uuid4().hex})
    return render(
        request,
        "activities/session.html",
        {
            "session": session,
            "series": session.series,
            "seats_left": max(session.capacity - session.seats_taken, 0),
            "form": form,
            "done": done,
            "language": language,
        },
    )


@public_page
@require_http_methods(["GET", "POST"])
def cancel_page(request: HttpRequest, registration_id: int, secret: str) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    registration = selectors.registration_by_link(
        community=community, registration_id=registration_id, token=secret
    )
    if registration is None:
        # act-ops: say why (a wrong or used-up link), in the reader's language.
        raise NotFound(translation.gettext("This link is not valid (any more)."))
    if request.method == "POST":
        try:
            services.registration_cancel(
                actor=None, registration_id=registration.pk, token=secret, community_id=community.pk
            )
        except ServiceError as exc:
            return render(
                request,
                "activities/cancel.html",
                {"registration": registration, "error": exc.detail},
                status=exc.status,
            )
        return redirect(request.path)
    return render(
        request,
        "activities/cancel.html",
        {"registration": registration, "language": translation.get_language() or "nl"},
    )


@public_page
@require_http_methods(["GET", "POST"])
def offer_page(request: HttpRequest, offer_id: int, offer_secret: str) -> HttpResponse:
    """The link in the message offering a freed seat: yes, I come / no, give it on."""
    community = request.community  # type: ignore[attr-defined]
    registration = selectors.registration_by_offer_link(
        community=community, registration_id=offer_id, token=offer_secret
    )
    if registration is None:
        raise NotFound()
    error = ""
    if request.method == "POST":
        try:
            services.offer_answer_by_link(
                community_id=community.pk,
                registration_id=registration.pk,
                token=offer_secret,
                accept=request.POST.get("answer") == "yes",
            )
        except ServiceError as exc:
            error = str(exc.detail)
        else:
            return redirect(request.path)
        registration.refresh_from_db()
    return render(
        request,
        "activities/offer.html",
        {"registration": registration, "error": error},
        status=409 if error else 200,
    )
