"""Reads of the activities module: the programme, one session, who signed up, the queue."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from buurtkit.activities import rules
from buurtkit.activities.models import (
    ActivityKind,
    ActivitySettings,
    Category,
    Registration,
    RegistrationState,
    Series,
    Session,
)
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.people.models import Person

BRUSSELS = ZoneInfo("Europe/Brussels")
_ONE_DAY = timedelta(days=1)


def categories(*, actor: Actor) -> QuerySet[Category]:
    actor.require("activities.view")
    return Category.objects.in_community(actor.community).filter(active=True)


def series_search(
    *, actor: Actor, q: str = "", kind: str = "", category_id: int | None = None
) -> QuerySet[Series]:
    actor.require("activities.view")
    require_choice("kind", kind, ActivityKind.values)
    qs = Series.objects.in_community(actor.community)
    term = q.strip()
    if term:
        # Titles are stored per language; a search in the JSON text finds any language.
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
    if kind:
        qs = qs.filter(kind=kind)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return qs.order_by("-created_at", "-pk")


def series_get(*, actor: Actor, series_id: int) -> Series:
    actor.require("activities.view")
    return get_scoped(Series, actor.community, pk=series_id)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BRUSSELS)


def sessions_search(
    *,
    actor: Actor,
    start: date | None = None,
    end: date | None = None,
    kind: str = "",
    place_id: int | None = None,
    series_id: int | None = None,
) -> QuerySet[Session]:
    """Sessions from ``start`` up to and including ``end`` (Brussels days), by kind and place."""
    actor.require("activities.view")
    require_choice("kind", kind, ActivityKind.values)
    qs = Session.objects.in_community(actor.community)
    if start:
        qs = qs.filter(starts_at__gte=_day_start(start))
    if end:
        qs = qs.filter(starts_at__lt=_day_start(end) + _ONE_DAY)
    if kind:
        qs = qs.filter(series__kind=kind)
    if place_id:
        qs = qs.filter(place_id=place_id)
    if series_id:
        qs = qs.filter(series_id=series_id)
    return qs.select_related("series", "place").order_by("starts_at", "pk")


def session_get(*, actor: Actor, session_id: int) -> Session:
    actor.require("activities.view")
    return get_scoped(Session, actor.community, pk=session_id)


def session_registrations(
    *, actor: Actor, session_id: int, state: str = ""
) -> QuerySet[Registration]:
    """Who signed up for a session (waiting list in its order at the end)."""
    session = session_get(actor=actor, session_id=session_id)
    require_choice("state", state, RegistrationState.values)
    qs = Registration.objects.filter(session=session).select_related("person")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("registered_at", "pk")


def waiting_list(session: Session) -> QuerySet[Registration]:
    """The people waiting for a seat in ``session``, first come first served."""
    return Registration.objects.filter(session=session, state=rules.WAITING).order_by(
        "waiting_since", "pk"
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.state != rules.WAITING or registration.waiting_since is None:
        return None
    waiting = Registration.objects.filter(session_id=registration.session_id, state=rules.WAITING)
    ahead = waiting.filter(
        Q(waiting_since__lt=registration.waiting_since)
        | Q(waiting_since=registration.waiting_since, pk__lt=registration.pk)
    ).count()
    return ahead + 1


def seats_held(session: Session) -> int:
    """The seats held according to the registrations (``seats_taken`` must always equal it)."""
    return Registration.objects.filter(session=session, state__in=rules.HOLDS_SEAT).count()


def sessions_upcoming(community: Community) -> QuerySet[Session]:
    return (
        Session.objects.in_community(community)
        .filter(cancelled_at__isnull=True, starts_at__gt=clock.now(), series__published=True)
        .select_related("series", "place")
        .order_by("starts_at", "pk")
    )


# --- the public programme ------------------------------------------------------------------


def programme(
    *,
    community: Community,
    kind: str = "",
    category_id: int | None = None,
    place_id: int | None = None,
) -> QuerySet[Session]:
    """Sessions still to come of published activities, soonest first (no login needed)."""
    qs = sessions_upcoming(community).annotate(seats_left=F("capacity") - F("seats_taken"))
    if kind:
        qs = qs.filter(series__kind=kind)
    if category_id:
        qs = qs.filter(series__category_id=category_id)
    if place_id:
        qs = qs.filter(place_id=place_id)
    return qs


def programme_categories(*, community: Community) -> QuerySet[Category]:
    return Category.objects.in_community(community).filter(active=True)


def programme_places(*, community: Community) -> list[Any]:
    """The places that have sessions to come (to filter the programme by)."""
    from buurtkit.places.models import Place

    return list(
        Place.objects.in_community(community).filter(has_sessions_to_come()).order_by("name")
    )


def has_sessions_to_come() -> Exists:
    """A filter on places: one published session to come is there. One index probe per place
    (places are few), not a scan of every session to come."""
    return Exists(
        Session.objects.filter(
            place_id=OuterRef("pk"),
            cancelled_at__isnull=True,
            starts_at__gt=clock.now(),
            series__published=True,
        )
    )


def public_session(*, community: Community, session_id: int) -> Session:
    """A session of a published activity (an unpublished one is not found)."""
    session = (
        Session.objects.in_community(community)
        .select_related("series", "place")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return get_scoped(Session, community, pk=0)  # raises NotFound, worded as everywhere
    if not session.series.published:
        raise NotFound()
    return session


def registration_by_link(
    *, community: Community, registration_id: int, token: str
) -> Registration | None:
    """The registration a cancel link points at, if the link's secret is right."""
    import hmac

    found = (
        Registration.objects.in_community(community)
        .filter(pk=registration_id)
        .select_related("session__series", "session__place")
        .first()
    )
    if found is None or not hmac.compare_digest(found.cancel_token_hash, rules.token_hash(token)):
        return None
    return found


