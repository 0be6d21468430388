"""The helpdesk API: tickets (list, detail, create with an Idempotency-Key), replies and
notes, status, assignment, links, and categories.

Reads take ``helpdesk.view``; working on tickets ``helpdesk.handle``; categories
``helpdesk.manage`` (digibuddies work on their own tickets in the pages, not the API).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_type_hints

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from buurtkit.core.apitools import (
    NONBLANK,
    Email,
    Id,
    In,
    Language,
    Paging,
    actor_of,
    idempotency_key_header,
    one_of,
    paged,
)
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Channel, HandoverTo, Kind, MessageKind
from buurtkit.helpdesk.models import Status as TicketStatus

router = Router(tags=["helpdesk"])

#: A category's key: lower-case letters, digits and dashes (at least one letter or digit).
KEY_PATTERN = r"^[a-z0-9-]*[a-z0-9][a-z0-9-]*$"

StatusFilter = one_of(selectors.STATUS_FILTERS)
LateFilter = one_of(selectors.LATE_FILTERS)
ChannelFilter = one_of(["", *Channel.values])
Names = dict[Language, Annotated[str, Field(min_length=1, max_length=120, pattern=NONBLANK)]]
Hours = Annotated[int, Field(ge=1, le=8760)]


class HelpdeskCategoryOut(Schema):
    id: int
    key: str
    name: dict[str, str]
    team_id: int | None
    first_response_hours: int
    resolution_hours: int
    active: bool


class HelpdeskCategoryIn(In):
    key: str = Field(..., min_length=1, max_length=40, pattern=KEY_PATTERN)
    name: Names = Field(..., min_length=1)
    team_id: Id | None = None
    first_response_hours: Hours = 24
    resolution_hours: Hours = 120
    active: bool = True


class HelpdeskCategoryPatch(In):
    name: Names | None = Field(None, min_length=1)
    team_id: Id | None = None
    first_response_hours: Hours | None = None
    resolution_hours: Hours | None = None
    active: bool | None = None


class HelpdeskMessageOut(Schema):
    id: int
    kind: str
    body: str
    via: str
    delivery: str
    author_label: str
    created_at: datetime


class HelpdeskTicketOut(Schema):
    id: int
    number: int
    kind: str
    channel: str
    status: str
    handover_to: str
    subject: str
    category_id: int | None
    team_id: int | None
    person_id: int | None
    contact_name: str
    contact_phone: str
    contact_email: str
    language: str
    assigned_user_id: int | None
    assigned_volunteer_id: int | None
    parent_id: int | None
    device_id: int | None
    registration_id: int | None
    place_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    resolve_due_at: datetime | None


class HelpdeskTicketDetailOut(HelpdeskTicketOut):
    #: "" (on time), "late" or "very_late" now.
    late: str
    messages: list[HelpdeskMessageOut]

    @staticmethod
    def resolve_late(obj: Any) -> str:
        return str(obj.mark)

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.thread)


class HelpdeskContactIn(In):
    name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    email: Email | None = None


class HelpdeskTicketIn(In):
    channel: one_of(Channel.values) = "api"  # type: ignore[valid-type]
    subject: str = Field(..., min_length=1, max_length=200, pattern=NONBLANK)
    body: str = Field("", max_length=10000)
    category_id: Id | None = None
    person_id: Id | None = None
    contact: HelpdeskContactIn | None = None
    language: Language | None = None
    kind: one_of(Kind.values) = "question"  # type: ignore[valid-type]
    parent_id: Id | None = None
    device_id: Id | None = None
    registration_id: Id | None = None
    place_id: Id | None = None


class HelpdeskTicketPatch(In):
    subject: str | None = Field(None, min_length=1, max_length=200, pattern=NONBLANK)
    category_id: Id | None = None
    person_id: Id | None = None
    device_id: Id | None = None
    registration_id: Id | None = None


class HelpdeskMessageIn(In):
    kind: one_of(MessageKind.values) = "note"  # type: ignore[valid-type]
    body: str = Field(..., min_length=1, max_length=10000, pattern=NONBLANK)
    via: one_of(services.REPLY_VIA) = "auto"  # type: ignore[valid-type]


class HelpdeskStatusIn(In):
    status: one_of(TicketStatus.values)  # type: ignore[valid-type]
    handover_to: one_of(["", *HandoverTo.values]) = ""  # type: ignore[valid-type]
    volunteer_id: Id | None = None
    note: str = Field("", max_length=2000)


class HelpdeskAssignIn(In):
    user_id: Id | None = None
    volunteer_id: Id | None = None


class QueuePage(Schema):
    """A page of the queue: its tickets and how many there are (capped)."""

    items: list[Any]
    count: int = Field(
        ...,
        description="Tickets, counted up to 1,000 (or to the end of this page): "
        "see `count_capped`.",
    )
    count_capped: bool = Field(
        ..., description="True: there are more tickets than `count`; filter more."
    )


class QueuePaging(Paging):
    """The queue's pages: the count stops at :data:`selectors.COUNT_CAP` tickets (or at the
    end of the page asked for, if later) and ``count_capped`` says so. Counting every ticket
    of a city, or every match of a common word, costs more than the page itself
    (bench/helpdesk_queue.py)."""

    Output = QueuePage  # type: ignore[assignment]  # ninja reads it: the page with count_capped

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        items = list(queryset[offset : offset + limit])
        if offset == 0 and len(items) < limit:
            return {"items": items, "count": len(items), "count_capped": False}  # all there is
        count, capped = selectors.count_capped(queryset, at_least=offset + limit)
        return {"items": items, "count": count, "count_capped": capped}


def _queue_paged(view: Any) -> Any:
    """As ``@paged``, with the queue's capped count."""
    view.__annotations__ = get_type_hints(view, include_extras=True)
    return paginate(QueuePaging)(view)


