"""Demo data: a realistic Flemish neighbourhood (Rabot, Ghent) with about 200 residents."""

from __future__ import annotations

import random
from typing import Any

from django.contrib.auth import get_user_model

from buurtkit.core.actor import Actor
from buurtkit.core.demo import DEMO_PASSWORD
from buurtkit.people import services

FIRST_NL = [
    "Jan",
    "Marie",
    "Luc",
    "An",
    "Pieter",
    "Els",
    "Koen",
    "Sofie",
    "Dirk",
    "Lieve",
    "Wim",
    "Hilde",
    "Bart",
    "Griet",
    "Tom",
    "Veerle",
    "Jef",
    "Mieke",
    "Rik",
    "Leen",
    "Fien",
    "Stijn",
    "Nele",
    "Jos",
    "Godelieve",
    "Roger",
    "Maria",
    "Frans",
    "Agnes",
    "Emiel",
]
LAST_NL = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Vermeulen",
    "Van den Broeck",
    "De Clercq",
    "Van Damme",
    "Verstraete",
    "De Vos",
    "Desmet",
    "Vandenberghe",
    "Van Acker",
    "De Wilde",
]
FIRST_FR = [
    "Jean",
    "Chantal",
    "Michel",
    "Isabelle",
    "Philippe",
    "Nadia",
    "Karim",
    "Fatima",
    "Pierre",
    "Claire",
    "Youssef",
    "Aïcha",
    "Françoise",
    "Mohamed",
    "Sylvie",
]
LAST_FR = [
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Leroy",
    "Lemaire",
    "Benali",
    "El Amrani",
    "Renard",
    "Fontaine",
    "Bouzid",
    "Mercier",
]
FIRST_EN = ["John", "Sarah", "David", "Emma", "Michael", "Grace", "Ahmed", "Olga", "Peter", "Ruth"]
LAST_EN = ["Smith", "Brown", "Taylor", "Wilson", "Okafor", "Kowalski", "Murphy", "Evans"]
NEIGHBOURHOODS = [
    ("Rabot", "9000"),
    ("Blaisantvest", "9000"),
    ("Wondelgem", "9032"),
    ("Brugse Poort", "9000"),
]

ORGANISATIONS = [
    (
        "OCMW Gent – sociaal huis Rabot",
        "ocmw-rabot",
        "social_welfare",
        "sociaalhuis.rabot@example.org",
    ),
    ("Bibliotheek De Krook – filiaal Rabot", "bib-rabot", "library", "bib.rabot@example.org"),
    (
        "Basisschool De Wonderwijzer",
        "school-wonderwijzer",
        "school",
        "info@wonderwijzer.example.org",
    ),
    ("Bakkerij Het Torentje", "bakkerij-torentje", "merchant", "hallo@torentje.example.org"),
    ("Buurtwinkel Rabot", "buurtwinkel-rabot", "merchant", "winkel@rabot.example.org"),
    ("Buurtwerk Rabot vzw", "buurtwerk-rabot", "association", "buurtwerk@rabot.example.org"),
    ("Repair Café Gent", "repair-cafe", "repair_partner", "repair@example.org"),
    ("Digidak Opleidingen", "digidak", "training_partner", "opleiding@digidak.example.org"),
    ("Stad Gent – Dienst Welzijn", "stad-welzijn", "city_department", "welzijn@stad.example.org"),
    ("Samenlevingsopbouw Gent", "samenlevingsopbouw", "association", "info@sogent.example.org"),
]

STAFF = [
    ("coordinator", "coordinator", None),
    ("medewerker", "staff", "stad-welzijn"),
    ("loket", "counter_clerk", "buurtwerk-rabot"),
    ("vrijwilliger", "volunteer", "buurtwerk-rabot"),
    ("bakker", "merchant", "bakkerij-torentje"),
    ("ocmw", "referrer", "ocmw-rabot"),
    ("auditor", "auditor", None),
]


def _phone(rng: random.Random, mobile: bool) -> str:
    if mobile:
        return (
            f"04{rng.choice([70, 71, 72, 75, 76, 77, 78, 79, 84, 85, 86, 87, 88, 89, 92, 93, 94, 95, 96, 97, 98, 99])}"
            f"{rng.randint(100000, 999999)}"
        )
    return f"09{rng.randint(2000000, 3999999)}"


def load(community: Any) -> list[tuple[str, str, str]]:
    """Fill ``community`` with organisations, staff logins and ~200 residents. Returns the logins."""
    User = get_user_model()
    rng = random.Random(9000)  # the same neighbourhood every time
    system = Actor.system(community, label="demo")
    orgs = {
        slug: services.organisation_create(
            actor=system,
            name=name,
            slug=slug,
            kind=kind,
            email=email,
            phone=f"09{rng.randint(2000000, 3999999)}",
            address=f"Rabotstraat {rng.randint(1, 120)}, 9000 Gent",
        )
        for name, slug, kind, email in ORGANISATIONS
    }
    logins: list[tuple[str, str, str]] = []
    for username, role, org_slug in STAFF:
        if not User.objects.filter(username=username).exists():
            User.objects.create_user(
                username=username, password=DEMO_PASSWORD, email=f"{username}@example.org"
            )
        services.membership_grant(
            actor=system,
            username=username,
            roles=[role],
            organisation_id=orgs[org_slug].pk if org_slug else None,
        )
        logins.append((role, username, DEMO_PASSWORD))

    names_taken: set[tuple[str, str]] = set()
    for i in range(200):
        lang_roll = rng.random()
        if lang_roll < 0.65:
            firsts, lasts, lang = FIRST_NL, LAST_NL, "nl"
        elif lang_roll < 0.88:
            firsts, lasts, lang = FIRST_FR, LAST_FR, "fr"
        else:
            firsts, lasts, lang = FIRST_EN, LAST_EN, "en"
        # No two residents with the same name: the demo should not look like a duplicate.
        first, last = rng.choice(firsts), rng.choice(lasts)
        while (first, last) in names_taken:
            first, last = rng.choice(firsts), rng.choice(lasts)
        names_taken.add((first, last))
        birth_year = rng.randint(1935, 2006)
        older = birth_year < 1960
        smartphone = rng.random() < (0.35 if older else 0.85)
        has_mobile = smartphone or rng.random() < 0.5
        phone = _phone(rng, mobile=has_mobile) if rng.random() < 0.95 else ""
        hood, postcode = rng.choice(NEIGHBOURHOODS)
        email = (
            f"{first}.{last}{i}".lower().replace(" ", "").replace("ï", "i").replace("ç", "c")
            + "@example.org"
            if smartphone and rng.random() < 0.7
            else ""
        )
        person = services.person_create(
            actor=system,
            first_name=first,
            last_name=last,
            preferred_language=lang,
            phone=phone,
            email=email,
            postcode=postcode,
            neighbourhood=hood,
            birth_year=birth_year,
            has_smartphone=smartphone,
            consents={
                "data_processing": True,
                "contact_phone": rng.random() < 0.9,
                "contact_sms": has_mobile and rng.random() < 0.8,
            },
        )
        if i == 0:
            services.person_give_login(
                actor=system, person_id=person.pk, username="bewoner", password=DEMO_PASSWORD
            )
            logins.append(("resident", "bewoner", DEMO_PASSWORD))
    return logins
