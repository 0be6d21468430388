"""The device bank's API: reads with ``lending.view``, stock writes with ``lending.manage``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import (
    NONBLANK,
    Count,
    Email,
    Id,
    In,
    Language,
    actor_of,
    idempotency_key_header,
    paged,
)
from buurtkit.core.errors import ValidationFailed
from buurtkit.lending import selectors, services
from buurtkit.lending.models import (
    AgreementKind,
    CapPeriod,
    Condition,
    DeviceKind,
    DeviceState,
    Eligibility,
    Pool,
)

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


class DevicePhotoOut(Schema):
    id: int
    url: str = Field(..., description="The photo (JPEG) through the API: send the same key.")
    width: int
    height: int
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse(
            "api:lending_device_photo", kwargs={"device_id": obj.device_id, "photo_id": obj.pk}
        )


class LendingDeviceDetailOut(LendingDeviceOut):
    photos: list[DevicePhotoOut]

    @staticmethod
    def resolve_photos(obj: Any) -> list[Any]:
        return list(obj.photos.order_by("pk"))


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


@router.get(
    "/devices/{device_id}", response=LendingDeviceDetailOut, summary="One device, with its photos"
)
def get_device(request: HttpRequest, device_id: Id) -> Any:
    return selectors.device_get(actor=actor_of(request), device_id=device_id)


@router.get(
    "/devices/{device_id}/photos/{photo_id}.jpg",
    response={200: None},
    summary="A photo of a device (JPEG)",
    url_name="lending_device_photo",
)
def device_photo(request: HttpRequest, device_id: Id, photo_id: Id) -> Any:
    from django.http import Http404, HttpResponse

    photo = selectors.device_photo_get(
        actor=actor_of(request), device_id=device_id, photo_id=photo_id
    )
    try:
        with photo.image.open("rb") as handle:  # re-encoded: a few hundred kB at most
            data = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


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


# --- referrals: partners ask devices for households; staff decide, set aside, invite ---------
# Reading and filing need ``lending.refer`` (a partner: their own organisation's requests);
# deciding, matching, inviting and caps need ``lending.triage``.


class LendingReferralOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    client_ref: str
    kind: str
    purpose: str
    eligibility: str
    eligibility_note: str
    household_size: int | None
    wished: str
    state: str
    position: int | None = Field(None, description="Place in the queue of its kind (1 = next).")
    filed_at: datetime
    decided_at: datetime | None
    refusal_reason: str
    device_id: int | None
    device_label: str
    matched_at: datetime | None
    pickup_place_id: int | None
    pickup_at: datetime | None
    invited_at: datetime | None
    invited_via: str
    resident_id: int | None = Field(
        None, description="Only for staff, or for the partner who entered the resident."
    )
    resident_name: str

    @staticmethod
    def resolve_organisation_name(obj: Any) -> str:
        return str(obj.organisation.name)

    @staticmethod
    def resolve_device_label(obj: Any) -> str:
        return str(obj.device.label) if obj.device_id else ""

    @staticmethod
    def resolve_resident_id(obj: Any) -> int | None:
        return obj.person_id if getattr(obj, "resident_visible", False) else None

    @staticmethod
    def resolve_resident_name(obj: Any) -> str:
        return selectors.resident_name(obj)


class LendingResidentIn(In):
    first_name: str = Field(..., min_length=1, max_length=100, pattern=NONBLANK)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=30)
    email: Email = ""
    language: Language | Literal[""] = ""
    contact_sms: bool = False
    contact_email: bool = False
    contact_phone: bool = False


class LendingReferralIn(In):
    organisation_id: Id | None = None
    client_ref: str = Field(..., min_length=1, max_length=60, pattern=NONBLANK)
    kind: DeviceKind
    purpose: str = Field(..., min_length=1, max_length=300, pattern=NONBLANK)
    eligibility: Eligibility
    eligibility_note: str = Field("", max_length=300)
    household_size: int | None = Field(None, ge=1, le=30)
    wished: AgreementKind = AgreementKind.GIFT
    resident: LendingResidentIn | None = None
    person_id: Id | None = None


class LendingReasonIn(In):
    reason: str = Field("", max_length=300)


class LendingRefusalIn(In):
    reason: str = Field(..., min_length=1, max_length=300, pattern=NONBLANK)


class LendingMatchIn(In):
    device_id: Id | None = None


class LendingInviteIn(In):
    place_id: Id
    pickup_at: datetime
    device_id: Id | None = None
    channel: Literal["auto", "sms", "email", "referrer"] = "auto"


class LendingCapOut(Schema):
    organisation_id: int
    organisation_name: str
    period: str
    max_referrals: int
    used: int
    period_starts: datetime
    period_ends: datetime


class LendingCapIn(In):
    organisation_id: Id
    period: CapPeriod
    max_referrals: Count | None = Field(..., description="null removes the cap")


def _cap_out(usage: selectors.CapUsage) -> dict[str, Any]:
    return {
        "organisation_id": usage.cap.organisation_id,
        "organisation_name": usage.cap.organisation.name,
        "period": usage.cap.period,
        "max_referrals": usage.cap.max_referrals,
        "used": usage.used,
        "period_starts": usage.since,
        "period_ends": usage.until,
    }


def _referral(request: HttpRequest, referral_id: int) -> Any:
    return selectors.referral_get(actor=actor_of(request), referral_id=referral_id)


@router.get("/referrals", response=list[LendingReferralOut], summary="Requests for a device")
@paged
def list_referrals(
    request: HttpRequest,
    q: str = "",
    state: str = "",
    kind: str = "",
    organisation_id: Id | None = None,
) -> Any:
    return selectors.referrals_for(
        actor_of(request), q=q[:100], state=state, kind=kind, organisation_id=organisation_id
    )


@router.get("/referrals/{referral_id}", response=LendingReferralOut, summary="One request")
def get_referral(request: HttpRequest, referral_id: Id) -> Any:
    return _referral(request, referral_id)


@router.post(
    "/referrals",
    response={200: LendingReferralOut, 201: LendingReferralOut},
    summary="Ask a device for a household (send an Idempotency-Key)",
)
def file_referral(
    request: HttpRequest,
    payload: LendingReferralIn,
    idempotency_key: str | None = idempotency_key_header("request"),
) -> Any:
    data = payload.dict()
    resident = data.pop("resident")
    referral = services.referral_file(
        actor=actor_of(request), idempotency_key=idempotency_key, resident=resident, **data
    )
    status = 200 if getattr(referral, "replayed", False) else 201
    return Status(status, _referral(request, referral.pk))


@router.post("/referrals/{referral_id}/approve", response=LendingReferralOut, summary="Approve")
def approve_referral(request: HttpRequest, referral_id: Id) -> Any:
    services.referral_approve(actor=actor_of(request), referral_id=referral_id)
    return _referral(request, referral_id)


@router.post(
    "/referrals/{referral_id}/refuse", response=LendingReferralOut, summary="Refuse, with a reason"
)
def refuse_referral(request: HttpRequest, referral_id: Id, payload: LendingRefusalIn) -> Any:
    services.referral_refuse(
        actor=actor_of(request), referral_id=referral_id, reason=payload.reason
    )
    return _referral(request, referral_id)


@router.post("/referrals/{referral_id}/cancel", response=LendingReferralOut, summary="Withdraw")
def cancel_referral(request: HttpRequest, referral_id: Id, payload: LendingReasonIn) -> Any:
    services.referral_cancel(
        actor=actor_of(request), referral_id=referral_id, reason=payload.reason
    )
    return _referral(request, referral_id)


@router.post(
    "/referrals/{referral_id}/match",
    response=LendingReferralOut,
    summary="Set a device aside (the given one, or the longest available of the right kind)",
)
def match_referral(request: HttpRequest, referral_id: Id, payload: LendingMatchIn) -> Any:
    services.referral_match(
        actor=actor_of(request), referral_id=referral_id, device_id=payload.device_id
    )
    return _referral(request, referral_id)


@router.post(
    "/referrals/{referral_id}/invite",
    response=LendingReferralOut,
    summary="Invite the resident to pick the device up (SMS or e-mail, or via the partner)",
)
def invite_referral(request: HttpRequest, referral_id: Id, payload: LendingInviteIn) -> Any:
    services.referral_invite(
        actor=actor_of(request),
        referral_id=referral_id,
        place_id=payload.place_id,
        pickup_at=payload.pickup_at,
        device_id=payload.device_id,
        channel=payload.channel,
    )
    return _referral(request, referral_id)


@router.get("/referral-caps", response=list[LendingCapOut], summary="Partners' caps and use")
def list_caps(request: HttpRequest) -> Any:
    actor = actor_of(request)
    actor.require("lending.triage")
    return [_cap_out(u) for u in selectors.cap_usage(actor=actor)]


@router.post(
    "/referral-caps",
    response={200: LendingCapOut, 204: None},
    summary="Set a partner's cap for a period (null removes it)",
)
def set_cap(request: HttpRequest, payload: LendingCapIn) -> Any:
    actor = actor_of(request)
    cap = services.cap_set(
        actor=actor,
        organisation_id=payload.organisation_id,
        period=payload.period,
        max_referrals=payload.max_referrals,
    )
    if cap is None:
        return Status(204, None)
    (usage,) = selectors.cap_usage(
        actor=actor, organisation_id=cap.organisation_id, period=cap.period
    )
    return _cap_out(usage)


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
    problem: str = Field(..., min_length=1, max_length=500, pattern=NONBLANK)
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
        pattern=r"^data:image/png;base64,",
        description="The finger signature: a PNG as a data URL (data:image/png;base64,…).",
    )
    price_cents: int = Field(0, ge=0, le=1_000_000)
    receipt_number: str = Field("", max_length=30)
    due_on: date | None = None
    connectivity: Literal["own", "social_tariff", "voucher", "public", "none", "unknown"]
    connectivity_note: str = Field("", max_length=200)
    identity_checked: Literal[True] = Field(
        ..., description="Staff saw an identity document (a hand-over is refused without)."
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
    idempotency_key: str | None = idempotency_key_header("hand-over", required=True),
) -> Any:
    data = payload.dict()
    signature = services.signature_from_data_url(data.pop("signature"))
    try:
        handover = services.handover_create(
            actor=actor_of(request),
            signature_png=signature,
            idempotency_key=idempotency_key,
            **data,
        )
    except ValidationFailed as exc:
        # The service names the PNG it was given; the API's field is the data URL.
        if "signature_png" in exc.fields:
            exc.fields["signature"] = exc.fields.pop("signature_png")
        raise
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
