"""The help exchange's API: posts, responses and deals.

Staff and integrators act for residents (``helpexchange.post_for``, a ``person_id`` in the
body); reads need ``helpexchange.view``; moderation ``helpexchange.moderate``. Every write a
double submit could repeat takes an ``Idempotency-Key``; accepting, confirming and cancelling
are state changes that a second call answers without doing anything twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import (
    MONEY_PATTERN,
    NONBLANK,
    Id,
    In,
    actor_of,
    idempotency_key_header,
    paged,
)
from buurtkit.helpexchange import selectors, services
from buurtkit.helpexchange.models import Category, DealState, PostKind, PostState

router = Router(tags=["help exchange"])


class HelpPostOut(Schema):
    id: int
    kind: str
    poster_kind: str
    person_id: int | None
    organisation_id: int | None
    category: str
    neighbourhood: str
    title: str
    text: str
    when_on: date | None
    when_note: str
    duration_minutes: int | None
    reward: int
    reward_account_id: int | None
    state: str
    hidden: bool
    reports: int
    expires_at: datetime
    created_at: datetime
    on_behalf: bool


class HelpPostIn(In):
    kind: PostKind
    category: Category
    title: str = Field(..., min_length=1, max_length=120, pattern=NONBLANK)
    text: str = Field("", max_length=2000)
    neighbourhood: str = Field("", max_length=100)
    when_on: date | None = None
    when_note: str = Field("", max_length=100)
    duration_minutes: int | None = Field(None, ge=5, le=1440)
    reward: str = Field("", max_length=20, pattern=f"^$|{MONEY_PATTERN}")
    reward_account_id: Id | None = None
    person_id: Id | None = None
    organisation_id: Id | None = None
    student: bool = False


class HelpResponseIn(In):
    person_id: Id
    message: str = Field("", max_length=500)


class HelpResponseOut(Schema):
    id: int
    post_id: int
    person_id: int
    message: str
    state: str
    created_at: datetime


class HelpDealOut(Schema):
    id: int
    post_id: int
    response_id: int
    helper_id: int
    state: str
    reward: int
    hold_id: int | None
    payout_id: int | None
    release_id: int | None
    agreed_at: datetime
    poster_confirmed_at: datetime | None
    helper_confirmed_at: datetime | None
    closed_at: datetime | None


class HelpReasonIn(In):
    reason: str = Field("", max_length=200)


class HelpHideIn(In):
    hidden: bool
    reason: str = Field("", max_length=200)


class HelpBlockIn(In):
    person_id: Id
    reason: str = Field(..., min_length=1, max_length=200, pattern=NONBLANK)


class HelpBlockOut(Schema):
    id: int
    person_id: int
    reason: str
    created_at: datetime
    lifted_at: datetime | None


@router.get("/posts", response=list[HelpPostOut], summary="Requests and offers (staff)")
@paged
def list_posts(
    request: HttpRequest,
    q: str = "",
    state: PostState | Literal[""] = "",
    category: Category | Literal[""] = "",
    neighbourhood: str = "",
) -> Any:
    return selectors.posts_search(
        actor=actor_of(request),
        q=q[:100],
        state=state,
        category=category,
        neighbourhood=neighbourhood[:100],
    )


@router.post(
    "/posts",
    response={200: HelpPostOut, 201: HelpPostOut},
    summary="Post a request or an offer for a resident (send an Idempotency-Key)",
)
def create_post(
    request: HttpRequest,
    payload: HelpPostIn,
    idempotency_key: str | None = idempotency_key_header("post"),
) -> Any:
    data = payload.dict()
    post = services.post_create(
        actor=actor_of(request), idempotency_key=idempotency_key or "", **data
    )
    return Status(200 if getattr(post, "replayed", False) else 201, post)


@router.get("/posts/{post_id}", response=HelpPostOut, summary="One post")
def get_post(request: HttpRequest, post_id: Id) -> Any:
    return selectors.post_detail(actor=actor_of(request), post_id=post_id)


@router.post("/posts/{post_id}/cancel", response=HelpPostOut, summary="Take a post back")
def cancel_post(request: HttpRequest, post_id: Id, payload: HelpReasonIn) -> Any:
    return services.post_cancel(actor=actor_of(request), post_id=post_id, reason=payload.reason)


@router.post("/posts/{post_id}/hide", response=HelpPostOut, summary="Hide a post or show it again")
def hide_post(request: HttpRequest, post_id: Id, payload: HelpHideIn) -> Any:
    return services.post_hide(
        actor=actor_of(request), post_id=post_id, hidden=payload.hidden, reason=payload.reason
    )


@router.post(
    "/posts/{post_id}/responses",
    response={200: HelpResponseOut, 201: HelpResponseOut},
    summary="Say 'I can help' for a resident (send an Idempotency-Key)",
)
def respond(
    request: HttpRequest,
    post_id: Id,
    payload: HelpResponseIn,
    idempotency_key: str | None = idempotency_key_header("response"),
) -> Any:
    response = services.post_respond(
        actor=actor_of(request),
        post_id=post_id,
        person_id=payload.person_id,
        message=payload.message,
        idempotency_key=idempotency_key or "",
    )
    return Status(200 if getattr(response, "replayed", False) else 201, response)


@router.post(
    "/responses/{response_id}/accept",
    response={200: HelpDealOut, 201: HelpDealOut},
    summary="Accept a response: a deal (a promised reward is held)",
)
def accept(request: HttpRequest, response_id: Id) -> Any:
    deal = services.response_accept(actor=actor_of(request), response_id=response_id)
    return Status(200 if getattr(deal, "replayed", False) else 201, deal)


@router.get("/deals", response=list[HelpDealOut], summary="Deals (staff)")
@paged
def list_deals(request: HttpRequest, state: DealState | Literal[""] = "") -> Any:
    return selectors.deals_list(actor=actor_of(request), state=state)


@router.get("/deals/{deal_id}", response=HelpDealOut, summary="One deal")
def get_deal(request: HttpRequest, deal_id: Id) -> Any:
    return selectors.deal_detail(actor=actor_of(request), deal_id=deal_id)


@router.post(
    "/deals/{deal_id}/confirm",
    response=HelpDealOut,
    summary="Confirm the help was given (staff: for both sides; the reward is paid once)",
)
def confirm(request: HttpRequest, deal_id: Id) -> Any:
    return services.deal_confirm(actor=actor_of(request), deal_id=deal_id)


@router.post(
    "/deals/{deal_id}/cancel", response=HelpDealOut, summary="Call a deal off (reward released)"
)
def cancel_deal(request: HttpRequest, deal_id: Id, payload: HelpReasonIn) -> Any:
    return services.deal_cancel(actor=actor_of(request), deal_id=deal_id, reason=payload.reason)


@router.post(
    "/blocks",
    response={200: HelpBlockOut, 201: HelpBlockOut},
    summary="Stop a person from posting and responding",
)
def block(request: HttpRequest, payload: HelpBlockIn) -> Any:
    made = services.person_block(
        actor=actor_of(request), person_id=payload.person_id, reason=payload.reason
    )
    return Status(200 if getattr(made, "replayed", False) else 201, made)
