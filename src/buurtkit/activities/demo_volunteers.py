"""The demo's digibuddies: twelve volunteers in the register (skills, languages, neighbourhoods,
availability, some doing home visits), a digibuddy training of six sessions that half of them
follow, duties at the IT cafés and courses and at the digipunten' drop-in mornings — with a few
gaps: a session short of digibuddies, a cancelled digipunt morning, a duty offered for a swap.

The volunteer login ``digibuddy`` is one of them: it sees its own schedule at
``/<community>/activities/duties/``.
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session, Volunteer
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.demo import DEMO_PASSWORD
from buurtkit.core.errors import Conflict
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place

BRUSSELS = ZoneInfo("Europe/Brussels")
LOGIN = "digibuddy"

# first name, last name, language, skills, languages, neighbourhood, home visits, days
BUDDIES: list[tuple[str, str, str, str, list[str], str, bool, str]] = [
    ("Rita", "Vermeulen", "nl", "smartphone, itsme, e-mail", ["nl"], "Rabot", True, "tue wed"),
    ("Karim", "El Amrani", "nl", "laptop, Word, printer", ["nl", "fr", "ar"], "Rabot", False, "tue thu"),
    ("Sofie", "De Smet", "nl", "tablet, videobellen", ["nl", "en"], "Brugse Poort", True, "mon tue"),
    ("Marc", "Claeys", "nl", "pc herstellen, back-up", ["nl"], "Rabot", False, "tue sat"),
    ("Fatma", "Yilmaz", "nl", "smartphone, bank-app, phishing", ["nl", "tr"], "Sluizeken", True, "wed thu"),
    ("Jean", "Dubois", "fr", "e-mail, tax-on-web", ["fr", "nl"], "Rabot", False, "tue fri"),
    ("Lien", "Maes", "nl", "Smartschool, e-mail", ["nl", "en"], "Brugse Poort", False, "mon wed"),
    ("Tom", "Willems", "nl", "laptop, 3D-printen", ["nl"], "Rabot", False, "wed sat"),
    ("Olena", "Kovalenko", "nl", "smartphone, itsme", ["uk", "ru", "en"], "Sluizeken", True, "tue thu"),
    ("Pieter", "Goossens", "nl", "mutualiteit, burgerprofiel", ["nl"], "Rabot", False, "mon fri"),
    ("Aïcha", "Benali", "fr", "smartphone, WhatsApp", ["fr", "ar", "nl"], "Brugse Poort", True, "thu fri"),
    ("Bart", "Janssens", "nl", "printer, scanner, pc", ["nl", "en"], "Rabot", False, "tue wed"),
]  # fmt: skip


def _at(day: Any, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS)


def load(
    community: Any, *, sessions: list[Session], places: list[Place]
) -> list[tuple[str, str, str]]:
    """Load the register once (a second run finds the volunteers and adds nothing); returns
    the volunteer login to print."""
    if Volunteer.objects.in_community(community).exists() or not places:
        return []
    rng = random.Random(1313)
    system = Actor.system(community, label="demo")
    now = clock.now()
    today = now.astimezone(BRUSSELS).date()
    monday = today - timedelta(days=today.weekday())

    # The digibuddy training: six Monday afternoons, about half behind us.
    training = services.series_create(
        actor=system,
        kind="buddy_training",
        title={"nl": "Opleiding digibuddy (groep 1)", "fr": "Formation digibuddy (groupe 1)"},
        description={"nl": "Zes namiddagen: mensen helpen met hun smartphone, pc en e-loket."},
        whole_series=True,
        published=False,
    )
    training_sessions = [
        services.session_add(
            actor=system,
            series_id=training.pk,
            place_id=places[0].pk,
            starts_at=_at(monday + timedelta(weeks=week), 13),
            ends_at=_at(monday + timedelta(weeks=week), 16),
            capacity=10,
        )
        for week in range(-3, 3)
    ]

    volunteers: list[Volunteer] = []
    for i, (first, last, lang, skills, langs, hood, home, days) in enumerate(BUDDIES):
        availability = {d: ["morning", "afternoon"] for d in days.split()}
        person = people_services.person_create(
            actor=system,
            first_name=first,
            last_name=last,
            preferred_language=lang,
            phone=f"04{rng.choice([70, 75, 86, 93, 97])}{rng.randint(100000, 999999)}",
            neighbourhood=hood,
            has_smartphone=True,
            consents={"data_processing": True, "contact_sms": True, "contact_phone": True},
            allow_duplicate=True,
        )
        with clock.frozen(now - timedelta(days=60 - i)):
            volunteer = services.volunteer_create(
                actor=system,
                person_id=person.pk,
                skills=skills,
                languages=langs,
                neighbourhoods=[hood],
                availability=availability,
                home_visits=home,
                training_series_id=training.pk if i % 2 else None,
            )
        if i % 2 == 0 and i < 8:
            services.volunteer_certify(
                actor=system, volunteer_id=volunteer.pk, on=today - timedelta(days=120 + 7 * i)
            )
        volunteers.append(volunteer)

    # Those in training signed up for it; they came to the sessions behind us (one missed one).
    trainees = [v for v in volunteers if v.training_series_id]
    with clock.frozen(_at(monday - timedelta(weeks=4), 10)):
        for v in trainees:
            services.registration_create(
                actor=system, session_id=training_sessions[0].pk, person_id=v.person_id
            )
    for session in (s for s in training_sessions if s.ends_at < now):
        for n, registration in enumerate(
            Registration.objects.filter(session=session).order_by("pk")
        ):
            with clock.frozen(session.starts_at + timedelta(minutes=10)):
                services.attendance_mark(
                    actor=system,
                    registration_id=registration.pk,
                    session_id=session.pk,
                    attended=not (n == 0 and session == training_sessions[1]),
                )

    # Duties at the sessions still to come: most get what they need; a few stay short.
    upcoming = sorted(
        (s for s in sessions if now < s.starts_at < now + timedelta(weeks=5) and s.buddies_needed),
        key=lambda s: (s.starts_at, s.pk),
    )
    cursor = 0
    for n, session in enumerate(upcoming):
        wanted = session.buddies_needed - (1 if n in (2, 7) else 0)
        placed = 0
        for _try in range(len(volunteers)):
            if placed >= wanted:
                break
            v = volunteers[cursor % len(volunteers)]
            cursor += 1
            try:
                services.duty_assign(actor=system, volunteer_id=v.pk, session_id=session.pk)
            except Conflict:
                continue
            placed += 1
        if n == 0:
            teacher = volunteers[3]
            with contextlib.suppress(Conflict):
                services.duty_assign(
                    actor=system, volunteer_id=teacher.pk, session_id=session.pk, role="teacher"
                )

    # Drop-in mornings at the digipunten: Monday, Wednesday and Friday, 9:00 to 12:00.
    slots = []
    for week in range(0, 3):
        for offset in (0, 2, 4):
            day = monday + timedelta(weeks=week, days=offset)
            if _at(day, 9) > now:
                slots.append(day)
    for k, day in enumerate(slots):
        place = places[k % len(places)]
        for _try in range(len(volunteers)):
            v = volunteers[(k * 5 + _try) % len(volunteers)]
            try:
                services.duty_assign(
                    actor=system,
                    volunteer_id=v.pk,
                    place_id=place.pk,
                    starts_at=_at(day, 9),
                    ends_at=_at(day, 12),
                )
            except Conflict:
                continue
            break

    _login(community, volunteers[0])
    _gaps(community, volunteers)
    return [("volunteer (digibuddy)", LOGIN, DEMO_PASSWORD)]


def _login(community: Any, volunteer: Volunteer) -> None:
    """The volunteer login ``digibuddy`` (Rita Vermeulen), a volunteer of the neighbourhood work."""
    system = Actor.system(community, label="demo")
    User = get_user_model()
    if not User.objects.filter(username=LOGIN).exists():
        people_services.person_give_login(
            actor=system, person_id=volunteer.person_id, username=LOGIN, password=DEMO_PASSWORD
        )
        org = Organisation.objects.in_community(community).filter(slug="buurtwerk-rabot").first()
        people_services.membership_grant(
            actor=system,
            username=LOGIN,
            roles=["volunteer"],
            organisation_id=org.pk if org else None,
        )


def _gaps(community: Any, volunteers: list[Volunteer]) -> None:
    """A digipunt morning cancelled (ill), and one duty offered for a swap by someone else;
    Rita (the demo login) offers nothing, so she sees the swap and the gaps to fill."""
    from buurtkit.activities.models import Duty, DutyState

    live = Duty.objects.filter(community=community, state=DutyState.PLANNED).order_by(
        "starts_at", "pk"
    )
    place_duty = live.filter(session__isnull=True).exclude(volunteer=volunteers[0]).first()
    if place_duty is not None:
        services.duty_cancel(
            actor=Actor.system(community, label="demo"),
            duty_id=place_duty.pk,
            reason="Ziek, met de griep in bed",
        )
    swap = live.filter(session__isnull=False).exclude(volunteer=volunteers[0])[2:3].first()
    if swap is not None:
        services.duty_offer_swap(actor=Actor.system(community, label="demo"), duty_id=swap.pk)
    # The login has a duty of her own at the next IT café, if she has none yet.
    if not Duty.objects.filter(volunteer=volunteers[0], state=DutyState.PLANNED).exists():
        session = (
            Session.objects.in_community(community)
            .filter(starts_at__gt=clock.now(), series__kind="it_cafe")
            .order_by("starts_at")
            .first()
        )
        if session is not None:
            with contextlib.suppress(Conflict):
                services.duty_assign(
                    actor=Actor.system(community, label="demo"),
                    volunteer_id=volunteers[0].pk,
                    session_id=session.pk,
                )
