"""The demo's evaluations: after the sessions that are over, what participants thought of
them (on paper, by the SMS link, on the tablet at the last session), and for the courses the
self-assessment before and after (people feel a little more able afterwards)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from buurtkit.activities import rules, services
from buurtkit.activities.models import Category, EvaluationMoment, Registration, Series, Session
from buurtkit.activities.questions import STATEMENTS
from buurtkit.activities.services.checkin import link_code
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.people.models import Person

BRUSSELS = ZoneInfo("Europe/Brussels")
SignUp = Callable[..., Any]

LEARNED = [
    "Hoe ik een foto doorstuur naar mijn kleinkinderen.",
    "Een valse sms herkennen.",
    "Inloggen met itsme.",
    "Mijn wachtwoorden beter kiezen.",
    "Bestanden terugvinden op mijn laptop.",
    "",
]
SUGGESTIONS = [
    "Wat trager uitleggen, graag.",
    "Meer tijd om zelf te oefenen.",
    "Een blad met de stappen om mee naar huis te nemen.",
    "",
    "",
]


def load(community: object, rng: random.Random, now: datetime, sign_up_and_attend: SignUp) -> None:
    """``sign_up_and_attend``: the demo programme's own (demo.py), for the finished course."""
    system = Actor.system(community, label="demo")  # type: ignore[arg-type]
    _finished_course(system, rng, now, sign_up_and_attend)
    for series in Series.objects.filter(community=community).order_by("pk"):
        sessions = list(Session.objects.filter(series=series).order_by("starts_at"))
        if not sessions:
            continue
        if series.self_assessment:
            _before(system, series, sessions[0], rng)
        if series.whole_series:
            last = sessions[-1]
            if last.ends_at < now:
                _after(system, series, [last], rng)
        else:
            _after(system, series, [s for s in sessions if s.ends_at < now], rng)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS)


def _finished_course(
    system: Actor, rng: random.Random, now: datetime, sign_up_and_attend: SignUp
) -> None:
    """A course that ended last week, so the demo shows a whole course's before and after."""
    from buurtkit.places.models import Place

    place = Place.objects.in_community(system.community).filter(status="open").order_by("pk")
    if not place.exists():
        return
    course = services.series_create(
        actor=system,
        kind="course",
        title={"nl": "Starten met je smartphone", "fr": "Débuter avec son smartphone"},
        level="long",
        category_id=Category.objects.in_community(system.community)
        .filter(key="communicating")
        .values_list("pk", flat=True)
        .first(),
        whole_series=True,
        self_assessment=True,
    )
    today = now.astimezone(BRUSSELS).date()
    monday = today - timedelta(days=today.weekday())
    sessions = []
    for week in range(-5, -1):
        day = monday + timedelta(weeks=week, days=0)
        with clock.frozen(_at(day, 9) - timedelta(days=30)):
            sessions.append(
                services.session_add(
                    actor=system,
                    series_id=course.pk,
                    place_id=place.first().pk,  # type: ignore[union-attr]
                    starts_at=_at(day, 9),
                    ends_at=_at(day, 11),
                    capacity=12,
                )
            )
    residents = list(Person.objects.in_community(system.community).exclude(phone="").order_by("pk"))
    sign_up_and_attend(system, sessions, residents, rng, now)


def _answers(rng: random.Random, low: int, high: int) -> dict[str, int]:
    return {key: rng.randint(low, high) for key in STATEMENTS}


def _before(system: Actor, series: Series, first: Session, rng: random.Random) -> None:
    """Most people answer the six questions before the course, from their "my sign-up" page."""
    for registration in Registration.objects.filter(session=first).exclude(
        state__in=[rules.CANCELLED, rules.WAITING, rules.OFFERED]
    ):
        if rng.random() < 0.7:
            with clock.frozen(first.starts_at - timedelta(days=rng.randint(1, 5))):
                services.evaluation_create(
                    actor=system,
                    series_id=series.pk,
                    channel="paper",
                    moment=EvaluationMoment.BEFORE,
                    registration_id=registration.pk,
                    answers=_answers(rng, 1, 3),
                )


def _after(system: Actor, series: Series, sessions: list[Session], rng: random.Random) -> None:
    for session in sessions:
        for registration in Registration.objects.filter(session=session, state=rules.ATTENDED):
            if rng.random() > 0.6:
                continue
            answers = _answers(rng, 2, 4) if series.self_assessment else None
            values = {
                "satisfaction": rng.choice([3, 4, 4, 5, 5, 5]),
                "learned": rng.choice(LEARNED),
                "suggestion": rng.choice(SUGGESTIONS),
                "answers": answers,
            }
            with clock.frozen(session.ends_at + timedelta(hours=rng.randint(0, 30))):
                try:
                    if rng.random() < 0.4:  # by the link in the SMS
                        services.evaluation_by_link(
                            community=system.community,
                            registration_id=registration.pk,
                            code=link_code(registration, "evaluate"),
                            **values,
                        )
                    else:  # the tablet at the session, or a paper form typed in
                        on_tablet = rng.random() < 0.5
                        services.evaluation_create(
                            actor=system,
                            series_id=series.pk,
                            channel="session" if on_tablet else "paper",
                            registration_id=None if on_tablet else registration.pk,
                            **values,
                        )
                except ServiceError:
                    continue
