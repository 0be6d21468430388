"""Staff pages: the week's sessions with their fill, one session with who is coming, check-in
at the door by name on a tablet, and the attendance list to print."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.activities import documents, selectors, services
from buurtkit.core import clock
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return clock.now().date()


@community_page("activities.view")
def week(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    day = _day(request.GET.get("week"))
    monday = day - timedelta(days=day.weekday())
    sessions = list(selectors.sessions_week(actor=actor, day=day))
    return render(
        request,
        "activities/manage_week.html",
        {
            "sessions": sessions,
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous": monday - timedelta(weeks=1),
            "next": monday + timedelta(weeks=1),
            "seats": sum(s.capacity for s in sessions),
            "taken": sum(s.seats_taken for s in sessions),
            "waiting": sum(s.waiting for s in sessions),
        },
    )


@community_page("activities.view")
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    q = request.GET.get("q", "")[:100]
    return render(
        request,
        "activities/manage_session.html",
        {
            "session": session,
            "rows": selectors.attendance_rows(actor=actor, session_id=session.pk, q=q),
            "waiting": selectors.waiting_list(session).select_related("person", "referred_by"),
            "q": q,
            "may_attend": actor.has("activities.attend"),
            "may_register": actor.has("activities.register"),  # act-ops: on their behalf
        },
    )


@community_page("activities.attend")
@require_POST
def check_in(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.session_get(actor=actor, session_id=session_id)  # another community's: 404
    registration_id = request.POST.get("registration", "")
    attended = request.POST.get("attended", "1") == "1"
    try:
        registration = services.attendance_mark(
            actor=actor,
            registration_id=int(registration_id) if registration_id.isdigit() else 0,
            session_id=session_id,
            attended=attended,
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        name = registration.person.full_name
        flash(
            request,
            (_("%(name)s is checked in.") if attended else _("%(name)s did not come."))
            % {"name": name},
        )
    target = redirect("web:activities_manage_session", actor.community.slug, session_id)
    q = request.POST.get("back_q", "")[:100]
    if q:
        target["Location"] += "?" + urlencode({"q": q})
    return target


@community_page("activities.view")
def attendance_list(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    session = selectors.session_get(actor=actor, session_id=session_id)
    rows = list(selectors.attendance_rows(actor=actor, session_id=session.pk))
    data = documents.attendance_pdf(
        session=session, registrations=rows, language=translation.get_language() or "nl"
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="attendance-{session.pk}.pdf"'
    return response
