"""Demo places: the digipunten of Rabot – Blaisantvest (Gent) and a neighbour municipality,
with weekly hours, drop-in help with a digibuddy, a holiday, and one place still being set up."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from buurtkit.core.actor import Actor
from buurtkit.people.models import Organisation, Person
from buurtkit.places import rules, selectors, services

MUNICIPALITIES = [
    (
        "Gent",
        ["9000", "9030", "9031", "9032", "9040", "9041", "9042", "9050", "9051", "9052"],
        265_000,
    ),
    ("Evergem", ["9940"], 36_000),
    ("Lochristi", ["9080"], 23_000),
]

# name, kind, host slug, street, postcode, neighbourhood, equipment, hours
PLACES: list[dict[str, Any]] = [
    {
        "name": "Digipunt Bibliotheek Rabot",
        "kind": "digipunt",
        "host": "bib-rabot",
        "street": "Opgeeistenlaan 455",
        "postcode": "9000",
        "neighbourhood": "Rabot",
        "equipment": {"pcs": 6, "laptops": 4, "tablets": 4, "printer": True, "scanner": True},
        "hours": [(d, "10:00", "18:00", "open") for d in (1, 2, 3, 4)]
        + [(d, "14:00", "17:00", "drop_in") for d in (1, 3)]
        + [(5, "10:00", "13:00", "open")],
        "description": "Computers, printen en scannen. Op maandag en woensdag helpt een digibuddy.",
    },
    {
        "name": "Digipunt Buurtcentrum Rabot",
        "kind": "digipunt",
        "host": "buurtwerk-rabot",
        "street": "Wondelgemstraat 72",
        "postcode": "9000",
        "neighbourhood": "Rabot",
        "equipment": {"pcs": 3, "laptops": 2, "tablets": 6},
        "hours": [(d, "09:00", "12:00", "drop_in") for d in (1, 2, 4)],
        "description": "Vragen over itsme, je bank-app of de mutualiteit? Kom langs, zonder afspraak.",
    },
    {
        "name": "Open leercentrum Digidak",
        "kind": "learning_centre",
        "host": "digidak",
        "street": "Blaisantvest 12",
        "postcode": "9000",
        "neighbourhood": "Blaisantvest",
        "equipment": {"pcs": 12, "laptops": 8, "printer": True},
        "hours": [(d, "13:00", "20:00", "open") for d in (0, 2, 4)],
        "description": "Oefenen op de computer, met een lesgever in de buurt.",
    },
    {
        "name": "Dienstencentrum Brugse Poort",
        "kind": "computer_room",
        "host": "stad-welzijn",
        "street": "Ottergemsesteenweg 1",
        "postcode": "9000",
        "neighbourhood": "Brugse Poort",
        "equipment": {"pcs": 5, "tablets": 4},
        "hours": [(d, "09:00", "16:00", "open") for d in range(5)],
        "description": "Publieke computerruimte met hulp op dinsdag.",
    },
    {
        "name": "Uitleenpunt Evergem",
        "kind": "lending_point",
        "host": "samenlevingsopbouw",
        "street": "Kerkplein 2",
        "postcode": "9940",
        "neighbourhood": "Evergem-centrum",
        "equipment": {"laptops": 2, "tablets": 2},
        "hours": [(2, "14:00", "18:00", "drop_in"), (5, "09:30", "12:00", "open")],
        "description": "Toestellen ophalen en terugbrengen, en hulp bij het opstarten.",
    },
]


def load(community: Any) -> list[tuple[str, str, str]]:
    system = Actor.system(community, label="demo")
    municipalities = {
        name: services.municipality_create(
            actor=system, name=name, postcodes=codes, population=population
        )
        for name, codes, population in MUNICIPALITIES
    }
    orgs = {o.slug: o for o in Organisation.objects.in_community(community)}
    buddies = list(Person.objects.in_community(community).exclude(phone="").order_by("pk")[:8])
    today = selectors.local_now().date()
    for i, spec in enumerate(PLACES):
        host = orgs.get(spec["host"])
        place = services.place_create(
            actor=system,
            name=spec["name"],
            kind=spec["kind"],
            host_id=host.pk if host else None,
            street=spec["street"],
            postcode=spec["postcode"],
            municipality_id=municipalities["Evergem" if spec["postcode"] == "9940" else "Gent"].pk,
            neighbourhood=spec["neighbourhood"],
            phone=f"09 2{i}{i} 45 6{i}",
            email=f"digipunt{i + 1}@example.org",
            description={"nl": spec["description"]},
            wheelchair=i != 1,
            hearing_loop=i in (0, 3),
            internet="wifi",
            **spec["equipment"],
        )
        services.place_set_hours(
            actor=system,
            place_id=place.pk,
            hours=[
                {
                    "weekday": d,
                    "opens": time.fromisoformat(a),
                    "closes": time.fromisoformat(b),
                    "kind": kind,
                    "digibuddy_id": buddies[(i + d) % len(buddies)].pk
                    if kind == "drop_in" and buddies
                    else None,
                }
                for d, a, b, kind in spec["hours"]
            ],
        )
        services.place_change_status(actor=system, place_id=place.pk, status="equipping")
        for item in rules.MANUAL_ITEMS:
            services.place_tick(actor=system, place_id=place.pk, item=item, done=True)
        services.place_change_status(actor=system, place_id=place.pk, status="open")
        if i == 0:  # the library closes for a few days soon: visitors see it
            services.place_add_exception(
                actor=system,
                place_id=place.pk,
                starts_on=today + timedelta(days=10),
                ends_on=today + timedelta(days=12),
                reason="Inventaris van de bibliotheek",
            )
    store = services.place_create(
        actor=system,
        name="Centraal depot Digibank (bibliotheek)",
        kind="library_store",
        host_id=orgs["bib-rabot"].pk if "bib-rabot" in orgs else None,
        street="Kattenberg 9",
        postcode="9000",
        neighbourhood="Rabot",
        description={"nl": "Hier worden de toestellen van de digibank klaargemaakt."},
    )
    services.place_change_status(actor=system, place_id=store.pk, status="equipping")
    return []
