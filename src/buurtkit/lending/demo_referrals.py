"""Demo referrals: two referring partners (the OCMW of the people demo and a CAW welcome desk
made here) with requests in every state, limits per partner, and a referrer login for each.

``load(community, *, now, available_device_ids=None)``: the lead's lending demo passes the ids
of devices on the shelf ("available"); without them this loader takes in a few devices itself
through the stock services. Requests are filed, decided and matched through the referral
services, with the clock set back to the day each step happened.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.demo import DEMO_PASSWORD, register_demo_logins
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.lending import services
from buurtkit.lending.models import Device
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place

WIPE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie"}
CAW = ("CAW Oost-Vlaanderen – onthaal Gent", "caw-gent", "association", "onthaal@caw.example.org")

# days ago, partner, kind, purpose, eligibility, wished, household, what happens next
REQUESTS: list[tuple[int, str, str, str, str, str, int, str]] = [
    (40, "ocmw", "laptop", "Schoolwerk voor twee kinderen", "pupil", "gift", 4, "invited"),
    (33, "ocmw", "laptop", "Solliciteren en cursus Nederlands", "jobseeker", "loan", 1, "matched"),
    (30, "caw", "tablet", "Videobellen met de dokter en de familie", "senior", "gift", 1, "invite_partner"),
    (26, "ocmw", "pc", "Online bankieren en de mutualiteit", "low_income", "sale", 2, "refused"),
    (21, "caw", "laptop", "Opleiding boekhouding bij Digidak", "jobseeker", "gift", 3, "approved"),
    (18, "ocmw", "laptop", "Huiswerk en Smartschool", "pupil", "gift", 5, "approved"),
    (12, "ocmw", "tablet", "Afspraken maken bij het OCMW", "social_service", "gift", 1, "waiting"),
    (9, "caw", "laptop", "Werk zoeken na de verhuis", "newcomer", "loan", 2, "waiting"),
    (6, "ocmw", "laptop", "Thuisonderwijs tijdens ziekte", "pupil", "loan", 3, "waiting"),
    (4, "ocmw", "smartphone", "itsme en de bank-app", "low_income", "gift", 1, "cancelled"),
    (2, "caw", "tablet", "Contact met de school van de kinderen", "newcomer", "gift", 4, "waiting"),
    (1, "ocmw", "laptop", "Cursus digitale basisvaardigheden", "social_service", "gift", 1, "waiting"),
]  # fmt: skip


def _partner(system: Actor) -> Organisation:
    org = Organisation.objects.in_community(system.community).filter(slug=CAW[1]).first()
    if org is not None:
        return org
    name, slug, kind, email = CAW
    return people_services.organisation_create(
        actor=system, name=name, slug=slug, kind=kind, email=email
    )


def _referrer(community: Any, username: str, org: Organisation) -> Actor:
    """The partner's referrer login (made if it is not there) and its actor."""
    User = get_user_model()
    if not User.objects.filter(username=username).exists():
        User.objects.create_user(username=username, password=DEMO_PASSWORD)
        people_services.membership_grant(
            actor=Actor.system(community, label="demo"),
            username=username,
            roles=["referrer"],
            organisation_id=org.pk,
        )
    return Actor(
        community=community,
        label=username,
        permissions=permissions_for_roles({"referrer"}, community.enabled_modules),
        roles=frozenset({"referrer"}),
        organisation_ids=frozenset({org.pk}),
    )


def _shelf(system: Actor, now: datetime) -> list[int]:
    """A few devices taken in, wiped, checked and put on the shelf, when none are given."""
    with clock.frozen(now - timedelta(days=50)):
        donation = services.donation_receive(
            actor=system,
            received_on=(now - timedelta(days=50)).date(),
            donor_name="Barco",
            devices=[
                {"kind": "laptop", "brand": "Dell", "model": "Latitude 5490"},
                {"kind": "laptop", "brand": "Lenovo", "model": "ThinkPad T480"},
                {"kind": "tablet", "brand": "Samsung", "model": "Galaxy Tab A8"},
            ],
            idempotency_key="demo-referrals-shelf",
        )
        ids = list(donation.devices.order_by("label").values_list("pk", flat=True))
        if getattr(donation, "replayed", False):
            return ids
        for pk in ids:
            services.device_record_event(
                actor=system,
                device_id=pk,
                kind="wiped",
                evidence={**WIPE, "wiped_on": (now - timedelta(days=50)).date().isoformat()},
            )
            for step in ("checked", "available"):
                services.device_record_event(actor=system, device_id=pk, kind=step)
    return ids


