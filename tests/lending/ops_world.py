"""Rows of the device bank for the repair and overview tests.

Devices move through the stock service; hand-overs, loans and referrals are written with the
ORM (their services are other parts of the device bank), as the models allow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.lending.models import (
    AgreementText,
    Device,
    HandOver,
    HandOverDevice,
    Loan,
    Referral,
)

EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie",
            "wiped_on": "2026-01-01"}  # fmt: skip


def devices(
    system: Actor,
    n: int = 1,
    *,
    kind: str = "laptop",
    place_id: int | None = None,
    pool: str = "handout",
    brand: str = "Dell",
) -> list[Device]:
    donation = services.donation_receive(
        actor=system,
        received_on=date(2026, 1, 1),
        donor_name="Barco",
        place_id=place_id,
        devices=[
            {"kind": kind, "brand": brand, "model": "Latitude", "serial": f"S{i}", "pool": pool}
            for i in range(n)
        ],
    )
    return list(donation.devices.order_by("label"))


def step(system: Actor, device: Device, *kinds: str) -> Device:
    for kind in kinds:
        extra: dict[str, Any] = {"evidence": EVIDENCE} if kind == "wiped" else {}
        services.device_record_event(actor=system, device_id=device.pk, kind=kind, **extra)
    device.refresh_from_db()
    return device


def available(system: Actor, device: Device) -> Device:
    return step(system, device, "wiped", "checked", "available")


def agreement(system: Actor, kind: str = "loan") -> AgreementText:
    text = AgreementText.objects.filter(community=system.community, kind=kind).first()
    return text or AgreementText.objects.create(
        community=system.community,
        kind=kind,
        language="nl",
        version=1,
        title="Overeenkomst",
        body="Tekst",
    )


def hand_over(
    system: Actor,
    device_list: list[Device],
    *,
    kind: str = "loan",
    organisation_id: int | None = None,
    person_id: int | None = None,
    referral: Referral | None = None,
    place_id: int | None = None,
    at: datetime | None = None,
    connectivity: str = "own",
    due_on: date | None = None,
) -> HandOver:
    """A hand-over as the counter writes it: devices "handed over", a loan per device."""
    for device in device_list:
        if device.state != "available":
            available(system, device)
        step(system, device, "handed_over")
    handover = HandOver.objects.create(
        community=system.community,
        kind=kind,
        person_id=person_id,
        recipient_label="Resident",
        referral=referral,
        organisation_id=organisation_id,
        place_id=place_id,
        handed_at=at or clock.now(),
        handed_by_label="loket",
        agreement_text=agreement(system, kind),
        language="nl",
        connectivity=connectivity,
    )
    for device in device_list:
        HandOverDevice.objects.create(community=system.community, handover=handover, device=device)
        if kind == "loan":
            Loan.objects.create(
                community=system.community,
                handover=handover,
                device=device,
                due_on=due_on or date(2027, 6, 1),
            )
    return handover


def referral(
    system: Actor,
    organisation_id: int,
    *,
    state: str = "waiting",
    filed_at: datetime,
    matched_at: datetime | None = None,
) -> Referral:
    return Referral.objects.create(
        community=system.community,
        organisation_id=organisation_id,
        client_ref="K-1",
        kind="laptop",
        purpose="school",
        eligibility="low_income",
        state=state,
        filed_at=filed_at,
        matched_at=matched_at,
        filed_by_label="ocmw",
    )
