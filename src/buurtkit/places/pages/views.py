"""Places' pages. Public: the directory, one place, the posters. Staff: list, edit, hours,
days with other hours, checklist and status. Thin: forms in, one service call, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.people.selectors import organisations_search, people_search
from buurtkit.places import poster, rules, selectors, services
from buurtkit.places.models import Place, PlaceKind, PlaceStatus
from buurtkit.places.pages.forms import ExceptionForm, HoursForm, PlaceForm
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name) in ("1", "on", "true")


# --- public -----------------------------------------------------------------------------------


@public_page
def directory(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    municipality_id = _int(request.GET.get("municipality"))
    filters = {
        "open_now": _flag(request, "open_now"),
        "drop_in": _flag(request, "drop_in"),
        "wheelchair": _flag(request, "wheelchair"),
    }
    entries = selectors.directory(community=community, municipality_id=municipality_id, **filters)
    return render(
        request,
        "places/directory.html",
        {
            "entries": entries,
            "municipalities": selectors.municipalities_list(community=community),
            "municipality_id": municipality_id,
            "filters": filters,
            "today": selectors.local_now().date(),
            "query": request.GET.urlencode(),
        },
    )


@public_page
def directory_json(request: HttpRequest) -> HttpResponse:
    """The directory as JSON, for a neighbourhood's own website (no login, no personal data)."""
    community = request.community  # type: ignore[attr-defined]
    entries = selectors.directory(
        community=community,
        municipality_id=_int(request.GET.get("municipality")),
        open_now=_flag(request, "open_now"),
        drop_in=_flag(request, "drop_in"),
        wheelchair=_flag(request, "wheelchair"),
    )
    response = JsonResponse(
        {"community": community.slug, "places": [selectors.directory_data(e) for e in entries]},
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"  # public data, meant to be shown elsewhere
    return response


def _public_place(request: HttpRequest, place_id: int) -> selectors.DirectoryEntry:
    try:
        return selectors.public_place(community=request.community, place_id=place_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404 from exc


@public_page
def place_page(request: HttpRequest, place_id: int) -> HttpResponse:
    entry = _public_place(request, place_id)
    return render(
        request,
        "places/place_public.html",
        {
            "entry": entry,
            "place": entry.place,
            "description": _description(entry.place),
            "today": selectors.local_now().date(),
        },
    )


def _description(place: Place) -> str:
    values = place.description or {}
    return str(
        values.get(get_language() or "nl") or values.get("nl") or next(iter(values.values()), "")
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@public_page
def directory_poster(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    municipality_id = _int(request.GET.get("municipality"))
    entries = selectors.directory(community=community, municipality_id=municipality_id)
    municipality = next(
        (
            m.name
            for m in selectors.municipalities_list(community=community)
            if m.pk == municipality_id
        ),
        "",
    )
    url = reverse("web:places_directory", args=[community.slug])
    if municipality_id:
        url += f"?municipality={municipality_id}"
    data = poster.directory_poster(
        community=community.name,
        url=request.build_absolute_uri(url),
        entries=entries,
        municipality=municipality,
    )
    return _pdf(data, f"{community.slug}-help-near-me.pdf")


@public_page
def place_poster(request: HttpRequest, place_id: int) -> HttpResponse:
    entry = _public_place(request, place_id)
    place = entry.place
    url = reverse("web:place_public", args=[place.community.slug, place.pk])
    data = poster.place_poster(
        community=place.community.name,
        url=request.build_absolute_uri(url),
        place=place,
        week=entry.week,
    )
    return _pdf(data, f"place-{place.pk}.pdf")


# --- staff ------------------------------------------------------------------------------------


@community_page("places.view")
def manage(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in PlaceStatus.values else ""
    municipality_id = _int(request.GET.get("municipality"))
    page = paginate(
        request,
        selectors.places_search(actor=actor, q=q, status=status, municipality_id=municipality_id),
    )
    return render(
        request,
        "places/manage.html",
        {
            "page": page,
            "rows": [(p, selectors.open_state(p)) for p in page.object_list],
            "q": q,
            "status": status,
            "statuses": PlaceStatus.choices,
            "municipality_id": municipality_id,
            "municipalities": selectors.municipalities_list(community=actor.community),
            "figures": selectors.places_per_municipality(actor=actor),
            "status_labels": PlaceStatus.choices,
            "can_manage": actor.has("places.manage"),
        },
    )


def _place_form(request: HttpRequest, data: Any = None, initial: Any = None) -> PlaceForm:
    actor = actor_of(request)
    hosts = (
        [(o.pk, o.name) for o in organisations_search(actor=actor, q="", kind="")[:500]]
        if actor.has("organisations.view")
        else []
    )
    municipalities = [
        (m.pk, m.name) for m in selectors.municipalities_list(community=actor.community)
    ]
    return PlaceForm(
        data,
        initial=initial,
        hosts=hosts,
        municipalities=municipalities,
        language=get_language() or "nl",
    )


@community_page("places.manage")
def place_new(request: HttpRequest) -> HttpResponse:
    form = _place_form(request, request.POST or None, initial={"kind": PlaceKind.DIGIPUNT})
    if request.method == "POST" and form.is_valid():
        try:
            place = services.place_create(actor=actor_of(request), **form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The place is added. Enter its opening hours next."))
            return redirect("web:place", request.community.slug, place.pk)  # type: ignore[attr-defined]
    return render(request, "places/place_form.html", {"form": form, "place": None})


@community_page("places.manage")
def place_edit(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = actor_of(request)
    place = selectors.place_get(actor=actor, place_id=place_id)
    initial = {
        **{f: getattr(place, f) for f in services.PLACE_FIELDS if f != "description"},
        "host_id": place.host_id,
        "municipality_id": place.municipality_id,
        "description": (place.description or {}).get(get_language() or "nl", ""),
    }
    form = _place_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.place_update(
                actor=actor, place_id=place.pk, **form.service_data(place.description)
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:place", actor.community.slug, place.pk)
    return render(request, "places/place_form.html", {"form": form, "place": place})


def _people(request: HttpRequest) -> list[tuple[int, str]]:
    actor = actor_of(request)
    if not actor.has("people.view"):
        return []
    return [(p.pk, p.full_name) for p in people_search(actor=actor, q="")[:300]]


def _detail(request: HttpRequest, place: Place, **forms: Any) -> HttpResponse:
    hours_form = forms.get("hours_form") or HoursForm(
        initial=HoursForm.initial_for(list(place.hours.all())), people=_people(request)
    )
    exception_form = forms.get("exception_form") or ExceptionForm()
    actor = actor_of(request)
    checklist = selectors.checklist(place)
    return render(
        request,
        "places/place.html",
        {
            "place": place,
            "state": selectors.open_state(place),
            "week": selectors.week_table(place),
            "today": selectors.local_now().date(),
            "checklist": checklist,
            "ready": all(done for _item, done in checklist),
            "next_statuses": [
                (s, PlaceStatus(s).label)
                for s in PlaceStatus.values
                if rules.may_move(place.status, s)
            ],
            "hours_form": hours_form,
            "exception_form": exception_form,
            "exceptions": place.exceptions.order_by("-starts_on")[:20],
            "can_manage": actor.has("places.manage"),
            "description": _description(place),
        },
        status=400 if forms else 200,
    )


@community_page("places.view")
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    return _detail(request, selectors.place_get(actor=actor_of(request), place_id=place_id))


@community_page("places.manage")
def place_hours(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = actor_of(request)
    place = selectors.place_get(actor=actor, place_id=place_id)
    if request.method != "POST":
        return redirect("web:place", actor.community.slug, place.pk)
    form = HoursForm(request.POST, people=_people(request))
    if form.is_valid():
        try:
            services.place_set_hours(actor=actor, place_id=place.pk, hours=form.periods())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("The opening hours are saved."))
            return redirect("web:place", actor.community.slug, place.pk)
    return _detail(request, place, hours_form=form)


@community_page("places.manage")
def place_exception_add(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = actor_of(request)
    place = selectors.place_get(actor=actor, place_id=place_id)
    if request.method != "POST":
        return redirect("web:place", actor.community.slug, place.pk)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.place_add_exception(actor=actor, place_id=place.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved. Visitors see these days on the directory."))
            return redirect("web:place", actor.community.slug, place.pk)
    return _detail(request, place, exception_form=form)


@community_page("places.manage")
def place_exception_remove(request: HttpRequest, place_id: int, exception_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.place_get(actor=actor, place_id=place_id)  # another community's: not found
    if request.method == "POST":
        try:
            services.place_remove_exception(
                actor=actor, place_id=place_id, exception_id=exception_id
            )
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
        else:
            flash(request, _("Removed."))
    return redirect("web:place", actor.community.slug, place_id)


@community_page("places.manage")
def place_tick(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.place_get(actor=actor, place_id=place_id)  # another community's: not found
    if request.method == "POST":
        try:
            services.place_tick(
                actor=actor,
                place_id=place_id,
                item=request.POST.get("item", ""),
                done=request.POST.get("done") == "1",
            )
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
    return redirect("web:place", actor.community.slug, place_id)


@community_page("places.manage")
def place_status(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.place_get(actor=actor, place_id=place_id)  # another community's: not found
    if request.method == "POST":
        try:
            place = services.place_change_status(
                actor=actor, place_id=place_id, status=request.POST.get("status", "")
            )
        except ServiceError as exc:
            flash(request, str(exc.detail), "error")
        else:
            flash(
                request,
                _("The place is now %(status)s.") % {"status": PlaceStatus(place.status).label},
            )
    return redirect("web:place", actor.community.slug, place_id)
