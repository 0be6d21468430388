"""The demo neighbourhood's programme: two months of IT cafés, a course in each of the six
categories, an info session on essential online services, a repair café and an Open Lab at
the demo digipunten — some full with a waiting list, past sessions with their attendance."""

from __future__ import annotations

import random
from contextlib import suppress
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from buurtkit.activities import demo_volunteers, services
from buurtkit.activities.models import Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict
from buurtkit.people.models import Organisation, Person
from buurtkit.places.models import Place

BRUSSELS = ZoneInfo("Europe/Brussels")

COURSES = [
    ("information", "Informatie zoeken op internet", "Chercher sur internet", 0),
    ("communicating", "Mailen en videobellen met je familie", "E-mails et appels vidéo", 1),
    ("problem-solving", "Wat als je computer vastloopt?", "Quand l'ordinateur bloque", 2),
    ("software", "Brieven schrijven en bewaren", "Écrire et ranger ses lettres", 3),
    ("safety", "Veilig online: phishing herkennen", "En sécurité : reconnaître le phishing", 4),
    ("repair", "Je laptop zelf onderhouden", "Entretenir son ordinateur", 1),
]


def _at(day: Any, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS)


def _monday(now: datetime) -> Any:
    today = now.astimezone(BRUSSELS).date()
    return today - timedelta(days=today.weekday())


def load(community: Any) -> list[tuple[str, str, str]]:
    rng = random.Random(13)
    system = Actor.system(community, label="demo")
    categories = {c.key: c for c in services.categories_ensure_defaults(actor=system)}
    places = list(Place.objects.in_community(community).filter(status="open").order_by("pk"))
    if not places:
        return []
    residents = list(Person.objects.in_community(community).exclude(phone="").order_by("pk"))
    partner = Organisation.objects.in_community(community).filter(kind="training_partner").first()
    now = clock.now()
    monday = _monday(now)
    sessions: list[Session] = []

    # A weekly IT café on Tuesday afternoon, four weeks back and eight ahead.
    cafe = services.series_create(
        actor=system,
        kind="it_cafe",
        title={
            "nl": "IT-café: breng je vraag mee",
            "fr": "Café numérique : venez avec votre question",
            "en": "IT café: bring your question",
        },
        description={
            "nl": "Koffie, een computer en iemand die helpt. Zonder afspraak welkom, "
            "of schrijf je in om zeker een plaats te hebben."
        },
    )
    for week in range(-4, 8):
        day = monday + timedelta(weeks=week, days=1)
        sessions.append(
            services.session_add(
                actor=system,
                series_id=cafe.pk,
                place_id=places[0].pk,
                starts_at=_at(day, 14),
                ends_at=_at(day, 16),
                capacity=20,
                buddies_needed=2,
            )
        )
    # A course of four weeks in each category, some finished, some running, some to come.
    for key, nl, fr, start_week in COURSES:
        course = services.series_create(
            actor=system,
            kind="course",
            title={"nl": nl, "fr": fr},
            category_id=categories[key].pk,
            level="long" if key in ("information", "safety") else "short",
            whole_series=True,
            self_assessment=True,
            partner_id=partner.pk if partner else None,
        )
        place = places[(start_week + 1) % len(places)]
        for week in range(4):
            day = monday + timedelta(weeks=start_week - 3 + week + 2, days=3)
            sessions.append(
                services.session_add(
                    actor=system,
                    series_id=course.pk,
                    place_id=place.pk,
                    starts_at=_at(day, 9),
                    ends_at=_at(day, 11),
                    capacity=10,
                    buddies_needed=1,
                )
            )
    for kind, title, capacity, week, hour in (
        (
            "essential",
            {"nl": "itsme en je bank-app", "fr": "itsme et l'app de la banque"},
            8,
            1,
            10,
        ),
        (
            "repair_cafe",
            {"nl": "Repair café: laptops en smartphones", "fr": "Repair café"},
            15,
            2,
            13,
        ),
        ("open_lab", {"nl": "Open Lab: 3D-printen", "fr": "Open Lab : impression 3D"}, 12, 3, 18),
    ):
        series = services.series_create(actor=system, kind=kind, title=title)
        day = monday + timedelta(weeks=week, days=5 if kind == "repair_cafe" else 2)
        sessions.append(
            services.session_add(
                actor=system,
                series_id=series.pk,
                place_id=places[-1].pk,
                starts_at=_at(day, hour),
                ends_at=_at(day, hour + 2),
                capacity=capacity,
            )
        )
    _sign_up_and_attend(system, sessions, residents, rng, now)
    _partner_referrals(system, sessions, residents, now)
    # The evaluations and self-assessments of the sessions that are over (act-eval).
    from buurtkit.activities import demo_evaluations

    demo_evaluations.load(community, rng, now, _sign_up_and_attend)
    # act-buddy (issue 13): twelve digibuddies with duties, and the volunteer login.
    return demo_volunteers.load(community, sessions=sessions, places=places)


def _partner_referrals(
    system: Actor, sessions: list[Session], residents: list[Person], now: datetime
) -> None:
    """act-ops (issue 13): the CAW (the device bank's demo partner, login ``caw``) referred a
    few people it helps to the coming IT cafés; they see them at /rabot/activities/referrals/."""
    caw = Organisation.objects.in_community(system.community).filter(slug="caw-gent").first()
    if caw is None:
        return
    coming = [s for s in sessions if s.series.kind == "it_cafe" and s.starts_at > now][:3]
    for session, person in zip(coming, residents[-3:], strict=False):
        with clock.frozen(min(now, session.starts_at - timedelta(days=3))), suppress(Conflict):
            services.registration_create(
                actor=system,
                session_id=session.pk,
                person_id=person.pk,
                channel="partner",
                referred_by_id=caw.pk,
            )


def _sign_up_and_attend(
    system: Actor,
    sessions: list[Session],
    residents: list[Person],
    rng: random.Random,
    now: datetime,
) -> None:
    """People sign up a week or so before each session (by web, phone or at the desk); the
    sessions that are over have their attendance. The info session is full with a waiting list."""
    done_series: set[int] = set()
    for session in sessions:
        series = session.series
        if series.whole_series and series.pk in done_series:
            continue  # a course's sign-up already took a seat in all its sessions
        done_series.add(series.pk)
        first = min(s.starts_at for s in sessions if s.series_id == series.pk)
        when = min(first - timedelta(days=rng.randint(2, 9)), now)
        wanted = (
            session.capacity + 3
            if series.kind == "essential"
            else rng.randint(session.capacity // 3, session.capacity - 1)
        )
        chosen = rng.sample(residents, min(wanted, len(residents)))
        with clock.frozen(when):
            for person in chosen:
                try:
                    services.registration_create(
                        actor=system,
                        session_id=session.pk,
                        person_id=person.pk,
                        channel=rng.choice(["web", "web", "phone", "desk"]),
                    )
                except Conflict:
                    continue
    # Attendance of the sessions that are over: most came, a few did not.
    from buurtkit.activities.models import Registration

    past = [s for s in sessions if s.ends_at < now]
    for session in past:
        for registration in Registration.objects.filter(
            session=session, state__in=["registered", "confirmed"]
        ).order_by("pk"):
            services.attendance_mark(
                actor=system,
                registration_id=registration.pk,
                session_id=session.pk,
                attended=rng.random() < 0.85,
            )
