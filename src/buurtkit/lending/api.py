"""The device bank's API: reads with ``lending.view``, stock writes with ``lending.manage``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import Count, Id, In, actor_of, idempotency_key_header, paged
from buurtkit.lending import selectors, services
from buurtkit.lending.models import Condition, DeviceKind, DeviceState, Pool

router = Router(tags=["device bank"])


class LendingDeviceOut(Schema):
    id: int
    label: str
    kind: str
    brand: str
    model: str
    serial: str
    specs: dict[str, str]
    condition: str
    pool: str
    place_id: int | None
    donation_id: int | None
    state: str
    state_changed_at: datetime
    events_count: int


class DeviceEventOut(Schema):
    seq: int
    kind: str
    at: datetime
    actor_label: str
    note: str
    data: dict[str, Any]


class DonatedDeviceIn(In):
    kind: DeviceKind
    brand: str = Field("", max_length=60)
    model: str = Field("", max_length=100)
    serial: str = Field("", max_length=100)
    specs: dict[str, str] = {}
    condition: Condition = Condition.GOOD
    pool: Pool = Pool.HANDOUT


class DonationIn(In):
    received_on: date
    devices: list[DonatedDeviceIn] = Field(..., min_length=1, max_length=500)
    donor_id: Id | None = None
    donor_name: str = Field("", max_length=150)
    note: str = Field("", max_length=300)
    place_id: Id | None = None


class DonationOut(Schema):
    id: int
    received_on: date
    donor_id: int | None
    donor_name: str
    announced: int
    devices: list[str]

    @staticmethod
    def resolve_devices(obj: Any) -> list[str]:
        return list(obj.devices.order_by("label").values_list("label", flat=True))


class WipeEvidenceIn(In):
    method: str = Field(..., max_length=200)
    tool: str = Field(..., max_length=200)
    operator: str = Field(..., max_length=200)
    wiped_on: date


class DeviceEventIn(In):
    kind: DeviceState
    note: str = Field("", max_length=300)
    evidence: WipeEvidenceIn | None = None
    expected_seq: Count | None = None


@router.get("/devices", response=list[LendingDeviceOut], summary="Search devices")
@paged
def list_devices(
    request: HttpRequest,
    q: str = "",
    state: DeviceState | Literal[""] = "",
    kind: DeviceKind | Literal[""] = "",
    pool: Pool | Literal[""] = "",
) -> Any:
    return selectors.devices_search(
        actor=actor_of(request), q=q[:100], state=state, kind=kind, pool=pool
    )


@router.get("/devices/{device_id}", response=LendingDeviceOut, summary="One device")
def get_device(request: HttpRequest, device_id: Id) -> Any:
    return selectors.device_get(actor=actor_of(request), device_id=device_id)


@router.get(
    "/devices/{device_id}/events", response=list[DeviceEventOut], summary="A device's history"
)
def list_events(request: HttpRequest, device_id: Id) -> Any:
    return selectors.device_events(actor=actor_of(request), device_id=device_id)


@router.post(
    "/devices/{device_id}/events", response={201: DeviceEventOut}, summary="Record the next step"
)
def record_event(request: HttpRequest, device_id: Id, payload: DeviceEventIn) -> Any:
    return Status(
        201,
        services.device_record_event(
            actor=actor_of(request),
            device_id=device_id,
            kind=payload.kind,
            note=payload.note,
            evidence=payload.evidence.dict() if payload.evidence else None,
            expected_seq=payload.expected_seq,
        ),
    )


@router.post(
    "/donations",
    response={200: DonationOut, 201: DonationOut},
    summary="Take in donated devices (send an Idempotency-Key)",
)
def receive_donation(
    request: HttpRequest,
    payload: DonationIn,
    idempotency_key: str | None = idempotency_key_header("donation"),
) -> Any:
    data = payload.dict()
    donation = services.donation_receive(
        actor=actor_of(request), idempotency_key=idempotency_key, **data
    )
    return Status(200 if getattr(donation, "replayed", False) else 201, donation)


@router.get("/stock", response=dict[str, Any], summary="Devices per kind, state and pool")
def stock(request: HttpRequest) -> Any:
    return selectors.stock_overview(actor=actor_of(request))
