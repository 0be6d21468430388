"""API router for QR codes: thin, one service or selector call per endpoint.

Everything acts in the community of the key. Reading needs ``qrcodes.view``; making and changing
codes needs ``qrcodes.manage`` and, for a code that belongs to a team, membership of that team
(a key made for that organisation) or ``qrcodes.admin``. Webhooks need ``qrcodes.admin``; form
answers ``qrcodes.submissions``. Codes are never deleted: retire them (``POST …/status``), so a
printed code keeps answering with a friendly page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from buurtkit.core import clock
from buurtkit.core.apitools import (
    MAX_ID,
    NONBLANK,
    Count,
    Day,
    Id,
    In,
    Language,
    actor_of,
    idempotency_key_header,
    paged,
)
from buurtkit.core.errors import ValidationFailed
from buurtkit.qrcodes import codes, selectors, services
from buurtkit.qrcodes.imports import MAX_BYTES as MAX_UPLOAD
from buurtkit.qrcodes.recording import local_day

router = Router(tags=["qrcodes"])

MAX_PERIOD_DAYS = 366

IDEMPOTENCY_KEY = idempotency_key_header("batch")


# --- codes ---------------------------------------------------------------------------------


class RouteIn(In):
    name: str = Field("", max_length=100)
    conditions: list[dict[str, Any]] = Field(
        [],
        description='All must hold, e.g. {"type": "language", "values": ["fr"]}; '
        "audience, organisation, language, device, dates, schedule, param.",
    )
    action: str = Field(..., description="redirect, info, menu, form, webhook, …")
    params: dict[str, Any] = Field(
        {}, description='The action\'s settings: {"url": …} for a redirect.'
    )


class RouteOut(Schema):
    position: int = Field(..., description="1 is tried first.")
    name: str
    conditions: list[dict[str, Any]]
    action: str
    params: dict[str, Any]

    @staticmethod
    def resolve_position(obj: Any) -> int:
        return int(obj.position) + 1


class CodeOut(Schema):
    id: int
    code: str = Field(..., description="The printed public id, e.g. 7KM3QX9TD.")
    readable: str = Field(..., description="For labels and reading aloud: 7KM-3QX-9TD.")
    scan_path: str = Field(..., description="Append to the installation's address: /q/7KM3QX9TD.")
    slug: str | None
    title: str
    description: str
    tags: list[str]
    owner_id: int | None = Field(..., description="The team (organisation) that owns the code.")
    status: str = Field(..., description="unassigned, active, paused or retired.")
    contact: str
    link_type: str
    link_id: str
    batch_id: int | None
    version: int = Field(..., description="Send it back as expected_version when you change it.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_readable(obj: Any) -> str:
        return codes.readable(obj.code)

    @staticmethod
    def resolve_scan_path(obj: Any) -> str:
        return f"/q/{obj.code}"

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class CodeDetailOut(CodeOut):
    routes: list[RouteOut]

    @staticmethod
    def resolve_routes(obj: Any) -> list[Any]:
        return list(obj.routes.order_by("position"))


#: A vanity name as typed: blank (none), or 3 to 60 letters, digits and dashes (case and
#: surrounding spaces do not matter), neither starting nor ending with a dash.
VANITY_PATTERN = r"^\s*$|^\s*[A-Za-z0-9][A-Za-z0-9-]{1,58}[A-Za-z0-9]\s*$"


class CodeIn(In):
    title: str = Field("", max_length=150)
    description: str = Field("", max_length=5000)
    tags: list[str] = Field([], max_length=20)
    owner_id: Id | None = Field(None, description="A team you belong to (any team: admins).")
    slug: str | None = Field(
        None,
        pattern=VANITY_PATTERN,
        description="Optional vanity name (3-60 of a-z, 0-9, -). A name taken is an error.",
    )
    contact: str = Field("", max_length=200)
    link_type: str = Field("", description="A platform object the code stands for.")
    link_id: str = ""
    routes: list[RouteIn] | None = Field(
        None, description="With routes the code is active at once; without, a blank code."
    )


class CodePatch(In):
    title: str | None = Field(None, max_length=150)
    description: str | None = Field(None, max_length=5000)
    tags: list[str] | None = Field(None, max_length=20)
    owner_id: Id | None = None
    slug: str | None = Field(None, pattern=VANITY_PATTERN)
    contact: str | None = Field(None, max_length=200)
    link_type: str | None = None
    link_id: str | None = None
    expected_version: Count | None = Field(
        None, description="The version you saw; another version is a 409 conflict."
    )


class StatusIn(In):
    status: Literal["active", "paused", "retired"] = Field(..., description="retired is for good.")
    expected_version: Count | None = None


class RoutesIn(In):
    routes: list[RouteIn] = Field(..., description="In order: the first route that matches wins.")
    expected_version: Count | None = None


class RoutesOut(Schema):
    code_id: int
    version: int
    status: str
    routes: list[RouteOut]

    @staticmethod
    def resolve_code_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_routes(obj: Any) -> list[Any]:
        return list(obj.routes.order_by("position"))


class EventOut(Schema):
    id: int
    at: dt.datetime
    verb: str
    actor: str
    snapshot: dict[str, Any] = Field(..., description="The code and its routes after the change.")

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)


class BulkIn(In):
    code_ids: list[Id] = Field(..., min_length=1, max_length=1000)
    operation: Literal["tag", "untag", "pause", "activate", "retire", "retarget"]
    tag: str = Field("", description="For tag and untag.")
    url: str = Field("", description="For retarget: every code gets one redirect to this URL.")


class BulkOut(Schema):
    changed: int


class ItemResultOut(Schema):
    ok: bool
    id: int | None = None
    code: str | None = None
    error: str | None = Field(None, description="As in the API's errors: validation_error, …")
    detail: str | None = None
    fields: dict[str, str] = {}


class CodesBatchIn(In):
    items: list[CodeIn] = Field(..., min_length=1, max_length=services.MAX_CODES_AT_ONCE)


class CodesBatchOut(Schema):
    created: int
    failed: int
    items: list[ItemResultOut] = Field(..., description="One result per item, in order.")


@router.get("/codes", response=list[CodeOut], summary="List and search codes")
@paged
def list_codes(
    request: HttpRequest,
    q: str = "",
    tag: str = "",
    owner: Id | None = None,
    status: str = "",
    batch: Id | None = None,
) -> Any:
    return selectors.codes_list(
        actor=actor_of(request), q=q, tag=tag, owner_id=owner, status=status, batch_id=batch
    )


@router.post(
    "/codes",
    response={201: CodeDetailOut},
    summary="Make a code (with routes: active; without: blank, to claim later)",
)
def create_code(request: HttpRequest, payload: CodeIn) -> Any:
    return Status(201, services.code_create(actor=actor_of(request), **payload.dict()))


@router.post(
    "/codes/batch",
    response=CodesBatchOut,
    summary="Make up to 1,000 codes at once, with a result per item",
    description="Each item is made in its own savepoint: the good items are kept and the bad "
    "ones reported as `{ok: false, error, detail, fields}` with nothing of them written, so a "
    "client can fix and resend only the failed items. A request that is malformed as a whole "
    "(not a list, more than 1,000 items, an unknown field) is refused with 422 and writes "
    "nothing.",
)
def create_codes_batch(request: HttpRequest, payload: CodesBatchIn) -> Any:
    results = services.codes_create_many(
        actor=actor_of(request), items=[item.dict(exclude_unset=True) for item in payload.items]
    )
    created = sum(1 for r in results if r["ok"])
    return {"created": created, "failed": len(results) - created, "items": results}


@router.post(
    "/codes/bulk",
    response=BulkOut,
    summary="Tag, untag, pause, activate, retire or retarget many codes (all or nothing)",
)
def bulk_codes(request: HttpRequest, payload: BulkIn) -> Any:
    return {"changed": services.codes_bulk(actor=actor_of(request), **payload.dict())}


@router.get(
    "/codes/by-code/{public_id}",
    response=CodeDetailOut,
    summary="Find a code by its printed id or vanity name (scan-to-edit)",
)
def get_code_by_public_id(request: HttpRequest, public_id: str) -> Any:
    return selectors.code_by_public_id(actor=actor_of(request), text=public_id)


@router.get("/codes/{code_id}", response=CodeDetailOut, summary="A code with its routes")
def get_code(request: HttpRequest, code_id: Id) -> Any:
    return selectors.code_get(actor=actor_of(request), code_id=code_id)


@router.patch(
    "/codes/{code_id}",
    response=CodeDetailOut,
    summary="Change a code's description (send expected_version)",
)
def update_code(request: HttpRequest, code_id: Id, payload: CodePatch) -> Any:
    return services.code_update(
        actor=actor_of(request), code_id=code_id, **payload.dict(exclude_unset=True)
    )


@router.post(
    "/codes/{code_id}/status",
    response=CodeDetailOut,
    summary="Pause, resume or retire a code (codes are never deleted)",
)
def set_code_status(request: HttpRequest, code_id: Id, payload: StatusIn) -> Any:
    return services.code_set_status(actor=actor_of(request), code_id=code_id, **payload.dict())


@router.get("/codes/{code_id}/routes", response=RoutesOut, summary="A code's routes, in order")
def get_routes(request: HttpRequest, code_id: Id) -> Any:
    return selectors.code_get(actor=actor_of(request), code_id=code_id)


@router.put(
    "/codes/{code_id}/routes",
    response=RoutesOut,
    summary="Replace a code's routes (in order; a blank code becomes active)",
)
def set_routes(request: HttpRequest, code_id: Id, payload: RoutesIn) -> Any:
    data = payload.dict()
    return services.routes_set(
        actor=actor_of(request),
        code_id=code_id,
        routes=data["routes"],
        expected_version=data["expected_version"],
    )


@router.get(
    "/codes/{code_id}/history",
    response=list[EventOut],
    summary="Every change to a code, newest first",
)
@paged
def list_code_history(request: HttpRequest, code_id: Id) -> Any:
    return selectors.code_history(actor=actor_of(request), code_id=code_id)


# --- blank batches --------------------------------------------------------------------------


class BatchIn(In):
    size: int = Field(..., ge=1, le=100_000, description="1 to 100,000 blank codes.")
    title: str = Field("", max_length=120)
    owner_id: Id | None = None
    tags: list[str] = Field([], max_length=20)


class BatchOut(Schema):
    id: int
    title: str
    size: int
    done: int = Field(..., description="Codes made so far.")
    status: str = Field(..., description="pending, running, done or failed.")
    owner_id: int | None
    tags: list[str]
    error: str
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


@router.get("/batches", response=list[BatchOut], summary="Batches of blank codes, newest first")
@paged
def list_batches(request: HttpRequest) -> Any:
    return selectors.batches_list(actor=actor_of(request))


@router.post(
    "/batches",
    response={200: BatchOut, 202: BatchOut},
    summary="Order up to 100,000 blank codes; they are made in the background (202)",
    description="Poll `GET /batches/{id}` for progress (`done` of `size`). An optional "
    "Idempotency-Key header makes a retry return the first batch (200) instead of a second one; "
    "the same key for a different batch is a 409.",
)
def create_batch(
    request: HttpRequest, payload: BatchIn, idempotency_key: str | None = IDEMPOTENCY_KEY
) -> Any:
    batch = services.batch_create(
        actor=actor_of(request), idempotency_key=idempotency_key or "", **payload.dict()
    )
    return Status(200 if batch.replayed else 202, batch)


@router.get("/batches/{batch_id}", response=BatchOut, summary="A batch and its progress")
def get_batch(request: HttpRequest, batch_id: Id) -> Any:
    return selectors.batch_get(actor=actor_of(request), batch_id=batch_id)


# --- forms and their answers -----------------------------------------------------------------


FIELDS_DESCRIPTION = (
    'Up to 30 fields: {"key", "type": text|number|choice|date|phone|email|checkbox, '
    '"label": {"nl": …}, "required", "choices" (choice), "min"/"max" (number)}.'
)


class FormOut(Schema):
    id: int
    title: dict[str, str]
    fields: list[dict[str, Any]]
    thanks: dict[str, str]
    owner_id: int | None
    webhook_id: int | None
    keep_days: int | None = Field(..., description="Days answers are kept; null: until removed.")
    answers: int
    created_at: dt.datetime

    @staticmethod
    def resolve_answers(obj: Any) -> int:
        counted = getattr(obj, "answers", None)
        return int(counted) if counted is not None else int(obj.submissions.count())


class FormIn(In):
    title: dict[Language, Annotated[str, Field(pattern=NONBLANK)]] = Field(
        ..., min_length=1, description='One title per language: {"nl": …, "fr": …}.'
    )
    fields: list[dict[str, Any]] = Field(..., min_length=1, description=FIELDS_DESCRIPTION)
    thanks: dict[Language, str] = Field({}, description="Shown after answering, per language.")
    owner_id: Id | None = None
    webhook_id: Id | None = Field(None, description="Send every answer to this webhook.")
    keep_days: int | None = Field(
        None, ge=1, le=3650, description="Days answers are kept; empty: until removed."
    )


class FormPatch(In):
    title: dict[Language, Annotated[str, Field(pattern=NONBLANK)]] | None = Field(
        None, min_length=1
    )
    fields: list[dict[str, Any]] | None = Field(None, min_length=1, description=FIELDS_DESCRIPTION)
    thanks: dict[Language, str] | None = None
    webhook_id: int | None = Field(None, ge=0, le=MAX_ID, description="0 takes the webhook away.")
    keep_days: int | None = Field(
        None, ge=0, le=3650, description="Days answers are kept; 0: until removed."
    )


class SubmissionOut(Schema):
    id: int
    form_id: int
    code: str | None = Field(..., description="The code scanned to reach the form.")
    data: dict[str, Any]
    language: str
    at: dt.datetime
    submitted_by: str

    @staticmethod
    def resolve_code(obj: Any) -> str | None:
        return obj.code.code if obj.code_id else None


@router.get("/forms", response=list[FormOut], summary="Forms, with their number of answers")
@paged
def list_forms(request: HttpRequest) -> Any:
    return selectors.forms_list(actor=actor_of(request))


@router.post("/forms", response={201: FormOut}, summary="Make a form (use it in a form route)")
def create_form(request: HttpRequest, payload: FormIn) -> Any:
    return Status(201, services.form_create(actor=actor_of(request), **payload.dict()))


@router.get("/forms/{form_id}", response=FormOut)
def get_form(request: HttpRequest, form_id: Id) -> Any:
    return selectors.form_get(actor=actor_of(request), form_id=form_id)


@router.patch("/forms/{form_id}", response=FormOut, summary="Change a form")
def update_form(request: HttpRequest, form_id: Id, payload: FormPatch) -> Any:
    return services.form_update(
        actor=actor_of(request), form_id=form_id, **payload.dict(exclude_unset=True)
    )


@router.get(
    "/forms/{form_id}/submissions",
    response=list[SubmissionOut],
    summary="A form's answers, newest first (needs qrcodes.submissions)",
)
@paged
def list_submissions(request: HttpRequest, form_id: Id) -> Any:
    return selectors.submissions_list(actor=actor_of(request), form_id=form_id)


# --- webhooks -------------------------------------------------------------------------------


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    owner_id: int | None
    active: bool
    created_at: dt.datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(
        ...,
        description="Shown this once: check X-Buurtkit-Signature (HMAC-SHA256 of "
        "timestamp.body) with it.",
    )


class WebhookIn(In):
    name: str = Field(..., min_length=1, max_length=100)
    url: str = Field(..., max_length=500, description="https://… (no private addresses).")
    owner_id: Id | None = None


@router.get("/webhooks", response=list[WebhookOut], summary="Webhooks (never their secrets)")
@paged
def list_webhooks(request: HttpRequest) -> Any:
    return selectors.webhooks_list(actor=actor_of(request))


@router.post(
    "/webhooks",
    response={201: WebhookSecretOut},
    summary="Register a webhook; its secret is in this answer only",
)
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    hook, _secret = services.webhook_create(actor=actor_of(request), **payload.dict())
    return Status(201, hook)


@router.post(
    "/webhooks/{webhook_id}/rotate",
    response=WebhookSecretOut,
    summary="Give a webhook a new secret (shown once); the old one stops working",
)
def rotate_webhook_secret(request: HttpRequest, webhook_id: Id) -> Any:
    hook, _secret = services.webhook_rotate_secret(actor=actor_of(request), webhook_id=webhook_id)
    return hook


# --- scan statistics ------------------------------------------------------------------------


class DayOut(Schema):
    day: dt.date
    scans: int = Field(..., description="Scans by people (bots are left out).")
    visitors: int = Field(..., description="Unique visitors per code and day, summed.")
    bots: int = 0


class ShareOut(Schema):
    key: str = Field(..., description="Route number (1 first; empty: no route answered), …")
    scans: int


class TopCodeOut(Schema):
    id: int
    code: str
    title: str
    scans: int


class StatsOut(Schema):
    start: dt.date
    end: dt.date
    scans: int
    visitors: int
    bots: int = Field(..., description="Scans by bots and link previews, counted apart.")
    days: list[DayOut]
    by_route: list[ShareOut]
    by_source: list[ShareOut] = Field(..., description="print (/Q/), link (/q/) or a src= tag.")
    by_device: list[ShareOut]
    by_language: list[ShareOut]
    top_codes: list[TopCodeOut]


class StatsQuery(Schema):
    start: Day | None = Field(None, description="First day (default: 29 days before end).")
    end: Day | None = Field(None, description="Last day, included (default: today).")
    code_id: Id | None = None
    tag: str = ""
    owner: Id | None = Field(None, description="A team: the codes it owns.")


def _share_key(by: str, value: Any) -> str:
    if by == "route":
        return "" if value is None or int(value) < 0 else str(int(value) + 1)
    return str(value or "")


@router.get(
    "/stats",
    response=StatsOut,
    summary="Scans per day, by route/source/device/language, and the top codes",
    description="Europe/Brussels days; at most 366 days at once. Filter by one code, a tag or "
    "a team (owner).",
)
def get_stats(request: HttpRequest, filters: Query[StatsQuery]) -> Any:
    actor = actor_of(request)
    end = filters.end or local_day(clock.now())
    start = filters.start or end - dt.timedelta(days=29)
    if start > end or (end - start).days >= MAX_PERIOD_DAYS:
        message = _("Choose a start on or before the end, at most 366 days apart.")
        raise ValidationFailed(message, fields={"start": message})
    services.rollup_pending(community_id=actor.community.pk)  # finished days summed first
    out = selectors.stats_summary(
        actor=actor,
        start=start,
        end=end,
        code_id=filters.code_id,
        tag=filters.tag,
        owner_id=filters.owner,
    )
    for by in ("route", "source", "device", "language"):
        out[f"by_{by}"] = [
            {"key": _share_key(by, r[by]), "scans": r["scans"]} for r in out[f"by_{by}"]
        ]
    return out


# --- import ----------------------------------------------------------------------------------


class ImportRowOut(Schema):
    row: int = Field(..., description="The row's line in the file (the header is line 1).")
    ok: bool
    action: str | None = Field(None, description="created, updated or unchanged.")
    id: int | None = None
    code: str | None = None
    error: str | None = None
    detail: str | None = None
    fields: dict[str, str] = {}


class ImportOut(Schema):
    dry_run: bool
    atomic: bool
    created: int
    updated: int
    unchanged: int
    failed: int
    rows: list[ImportRowOut]


@router.post(
    "/import",
    response=ImportOut,
    summary="Create or update codes by slug from a CSV or XLSX file, with a result per row",
    description="Multipart upload, field `file`. Columns: slug (required), title, description, "
    "tags (comma separated), team (an organisation's slug), status, url (one redirect route) "
    "or route_json (a JSON list of routes). CSV in UTF-8 (with or without BOM), `,` or `;`. At "
    "most 10,000 rows. Each row is saved on its own (a bad row changes nothing, the good rows "
    "stay); `atomic=true` saves all rows or none; `dry_run=true` checks every row, saves none.",
)
def import_codes(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: bool = False,
    atomic: bool = False,
) -> Any:
    rows = services.codes_import_file(
        actor=actor_of(request),
        data=file.read(MAX_UPLOAD + 1),  # a larger file is refused without reading it all
        filename=file.name or "",
        dry_run=dry_run,
        atomic=atomic,
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for row in rows:
        counts[row["action"] if row["ok"] else "failed"] += 1
    return {"dry_run": dry_run, "atomic": atomic, **counts, "rows": rows}


# --- reservations and check-ins -------------------------------------------------------------

BOOKING_KEY = idempotency_key_header("booking")


class QrResourceOut(Schema):
    id: int
    name: str
    code_id: int | None = Field(..., description="The code whose route books it, if any.")
    capacity: int = Field(..., description="Places per time slot (for slots added from now).")
    keep_days: int = Field(..., description="Days names and contacts are kept after a slot.")
    active: bool
    created_at: dt.datetime


class QrResourceIn(In):
    name: str = Field(..., max_length=120)
    capacity: int = Field(1, ge=1, le=500)
    keep_days: int = Field(14, ge=1, le=3650)
    code_id: Id | None = None


class QrSlotsIn(In):
    day: dt.date = Field(..., description="The day, in Europe/Brussels.")
    start: dt.time = Field(..., description="First slot starts, e.g. 09:00.")
    end: dt.time = Field(..., description="Last slot ends by, e.g. 12:00.")
    minutes: int = Field(60, ge=5, le=24 * 60)
    capacity: int | None = Field(None, ge=1, le=500)


class QrSlotOut(Schema):
    id: int
    resource_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int = Field(..., description="Live bookings; never above capacity.")


class QrBookingIn(In):
    name: str = Field(..., max_length=120)
    contact: str = Field("", max_length=200, description="Phone number or e-mail address.")


class QrBookingOut(Schema):
    id: int
    slot_id: int
    resource_id: int
    starts_at: dt.datetime
    name: str
    contact: str
    status: str = Field(..., description="booked, checked_in, no_show or cancelled.")
    created_at: dt.datetime

    @staticmethod
    def resolve_starts_at(obj: Any) -> dt.datetime:
        return obj.slot.starts_at  # type: ignore[no-any-return]


class QrEntranceOut(Schema):
    id: int
    name: str
    code_id: int | None
    keep_days: int
    active: bool
    created_at: dt.datetime


class QrEntranceIn(In):
    name: str = Field(..., max_length=120)
    keep_days: int = Field(14, ge=1, le=3650)
    code_id: Id | None = None


class QrVisitIn(In):
    name: str = Field(..., max_length=120)


class QrVisitOut(Schema):
    id: int
    point_id: int
    name: str
    in_at: dt.datetime
    out_at: dt.datetime | None
    out_how: str = Field(..., description="self, staff or auto (end of the day); empty: in.")


class QrDayQuery(Schema):
    day: Day | None = Field(None, description="Only this day (Europe/Brussels).")


@router.get("/resources", response=list[QrResourceOut], summary="Bookable resources")
@paged
def list_resources(request: HttpRequest) -> Any:
    return selectors.resources_list(actor=actor_of(request))


@router.post("/resources", response={201: QrResourceOut}, summary="Add a bookable resource")
def create_resource(request: HttpRequest, payload: QrResourceIn) -> Any:
    return Status(201, services.resource_create(actor=actor_of(request), **payload.dict()))


@router.get(
    "/resources/{resource_id}/slots", response=list[QrSlotOut], summary="A resource's time slots"
)
@paged
def list_slots(request: HttpRequest, resource_id: Id, filters: Query[QrDayQuery]) -> Any:
    return selectors.slots_list(actor=actor_of(request), resource_id=resource_id, day=filters.day)


@router.post(
    "/resources/{resource_id}/slots",
    response={201: list[QrSlotOut]},
    summary="Add the time slots of one day (existing starts are kept)",
)
def add_slots(request: HttpRequest, resource_id: Id, payload: QrSlotsIn) -> Any:
    return Status(
        201, services.slots_add(actor=actor_of(request), resource_id=resource_id, **payload.dict())
    )


@router.get(
    "/resources/{resource_id}/bookings",
    response=list[QrBookingOut],
    summary="A resource's bookings, by time (needs qrcodes.submissions)",
)
@paged
def list_bookings(request: HttpRequest, resource_id: Id, filters: Query[QrDayQuery]) -> Any:
    return selectors.bookings_list(
        actor=actor_of(request), resource_id=resource_id, day=filters.day
    )


@router.post(
    "/slots/{slot_id}/bookings",
    response={200: QrBookingOut, 201: QrBookingOut},
    summary="Book a place for someone (409 slot_full when the slot is full)",
    description="An optional Idempotency-Key header makes a retry return the first booking "
    "(200) instead of a second one; the same key for a different booking is a 409.",
)
def create_booking(
    request: HttpRequest,
    slot_id: Id,
    payload: QrBookingIn,
    idempotency_key: str | None = BOOKING_KEY,
) -> Any:
    actor = actor_of(request)
    booking = services.booking_create(
        community=actor.community,
        actor=actor,
        slot_id=slot_id,
        idempotency_key=idempotency_key or "",
        **payload.dict(),
    )
    return Status(200 if booking.replayed else 201, booking)


@router.post("/bookings/{booking_id}/cancel", response=QrBookingOut, summary="Cancel a booking")
def cancel_booking(request: HttpRequest, booking_id: Id) -> Any:
    return services.booking_cancel(actor=actor_of(request), booking_id=booking_id)


@router.post(
    "/bookings/{booking_id}/check-in", response=QrBookingOut, summary="Mark that the person came"
)
def check_in_booking(request: HttpRequest, booking_id: Id) -> Any:
    return services.booking_check_in(actor=actor_of(request), booking_id=booking_id)


@router.get("/entrances", response=list[QrEntranceOut], summary="Check-in points (entrances)")
@paged
def list_entrances(request: HttpRequest) -> Any:
    return selectors.points_list(actor=actor_of(request))


@router.post("/entrances", response={201: QrEntranceOut}, summary="Add a check-in point")
def create_entrance(request: HttpRequest, payload: QrEntranceIn) -> Any:
    return Status(201, services.point_create(actor=actor_of(request), **payload.dict()))


@router.get(
    "/entrances/{point_id}/present",
    response=list[QrVisitOut],
    summary="Who is in the building now (needs qrcodes.submissions)",
)
@paged
def list_present(request: HttpRequest, point_id: Id) -> Any:
    return selectors.present(actor=actor_of(request), point_id=point_id)


@router.post("/entrances/{point_id}/visits", response={201: QrVisitOut}, summary="Check someone in")
def create_visit(request: HttpRequest, point_id: Id, payload: QrVisitIn) -> Any:
    actor = actor_of(request)
    visit = services.visit_check_in(
        community=actor.community, actor=actor, point_id=point_id, name=payload.name
    )
    return Status(201, visit)


@router.post("/visits/{visit_id}/check-out", response=QrVisitOut, summary="Check someone out")
def check_out_visit(request: HttpRequest, visit_id: Id) -> Any:
    return services.visit_check_out(actor=actor_of(request), visit_id=visit_id)
