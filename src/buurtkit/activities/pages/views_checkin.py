"""Check-in by QR: the person's "my sign-up" page with the code to show at the door, the page
a scan of that code opens, and the paper attendance list entered afterwards.

The "my sign-up" page is reached only by the secret link of the confirmation (the cancel
link's secret). The QR holds the check-in address on the community's public address; whoever
scans it with check-in permission (``activities.attend``) confirms with one tap, anyone else
is asked to show the code at the door.
"""

from __future__ import annotations

import uuid

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buurtkit.activities import rules, selectors, services
from buurtkit.activities.models import EvaluationMoment
from buurtkit.activities.services.checkin import by_link_code, checkin_check
from buurtkit.core import clock
from buurtkit.core.apitools import actor_of, actor_or_none
from buurtkit.core.errors import Conflict, NotFound, ServiceError
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.messages import flash

#: The session a volunteer runs check-in for (set when they open its staff page).
DOOR_KEY = "activities_door_session"


def remember_door(request: HttpRequest, session_id: int) -> None:
    """Called by the staff session page: later scans check people in at this session."""
    request.session[DOOR_KEY] = session_id


@public_page
def my_registration(request: HttpRequest, registration_id: int, secret: str) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    registration = selectors.registration_by_link(
        community=community, registration_id=registration_id, token=secret
    )
    if registration is None:
        raise NotFound()
    from buurtkit.activities.models import Evaluation, Registration

    group = [registration]
    if registration.group:
        group = list(
            Registration.objects.filter(community=community, group=registration.group)
            .select_related("session__place")
            .order_by("session__starts_at", "pk")
        )
    holds_seat = registration.state in rules.HOLDS_SEAT
    qr = ""
    if holds_seat and registration.state != rules.OFFERED:
        url = services.checkin_url(registration)
        qr = segno.make(url, error="m").png_data_uri(scale=8, border=4)
    series = registration.session.series
    ask_before = (
        series.self_assessment
        and registration.state in rules.EXPECTED
        and not Evaluation.objects.filter(
            registration=registration, moment=EvaluationMoment.BEFORE
        ).exists()
    )
    return render(
        request,
        "activities/my_registration.html",
        {
            "registration": registration,
            "sessions": [r for r in group if r.state != rules.CANCELLED],
            "qr": qr,
            "cancel_path": services.cancel_path(community, registration, secret),
            "before_path": request.path + "before/" if ask_before else "",
        },
    )


def _door_session(request: HttpRequest) -> int | None:
    value = request.session.get(DOOR_KEY)
    if not isinstance(value, int):
        return None
    from buurtkit.activities.models import Session
    from buurtkit.activities.services.checkin import is_today

    session = Session.objects.filter(pk=value).first()
    if session is None or not is_today(session, clock.now()):
        return None  # yesterday's door: go by the date instead
    return value


@public_page
@require_http_methods(["GET", "POST"])
def checkin_scan(request: HttpRequest, registration_id: int, checkin_code: str) -> HttpResponse:
    """What the QR opens. Staff: who this is and one button; anyone else: show it at the door."""
    community = request.community  # type: ignore[attr-defined]
    actor = actor_or_none(request)
    code = checkin_code
    scanned = by_link_code(
        community=community, registration_id=registration_id, code=code, purpose="checkin"
    )
    if scanned is None:
        raise NotFound()
    if actor is None or not actor.has("activities.attend"):
        return render(request, "activities/checkin_show.html", {"registration": scanned})
    context: dict[str, object] = {"registration": scanned, "problem": "", "done": None}
    status = 200
    if request.method == "POST":
        session_id = request.POST.get("session", "")
        try:
            done = services.checkin_by_code(
                actor=actor,
                registration_id=scanned.pk,
                code=code,
                session_id=int(session_id) if session_id.isdigit() else 0,
                idempotency_key=request.POST.get("idempotency_key", "")[:100],
            )
        except ServiceError as exc:
            context["problem"], status = str(exc.detail), exc.status
        else:
            flash(request, _("%(name)s is checked in.") % {"name": done.person.full_name})
            return redirect("web:activities_manage_session", community.slug, done.session_id)
    else:
        try:
            mine = checkin_check(scanned, _door_session(request))
        except Conflict as exc:  # the page explains; a GET changes nothing either way
            context["problem"] = str(exc.detail)
        else:
            context["target"] = mine
            context["key"] = uuid.uuid4().hex
    return render(request, "activities/checkin_confirm.html", context, status=status)


@community_page("activities.attend")
@require_POST
def attendance_paper(request: HttpRequest, session_id: int) -> HttpResponse:
    """The paper list entered afterwards: came / did not come for each person, in one go."""
    actor = actor_of(request)
    selectors.session_get(actor=actor, session_id=session_id)  # another community's: 404
    marks: dict[int, bool] = {}
    for name, value in request.POST.items():
        if name.startswith("r_") and name[2:].isdigit() and value in ("1", "0"):
            marks[int(name[2:])] = value == "1"
    target = redirect("web:activities_manage_session", actor.community.slug, session_id)
    if not marks:
        flash(request, _("Mark at least one person as came or did not come."), level="error")
        return target
    try:
        counts = services.attendance_enter(actor=actor, session_id=session_id, marks=marks)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(
            request,
            _("The list is saved: %(attended)s came, %(no_show)s did not come.") % counts,
        )
    return target