# --- staff pages ----------------------------------------------------------------------------


def sessions_week(*, actor: Actor, day: date) -> QuerySet[Session]:
    """The sessions of the (Monday to Sunday) week around ``day``, with their fill."""
    monday = day - timedelta(days=day.weekday())
    return sessions_search(actor=actor, start=monday, end=monday + timedelta(days=6))


def attendance_rows(*, actor: Actor, session_id: int, q: str = "") -> QuerySet[Registration]:
    """Who is expected at a session or came (by name, for the check-in tablet)."""
    session = session_get(actor=actor, session_id=session_id)
    qs = (
        Registration.objects.filter(
            session=session, state__in=[*rules.EXPECTED, rules.ATTENDED, rules.NO_SHOW]
        )
        .select_related("person", "referred_by")
        .order_by("person__first_name", "person__last_name", "pk")
    )
    term = q.strip()
    if term:
        qs = qs.filter(Q(person__first_name__icontains=term) | Q(person__last_name__icontains=term))
    return qs


def registration_by_offer_link(
    *, community: Community, registration_id: int, token: str
) -> Registration | None:
    """The registration an offer's link points at, if the link's secret is right."""
    import hmac

    found = (
        Registration.objects.in_community(community)
        .filter(pk=registration_id)
        .exclude(offer_token_hash="")
        .select_related("session__series", "session__place")
        .first()
    )
    if found is None or not hmac.compare_digest(found.offer_token_hash, rules.token_hash(token)):
        return None
    return found


# --- act-ops (issue 13): sign-up on someone's behalf, partner referrals ---------------------


def people_for_sign_up(*, actor: Actor, q: str) -> list[Person]:
    """People to sign up by phone or at the desk, found by name or number (staff and
    digipunt volunteers: ``activities.view`` and ``activities.register``); at most 20."""
    actor.require("activities.view")
    actor.require("activities.register")
    term = " ".join(q.split())[:100]
    if len(term) < 2:
        return []
    cond = Q(first_name__icontains=term) | Q(last_name__icontains=term)
    parts = term.split()
    if len(parts) >= 2:
        cond |= Q(first_name__icontains=parts[0], last_name__icontains=" ".join(parts[1:]))
    digits = "".join(ch for ch in term if ch.isdigit())
    if len(digits) >= 4:
        cond |= Q(phone__contains=digits.lstrip("0"))
    return list(
        Person.objects.in_community(actor.community)
        .filter(cond, anonymised_at__isnull=True)
        .order_by("first_name", "last_name", "pk")[:20]
    )


