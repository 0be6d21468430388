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


# --- hand-overs, agreement texts and loans (the counter) ------------------------------------


class LendingHandOverOut(Schema):
    id: int
    kind: str
    person_id: int | None
    recipient_label: str
    referral_id: int | None
    organisation_id: int | None
    place_id: int | None
    handed_at: datetime
    handed_by_label: str
    agreement_text_id: int
    language: str
    price_cents: int
    receipt_number: str
    connectivity: str
    connectivity_note: str
    identity_checked: bool
    identity_document: str
    pdf_sha256: str
    devices: list[str]

    @staticmethod
    def resolve_devices(obj: Any) -> list[str]:
        return [item.device.label for item in obj.items.all()]


AgreementKindIn = Literal["gift", "loan", "sale"]
LanguageIn = Literal["nl", "en", "fr"]


class LendingHandOverIn(In):
    kind: AgreementKindIn
    device_ids: list[Id] = Field(..., min_length=1, max_length=10)
    recipient_name: str = Field("", max_length=150)
    person_id: Id | None = None
    referral_id: Id | None = None
    place_id: Id | None = None
    language: LanguageIn
    signature: str = Field(
        ...,
        max_length=600_000,
        description="The finger signature: a PNG as a data URL (data:image/png;base64,…).",
    )
    price_cents: int = Field(0, ge=0, le=1_000_000)
    receipt_number: str = Field("", max_length=30)
    due_on: date | None = None
    connectivity: Literal["own", "social_tariff", "voucher", "public", "none", "unknown"]
    connectivity_note: str = Field("", max_length=200)
    identity_checked: bool = Field(
        False, description="Staff saw an identity document (a hand-over is refused without)."
    )
    identity_document: Literal["", "eid", "residence", "passport", "driving", "other"] = ""


class LendingAgreementTextOut(Schema):
    id: int
    kind: str
    language: str
    version: int
    title: str
    body: str
    created_at: datetime


class LendingAgreementTextIn(In):
    kind: AgreementKindIn
    language: LanguageIn
    title: str = Field(..., max_length=150)
    body: str = Field(..., max_length=10_000)


class LendingLoanOut(Schema):
    id: int
    handover_id: int
    device_id: int
    device_label: str
    due_on: date
    extensions: int
    state: str
    returned_at: datetime | None
    returned_complete: bool | None
    returned_damaged: bool | None
    last_reminder: str
    reminder_via: str

    @staticmethod
    def resolve_device_label(obj: Any) -> str:
        return str(obj.device.label)


class LendingLoanExtendIn(In):
    due_on: date


class LendingLoanReturnIn(In):
    complete: bool
    damaged: bool
    note: str = Field("", max_length=300)


@router.get("/handovers", response=list[LendingHandOverOut], summary="Hand-overs, newest first")
@paged
def list_handovers(request: HttpRequest, kind: str = "") -> Any:
    return selectors.handovers_list(actor=actor_of(request), kind=kind[:8])


@router.post(
    "/handovers",
    response={200: LendingHandOverOut, 201: LendingHandOverOut},
    summary="Hand devices over with the signed agreement (send an Idempotency-Key)",
)
def create_handover(
    request: HttpRequest,
    payload: LendingHandOverIn,
    idempotency_key: str | None = idempotency_key_header("hand-over"),
) -> Any:
    data = payload.dict()
    signature = services.signature_from_data_url(data.pop("signature"))
    handover = services.handover_create(
        actor=actor_of(request),
        signature_png=signature,
        idempotency_key=idempotency_key,
        **data,
    )
    return Status(200 if getattr(handover, "replayed", False) else 201, handover)


@router.get("/handovers/{handover_id}", response=LendingHandOverOut, summary="One hand-over")
def get_handover(request: HttpRequest, handover_id: Id) -> Any:
    return selectors.handover_get(actor=actor_of(request), handover_id=handover_id)


@router.get(
    "/handovers/{handover_id}/agreement.pdf",
    response={200: None},
    summary="The signed agreement (PDF)",
)
def handover_agreement_pdf(request: HttpRequest, handover_id: Id) -> Any:
    from django.http import HttpResponse

    handover = selectors.handover_get(actor=actor_of(request), handover_id=handover_id)
    response = HttpResponse(services.agreement_pdf(handover), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{handover.pk}.pdf"'
    return response


@router.get(
    "/agreement-texts",
    response=list[LendingAgreementTextOut],
    summary="The agreement texts, every version",
)
@paged
def list_agreement_texts(request: HttpRequest, kind: str = "", language: str = "") -> Any:
    return selectors.agreement_texts_list(
        actor=actor_of(request), kind=kind[:8], language=language[:5]
    )


@router.post(
    "/agreement-texts",
    response={201: LendingAgreementTextOut},
    summary="Publish a new version of an agreement text",
)
def publish_agreement_text(request: HttpRequest, payload: LendingAgreementTextIn) -> Any:
    return Status(201, services.agreement_text_publish(actor=actor_of(request), **payload.dict()))


@router.get("/loans", response=list[LendingLoanOut], summary="Loans (filter: due, overdue)")
@paged
def list_loans(request: HttpRequest, due: str = "", state: str = "open") -> Any:
    return selectors.loans_list(actor=actor_of(request), due=due[:10], state=state[:8])


@router.post("/loans/{loan_id}/extend", response=LendingLoanOut, summary="Extend a loan")
def extend_loan(request: HttpRequest, loan_id: Id, payload: LendingLoanExtendIn) -> Any:
    return services.loan_extend(actor=actor_of(request), loan_id=loan_id, due_on=payload.due_on)


@router.post("/loans/{loan_id}/return", response=LendingLoanOut, summary="Take a lent device back")
def return_loan(request: HttpRequest, loan_id: Id, payload: LendingLoanReturnIn) -> Any:
    return services.loan_return(actor=actor_of(request), loan_id=loan_id, **payload.dict())
