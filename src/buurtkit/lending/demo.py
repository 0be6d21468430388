"""The demo's device bank: about 150 donated devices from four donors (the city, the OCMW, the
adult education centre and a company), with a history in every state of the stock (wiped with
evidence, refurbished, checked, equipment of the digipunten, written off, recycled) and repairs.

The referrals and hand-overs of the demo are other parts of the device bank
(``lending.demo_referrals`` and ``lending.demo_handovers``): when they are there, they get the
ids of available devices from here. ``load`` is the demo loader (order 20, after places).
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from datetime import datetime, timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.demo import DEMO_PASSWORD
from buurtkit.lending import rules, services
from buurtkit.lending.models import Device, Repairer
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place

#: The logins to try the device bank with (made by the people demo), as the demo prints them.
LOGINS = [
    ("device bank: coordinator", "coordinator"),
    ("device bank: counter", "loket"),
    ("device bank: referrer", "ocmw"),
    ("device bank: referrer (CAW)", "caw"),
]

# donor org slug or name, days ago, [(kind, brand, model, count, condition)]
DONATIONS: list[tuple[str, int, list[tuple[str, str, str, int, str]]]] = [
    (
        "stad-welzijn",
        300,
        [
            ("laptop", "Dell", "Latitude 5490", 30, "good"),
            ("laptop", "HP", "EliteBook 840 G5", 10, "fair"),
            ("pc", "Lenovo", "ThinkCentre M720q", 10, "good"),
        ],
    ),
    (
        "ocmw-rabot",
        210,
        [
            ("tablet", "Samsung", "Galaxy Tab A8", 30, "good"),
            ("smartphone", "Samsung", "Galaxy A52", 10, "fair"),
        ],
    ),
    (
        "Centrum voor Volwassenenonderwijs Gent",
        150,
        [
            ("laptop", "Lenovo", "ThinkPad T480", 20, "good"),
            ("screen", "Philips", "243V7", 10, "good"),
        ],
    ),
    (
        "Barco nv",
        40,
        [
            ("laptop", "Dell", "Latitude 7400", 25, "new"),
            ("projector", "Barco", "ClickShare CX-20", 2, "good"),
            ("router", "TP-Link", "Archer C6", 3, "good"),
        ],
    ),
]
OPERATORS = ["Sofie (vrijwilliger)", "Karim (Kringloopwinkel)", "Els (digibank)"]
METHODS = [("NIST 800-88 purge", "nwipe 0.35"), ("NIST 800-88 clear", "Blancco Drive Eraser 7")]


def _at(now: datetime, days_ago: float, rng: random.Random) -> datetime:
    return now - timedelta(days=days_ago, hours=rng.randint(0, 6), minutes=rng.randint(0, 59))


def _step(
    system: Actor, device: Device, kind: str, at: datetime, rng: random.Random, note: str = ""
) -> None:
    evidence = None
    if kind == rules.WIPED:
        method, tool = rng.choice(METHODS)
        evidence = {
            "method": method,
            "tool": tool,
            "operator": rng.choice(OPERATORS),
            "wiped_on": at.date().isoformat(),
        }
    with clock.frozen(at):
        services.device_record_event(
            actor=system, device_id=device.pk, kind=kind, note=note, evidence=evidence
        )


def _donate(
    system: Actor, orgs: dict[str, Organisation], now: datetime, store: Place | None
) -> list[tuple[Device, int]]:
    """The four donations; each device with the number of days since its donation."""
    made = []
    for donor, days_ago, lines in DONATIONS:
        org = orgs.get(donor)
        rows = [
            {
                "kind": kind,
                "brand": brand,
                "model": model,
                "condition": condition,
                "serial": f"{brand[:2].upper()}{days_ago:03d}{i:03d}{n}",
            }
            for n, (kind, brand, model, count, condition) in enumerate(lines)
            for i in range(count)
        ]
        with clock.frozen(now - timedelta(days=days_ago)):
            donation = services.donation_receive(
                actor=system,
                received_on=(now - timedelta(days=days_ago)).date(),
                donor_id=org.pk if org else None,
                donor_name="" if org else donor,
                devices=rows,
                place_id=store.pk if store else None,
                idempotency_key=f"demo-donation-{donor}",
            )
        made += [(d, days_ago) for d in donation.devices.order_by("label")]
    return made


def load_stock(community: Any, *, now: datetime) -> dict[str, Any]:
    """The stock part of the demo: devices in every state. Returns the ids of available
    devices for residents (``available_device_ids``) and the repair tickets opened."""
    rng = random.Random(12)  # the same device bank every time
    system = Actor.system(community, label="demo")
    orgs = {o.slug: o for o in Organisation.objects.in_community(community)}
    places = list(Place.objects.in_community(community).order_by("pk"))
    store = next((p for p in places if p.kind == "library_store"), None)
    digipunten = [p for p in places if p.status == "open"]
    made = _donate(system, orgs, now, store)

    available: list[int] = []
    for i, (device, days_ago) in enumerate(made):
        start = days_ago - 2
        if days_ago <= 40 and i % 3 == 0:
            continue  # the latest donation is still being worked through: "received"
        if device.kind in ("projector", "router", "screen") and digipunten:
            # Equipment of the digipunten: their own pool, where they are.
            Device.objects.filter(pk=device.pk).update(
                pool="place", place=digipunten[i % len(digipunten)]
            )
            for n, kind in enumerate((rules.WIPED, rules.CHECKED, rules.AVAILABLE)):
                _step(system, device, kind, _at(now, start - 3 * n, rng), rng)
            continue
        if device.condition == "fair" and i % 5 == 0:
            # Not worth repairing: parts, then written off, some already recycled.
            Device.objects.filter(pk=device.pk).update(pool="parts")
            _step(system, device, rules.WIPED, _at(now, start, rng), rng)
            _step(system, device, rules.WRITTEN_OFF, _at(now, start - 5, rng), rng, "Scharnier")
            if i % 2 == 0:
                _step(system, device, rules.RECYCLED, _at(now, start - 20, rng), rng)
            continue
        steps = [rules.WIPED, rules.REFURBISHED, rules.CHECKED, rules.AVAILABLE]
        if days_ago <= 40:
            steps = steps[: 1 + i % 4]  # the newest ones: part-way
        for n, kind in enumerate(steps):
            _step(system, device, kind, _at(now, max(start - 4 * n, 0.1), rng), rng)
        if steps[-1] == rules.AVAILABLE:
            available.append(device.pk)

    # A few laptops wait at the digipunten themselves, for residents (a place pool of hand-outs).
    for n, pk in enumerate(available[-4:]):
        if digipunten:
            Device.objects.filter(pk=pk).update(place=digipunten[n % len(digipunten)])
    repairs = _repairs(system, available, now, rng)
    available = [pk for pk in available if pk not in repairs["devices"]]
    return {"available_device_ids": available, "repair_ids": repairs["tickets"]}


def _repairs(
    system: Actor, available: list[int], now: datetime, rng: random.Random
) -> dict[str, list[int]]:
    """Repairs of devices in stock: two fixed long ago, two in repair, two just reported."""
    tickets: list[int] = []
    devices: list[int] = []
    plan = [
        (available[1], 90, "Batterij houdt geen lading", Repairer.AFTER_SALES, "Kringloopwinkel", "fixed"),
        (available[6], 60, "Toetsenbord: enkele toetsen werken niet", Repairer.REPAIR_CAFE, "Repair Café Gent", "fixed"),
        (available[11], 12, "Scherm flikkert", Repairer.AFTER_SALES, "Kringloopwinkel", "start"),
        (available[16], 8, "Start niet op na update", Repairer.OWN, "Sofie", "start"),
        (available[21], 2, "Laadpoort los", Repairer.REPAIR_CAFE, "Repair Café Gent", ""),
        (available[26], 1, "Wifi valt weg", Repairer.PARTNER, "Digidak Opleidingen", ""),
    ]  # fmt: skip
    for device_id, days_ago, problem, repairer, name, then in plan:
        with clock.frozen(_at(now, days_ago, rng)):
            ticket = services.repair_open(
                actor=system,
                device_id=device_id,
                problem=problem,
                repairer=repairer,
                repairer_name=name,
                idempotency_key=f"demo-repair-{device_id}",
            )
        tickets.append(ticket.pk)
        if then:
            with clock.frozen(_at(now, days_ago - 1, rng)):
                services.repair_start(actor=system, ticket_id=ticket.pk)
        if then == "fixed":
            with clock.frozen(_at(now, days_ago - 10, rng)):
                services.repair_close(
                    actor=system, ticket_id=ticket.pk, outcome="fixed", note="Vervangen en getest"
                )
            with clock.frozen(_at(now, days_ago - 11, rng)):
                services.device_record_event(
                    actor=system, device_id=device_id, kind=rules.AVAILABLE
                )
        else:
            devices.append(device_id)
    return {"tickets": tickets, "devices": devices}


def _part(name: str) -> Any:
    """Another part's demo module, if it is there."""
    module = f"buurtkit.lending.{name}"
    return importlib.import_module(module) if importlib.util.find_spec(module) else None