@router.get("/tickets", response=list[HelpdeskTicketOut], summary="The ticket queue")
@_queue_paged
def list_tickets(
    request: HttpRequest,
    status: StatusFilter = "unfinished",  # type: ignore[valid-type]
    team_id: Id | None = None,
    category_id: Id | None = None,
    channel: ChannelFilter = "",  # type: ignore[valid-type]
    late: LateFilter = "",  # type: ignore[valid-type]
    mine: bool = False,
    q: str = "",
) -> Any:
    return selectors.staff_queue(
        actor=actor_of(request),
        status=status,
        team_id=team_id,
        category_id=category_id,
        channel=channel,
        late=late,
        mine=mine,
        q=q[:100],
    )


@router.post(
    "/tickets",
    response={200: HelpdeskTicketOut, 201: HelpdeskTicketOut},
    summary="File a ticket (send an Idempotency-Key)",
)
def create_ticket(
    request: HttpRequest,
    payload: HelpdeskTicketIn,
    idempotency_key: str = idempotency_key_header("ticket", required=True),
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")  # digibuddies file in the pages
    data = payload.dict()
    contact = data.pop("contact") or {}
    made = services.ticket_create(
        actor=actor,
        contact=services.Contact(
            name=contact.get("name", ""),
            phone=contact.get("phone", ""),
            email=contact.get("email") or "",
        ),
        language=data.pop("language") or "",
        idempotency_key=idempotency_key,
        **data,
    )
    return Status(200 if getattr(made, "replayed", False) else 201, made)


@router.get("/tickets/{helpdesk_ticket_id}", response=HelpdeskTicketDetailOut, summary="One ticket")
def get_ticket(request: HttpRequest, helpdesk_ticket_id: Id) -> Any:
    return selectors.staff_ticket(actor=actor_of(request), ticket_id=helpdesk_ticket_id)


@router.patch(
    "/tickets/{helpdesk_ticket_id}",
    response=HelpdeskTicketOut,
    summary="Change a ticket's subject, category or links",
)
def update_ticket(
    request: HttpRequest, helpdesk_ticket_id: Id, payload: HelpdeskTicketPatch
) -> Any:
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return services.ticket_update(actor=actor_of(request), ticket_id=helpdesk_ticket_id, **data)


@router.post(
    "/tickets/{helpdesk_ticket_id}/messages",
    response={200: HelpdeskMessageOut, 201: HelpdeskMessageOut},
    summary="Reply to the resident, write a note, or add the resident's message",
)
def add_message(
    request: HttpRequest,
    helpdesk_ticket_id: Id,
    payload: HelpdeskMessageIn,
    idempotency_key: str | None = idempotency_key_header("message"),
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    made = services.message_add(
        actor=actor,
        ticket_id=helpdesk_ticket_id,
        idempotency_key=idempotency_key or "",
        **payload.dict(),
    )
    return Status(200 if getattr(made, "replayed", False) else 201, made)


@router.post(
    "/tickets/{helpdesk_ticket_id}/status",
    response=HelpdeskTicketOut,
    summary="Move a ticket to another status (handing over says to whom)",
)
def change_status(request: HttpRequest, helpdesk_ticket_id: Id, payload: HelpdeskStatusIn) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    return services.ticket_transition(actor=actor, ticket_id=helpdesk_ticket_id, **payload.dict())


@router.post(
    "/tickets/{helpdesk_ticket_id}/assign",
    response=HelpdeskTicketOut,
    summary="Assign a ticket to a staff login and/or a digibuddy",
)
def assign(request: HttpRequest, helpdesk_ticket_id: Id, payload: HelpdeskAssignIn) -> Any:
    return services.ticket_assign(
        actor=actor_of(request), ticket_id=helpdesk_ticket_id, **payload.dict()
    )


@router.get("/categories", response=list[HelpdeskCategoryOut], summary="Helpdesk categories")
def list_categories(request: HttpRequest) -> Any:
    return selectors.staff_categories(actor=actor_of(request))


@router.post("/categories", response={201: HelpdeskCategoryOut}, summary="Add a category")
def create_category(request: HttpRequest, payload: HelpdeskCategoryIn) -> Any:
    return Status(201, services.category_save(actor=actor_of(request), **payload.dict()))


@router.patch(
    "/categories/{helpdesk_category_id}",
    response=HelpdeskCategoryOut,
    summary="Change a category (new deadlines count for new tickets)",
)
def update_category(
    request: HttpRequest, helpdesk_category_id: Id, payload: HelpdeskCategoryPatch
) -> Any:
    return services.category_change(
        actor=actor_of(request),
        category_id=helpdesk_category_id,
        **{k: v for k, v in payload.dict().items() if v is not None},
    )


# --- home visits (hd-home) ---
# Staff and integrators plan and record visits here; digibuddies use their pages.


class HelpdeskVisitOut(Schema):
    id: int
    ticket_id: int
    volunteer_id: int | None
    provider: str
    address: str
    scheduled_at: datetime
    expected_minutes: int
    budget_year: int
    status: str
    #: A provider's visit: reserved (planned) or the real cost (done); 0 for a digibuddy.
    cost_cents: int
    over_budget: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    report: str
    follow_up_of_id: int | None
    reminded_at: datetime | None
    created_at: datetime


class HelpdeskVisitIn(In):
    ticket_id: Id
    scheduled_at: datetime
    expected_minutes: int = Field(..., ge=1, le=480)
    address: str = Field("", max_length=300)
    volunteer_id: Id | None = None
    provider: str = Field("", max_length=120)
    follow_up_of_id: Id | None = None
    #: A coordinator plans past the remaining budget.
    override: bool = False


class HelpdeskVisitCheckOutIn(In):
    report: str = Field("", max_length=2000)


class HelpdeskVisitReportIn(In):
    report: str = Field(..., min_length=1, max_length=2000, pattern=NONBLANK)


class HelpdeskVisitCloseIn(In):
    status: one_of(["cancelled", "no_show"])  # type: ignore[valid-type]


VisitFilter = one_of(selectors.VISIT_FILTERS)


@router.get("/visits", response=list[HelpdeskVisitOut], summary="Home visits")
@paged
def list_visits(
    request: HttpRequest,
    which: VisitFilter = "upcoming",  # type: ignore[valid-type]
    ticket_id: Id | None = None,
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.view")
    return selectors.visits_list(actor=actor, which=which, ticket_id=ticket_id)


@router.post(
    "/visits",
    response={200: HelpdeskVisitOut, 201: HelpdeskVisitOut},
    summary="Plan a home visit (send an Idempotency-Key)",
)
def create_visit(
    request: HttpRequest,
    payload: HelpdeskVisitIn,
    idempotency_key: str = idempotency_key_header("visit", required=True),
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    made = services.visit_plan(actor=actor, idempotency_key=idempotency_key, **payload.dict())
    return Status(200 if getattr(made, "replayed", False) else 201, made)


@router.get("/visits/{helpdesk_visit_id}", response=HelpdeskVisitOut, summary="One home visit")
def get_visit(request: HttpRequest, helpdesk_visit_id: Id) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.view")
    return selectors.visit_get(actor=actor, visit_id=helpdesk_visit_id)


@router.post(
    "/visits/{helpdesk_visit_id}/check-in",
    response=HelpdeskVisitOut,
    summary="The visitor arrived",
)
def visit_check_in(request: HttpRequest, helpdesk_visit_id: Id) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    return services.visit_check_in(actor=actor, visit_id=helpdesk_visit_id)


@router.post(
    "/visits/{helpdesk_visit_id}/check-out",
    response=HelpdeskVisitOut,
    summary="The visit is over (a provider's visit then costs its real time)",
)
def visit_check_out(
    request: HttpRequest, helpdesk_visit_id: Id, payload: HelpdeskVisitCheckOutIn
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    return services.visit_check_out(actor=actor, visit_id=helpdesk_visit_id, **payload.dict())


@router.post(
    "/visits/{helpdesk_visit_id}/report",
    response=HelpdeskVisitOut,
    summary="The visitor's short report",
)
def visit_report(
    request: HttpRequest, helpdesk_visit_id: Id, payload: HelpdeskVisitReportIn
) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    return services.visit_report(actor=actor, visit_id=helpdesk_visit_id, **payload.dict())


@router.post(
    "/visits/{helpdesk_visit_id}/close",
    response=HelpdeskVisitOut,
    summary="Cancel a planned visit, or record that nobody was home",
)
def visit_close(request: HttpRequest, helpdesk_visit_id: Id, payload: HelpdeskVisitCloseIn) -> Any:
    actor = actor_of(request)
    actor.require("helpdesk.handle")
    return services.visit_close(actor=actor, visit_id=helpdesk_visit_id, **payload.dict())
