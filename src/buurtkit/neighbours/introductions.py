"""Introductions by phone: one state machine per proposed pair (:class:`Match`).

::

    proposed ─call A─▶ calling_a ─A agrees─▶ a_agreed ─call B─▶ calling_b ─B agrees─▶ connecting
        │                 │ declines ▶ declined              │ declines ▶ declined     │
        │                 │ no answer / voicemail / silence ─▶ retry later (backoff), at most
        │                 │   MAX_ATTEMPTS calls per step ─▶ gave_up
    connecting: B waits in a conference room while A is called back ─A joins─▶ connected
                A cannot or would rather not ─▶ appointment (B hears the meeting place; A is told)
    connected / appointment ─FOLLOW_UP_AFTER─▶ follow_up (did you meet? again?) ─▶ completed

Calls are placed only inside the callee's call windows (Europe/Brussels), only to verified
numbers of participants who consented and did not opt out. "Never call me again" (the opt-out
key) is honoured at once: the participant is opted out and their open introductions stop.
Every step is appended to the pair's history (:class:`Introduction`) and the audit log.

The scheduler (:func:`tick`) is run by ``buurtkit buurbel_calls`` (cron or a timer, every
minute), by a task after each step, and by the demo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.neighbours import callflows, selectors
from buurtkit.neighbours.facts import _minutes
from buurtkit.neighbours.models import (
    INTRO_CLOSED,
    Introduction,
    IntroState,
    Match,
    Outcome,
    Participant,
)
from buurtkit.telephony import flowdata
from buurtkit.telephony import selectors as telephony_selectors
from buurtkit.telephony import services as telephony
from buurtkit.telephony.interface import (
    CallbackRequest,
    CallHooks,
    Conference,
    Hangup,
    InboundMatch,
    Play,
    Redirect,
    Say,
    Transfer,
    Verb,
    callback_requested,
    register_call_hooks,
    register_flow,
    register_inbound,
)
from buurtkit.telephony.models import FINAL_RANK, Call, Recording

TZ = ZoneInfo("Europe/Brussels")
MAX_ATTEMPTS = 3
#: Waits before the 2nd and 3rd try of a step (then the next call window).
BACKOFF = (dt.timedelta(hours=2), dt.timedelta(days=1), dt.timedelta(days=2))
FOLLOW_UP_AFTER = dt.timedelta(days=7)
#: When nobody gave call windows: Monday to Saturday, 10:00 to 18:00.
DEFAULT_WINDOWS: list[dict[str, Any]] = [
    {"days": [1, 2, 3, 4, 5, 6], "from": "10:00", "to": "18:00"}
]
SUBJECT = "neighbours.match"
SUBJECT_PARTICIPANT = "neighbours.participant"
#: Which state places which call, to whom.
STEP_CALLS: dict[str, tuple[str, str, str]] = {
    # state: (flow, callee "a"/"b", state while calling)
    IntroState.PROPOSED: (callflows.FIRST, "a", IntroState.CALLING_A),
    IntroState.CALLING_A: (callflows.FIRST, "a", IntroState.CALLING_A),
    IntroState.A_AGREED: (callflows.SECOND, "b", IntroState.CALLING_B),
    IntroState.CALLING_B: (callflows.SECOND, "b", IntroState.CALLING_B),
    IntroState.CONNECTED: (callflows.FOLLOWUP, "a", IntroState.FOLLOW_UP),
    IntroState.FOLLOW_UP: (callflows.FOLLOWUP, "a", IntroState.FOLLOW_UP),
}
DUE_STATES = [*STEP_CALLS, IntroState.APPOINTMENT]
#: After the introduction itself: only the follow-up is left.
FOLLOW_UP_STATES = (IntroState.CONNECTED, IntroState.APPOINTMENT, IntroState.FOLLOW_UP)
#: Outcomes after which a call needs no retry.
DECISIVE = {
    "agreed",
    "declined",
    "joined",
    "appointment",
    "confirmed",
    "again_yes",
    "again_no",
    flowdata.OPTED_OUT,
}


def _system(community: Community) -> Actor:
    return Actor.system(community, label="Buurbel")


# --- call windows --------------------------------------------------------------------------


def windows_of(participant: Participant) -> list[dict[str, Any]]:
    return list(participant.call_windows or DEFAULT_WINDOWS)


def in_window(windows: Iterable[Mapping[str, Any]], at: dt.datetime) -> bool:
    local = at.astimezone(TZ)
    minute = local.hour * 60 + local.minute
    return any(
        local.isoweekday() in w["days"] and _minutes(w["from"]) <= minute < _minutes(w["to"])
        for w in windows
    )


def next_window_start(windows: Iterable[Mapping[str, Any]], after: dt.datetime) -> dt.datetime:
    """``after`` itself when inside a window, else the next moment a window opens."""
    windows = list(windows)
    if in_window(windows, after):
        return after
    local = after.astimezone(TZ)
    best: dt.datetime | None = None
    for offset in range(8):
        day = (local + dt.timedelta(days=offset)).date()
        for w in windows:
            if day.isoweekday() not in w["days"]:
                continue
            start = _minutes(w["from"])
            candidate = dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=TZ)
            if candidate > local and (best is None or candidate < best):
                best = candidate
        if best is not None:
            break
    return (best or local + dt.timedelta(days=1)).astimezone(dt.UTC)


# --- who may be called ---------------------------------------------------------------------


def callable_participant(participant: Participant) -> bool:
    """Consented, active, not opted out, and the phone verified (for the current number)."""
    return selectors.participant_callable(participant)


# --- history -------------------------------------------------------------------------------


def _history(
    match: Match, outcome: str, *, call: Call | None = None, by: int | None = None
) -> None:
    Introduction.objects.create(
        community_id=match.community_id,
        participant_a_id=match.participant_a_id,
        participant_b_id=match.participant_b_id,
        outcome=outcome,
        declined_by_id=by,
        proposed_pair_id=match.proposed_pair_id,
        match=match,
        call_id=call.pk if call else None,
        at=clock.now(),
        actor_label="Buurbel",
    )


def _move(match: Match, state: str, *, outcome: str = "", call: Call | None = None) -> None:
    """Change state (and log it); ``attempts`` restart for the new step."""
    previous = match.state
    now = clock.now()
    if state != previous:
        match.attempts = 0
    match.state = state
    match.state_changed_at = now
    if outcome:
        match.last_outcome = outcome
    if state in INTRO_CLOSED:
        match.closed_at = match.closed_at or now
        match.next_call_at = None
    match.save()
    audit_record(
        actor=_system(match.community),
        verb="neighbours.introduction_step",
        obj=match,
        data={"from": previous, "to": state, "outcome": outcome, "call": call.pk if call else None},
    )


# --- starting ------------------------------------------------------------------------------


def start(*, actor: Actor, run_id: int, pair_ids: list[int] | None = None) -> list[Match]:
    """Start introducing the pairs of a matching run (all, or the chosen ones).

    A pair is skipped when one of them is already in an open introduction, cannot be called
    (unverified, opted out) or the pair already has an introduction.
    """
    from buurtkit.core.scoping import get_scoped
    from buurtkit.neighbours.models import MatchRun, ProposedPair

    actor.require("neighbours.manage")
    run = get_scoped(MatchRun, actor.community, pk=run_id)
    # One start at a time per community: two clicks (or two runs) never put one person in two
    # introductions (the lock is on the community row only, `of=self`).
    Community.objects.select_for_update(of=("self",)).filter(pk=actor.community.pk).first()
    pairs = ProposedPair.objects.in_community(actor.community).filter(run=run, match__isnull=True)
    if pair_ids is not None:
        pairs = pairs.filter(pk__in=pair_ids)
    busy = set(
        Match.objects.in_community(actor.community)
        .exclude(state__in=INTRO_CLOSED)
        .values_list("participant_a_id", "participant_b_id")
    )
    taken = {pid for pair in busy for pid in pair}
    now = clock.now()
    made: list[Match] = []
    people = {
        p.pk: p
        for p in Participant.objects.in_community(actor.community)
        .filter(
            pk__in={x for pair in pairs for x in (pair.participant_a_id, pair.participant_b_id)}
        )
        .select_related("person")
    }
    for pair in pairs.order_by("-score", "id"):
        a, b = people.get(pair.participant_a_id), people.get(pair.participant_b_id)
        if a is None or b is None or a.pk in taken or b.pk in taken:
            continue
        if not (callable_participant(a) and callable_participant(b)):
            continue
        match = Match.objects.create(
            community=actor.community,
            proposed_pair=pair,
            participant_a=a,
            participant_b=b,
            state=IntroState.PROPOSED,
            next_call_at=next_window_start(windows_of(a), now),
            created_at=now,
            state_changed_at=now,
            actor_label=actor.label[:150],
        )
        _history(match, Outcome.PROPOSED)
        taken.update({a.pk, b.pk})
        made.append(match)
    audit_record(
        actor=actor,
        verb="neighbours.introductions_started",
        obj=run,
        data={"matches": [m.pk for m in made]},
    )
    if made:
        _tick_soon()
    return made


def cancel(*, actor: Actor, match_id: int) -> Match:
    from buurtkit.core.scoping import get_scoped

    actor.require("neighbours.manage")
    match = get_scoped(Match, actor.community, for_update=True, pk=match_id)
    if match.state not in INTRO_CLOSED:
        waiting = match.state == IntroState.CONNECTING
        _move(match, IntroState.CANCELLED, outcome="cancelled")
        if waiting:
            _redirect_waiting(match, step="n-stopped")
        audit_record(actor=actor, verb="neighbours.introduction_cancelled", obj=match)
    return match


def _tick_soon() -> None:
    enqueue_after_commit("buurtkit.neighbours.tasks.introductions_tick")  # by path: no circle


# --- the scheduler -------------------------------------------------------------------------


def tick(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Place the calls that are due (inside windows); return how many calls were placed.

    First it looks after introductions whose last call was lost: over but never reported (a
    status callback that did not arrive), or never over after :data:`STUCK_AFTER`.
    """
    now = now or clock.now()
    _sweep(now, limit)
    due = list(
        Match.objects.filter(state__in=DUE_STATES, next_call_at__lte=now)
        .order_by("next_call_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    placed = 0
    for match_id in due:
        placed += _advance(match_id, now)
    return placed


@transaction.atomic
def _advance(match_id: int, now: dt.datetime) -> int:
    # SKIP LOCKED: two schedulers never wait for each other; `of=self` locks only this row.
    skip = connection_supports_skip_locked()
    match = (
        Match.objects.select_for_update(skip_locked=skip, of=("self",)).filter(pk=match_id).first()
    )
    if match is None or match.next_call_at is None or match.next_call_at > now:
        return 0
    if match.state == IntroState.APPOINTMENT:
        flow = callflows.INFORM if match.last_outcome == "appointment" else callflows.FOLLOWUP
        who, calling = (
            "a",
            (IntroState.APPOINTMENT if flow == callflows.INFORM else IntroState.FOLLOW_UP),
        )
    elif match.state in STEP_CALLS:
        flow, who, calling = STEP_CALLS[match.state]
    else:
        return 0
    a, b = (
        Participant.objects.select_related("person").get(pk=pk)
        for pk in (match.participant_a_id, match.participant_b_id)
    )
    if match.state not in FOLLOW_UP_STATES and not (
        callable_participant(a) and callable_participant(b)
    ):
        # Either of them opted out, changed number or left: the introduction stops.
        _move(match, IntroState.CANCELLED, outcome="not_callable")
        return 0
    callee = a if who == "a" else b
    if not callable_participant(callee):
        _move(match, IntroState.CANCELLED, outcome="not_callable")
        return 0
    windows = windows_of(callee)
    if not in_window(windows, now):
        match.next_call_at = next_window_start(windows, now)
        match.save(update_fields=["next_call_at"])
        return 0
    call = _place(match, callee, flow)
    match.current_call = call
    match.attempts_total += 1
    match.next_call_at = None
    if calling != match.state:
        _move(match, calling)
    else:
        match.save()
    return 1


#: A call still not over after this long is taken as lost (Twilio ends calls after 4 hours;
#: Buurbel's calls last minutes).
STUCK_AFTER = dt.timedelta(hours=2)


def _sweep(now: dt.datetime, limit: int) -> None:
    waiting = (
        Match.objects.exclude(state__in=INTRO_CLOSED)
        .filter(next_call_at__isnull=True, current_call__isnull=False)
        .filter(
            Q(current_call__status_rank__gte=FINAL_RANK)
            | Q(current_call__created_at__lt=now - STUCK_AFTER)
        )
        .values_list("pk", flat=True)[:limit]
    )
    for match_id in list(waiting):
        _recover(match_id, now)


@transaction.atomic
def _recover(match_id: int, now: dt.datetime) -> None:
    skip = connection_supports_skip_locked()
    match = (
        Match.objects.select_for_update(skip_locked=skip, of=("self",))
        .filter(pk=match_id, next_call_at__isnull=True)
        .first()
    )
    if match is None or match.state in INTRO_CLOSED or match.current_call_id is None:
        return
    call = Call.objects.select_for_update().get(pk=match.current_call_id)
    if not call.is_final:
        telephony.call_give_up(call=call, reason="no final status after 2 hours")
    if match.state in (IntroState.CONNECTING, IntroState.CONNECTED):
        # The room is long over: what the people said is known, the rest is the follow-up.
        if match.state == IntroState.CONNECTING:
            _appointment(match, call, tell_a=True)
        else:
            match.next_call_at = match.next_call_at or now + FOLLOW_UP_AFTER
            match.save(update_fields=["next_call_at"])
        return
    ended(call)
    match.refresh_from_db()
    if match.state not in INTRO_CLOSED and match.next_call_at is None:
        # the call's owner step had already been decided: go on with the next one
        match.next_call_at = now
        match.save(update_fields=["next_call_at"])


def connection_supports_skip_locked() -> bool:
    from django.db import connection

    return bool(connection.features.has_select_for_update_skip_locked)


def _place(match: Match, callee: Participant, flow: str) -> Call:
    return telephony.call_create(
        actor=_system(match.community),
        to_number=callee.person.phone,
        purpose=flow,
        subject_type=SUBJECT,
        subject_id=match.pk,
        language=callee.language,
        # Only where the community switched it on (off by default: a silence before the call).
        machine_detection=flow != callflows.CONNECT
        and selectors.call_settings(match.community_id).machine_detection,
    )


def _retry(match: Match, outcome: str, call: Call | None) -> None:
    """A call of this step found nobody (or nobody answered the menu): try later, or stop."""
    _history(match, outcome, call=call)
    match.attempts += 1
    match.last_outcome = outcome
    if match.attempts >= MAX_ATTEMPTS:
        if match.state in FOLLOW_UP_STATES:
            # They were introduced; only the follow-up found nobody: completed, met unknown.
            _history(match, Outcome.COMPLETED, call=call)
            _move(match, IntroState.COMPLETED, outcome="no_follow_up", call=call)
            return
        _history(match, Outcome.GAVE_UP, call=call)
        _move(match, IntroState.GAVE_UP, outcome=Outcome.GAVE_UP, call=call)
        return
    callee = match.participant_b if match.state == IntroState.CALLING_B else match.participant_a
    wait = BACKOFF[min(match.attempts - 1, len(BACKOFF) - 1)]
    match.next_call_at = next_window_start(windows_of(callee), clock.now() + wait)
    match.save()


# --- the calls' owner: context, outcomes, ends, conference ---------------------------------


def _match_of(call: Call, *, lock: bool = True) -> Match | None:
    if call.subject_type != SUBJECT or call.subject_id is None:
        return None
    qs = Match.objects.select_for_update() if lock else Match.objects.all()
    return qs.filter(pk=call.subject_id, community_id=call.community_id).first()


def _roles(call: Call, match: Match) -> tuple[Participant, Participant]:
    """(the person called, the neighbour) for this call."""
    if call.purpose == callflows.SECOND:
        return match.participant_b, match.participant_a
    return match.participant_a, match.participant_b


def context(call: Call) -> dict[str, str]:
    values = {
        "city": call.community.name,
        "name": "",
        "partner": "",
        "partner_area": "",
        "activity": "",
    }
    if call.subject_type == SUBJECT_PARTICIPANT and call.subject_id:
        participant = (
            Participant.objects.filter(pk=call.subject_id, community_id=call.community_id)
            .select_related("person")
            .first()
        )
        if participant is not None:
            values["name"] = participant.person.first_name
        return values
    match = _match_of(call, lock=False)
    if match is None:
        return values
    me, partner = _roles(call, match)
    values.update(
        name=me.person.first_name,
        partner=partner.person.first_name,
        partner_area=partner.neighbourhood or call.community.name,
        activity=callflows.activity_text(me, partner, call.language),
    )
    return values


def announcements(call: Call) -> list[Verb]:
    """This week's announcements for the caller's neighbourhood, recorded or read out."""
    neighbourhood = ""
    match = _match_of(call, lock=False)
    if match is not None:
        neighbourhood = _roles(call, match)[0].neighbourhood
    elif call.subject_type == SUBJECT_PARTICIPANT and call.subject_id:
        participant = Participant.objects.filter(pk=call.subject_id).first()
        neighbourhood = participant.neighbourhood if participant else ""
    prompts = selectors.announcements_current(
        community_id=call.community_id,
        neighbourhood=neighbourhood,
        on=clock.now().astimezone(TZ).date(),
        outbound=call.direction == "out",
        language=call.language,
    )
    verbs: list[Verb] = []
    for prompt in prompts:
        if prompt.recording_url:
            verbs.append(Play(prompt.recording_url))
        elif prompt.text:
            verbs.append(Say(prompt.text, prompt.language or call.language))
    if not verbs and call.direction == "in":
        verbs.append(Say(_("There are no announcements this week."), call.language))
    return verbs


def recording_url(call: Call, recording_id: int) -> str:
    """Only the call's own community's recordings are played (a flow cannot borrow one)."""
    recording = Recording.objects.filter(pk=recording_id, community_id=call.community_id).first()
    return telephony_selectors.recording_url(recording) if recording is not None else ""


def outcome(call: Call, name: str) -> list[Verb]:
    """A node of the call's flow reached ``name``: move the pair on, at once."""
    if call.purpose == callflows.INBOUND:
        return _inbound_outcome(call, name)
    match = _match_of(call)
    if match is None:
        return []
    me, partner = _roles(call, match)
    if name == flowdata.OPTED_OUT:
        _opt_out(me, call)
        return []
    if name in (flowdata.NO_INPUT, "voicemail"):
        return []  # the call's end decides (retry later)
    flow = call.purpose
    if flow == callflows.FIRST and match.state == IntroState.CALLING_A:
        if name == "agreed":
            _history(match, Outcome.AGREED, call=call)
            _move(match, IntroState.A_AGREED, outcome="agreed", call=call)
            match.next_call_at = next_window_start(windows_of(partner), clock.now())
            match.save(update_fields=["next_call_at"])
            _tick_soon()
        elif name == "declined":
            _decline(match, me, call)
    elif flow == callflows.SECOND and match.state in (IntroState.CALLING_B, IntroState.CONNECTING):
        if name == "agreed" and match.state == IntroState.CALLING_B:
            _history(match, Outcome.AGREED, call=call)
            match.conference = f"buurbel-{match.community_id}-{match.pk}"
            _move(match, IntroState.CONNECTING, outcome="agreed", call=call)
            return [Conference(match.conference, after="after-conference", wait="wait")]
        if name == "declined":
            _decline(match, me, call)
        if name == "appointment":
            _appointment(match, call, tell_a=match.last_outcome != "appointment_told")
    elif flow == callflows.CONNECT and name == "joined" and match.state != IntroState.CONNECTING:
        # B left (or the introduction stopped) while A's phone rang: A hears why.
        return [Redirect("n-stopped" if match.state in INTRO_CLOSED else "n-partner_gone")]
    elif flow == callflows.CONNECT and match.state == IntroState.CONNECTING:
        if name == "joined":
            _history(match, Outcome.CONNECTED, call=call)
            _move(match, IntroState.CONNECTED, outcome="connected", call=call)
            match.next_call_at = clock.now() + FOLLOW_UP_AFTER
            match.save(update_fields=["next_call_at"])
            return [Conference(match.conference, after="after-conference", wait="wait")]
        if name == "appointment":
            # A heard the meeting place; B, waiting in the room, hears it too.
            match.last_outcome = "appointment_told"
            match.save(update_fields=["last_outcome"])
            _redirect_waiting(match)
    elif flow == callflows.INFORM and match.state == IntroState.APPOINTMENT:
        if name == "confirmed":
            match.last_outcome = "informed"
            match.next_call_at = clock.now() + FOLLOW_UP_AFTER
            match.save(update_fields=["last_outcome", "next_call_at"])
        elif name == "declined":
            _decline(match, me, call)
    elif flow == callflows.FOLLOWUP and match.state == IntroState.FOLLOW_UP:
        if name in ("met", "not_met"):
            match.met = name == "met"
            match.save(update_fields=["met"])
            _history(match, Outcome.MET if match.met else Outcome.NOT_MET, call=call)
        elif name in ("again_yes", "again_no"):
            match.again = name == "again_yes"
            match.save(update_fields=["again"])
            _history(match, Outcome.COMPLETED, call=call)
            _move(match, IntroState.COMPLETED, outcome=name, call=call)
    return []


def _decline(match: Match, by: Participant, call: Call) -> None:
    _history(match, Outcome.DECLINED, call=call, by=by.pk)
    _move(match, IntroState.DECLINED, outcome="declined", call=call)


def _appointment(match: Match, call: Call, *, tell_a: bool) -> None:
    _history(match, Outcome.APPOINTMENT, call=call)
    match.meeting_note = flowdata.Engine(
        call, telephony.flow_for_call(call, call.purpose), OWNER
    ).context["meeting"][:200]
    _move(match, IntroState.APPOINTMENT, outcome="appointment" if tell_a else "informed", call=call)
    match.next_call_at = clock.now() if tell_a else clock.now() + FOLLOW_UP_AFTER
    match.save(update_fields=["next_call_at"])
    if tell_a:
        _tick_soon()


def _redirect_waiting(match: Match, step: str = "n-partner_gone") -> None:
    """Take B out of the conference room: B hears the appointment (or ``step``) instead."""
    waiting = (
        Call.objects.filter(subject_type=SUBJECT, subject_id=match.pk, purpose=callflows.SECOND)
        .order_by("-id")
        .first()
    )
    if waiting is not None:
        telephony.call_redirect(call_id=waiting.pk, step=step)


def _opt_out(participant: Participant, call: Call) -> None:
    """The opt-out key: at once, and every open introduction of theirs stops."""
    if participant.opted_out_at is None:
        participant.opted_out_at = clock.now()
        participant.save(update_fields=["opted_out_at", "updated_at"])
        audit_record(
            actor=_system(participant.community),
            verb="neighbours.opted_out",
            obj=participant,
            data={"call": call.pk, "channel": "phone"},
        )
    stop_open_introductions(participant, outcome=Outcome.OPTED_OUT, call=call)


def stop_open_introductions(
    participant: Participant, *, outcome: str, call: Call | None = None
) -> int:
    """Stop every open introduction of ``participant`` (opted out, number changed, left).

    A neighbour waiting in a conference room for them hears that it cannot go on.
    """
    stopped = 0
    for match in (
        Match.objects.select_for_update()
        .filter(Q(participant_a=participant) | Q(participant_b=participant))
        .exclude(state__in=INTRO_CLOSED)
    ):
        waiting = match.state == IntroState.CONNECTING
        _history(match, outcome, call=call, by=participant.pk)
        _move(match, IntroState.CANCELLED, outcome=outcome, call=call)
        if waiting:
            _redirect_waiting(match, step="n-stopped")
        stopped += 1
    return stopped


def ended(call: Call) -> None:
    """A call is over. Without a decisive answer, the step is tried again later."""
    if call.purpose == callflows.INBOUND:
        return
    match = _match_of(call)
    if match is None or match.state in INTRO_CLOSED:
        return
    outcomes = set((call.flow_state or {}).get("outcomes", []))
    if call.purpose == callflows.CONNECT:
        if match.state == IntroState.CONNECTING:
            # A did not pick up (or hung up): B, still waiting, gets the appointment.
            _redirect_waiting(match)
        return
    if call.purpose == callflows.SECOND and match.state != IntroState.CALLING_B:
        return  # B agreed: what happens next is decided by the conference and A's call
    if call.purpose == callflows.FOLLOWUP and outcomes & {"met", "not_met"}:
        if match.state == IntroState.FOLLOW_UP:  # hung up before the second question
            _history(match, Outcome.COMPLETED, call=call)
            _move(match, IntroState.COMPLETED, outcome="completed", call=call)
        return
    if outcomes & DECISIVE or match.current_call_id != call.pk:
        return
    if call.answered_by == "machine" or "voicemail" in outcomes:
        reason = Outcome.VOICEMAIL
    elif flowdata.NO_INPUT in outcomes or call.answered_at:
        reason = Outcome.NO_INPUT
    else:
        reason = Outcome.NO_ANSWER
    if match.state == IntroState.APPOINTMENT:
        # Telling A about the appointment failed: try again, then go on to the follow-up.
        match.attempts += 1
        if match.attempts >= MAX_ATTEMPTS:
            match.last_outcome = "informed"
            match.next_call_at = clock.now() + FOLLOW_UP_AFTER
        else:
            wait = BACKOFF[match.attempts - 1]
            match.next_call_at = next_window_start(
                windows_of(match.participant_a), clock.now() + wait
            )
        match.save()
        return
    _retry(match, reason, call)


def conference(call: Call, event: str) -> None:
    """B joined the room: call A back now (inside A's window), else B hears the appointment.

    B left the room before A came: both said yes, so the appointment is made and A is told.
    """
    if call.purpose != callflows.SECOND:
        return
    match = _match_of(call)
    if match is None or match.state != IntroState.CONNECTING:
        return
    if event == "leave":
        _appointment(match, call, tell_a=True)
        return
    if event != "join":
        return
    a = match.participant_a
    if not callable_participant(a):
        stop_open_introductions(a, outcome="not_callable", call=call)
        return
    if not in_window(windows_of(a), clock.now()):
        _redirect_waiting(match)
        return
    match.current_call = _place(match, a, callflows.CONNECT)
    match.attempts_total += 1
    match.save()


def flow_handler(call: Call, step: str, digits: str, answered_by: str) -> list[Verb]:
    definition = telephony.flow_for_call(call, call.purpose)
    return flowdata.answer(call, step, digits, answered_by, definition=definition, owner=OWNER)


def _start_node(call: Call) -> str:
    if call.purpose == callflows.INBOUND and call.subject_type != SUBJECT_PARTICIPANT:
        return "welcome_unknown"
    return ""


OWNER = flowdata.FlowOwner(
    context=context,
    outcome=outcome,
    announcements=announcements,
    recording_url=recording_url,
    start=_start_node,
)


# --- the inbound line ----------------------------------------------------------------------


def _line_community(to_number: str) -> Community | bool | None:
    """The community whose Buurbel number was dialled; False: lines are set up and this is
    none of them; None: no lines set up (one community, or caller id decides)."""
    lines = settings.BUURBEL_LINES
    if not lines:
        return None
    slug = lines.get(to_number)
    if slug is None:
        return False
    return Community.objects.filter(slug=slug).first() or False


def inbound_participant(from_number: str, to_number: str) -> InboundMatch | None:
    """A participant calling, recognised by caller id in the community whose line was dialled
    (``BUURBEL_LINES``; without them, only when the number is known in one community)."""
    line = _line_community(to_number)
    if line is False:
        return None
    found = Participant.objects.filter(person__phone=from_number).select_related(
        "community", "person"
    )
    if isinstance(line, Community):
        found = found.filter(community=line)
    candidates = list(found.order_by("-id")[:2])
    if len({p.community_id for p in candidates}) != 1:
        return None  # unknown, or known in several communities and no line says which
    participant = candidates[0]
    return InboundMatch(
        community=participant.community,
        purpose=callflows.INBOUND,
        subject_type=SUBJECT_PARTICIPANT,
        subject_id=participant.pk,
        language=participant.language,
    )


def inbound_unknown(from_number: str, to_number: str) -> InboundMatch | None:
    """Anyone else: the community of the dialled line, or the only community there is."""
    line = _line_community(to_number)
    if isinstance(line, Community):
        return InboundMatch(community=line, purpose=callflows.INBOUND)
    if line is False:
        return None
    communities = list(Community.objects.order_by("id")[:2])
    if len(communities) == 1:
        return InboundMatch(community=communities[0], purpose=callflows.INBOUND)
    return None


def office_open(at: dt.datetime) -> bool:
    return in_window(settings.BUURBEL_OFFICE_HOURS, at)


def _inbound_outcome(call: Call, name: str) -> list[Verb]:
    if name == "wants_intro" and call.subject_type == SUBJECT_PARTICIPANT and call.subject_id:
        participant = Participant.objects.select_for_update().filter(pk=call.subject_id).first()
        if participant is not None:
            participant.wants_intro_at = clock.now()
            participant.save(update_fields=["wants_intro_at", "updated_at"])
            audit_record(
                actor=_system(call.community),
                verb="neighbours.wants_intro",
                obj=participant,
                data={"call": call.pk},
            )
    if name == flowdata.OPTED_OUT and call.subject_type == SUBJECT_PARTICIPANT:
        participant = Participant.objects.select_for_update().filter(pk=call.subject_id).first()
        if participant is not None:
            _opt_out(participant, call)
    if name == "staff":
        number = settings.BUURBEL_OFFICE_NUMBER
        if number and office_open(clock.now()):
            return [
                Say(_("One moment, we are putting you through."), call.language),
                Transfer(number),
            ]
        call.flow_state["callback"] = True
        _ask_callback(call, "talk_to_person")
        return [
            Say(
                _("Our office is closed now. We will call you back on a working day. Goodbye."),
                call.language,
            ),
            Hangup(),
        ]
    if name == "register_request":
        call.flow_state["callback"] = True
        _ask_callback(call, "callback")
    return []


def _ask_callback(call: Call, reason: str) -> None:
    """Tell whoever takes callback requests in (the helpdesk queue, through telephony's
    registry: Buurbel knows nothing about it)."""
    person_id = None
    if call.subject_type == SUBJECT_PARTICIPANT and call.subject_id:
        person_id = (
            Participant.objects.filter(pk=call.subject_id)
            .values_list("person_id", flat=True)
            .first()
        )
    callback_requested(CallbackRequest(call=call, reason=reason, person_id=person_id))


def register() -> None:
    callflows.register()
    for key in (*callflows.OUTBOUND, callflows.INBOUND):
        register_flow(key, flow_handler)
        register_call_hooks(key, CallHooks(ended=ended, conference=conference))
    register_inbound(inbound_participant)
    register_inbound(inbound_unknown, fallback=True)