def registration_get(*, actor: Actor, registration_id: int) -> Registration:
    """One sign-up: staff see any of the community; a partner only the people they referred."""
    registration = (
        Registration.objects.in_community(actor.community)
        .select_related("person", "session__series", "session__place", "referred_by")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise NotFound()
    if actor.has("activities.view"):
        return registration
    if actor.has("activities.register") and registration.referred_by_id in actor.organisation_ids:
        return registration
    raise NotFound()


def referrals_list(*, actor: Actor) -> QuerySet[Registration]:
    """Partner referrals, newest first: staff (``activities.view``) see every partner's; a
    partner only their own organisation's (never anyone else's sign-ups)."""
    actor.require("activities.register")
    qs = Registration.objects.in_community(actor.community).filter(channel="partner")
    if not actor.has("activities.view"):
        qs = qs.filter(referred_by_id__in=actor.organisation_ids)
    return qs.select_related("person", "session__series", "session__place", "referred_by").order_by(
        "-registered_at", "-pk"
    )


def sessions_open_for_sign_up(*, community: Community, days: int = 92) -> QuerySet[Session]:
    """Published sessions still to come (the next three months), soonest first."""
    now = clock.now()
    return (
        Session.objects.in_community(community)
        .filter(
            series__published=True,
            cancelled_at__isnull=True,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
        )
        .select_related("series", "place")
        .order_by("starts_at", "pk")
    )


def activity_settings(*, actor: Actor) -> ActivitySettings:
    """The community's activity settings (the defaults when never saved)."""
    actor.require("activities.view")
    found = ActivitySettings.objects.in_community(actor.community).first()
    return found or ActivitySettings(community=actor.community)


# --- evaluations and the self-assessment (act-eval) -----------------------------------------


def evaluations_of_series(*, actor: Actor, series_id: int) -> QuerySet[Any]:
    from buurtkit.activities.models import Evaluation

    series = series_get(actor=actor, series_id=series_id)
    return Evaluation.objects.filter(series=series).order_by("-created_at", "-pk")


def evaluation_summary(*, actor: Actor, series_id: int) -> dict[str, Any]:
    """What the participants of an activity thought of it, as counts and averages (no names):
    the faces, the free texts (without who wrote them), and the self-assessment before and
    after per statement."""
    from buurtkit.activities.models import EvaluationMoment
    from buurtkit.activities.questions import FACES, STATEMENTS

    rows = list(
        evaluations_of_series(actor=actor, series_id=series_id).values(
            "moment", "channel", "satisfaction", "learned", "suggestion", "self_assessment"
        )
    )
    after = [r for r in rows if r["moment"] == EvaluationMoment.AFTER]
    scores = [r["satisfaction"] for r in after if r["satisfaction"]]
    faces = [
        {"value": v, "face": face, "label": label, "count": scores.count(v)}
        for v, (face, label) in FACES.items()
    ]
    channels: dict[str, int] = {}
    for r in after:
        channels[r["channel"]] = channels.get(r["channel"], 0) + 1

    def averages(moment: str) -> dict[str, tuple[int, float | None]]:
        given = [
            (r["self_assessment"] or {}).get("answers", {}) for r in rows if r["moment"] == moment
        ]
        out: dict[str, tuple[int, float | None]] = {}
        for key in STATEMENTS:
            values = [a[key] for a in given if isinstance(a.get(key), int)]
            out[key] = (len(values), round(sum(values) / len(values), 1) if values else None)
        return out

    before_avg, after_avg = averages(EvaluationMoment.BEFORE), averages(EvaluationMoment.AFTER)
    return {
        "count": len(after),
        "average": round(sum(scores) / len(scores), 1) if scores else None,
        "faces": faces,
        "channels": channels,
        "learned": [r["learned"] for r in after if r["learned"]],
        "suggestions": [r["suggestion"] for r in after if r["suggestion"]],
        "statements": [
            {
                "key": key,
                "text": text,
                "before_n": before_avg[key][0],
                "before": before_avg[key][1],
                "after_n": after_avg[key][0],
                "after": after_avg[key][1],
            }
            for key, text in STATEMENTS.items()
        ],
    }


def self_assessments_of_session(*, actor: Actor, session_id: int) -> list[dict[str, Any]]:
    """The participants of a session with their self-assessment before the course and after
    it side by side (the six statements, 1–4), for the staff page where a paper "before" is
    typed in. A person answers once per activity and moment, on any session's sign-up."""
    from buurtkit.activities.models import Evaluation
    from buurtkit.activities.questions import STATEMENTS

    session = session_get(actor=actor, session_id=session_id)
    rows = list(
        attendance_rows(actor=actor, session_id=session.pk).filter(
            state__in=[rules.REGISTERED, rules.CONFIRMED, rules.ATTENDED, rules.NO_SHOW]
        )
    )
    given: dict[tuple[int, str], dict[str, int]] = {}
    for person_id, moment, assessment in Evaluation.objects.filter(
        series_id=session.series_id, person_id__in=[r.person_id for r in rows]
    ).values_list("person_id", "moment", "self_assessment"):
        answers = (assessment or {}).get("answers") or {}
        if answers:
            given[(person_id, moment)] = answers
    out = []
    for r in rows:
        before = given.get((r.person_id, "before"))
        after = given.get((r.person_id, "after"))
        out.append(
            {
                "registration": r,
                "name": r.person.full_name,
                "before": before is not None,
                "after": after is not None,
                "cells": [((before or {}).get(key), (after or {}).get(key)) for key in STATEMENTS],
            }
        )
    return out
