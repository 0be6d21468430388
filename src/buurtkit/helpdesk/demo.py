"""The demo neighbourhood's helpdesk: the seed's categories and teams, standard answers and
help pages (Dutch and French), and three months of questions by counter, phone, e-mail and
chat — most answered and closed, some open, waiting or late, a few handed over to the demo
digibuddy (login ``digibuddy``, who sees them under "My helpdesk questions") and one
request for help at home; three months of home visits (by the demo digibuddy and by an
outside provider on the year's budget) and barrier tags on most questions. Staff (``medewerker``, ``loket``, ``coordinator``) see the queue
at ``/rabot/helpdesk/``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from buurtkit.activities.models import Volunteer
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.helpdesk import services
from buurtkit.helpdesk.models import HelpdeskSettings
from buurtkit.people.models import Person

BRUSSELS_TZ = ZoneInfo("Europe/Brussels")

QUESTIONS: dict[str, list[str]] = {
    "itsme-eid": [
        "itsme vraagt een nieuwe registratie",
        "eID-lezer wordt niet herkend",
        "PIN-code van mijn eID vergeten",
    ],
    "citizen-profile": ["Brief van de stad niet gevonden in de e-Box", "Burgerprofiel inloggen"],
    "banking-phishing": [
        "Verdachte sms van 'de bank'",
        "Ik heb op een link geklikt",
        "Overschrijving in de bankapp",
    ],
    "health-insurer": ["Attest ziekenfonds downloaden", "Terugbetaling nakijken"],
    "tax-on-web": ["Belastingaangifte via Tax-on-web", "Voorstel van vereenvoudigde aangifte"],
    "school-apps": ["Smartschool van mijn kleinzoon", "Inschrijving school online"],
    "device-problems": [
        "Laptop van de digibank start niet",
        "Tablet is heel traag",
        "Printer werkt niet met laptop",
    ],
    "other": ["Treinticket online kopen", "Videobellen met familie in het buitenland"],
}

ANSWERS = [
    (
        "Kom naar een digipunt",
        {
            "nl": "Kom met uw identiteitskaart naar een digipunt. Daar helpen we u verder.",
            "fr": "Venez avec votre carte d'identité à un digipunt. Nous vous y aiderons.",
        },
    ),
    (
        "Phishing: niets doen",
        {
            "nl": "Klik niet op de link en geef geen codes. Bel uw bank met het nummer op uw kaart.",
            "fr": "Ne cliquez pas sur le lien. Appelez votre banque au numéro sur votre carte.",
        },
    ),
    (
        "Terugbellen",
        {
            "nl": "We bellen u morgen terug tussen 9 en 12 uur.",
            "fr": "Nous vous rappelons demain entre 9 et 12 heures.",
        },
    ),
]

ARTICLES = [
    (
        "itsme",
        "itsme-eid",
        {
            "nl": (
                "itsme opnieuw instellen",
                "Nieuwe gsm? Dan moet u itsme opnieuw instellen.\n\n"
                "U hebt nodig: uw identiteitskaart, de PIN-code en een kaartlezer of uw bankkaart."
                "\n\nLukt het niet? Kom naar een digipunt of bel de helpdesk.",
            ),
            "fr": (
                "Réinstaller itsme",
                "Nouveau téléphone ? Il faut réinstaller itsme.\n\n"
                "Il vous faut : votre carte d'identité, le code PIN et un lecteur de carte.",
            ),
        },
    ),
    (
        "phishing",
        "banking-phishing",
        {
            "nl": (
                "Een verdacht bericht van 'de bank'",
                "Uw bank vraagt nooit codes per sms of "
                "mail.\n\nKlik niet op de link. Bel uw bank met het nummer op uw bankkaart.",
            ),
            "fr": (
                "Un message suspect de 'la banque'",
                "Votre banque ne demande jamais de codes "
                "par SMS.\n\nNe cliquez pas. Appelez votre banque.",
            ),
        },
    ),
    (
        "tax-on-web",
        "tax-on-web",
        {
            "nl": (
                "Belastingaangifte online",
                "Log in op MyMinfin met itsme of uw eID.\n\n"
                "Wilt u hulp? Kom naar de zitdag in het digipunt.",
            )
        },
    ),
]

CHANNELS = ["counter"] * 4 + ["phone"] * 4 + ["email"] * 3 + ["chat"] * 2


def _buddy(community: Any) -> Volunteer | None:
    return (
        Volunteer.objects.in_community(community)
        .filter(person__user__username="digibuddy", active=True)
        .first()
    )


def load(community: Any) -> list[tuple[str, str, str]]:
    rng = random.Random(14)
    system = Actor.system(community, label="demo")
    categories = {c.key: c for c in services.categories_ensure_defaults(actor=system)}
    for title, texts in ANSWERS:
        services.standard_answer_save(actor=system, title=title, texts=texts)
    for slug, category, texts in ARTICLES:
        for language, (title, body) in texts.items():
            services.article_save(
                actor=system,
                language=language,
                slug=slug,
                title=title,
                body=body,
                public=True,
                category_id=categories[category].pk,
            )
    residents = list(Person.objects.in_community(community).order_by("pk")[:120])
    buddy = _buddy(community)
    staff_login = None
    from django.contrib.auth import get_user_model

    staff_login = get_user_model().objects.filter(username="medewerker").first()
    now = clock.now()
    handed = 0
    for n in range(180):
        # Three months back, more recent days a little busier.
        age = timedelta(hours=int(90 * 24 * (rng.random() ** 1.3)))
        at = now - age
        key = rng.choice(list(QUESTIONS))
        channel = rng.choice(CHANNELS)
        person = rng.choice(residents) if residents and rng.random() < 0.85 else None
        with clock.frozen(at):
            ticket = services.ticket_create(
                actor=system,
                channel=channel,
                subject=rng.choice(QUESTIONS[key]),
                body="Kunt u mij helpen? " + rng.choice(QUESTIONS[key]) + ".",
                category_id=categories[key].pk,
                person_id=person.pk if person else None,
                contact=None
                if person
                else services.Contact(
                    name=rng.choice(["Mevrouw Claes", "Meneer Aerts", "Chatbezoeker"]),
                    phone=f"0470 {rng.randint(100000, 999999)}",
                ),
                idempotency_key=f"demo-helpdesk-{n}",
            )
        days = age.days
        if days < 2 and rng.random() < 0.6:
            continue  # new, not answered yet (some of them late)
        with clock.frozen(at + timedelta(hours=rng.randint(1, 30))):
            services.message_add(
                actor=system,
                ticket_id=ticket.pk,
                kind="reply",
                via="told",
                body=rng.choice(ANSWERS)[1]["nl"],
                author_label="medewerker",
            )
            if staff_login is not None and rng.random() < 0.3:
                services.ticket_assign(actor=system, ticket_id=ticket.pk, user_id=staff_login.pk)
        if buddy is not None and handed < 4 and days < 20 and person is not None:
            handed += 1
            with clock.frozen(at + timedelta(hours=32)):
                services.ticket_transition(
                    actor=system,
                    ticket_id=ticket.pk,
                    status="handed_over",
                    handover_to="digibuddy",
                    volunteer_id=buddy.pk,
                    note="Digibuddy gaat langs in het digipunt.",
                )
            continue
        if days < 6:
            if rng.random() < 0.4:
                with clock.frozen(at + timedelta(hours=40)):
                    services.ticket_transition(actor=system, ticket_id=ticket.pk, status="waiting")
            continue
        with clock.frozen(at + timedelta(days=rng.randint(2, 5))):
            services.ticket_transition(actor=system, ticket_id=ticket.pk, status="resolved")
        if days > 12:
            with clock.frozen(at + timedelta(days=8)):
                services.ticket_transition(
                    actor=system, ticket_id=ticket.pk, status="closed", ask_survey=False
                )
    # One question that became a request for help at home.
    question = services.ticket_create(
        actor=system,
        channel="phone",
        subject="Kan niet naar het digipunt komen",
        body="Ik zit in een rolstoel en wil itsme op mijn nieuwe gsm.",
        category_id=categories["itsme-eid"].pk,
        person_id=residents[0].pk if residents else None,
        contact=None if residents else services.Contact(name="Mevrouw Claes"),
        idempotency_key="demo-helpdesk-home",
    )
    first_child = services.home_help_request(
        actor=system,
        parent_id=question.pk,
        body="Mobiliteit: rolstoel. Te doen: itsme installeren op de nieuwe gsm.",
        idempotency_key="demo-helpdesk-home-child",
    )
    _barriers(system, rng)
    _home_visits(system, rng, first_child, residents, buddy)
    from buurtkit.helpdesk import demo_mail

    demo_mail.load(community)  # the mailbox, e-mail tickets, the quarantine, satisfaction
    _phone_line(community, system, residents, now)
    return []


#: Which public service a demo question got stuck at (by category).
STUCK_AT = {
    "itsme-eid": ["itsme"],
    "citizen-profile": ["citizen-profile", "e-box"],
    "banking-phishing": ["bank-app"],
    "health-insurer": ["health-insurer"],
    "tax-on-web": ["myminfin"],
    "school-apps": ["school-app"],
    "other": ["city-e-loket"],
}


def _barriers(system: Actor, rng: random.Random) -> None:
    """The seeded public services, and most demo questions tagged with where they got stuck."""
    from buurtkit.helpdesk.models import Ticket

    by_key = {s.key: s.pk for s in services.public_services_ensure_defaults(actor=system)}
    tickets = Ticket.objects.in_community(system.community).select_related("category")
    for ticket in tickets.order_by("pk"):
        keys = STUCK_AT.get(ticket.category.key if ticket.category else "", [])
        if keys and rng.random() < 0.7:
            services.ticket_barriers_set(
                actor=system,
                ticket_id=ticket.pk,
                service_ids=[by_key[k] for k in keys[: rng.randint(1, len(keys))]],
            )


NEEDS = [
    (["mobility", "health"], ["itsme", "eid_software"]),
    (["language", "small_network"], ["citizen_profile"]),
    (["dependence", "low_schooling"], ["e_invoices", "citizen_profile"]),
    (["money", "mobility"], ["eid_software"]),
    (["health"], ["itsme"]),
]
STREETS = ["Rabotstraat", "Wondelgemstraat", "Gasmeterlaan", "Bevrijdingslaan", "Tolhuislaan"]
PROVIDER = "Thuishulp Digitaal vzw"


def _home_visits(
    system: Actor, rng: random.Random, first_child: Any, residents: list[Person], buddy: Any
) -> None:
    """Three months of help at home: requests with their needs, visits done by the demo
    digibuddy (login ``digibuddy``) and by an outside provider (eating the year's budget),
    a no-show and a cancellation, and visits planned for the coming days."""
    from buurtkit.activities import services as activities

    if buddy is not None and not buddy.home_visits:
        activities.volunteer_update(actor=system, volunteer_id=buddy.pk, home_visits=True)
    visitors = list(
        Volunteer.objects.in_community(system.community)
        .filter(active=True, home_visits=True)
        .order_by("pk")[:3]
    )
    if buddy is not None and all(v.pk != buddy.pk for v in visitors):
        visitors.insert(0, buddy)
    now = clock.now()
    requests = [first_child]
    for n in range(14):
        person = residents[(n * 7 + 3) % len(residents)] if residents else None
        asked = now - timedelta(days=88 - 6 * n, hours=rng.randint(0, 6))
        with clock.frozen(asked):
            question = services.ticket_create(
                actor=system,
                channel=rng.choice(["phone", "counter"]),
                subject=rng.choice(["Hulp aan huis gevraagd", "Kan niet naar het digipunt komen"]),
                body="Kan iemand bij mij thuis langskomen?",
                person_id=person.pk if person else None,
                contact=None if person else services.Contact(name="Meneer Aerts"),
                idempotency_key=f"demo-helpdesk-home-q{n}",
            )
            requests.append(
                services.home_help_request(
                    actor=system,
                    parent_id=question.pk,
                    body="Hulp aan huis.",
                    idempotency_key=f"demo-helpdesk-home-c{n}",
                )
            )
    for n, child in enumerate(requests):
        reasons, tasks = NEEDS[n % len(NEEDS)]
        with clock.frozen(max(child.created_at, now - timedelta(days=89)) + timedelta(hours=1)):
            services.home_help_need_set(
                actor=system, ticket_id=child.pk, vulnerabilities=reasons, tasks=tasks
            )
        address = f"{STREETS[n % len(STREETS)]} {10 + 3 * n}, 9000 Gent"
        by_provider = n % 3 == 2 or not visitors
        volunteer = None if by_provider else visitors[n % len(visitors)]
        when = child.created_at + timedelta(days=3 + n % 4)
        when = when.replace(hour=10 + n % 5, minute=0, second=0, microsecond=0)
        if when < now and n < len(requests) - 2:  # the last two wait for a visit to come
            with clock.frozen(child.created_at + timedelta(hours=2)):
                visit = services.visit_plan(
                    actor=system,
                    ticket_id=child.pk,
                    scheduled_at=when,
                    expected_minutes=60 if by_provider else 45,
                    address=address,
                    volunteer_id=volunteer.pk if volunteer else None,
                    provider=PROVIDER if by_provider else "",
                    idempotency_key=f"demo-helpdesk-visit-{n}",
                )
            if n == 4:
                with clock.frozen(when + timedelta(minutes=10)):
                    services.visit_close(actor=system, visit_id=visit.pk, status="no_show")
                continue
            if n == 7:
                with clock.frozen(when - timedelta(days=1)):
                    services.visit_close(actor=system, visit_id=visit.pk, status="cancelled")
                continue
            with clock.frozen(when + timedelta(minutes=rng.randint(0, 10))):
                services.visit_check_in(actor=system, visit_id=visit.pk)
            minutes = rng.choice([40, 55, 70, 85]) if by_provider else rng.choice([30, 45, 60])
            with clock.frozen(when + timedelta(minutes=10 + minutes)):
                services.visit_check_out(
                    actor=system,
                    visit_id=visit.pk,
                    report=rng.choice(
                        [
                            "itsme geïnstalleerd en getest met de bankapp.",
                            "eID-software geïnstalleerd; PIN-code werkt.",
                            "Burgerprofiel geopend, e-Box aangezet. Uitleg gegeven.",
                            "Domiciliëring voor e-facturen ingesteld.",
                        ]
                    ),
                )
            if child.status != "closed":
                with clock.frozen(when + timedelta(hours=3)):
                    services.ticket_transition(actor=system, ticket_id=child.pk, status="resolved")
    # Visits to come: tomorrow for the demo digibuddy, next week by the provider.
    upcoming = [r for r in requests if not r.visits.exists()][:3]
    day = now.astimezone(BRUSSELS_TZ).date()
    for i, child in enumerate(upcoming):
        by_provider = i == 2 or not visitors
        services.visit_plan(
            actor=system,
            ticket_id=child.pk,
            scheduled_at=datetime.combine(
                day + timedelta(days=1 + 3 * i), time(10 + i), tzinfo=BRUSSELS_TZ
            ),
            expected_minutes=60,
            address=f"{STREETS[i]} {50 + i}, 9000 Gent",
            volunteer_id=None if by_provider else (buddy or visitors[0]).pk,
            provider=PROVIDER if by_provider else "",
            idempotency_key=f"demo-helpdesk-visit-next-{i}",
        )


#: The demo helpdesk line (the number the city line forwards to) and the staff phone on duty.
DEMO_LINE = "+3256277777"
DEMO_STAFF = "+3256239111"
TZ = ZoneInfo("Europe/Brussels")


def _last_weekday(now: datetime, hour: int, minute: int) -> datetime:
    day = (now.astimezone(TZ) - timedelta(days=1)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def _phone_line(community: Any, system: Actor, residents: list[Person], now: datetime) -> None:
    """The simulator line for the demo, with a few calls made in-process (no HTTP, no waits):
    one put through, messages left (out of hours; staff not answering), one hang-up."""
    from buurtkit.telephony import services as telephony

    if HelpdeskSettings.objects.filter(phone_number=DEMO_LINE).exists():
        return  # another demo community has the line already
    services.phone_settings_update(
        actor=system,
        phone_number=DEMO_LINE,
        staff_numbers=[DEMO_STAFF],
        hours=services.parse_hours("1-5 09:00-12:00\n1-5 13:00-16:00"),
    )
    if settings.TELEPHONY_PROVIDER != "simulator":
        return
    known = next((p for p in residents if p.phone), None)
    calls: list[tuple[datetime, str, dict[str, Any]]] = [
        (
            _last_weekday(now, 19, 40),
            "+32471234567",
            {
                "keys": ("1",),
                "message": "Goedendag, ik vind de brief van de stad niet in mijn e-Box. "
                "Kunt u mij terugbellen? Dank u.",
            },
        ),
        (
            _last_weekday(now, 10, 30),
            "+32472345678",
            {
                "keys": ("8", "2"),
                "transfer": "no-answer",
                "message": "Bonjour, ma tablette ne démarre plus. Merci de me rappeler.",
            },
        ),
        (_last_weekday(now, 12, 5), "+32473456789", {"hang_up_at_menu": 1}),
    ]
    if known is not None:
        calls.append((_last_weekday(now, 10, 15), known.phone, {"keys": ("2",)}))
    for at, caller, script in calls:
        with clock.frozen(at.astimezone(UTC)):
            telephony.demo_inbound_call(from_number=caller, to_number=DEMO_LINE, **script)