def load(
    community: Any, *, now: datetime, available_device_ids: list[int] | None = None
) -> dict[str, Any]:
    """Load the demo's referrals once (a second run finds them and adds nothing)."""
    system = Actor.system(community, label="Digibank (demo)")
    ocmw = Organisation.objects.in_community(community).get(slug="ocmw-rabot")
    caw = _partner(system)
    partners = {
        "ocmw": (ocmw, _referrer(community, "ocmw", ocmw)),
        "caw": (caw, _referrer(community, "caw", caw)),
    }
    logins = [("referrer", "ocmw", DEMO_PASSWORD), ("referrer", "caw", DEMO_PASSWORD)]
    register_demo_logins([(role, name) for role, name, _pw in logins])
    services.cap_set(actor=system, organisation_id=ocmw.pk, period="month", max_referrals=10)
    services.cap_set(actor=system, organisation_id=ocmw.pk, period="year", max_referrals=100)
    services.cap_set(actor=system, organisation_id=caw.pk, period="month", max_referrals=4)

    shelf = list(available_device_ids or []) or _shelf(system, now)
    free = {
        pk: kind
        for pk, kind in Device.objects.in_community(community)
        .filter(pk__in=shelf, state="available")
        .values_list("pk", "kind")
    }
    place = Place.objects.in_community(community).order_by("pk").first()
    made: dict[str, int] = {}
    for i, (days, who, kind, purpose, why, wished, household, then) in enumerate(REQUESTS):
        _org, referrer = partners[who]
        filed = now - timedelta(days=days, hours=i % 5)
        if then in ("matched", "invited", "invite_partner"):
            # Ask for a kind that is on the shelf, so a device can be set aside.
            kind = next((k for k in free.values() if k == kind), next(iter(free.values()), kind))
        resident = None
        if wished == "loan" and i % 2:
            resident = {
                "first_name": "Nadia" if who == "caw" else "Koen",
                "last_name": "Benali" if who == "caw" else "Verstraete",
                "phone": f"0470 55 {i:02d} 21",
                "language": "fr" if who == "caw" else "nl",
                "contact_sms": True,
            }
        with clock.frozen(filed):
            referral = services.referral_file(
                actor=referrer,
                kind=kind,
                purpose=purpose,
                eligibility=why,
                client_ref=f"{who.upper()}-2026-{100 + i:04d}",
                household_size=household,
                wished=wished,
                resident=resident,
                idempotency_key=f"demo-referral-{i}",
            )
        if getattr(referral, "replayed", False):
            continue
        made[then] = made.get(then, 0) + 1
        decided = filed + timedelta(days=2)
        with clock.frozen(decided):
            if then == "refused":
                services.referral_refuse(
                    actor=system,
                    referral_id=referral.pk,
                    reason="Het gezin kreeg vorig jaar al een pc van de digibank.",
                )
            elif then == "cancelled":
                services.referral_cancel(
                    actor=referrer, referral_id=referral.pk, reason="Het gezin is verhuisd."
                )
            elif then == "approved":
                services.referral_approve(actor=system, referral_id=referral.pk)
        if then in ("matched", "invited", "invite_partner"):
            device_id = next((pk for pk, k in free.items() if k == referral.kind), None)
            if device_id is None:
                continue
            free.pop(device_id)
            with clock.frozen(decided + timedelta(days=3)):
                services.referral_match(actor=system, referral_id=referral.pk, device_id=device_id)
            if then != "matched" and place is not None:
                day = (now + timedelta(days=2 + i % 3)).date()
                services.referral_invite(
                    actor=system,
                    referral_id=referral.pk,
                    place_id=place.pk,
                    pickup_at=_at(day, 14 if i % 2 else 10),
                    channel="referrer" if then == "invite_partner" else "auto",
                )
    return {"logins": logins, "referrals": made, "partners": [ocmw.pk, caw.pk]}


def _at(day: date, hour: int) -> datetime:
    from buurtkit.lending.periods import BRUSSELS

    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=BRUSSELS)
