"""Demo part of the counter: agreement texts, hand-overs of each kind (gift, loan, sale at
social tariff) with signatures, and loans of which some are overdue. The lead's
``lending/demo.py`` calls :func:`load` with devices the stock part made ready (wiped,
checked, available).

Most hand-overs follow a partner's referral (the OCMW's or the CAW's: filed, a device set
aside, then handed over), so the overview's "per partner" and waiting time have figures; each
hand-over happens at one of the demo's places (the library's store or a digipunt)."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.lending import services
from buurtkit.people.models import Organisation, Person
from buurtkit.places.models import Place

#: (days ago, kind, devices, due in days after the hand-over, language, referring partner)
#: of each hand-over; partner "" = no referral (a sale at the second-hand shop's tariff).
PLAN = [
    (70, "loan", 1, 30, "nl", "ocmw"),  # overdue by 40 days
    (50, "loan", 2, 45, "fr", "caw"),  # overdue by 5 days
    (40, "gift", 1, None, "nl", "ocmw"),
    (30, "sale", 1, None, "nl", ""),
    (20, "loan", 1, 60, "en", "caw"),  # due in 40 days
    (12, "loan", 1, 15, "nl", "ocmw"),  # due in 3 days
    (8, "gift", 2, None, "fr", "caw"),
    (3, "sale", 1, None, "fr", ""),
    (1, "loan", 1, 90, "nl", "ocmw"),
]
#: The partners' organisations (made by the people and referral demos).
PARTNERS = {"ocmw": "ocmw-rabot", "caw": "caw-gent"}
#: How many days before the hand-over the partner asked, and a device was set aside.
ASKED_DAYS, SET_ASIDE_DAYS = 9, 4
CONNECTIVITY = ["own", "social_tariff", "voucher", "public", "none"]


def _signature(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    points = [(30 + i * 35, 50 + rng.randint(0, 110)) for i in range(15)]
    ImageDraw.Draw(image).line(points, fill=(20, 20, 60, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load(community: Any, *, now: datetime, device_ids: list[int]) -> dict[str, Any]:
    """Hand over ``device_ids`` (ready devices) following :data:`PLAN`, as far as they go."""
    rng = random.Random(1212)
    clerk = Actor.system(community, label="loket (demo)")
    services.agreement_text_publish(
        actor=clerk,
        kind="loan",
        language="nl",
        title="Ontlening van een toestel van de digibank",
        body=(
            "De digibank leent u de toestellen hieronder uit tot de einddatum. U zorgt er goed "
            "voor en brengt ze terug met de lader.\n\nWilt u langer? Vraag het aan het loket."
        ),
    )
    residents = list(
        Person.objects.in_community(community)
        .filter(anonymised_at__isnull=True)
        .exclude(phone="")
        .order_by("pk")[: len(PLAN)]
    )
    partners = dict(
        Organisation.objects.in_community(community)
        .filter(slug__in=PARTNERS.values())
        .values_list("slug", "pk")
    )
    places = list(
        Place.objects.in_community(community)
        .filter(kind__in=["library_store", "digipunt"])
        .order_by("kind", "pk")
        .values_list("pk", flat=True)
    )
    made: list[int] = []
    queue = list(device_ids)
    for i, (days_ago, kind, count, due_days, language, partner) in enumerate(PLAN):
        if len(queue) < count:
            break
        devices, queue = queue[:count], queue[count:]
        person = residents[i] if i < len(residents) else None
        at = now - timedelta(days=days_ago, hours=rng.randint(0, 5))
        referral_id = None
        # The partner's limit may be used up by the referral demo's requests: then the other
        # partner referred this household.
        for slug in sorted(PARTNERS.values(), key=lambda v: v != PARTNERS.get(partner)):
            if partner and referral_id is None and slug in partners:
                referral_id = _referral(clerk, partners[slug], kind, devices, at, i)
        with clock.frozen(at):
            handover = services.handover_create(
                actor=clerk,
                kind=kind,
                device_ids=devices,
                person_id=person.pk if person else None,
                referral_id=referral_id,
                recipient_name="" if person else f"Bewoner {i + 1}",
                language=person.preferred_language if person else language,
                signature_png=_signature(rng),
                price_cents=2500 if kind == "sale" else 0,
                receipt_number=f"KW-{at:%Y}-{100 + i}" if kind == "sale" else "",
                due_on=(at + timedelta(days=due_days)).date() if due_days else None,
                connectivity=rng.choice(CONNECTIVITY),
                identity_checked=True,
                identity_document=rng.choice(["eid", "eid", "residence", "passport"]),
                place_id=places[i % len(places)] if places else None,
                idempotency_key=f"demo-handover-{i}",
            )
        made.append(handover.pk)
    return {"handovers": made, "devices_left": queue}


def _referral(
    clerk: Actor,
    organisation_id: int,
    kind: str,
    device_ids: list[int],
    at: datetime,
    i: int,
) -> int | None:
    """The partner's request this hand-over answers: filed, its first device set aside.
    None when the partner's limit is reached."""
    from buurtkit.lending.models import Device

    device_kind = Device.objects.get(pk=device_ids[0]).kind
    try:
        with clock.frozen(at - timedelta(days=ASKED_DAYS)):
            referral = services.referral_file(
                actor=clerk,
                organisation_id=organisation_id,
                kind=device_kind,
                purpose="Online zaken regelen en contact met school",
                eligibility="low_income",
                client_ref=f"HO-{at:%Y}-{200 + i}",
                wished=kind,
                idempotency_key=f"demo-handover-referral-{i}-{organisation_id}",
            )
        if getattr(referral, "replayed", False):
            return referral.pk  # a second run: handed over already
        with clock.frozen(at - timedelta(days=SET_ASIDE_DAYS)):
            services.referral_match(actor=clerk, referral_id=referral.pk, device_id=device_ids[0])
    except ServiceError:
        return None
    return referral.pk
