"""Demo part of the counter: agreement texts, hand-overs of each kind (gift, loan, sale at
social tariff) with signatures, and loans of which some are overdue. The lead's
``lending/demo.py`` calls :func:`load` with devices the stock part made ready (wiped,
checked, available)."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.people.models import Person

#: (days ago, kind, devices, due in days after the hand-over, language) of each hand-over.
PLAN = [
    (70, "loan", 1, 30, "nl"),  # overdue by 40 days
    (50, "loan", 2, 45, "fr"),  # overdue by 5 days
    (40, "gift", 1, None, "nl"),
    (30, "sale", 1, None, "nl"),
    (20, "loan", 1, 60, "en"),  # due in 40 days
    (12, "loan", 1, 15, "nl"),  # due in 3 days
    (8, "gift", 2, None, "fr"),
    (3, "sale", 1, None, "fr"),
    (1, "loan", 1, 90, "nl"),
]
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
    made: list[int] = []
    queue = list(device_ids)
    for i, (days_ago, kind, count, due_days, language) in enumerate(PLAN):
        if len(queue) < count:
            break
        devices, queue = queue[:count], queue[count:]
        person = residents[i] if i < len(residents) else None
        at = now - timedelta(days=days_ago, hours=rng.randint(0, 5))
        with clock.frozen(at):
            handover = services.handover_create(
                actor=clerk,
                kind=kind,
                device_ids=devices,
                person_id=person.pk if person else None,
                recipient_name="" if person else f"Bewoner {i + 1}",
                language=person.preferred_language if person else language,
                signature_png=_signature(rng),
                price_cents=2500 if kind == "sale" else 0,
                receipt_number=f"KW-{at:%Y}-{100 + i}" if kind == "sale" else "",
                due_on=(at + timedelta(days=due_days)).date() if due_days else None,
                connectivity=rng.choice(CONNECTIVITY),
                identity_checked=True,
                identity_document=rng.choice(["eid", "eid", "residence", "passport"]),
                idempotency_key=f"demo-handover-{i}",
            )
        made.append(handover.pk)
    return {"handovers": made, "devices_left": queue}
