"""The digibuddy register's pages.

Coordinators (``activities.volunteers``): the register with search and paging, adding and
changing a volunteer, planning their duties, recording a certificate, and the gaps with a
one-click "ask the free volunteers". Volunteers (``activities.duties``): their own schedule on
a phone — cancel with a reason, offer a duty for a swap, take over a duty someone offers, fill
a gap — and a calendar feed (.ics).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buurtkit.activities import services
from buurtkit.activities import volunteer_selectors as selectors
from buurtkit.activities.models import Duty, TrainingTrack, Volunteer
from buurtkit.activities.pages.forms_volunteers import (
    CancelDutyForm,
    CertifyForm,
    PlaceDutyForm,
    SessionDutyForm,
    SlotForm,
    VolunteerForm,
)
from buurtkit.core import clock
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.core.texts import translated
from buurtkit.people.models import Person
from buurtkit.people.services import DuplicatePerson
from buurtkit.places.models import Place
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


BRUSSELS = ZoneInfo("Europe/Brussels")


def _session_choices(request: HttpRequest) -> list[tuple[int, str]]:
    language = translation.get_language() or "nl"
    return [
        (
            s.pk,
            f"{s.starts_at.astimezone(BRUSSELS):%d/%m %H:%M} — "
            f"{translated(s.series.title, language)} — {s.place.name}",
        )
        for s in selectors.sessions_to_staff(actor=actor_of(request))[:300]
    ]


def _series_choices(request: HttpRequest) -> list[tuple[int, str]]:
    language = translation.get_language() or "nl"
    return [
        (s.pk, translated(s.title, language))
        for s in selectors.training_series(actor=actor_of(request))
    ]


# --- the register ---------------------------------------------------------------------------


@community_page("activities.volunteers")
def volunteers_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    track = request.GET.get("track", "")
    track = track if track in TrainingTrack.values else ""
    show = request.GET.get("show", "")
    active = None if show == "all" else show != "inactive"
    page = paginate(
        request, selectors.volunteers_search(actor=actor, q=q, track=track, active=active)
    )
    return render(
        request,
        "activities/volunteers_list.html",
        {
            "page": page,
            "q": q,
            "track": track,
            "tracks": TrainingTrack.choices,
            "show": show,
            "gaps": len(selectors.gaps(actor=actor)),
        },
    )


@community_page("activities.volunteers")
def volunteer_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    initial: dict[str, Any] = {}
    known: Person | None = None
    person_id = _int(request.GET.get("person"))
    if person_id:
        known = Person.objects.in_community(actor.community).filter(pk=person_id).first()
        if known is not None:
            initial["person_id"] = known.pk
    form = VolunteerForm(
        request.POST or None, initial=initial, series=_series_choices(request), new=True
    )
    duplicate: Person | None = None
    if request.method == "POST" and form.is_valid():
        chosen = _int(request.POST.get("use_person")) or form.cleaned_data.get("person_id")
        try:
            volunteer = services.volunteer_create(
                actor=actor,
                person_id=chosen,
                person=None if chosen else form.person_data(),
                allow_duplicate=request.POST.get("add_anyway") == "1",
                **form.register_data(),
            )
        except DuplicatePerson as exc:
            duplicate = (
                Person.objects.in_community(actor.community)
                .filter(pk=exc.fields.get("duplicate_of"))
                .first()
            )
            form.add_error(None, str(exc.detail))
        except ServiceError as exc:
            if exc.code == "already_volunteer":
                flash(request, str(exc.detail), level="error")
                return redirect(
                    "web:activities_volunteer", actor.community.slug, exc.fields["volunteer_id"]
                )
            apply_service_error(form, exc)
        else:
            flash(request, _("%(name)s is in the register.") % {"name": volunteer.person.full_name})
            return redirect("web:activities_volunteer", actor.community.slug, volunteer.pk)
    if known is None and form.is_bound and form.is_valid() and form.cleaned_data.get("person_id"):
        known = (
            Person.objects.in_community(actor.community)
            .filter(pk=form.cleaned_data["person_id"])
            .first()
        )
    return render(
        request,
        "activities/volunteers_form.html",
        {"form": form, "volunteer": None, "duplicate": duplicate, "known": known},
    )


def _detail(request: HttpRequest, volunteer: Volunteer, **forms: Any) -> HttpResponse:
    actor = actor_of(request)
    sessions = _session_choices(request)
    places = [
        (p.pk, p.name) for p in Place.objects.in_community(actor.community).order_by("name")[:300]
    ]
    return render(
        request,
        "activities/volunteers_detail.html",
        {
            "volunteer": volunteer,
            "form": forms.get("form")
            or VolunteerForm(
                initial=VolunteerForm.initial_for(volunteer),
                series=_series_choices(request),
                new=False,
            ),
            "session_form": forms.get("session_form")
            or SessionDutyForm(sessions=sessions, prefix="s"),
            "place_form": forms.get("place_form") or PlaceDutyForm(places=places, prefix="p"),
            "certify_form": forms.get("certify_form")
            or CertifyForm(initial={"on": clock.now().date()}, prefix="c"),
            "duties": list(selectors.volunteer_duties(actor=actor, volunteer_id=volunteer.pk)),
            "progress": selectors.training_progress(volunteer),
        },
        status=400 if any(f is not None and f.errors for f in forms.values()) else 200,
    )


def _volunteer(request: HttpRequest, volunteer_id: int) -> Volunteer:
    try:
        return selectors.volunteer_get(actor=actor_of(request), volunteer_id=volunteer_id)
    except NotFound as exc:
        raise Http404 from exc


@community_page("activities.volunteers")
def volunteer_detail(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    actor = actor_of(request)
    volunteer = _volunteer(request, volunteer_id)
    if request.method != "POST":
        return _detail(request, volunteer)
    form = VolunteerForm(request.POST, series=_series_choices(request), new=False)
    if form.is_valid():
        try:
            services.volunteer_update(
                actor=actor, volunteer_id=volunteer.pk, **form.register_data()
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return redirect("web:activities_volunteer", actor.community.slug, volunteer.pk)
    return _detail(request, volunteer, form=form)


@community_page("activities.volunteers")
@require_POST
def volunteer_assign(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    actor = actor_of(request)
    volunteer = _volunteer(request, volunteer_id)
    kind = request.POST.get("kind")
    session_form: Any = None
    place_form: Any = None
    if kind == "place":
        places = [(p.pk, p.name) for p in Place.objects.in_community(actor.community)]
        place_form = PlaceDutyForm(request.POST, places=places, prefix="p")
        form: Any = place_form
    else:
        sessions = _session_choices(request)
        session_form = SessionDutyForm(request.POST, sessions=sessions, prefix="s")
        form = session_form
    if form.is_valid():
        try:
            if kind == "place":
                starts_at, ends_at = form.times()
                services.duty_assign(
                    actor=actor,
                    volunteer_id=volunteer.pk,
                    place_id=form.cleaned_data["place_id"],
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            else:
                services.duty_assign(
                    actor=actor,
                    volunteer_id=volunteer.pk,
                    session_id=form.cleaned_data["session_id"],
                    role=form.cleaned_data["role"],
                )
        except ServiceError as exc:
            if exc.fields.get("starts_at"):
                form.add_error("start", str(exc.detail))
            elif exc.fields.get("ends_at"):
                form.add_error("end", str(exc.detail))
            else:
                form.add_error(None, str(exc.detail))
        else:
            flash(request, _("The duty is planned."))
            return redirect("web:activities_volunteer", actor.community.slug, volunteer.pk)
    return _detail(request, volunteer, session_form=session_form, place_form=place_form)


@community_page("activities.volunteers")
@require_POST
def volunteer_certify(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    actor = actor_of(request)
    volunteer = _volunteer(request, volunteer_id)
    form = CertifyForm(request.POST, prefix="c")
    if form.is_valid():
        try:
            services.volunteer_certify(
                actor=actor, volunteer_id=volunteer.pk, on=form.cleaned_data["on"]
            )
        except ServiceError as exc:
            form.add_error("on", str(exc.detail))
        else:
            flash(request, _("The certificate is recorded."))
            return redirect("web:activities_volunteer", actor.community.slug, volunteer.pk)
    return _detail(request, volunteer, certify_form=form)


# --- gaps -----------------------------------------------------------------------------------


@community_page("activities.volunteers")
@require_http_methods(["GET", "POST"])
def gaps(request: HttpRequest) -> HttpResponse:
    """The gaps, and the form saying how many digibuddies a digipunt's hours need."""
    actor = actor_of(request)
    places = [(p.pk, p.name) for p in Place.objects.in_community(actor.community).order_by("name")]
    form = SlotForm(request.POST or None, places=places, prefix="h")
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        try:
            services.slot_set_needed(
                actor=actor,
                place_id=form.cleaned_data["place_id"],
                starts_at=starts_at,
                ends_at=ends_at,
                needed=form.cleaned_data["needed"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved: the gaps count these hours against the number needed."))
            return redirect(request.path)
    return render(
        request,
        "activities/volunteers_gaps.html",
        {"gaps": selectors.gaps(actor=actor), "slot_form": form},
        status=400 if form.errors else 200,
    )


@community_page("activities.volunteers")
@require_POST
def gap_ask(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        asked = services.gap_ask(
            actor=actor,
            session_id=_int(request.POST.get("session")),
            duty_id=_int(request.POST.get("duty")),
            slot_id=_int(request.POST.get("slot")),
        )
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        if asked.asked:
            flash(
                request,
                translation.ngettext(
                    "%(n)d volunteer who is free then got a message.",
                    "%(n)d volunteers who are free then got a message.",
                    asked.asked,
                )
                % {"n": asked.asked},
            )
        elif asked.already_asked:
            flash(
                request,
                translation.ngettext(
                    "%(n)d volunteer who is free then was already asked; nobody got a second "
                    "message.",
                    "%(n)d volunteers who are free then were already asked; nobody got a second "
                    "message.",
                    asked.already_asked,
                )
                % {"n": asked.already_asked},
            )
        else:
            flash(
                request,
                _("Nobody who is free then can be reached by message. Phone the volunteers."),
                level="error",
            )
    return redirect("web:activities_volunteer_gaps", actor.community.slug)


# --- the volunteer's own schedule -----------------------------------------------------------


@community_page("activities.duties")
def my_duties(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    volunteer, duties = selectors.own_schedule(actor=actor)
    return render(
        request,
        "activities/volunteers_mine.html",
        {
            "volunteer": volunteer,
            "duties": duties,
            "swaps": selectors.swaps_offered(actor=actor) if volunteer else [],
            "open_gaps": selectors.open_gaps_for_volunteer(actor=actor)[:8] if volunteer else [],
            "cancel_form": CancelDutyForm(),
            "progress": selectors.training_progress(volunteer) if volunteer else None,
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    slug = request.community.slug  # type: ignore[attr-defined]
    volunteer_id = _int(request.POST.get("back_volunteer"))
    if volunteer_id and actor_of(request).has("activities.volunteers"):
        return redirect("web:activities_volunteer", slug, volunteer_id)
    return redirect("web:activities_my_duties", slug)


@community_page("activities.duties")
@require_POST
def duty_cancel(request: HttpRequest, duty_id: int) -> HttpResponse:
    form = CancelDutyForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        services.duty_cancel(actor=actor_of(request), duty_id=duty_id, reason=str(reason))
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("The duty is cancelled. Your coordinator sees it."))
    return _back(request)


@community_page("activities.duties")
@require_POST
def duty_swap(request: HttpRequest, duty_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        if request.POST.get("keep") == "1":
            services.duty_keep(actor=actor, duty_id=duty_id)
            flash(request, _("You keep this duty."))
        else:
            services.duty_offer_swap(actor=actor, duty_id=duty_id)
            flash(request, _("The other digibuddies see that you look for someone to take over."))
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    return _back(request)


@community_page("activities.duties")
@require_POST
def duty_take(request: HttpRequest, duty_id: int) -> HttpResponse:
    try:
        services.duty_take(actor=actor_of(request), duty_id=duty_id)
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("Thank you! The duty is yours now."))
    return _back(request)


@community_page("activities.duties")
@require_POST
def gap_fill(request: HttpRequest) -> HttpResponse:
    try:
        services.gap_fill(
            actor=actor_of(request),
            session_id=_int(request.POST.get("session")),
            duty_id=_int(request.POST.get("duty")),
            slot_id=_int(request.POST.get("slot")),
        )
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("Thank you! The duty is yours now."))
    return _back(request)


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@community_page("activities.duties")
def my_duties_ics(request: HttpRequest) -> HttpResponse:
    """The volunteer's duties as a calendar file (import it in a phone's calendar)."""
    actor = actor_of(request)
    _volunteer_row, duties = selectors.own_schedule(actor=actor)
    language = translation.get_language() or "nl"
    stamp = _ics_time(clock.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//buurtkit//digibuddy duties//EN",
        "CALSCALE:GREGORIAN",
    ]
    for duty in duties:
        if duty.starts_at is None or duty.ends_at is None:
            continue
        title = _title(duty, language)
        where = _where(duty)
        lines += [
            "BEGIN:VEVENT",
            f"UID:duty-{duty.pk}@{actor.community.slug}.buurtkit",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ics_time(duty.starts_at)}",
            f"DTEND:{_ics_time(duty.ends_at)}",
            f"SUMMARY:{_ics_text(title)}",
            f"LOCATION:{_ics_text(where)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    response = HttpResponse(
        "\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="digibuddy.ics"'
    return response


def _title(duty: Duty, language: str) -> str:
    if duty.session is not None:
        return f"{_('Digibuddy')}: {translated(duty.session.series.title, language)}"
    return _("Digipunt duty")


def _where(duty: Duty) -> str:
    place = duty.session.place if duty.session is not None else duty.place
    return place.name if place is not None else ""
