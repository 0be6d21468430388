"""Buurbel introductions by phone for staff: the list (refreshing itself while calls run), one
introduction with its history and calls, starting a matching run's introductions, stopping one,
and who asked on the inbound line to be called back.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import INTRO_CLOSED, IntroState, Match, Outcome
from buurtkit.people.phones import display_phone
from buurtkit.telephony.models import CallStatus
from buurtkit.telephony.selectors import flow_kinds
from buurtkit.telephony.services import format_money
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

POLL_SECONDS = 3
STATE_LABELS = dict(IntroState.choices)
#: Every outcome a Buurbel call or step can report, for people to read.
OUTCOME_LABELS: dict[str, Any] = {
    **dict(Outcome.choices),
    "joined": gettext_lazy("joined the conversation"),
    "confirmed": gettext_lazy("confirmed the appointment"),
    "again_yes": gettext_lazy("would meet again"),
    "again_no": gettext_lazy("would not meet again"),
    "informed": gettext_lazy("told about the appointment"),
    "appointment_told": gettext_lazy("appointment agreed"),
    "not_callable": gettext_lazy("can no longer be called"),
    "cancelled": gettext_lazy("stopped by staff"),
    "no_follow_up": gettext_lazy("no answer to the follow-up"),
    "announcements": gettext_lazy("heard the announcements"),
    "wants_intro": gettext_lazy("asked to be introduced"),
    "register_request": gettext_lazy("asked to sign up"),
    "staff": gettext_lazy("asked for a member of staff"),
}


def _flow_titles() -> dict[str, Any]:
    return {kind.key: kind.title for kind in flow_kinds()}


def _row(match: Match) -> dict[str, Any]:
    return {
        "id": match.pk,
        "a": match.participant_a.person.full_name,
        "b": match.participant_b.person.full_name,
        "state": match.state,
        "state_label": STATE_LABELS.get(match.state, match.state),
        "open": match.state not in INTRO_CLOSED,
        "last_outcome": OUTCOME_LABELS.get(match.last_outcome, ""),
        "next_call_at": match.next_call_at,
        "calls": match.attempts_total,
        "changed": match.state_changed_at,
    }


@community_page("neighbours.view")
def introduction_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "")
    if state and state != "open" and state not in STATE_LABELS:
        state = ""
    q = request.GET.get("q", "").strip()[:100]
    page = paginate(request, selectors.matches(actor=actor, state=state, q=q))
    rows = [_row(m) for m in page.object_list]
    counts = selectors.match_counts(actor=actor)
    context = {
        "page": page,
        "rows": rows,
        "state": state,
        "q": q,
        "states": [(value, label, counts.get(value, 0)) for value, label in IntroState.choices],
        "running": any(
            r["state"].startswith("calling") or r["state"] == "connecting" for r in rows
        ),
        "poll": POLL_SECONDS,
        "can_manage": actor.has("neighbours.manage"),
    }
    if request.headers.get("HX-Request"):
        return render(request, "neighbours/_introduction_rows.html", context)
    return render(request, "neighbours/introductions.html", context)


STATUS_LABELS: dict[str, Any] = dict(CallStatus.choices)


def _call_view(call: Any, titles: dict[str, Any]) -> dict[str, Any]:
    steps = [
        {
            "at": e.at,
            "kind": e.get_kind_display(),
            "step": e.step,
            "digits": e.digits,
            # In the reader's language ("bezig", not "in-progress"); an unknown one as it came.
            "status": STATUS_LABELS.get(e.status, e.status),
        }
        for e in call.events.all()
    ]
    return {
        "id": call.pk,
        "purpose": titles.get(call.purpose, call.purpose),
        "to": display_phone(call.to_number),
        "status": call.get_status_display(),
        "answered_by": call.get_answered_by_display() if call.answered_by else "",
        "created_at": call.created_at,
        "duration": call.duration_seconds,
        "cost": format_money(call.price_micros, call.price_currency or "USD")
        if call.price_micros is not None
        else "",
        "outcomes": [OUTCOME_LABELS.get(o, o) for o in (call.flow_state or {}).get("outcomes", [])],
        "keys": (call.flow_state or {}).get("keys", []),
        "steps": steps,
        "conference": call.conference,
    }


@community_page("neighbours.view")
def introduction_detail(request: HttpRequest, match_id: int) -> HttpResponse:
    actor = actor_of(request)
    match = selectors.match_get(actor=actor, match_id=match_id)
    history = [
        {"at": h.at, "outcome": OUTCOME_LABELS.get(h.outcome, h.outcome)}
        for h in selectors.match_history(actor=actor, match=match)
    ]
    titles = _flow_titles()
    calls = [_call_view(c, titles) for c in selectors.match_calls(actor=actor, match=match)]
    context = {
        "match": match,
        "row": _row(match),
        "history": history,
        "calls": calls,
        "running": match.state
        in (IntroState.CALLING_A, IntroState.CALLING_B, IntroState.CONNECTING),
        "poll": POLL_SECONDS,
        "can_manage": actor.has("neighbours.manage"),
    }
    return render(request, "neighbours/introduction.html", context)


@community_page("neighbours.manage")
@require_POST
def introduction_cancel(request: HttpRequest, match_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        services.introduction_cancel(actor=actor, match_id=match_id)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(request, _("This introduction is stopped: nobody will be called for it."))
    return redirect("web:buurbel_introduction", request.community.slug, match_id)  # type: ignore[attr-defined]


@community_page("neighbours.manage")
@require_POST
def run_start_introductions(request: HttpRequest, match_run_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        made = services.introductions_start(actor=actor, run_id=match_run_id)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
        return redirect("web:buurbel_run", request.community.slug, match_run_id)  # type: ignore[attr-defined]
    if made:
        flash(
            request,
            _("%(n)d introductions started. Calls are placed inside each person's call times.")
            % {"n": len(made)},
        )
    else:
        flash(
            request,
            _(
                "No introductions started: every pair is already being introduced, or cannot be called."
            ),
            "error",
        )
    return redirect("web:buurbel_introductions", request.community.slug)  # type: ignore[attr-defined]


@community_page("neighbours.view")
def callback_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.callbacks(actor=actor)
    calls = [
        {
            "at": c.created_at,
            "from": display_phone(c.from_number),
            "outcome": (c.flow_state or {}).get("outcome", ""),
        }
        for c in found["calls"]
    ]
    wanting = [
        {
            "id": p.pk,
            "name": p.person.full_name,
            "at": p.wants_intro_at,
            "phone": display_phone(p.person.phone),
        }
        for p in found["participants"]
    ]
    return render(request, "neighbours/callbacks.html", {"calls": calls, "wanting": wanting})
