"""The device bank's API: reads with ``lending.view``, stock writes with ``lending.manage``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import Count, Id, In, actor_of, idempotency_key_header, paged
from buurtkit.lending import selectors, services

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
    kind: str
    brand: str = Field("", max_length=60)
    model: str = Field("", max_length=100)
    serial: str = Field("", max_length=100)
    specs: dict[str, str] = {}
    condition: str = "good"
    pool: str = "handout"


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
    kind: str = Field(..., max_length=20)
    note: str = Field("", max_length=300)
    evidence: WipeEvidenceIn | None = None
    expected_seq: Count | None = None


@router.get("/devices", response=list[LendingDeviceOut], summary="Search devices")
@paged
def list_devices(
    request: HttpRequest, q: str = "", state: str = "", kind: str = "", pool: str = ""
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


# --- repairs and the overview (H6) -----------------------------------------------------------

RepairerName = Literal["after_sales", "repair_cafe", "partner", "own"]
RepairOutcome = Literal["fixed", "replaced", "beyond_repair"]
RepairStateFilter = Literal["", "active", "open", "in_repair", "fixed", "replaced", "beyond_repair"]


class LendingRepairOut(Schema):
    id: int
    device_id: int
    device_label: str = Field(..., alias="device.label")
    handover_id: int | None
    organisation_id: int | None
    opened_via: str
    opened_by_label: str
    opened_at: datetime
    problem: str
    repairer: str
    repairer_name: str
    state: str
    closed_at: datetime | None
    outcome_note: str
    replacement_id: int | None


class LendingRepairOpenIn(In):
    device_id: Id
    problem: str = Field(..., min_length=1, max_length=500)
    repairer: RepairerName = "after_sales"
    repairer_name: str = Field("", max_length=150)


class LendingRepairStartIn(In):
    repairer: RepairerName | None = None
    repairer_name: str | None = Field(None, max_length=150)


class LendingRepairCloseIn(In):
    outcome: RepairOutcome
    note: str = Field("", max_length=300)
    replacement_device_id: Id | None = None


@router.get("/repairs", response=list[LendingRepairOut], summary="Repair tickets")
@paged
def list_repairs(
    request: HttpRequest,
    state: RepairStateFilter = "",
    repairer: RepairerName | Literal[""] = "",
    device_id: Id | None = None,
) -> Any:
    return selectors.repairs_for(
        actor=actor_of(request), state=state, repairer=repairer, device_id=device_id
    )


@router.get("/repairs/{ticket_id}", response=LendingRepairOut, summary="One repair ticket")
def get_repair(request: HttpRequest, ticket_id: Id) -> Any:
    return selectors.repair_get(actor=actor_of(request), ticket_id=ticket_id)


@router.post(
    "/repairs",
    response={200: LendingRepairOut, 201: LendingRepairOut},
    summary="Report a broken device (send an Idempotency-Key)",
)
def open_repair(
    request: HttpRequest,
    payload: LendingRepairOpenIn,
    idempotency_key: str | None = idempotency_key_header("repair ticket"),
) -> Any:
    ticket = services.repair_open(
        actor=actor_of(request), idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(200 if getattr(ticket, "replayed", False) else 201, ticket)


@router.post("/repairs/{ticket_id}/start", response=LendingRepairOut, summary="The repair starts")
def start_repair(request: HttpRequest, ticket_id: Id, payload: LendingRepairStartIn) -> Any:
    return services.repair_start(actor=actor_of(request), ticket_id=ticket_id, **payload.dict())


@router.post(
    "/repairs/{ticket_id}/close",
    response=LendingRepairOut,
    summary="Close a ticket: fixed, replaced or beyond repair",
)
def close_repair(request: HttpRequest, ticket_id: Id, payload: LendingRepairCloseIn) -> Any:
    return services.repair_close(actor=actor_of(request), ticket_id=ticket_id, **payload.dict())


@router.get(
    "/overview",
    response=dict[str, Any],
    summary="The device bank's figures (optionally for one municipality)",
)
def overview(request: HttpRequest, municipality_id: Id | None = None) -> Any:
    figures = selectors.lending_overview(actor=actor_of(request), municipality_id=municipality_id)
    municipality = figures["municipality"]
    return {
        **figures,
        "today": figures["today"].isoformat(),
        "municipality": {"id": municipality.pk, "name": municipality.name}
        if municipality
        else None,
        "handovers": {
            **figures["handovers"],
            "since": figures["handovers"]["since"].isoformat(),
            "months": [
                {**row, "month": row["month"].strftime("%Y-%m")}
                for row in figures["handovers"]["months"]
            ],
        },
    }