def load(community: Any) -> list[tuple[str, str, str]]:
    """The demo loader: the stock, then referrals and hand-overs where those parts exist."""
    now = clock.now()
    stock = load_stock(community, now=now)
    available = stock["available_device_ids"]
    # Referrals get a share of the available devices; hand-overs the rest.
    for_referrals, for_handovers = (
        available[: len(available) // 3],
        available[len(available) // 3 :],
    )
    referrals = _part("demo_referrals")
    if referrals is not None:
        referrals.load(community, now=now, available_device_ids=for_referrals)
    handovers = _part("demo_handovers")
    if handovers is not None:
        handovers.load(community, now=now, device_ids=for_handovers)
        _repairs_after_handover(community, now)
    services.stock_counts_rebuild(community_id=community.pk)  # the pools set by hand above
    return [(role, username, DEMO_PASSWORD) for role, username in LOGINS]


def _repairs_after_handover(community: Any, now: datetime) -> None:
    """Two devices that households brought back broken (after the hand-over demo)."""
    system = Actor.system(community, label="demo")
    out = Device.objects.in_community(community).filter(state=rules.HANDED_OVER).order_by("pk")
    for n, device in enumerate(out[:2]):
        with clock.frozen(now - timedelta(days=3 - n)):
            services.repair_open(
                actor=system,
                device_id=device.pk,
                problem="Het scherm is gebarsten" if n == 0 else "Laadt niet meer op",
                repairer=Repairer.AFTER_SALES,
                repairer_name="Kringloopwinkel",
                idempotency_key=f"demo-repair-out-{device.pk}",
            )
