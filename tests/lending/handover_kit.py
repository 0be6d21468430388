"""Shared makings of the hand-over and loan tests: wiped devices, signatures, a hand-over."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.lending.models import Device, HandOver

BRUSSELS = ZoneInfo("Europe/Brussels")

EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip


def signature(width: int = 600, height: int = 200, ink: bool = True) -> bytes:
    """A PNG like the signature pad sends: transparent, with a dark scribble."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line(
            [(20, 150), (80, 40), (140, 160), (220, 50), (320, 150), (420, 60)],
            fill=(20, 20, 60, 255),
            width=5,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def ready_devices(system: Actor, n: int = 2, kind: str = "laptop") -> list[Device]:
    """``n`` donated devices, wiped with evidence, checked and available."""
    donation = services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[
            {
                "kind": kind,
                "brand": "Dell",
                "model": "Latitude 5490",
                "serial": f"SN{uuid.uuid4().hex[:8]}",
            }
            for _ in range(n)
        ],
    )
    devices = list(donation.devices.order_by("label"))
    # Wiped today (whatever day a test's clock says): a wipe is never in the future.
    evidence = {**EVIDENCE, "wiped_on": clock.now().date().isoformat()}
    for device in devices:
        services.device_record_event(
            actor=system, device_id=device.pk, kind="wiped", evidence=evidence
        )
        for step in ("checked", "available"):
            services.device_record_event(actor=system, device_id=device.pk, kind=step)
    return [Device.objects.get(pk=d.pk) for d in devices]


def due_in(days: int) -> date:
    """``days`` after today in Brussels, as the services count (not today in UTC: between
    midnight and 01:00 or 02:00 in Brussels the two dates differ)."""
    return clock.now().astimezone(BRUSSELS).date() + timedelta(days=days)


def hand_over(actor: Actor, devices: list[Device], **overrides: Any) -> HandOver:
    values: dict[str, Any] = {
        "kind": "gift",
        "device_ids": [d.pk for d in devices],
        "recipient_name": "Fatima El Amrani",
        "language": "nl",
        "signature_png": signature(),
        "connectivity": "social_tariff",
        "identity_checked": True,
        "identity_document": "eid",
        "idempotency_key": uuid.uuid4().hex,
    }
    values.update(overrides)
    return services.handover_create(actor=actor, **values)
