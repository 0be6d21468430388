"""API router for the community currency: thin, one service or selector call per endpoint.

Amounts go in and come out as decimal strings in major units (``"2.50"``), as people type and
read them; every amount also comes out as an integer in minor units (``*_minor``), which is what
is stored. Transfers need an ``Idempotency-Key`` header: a retry with the same key and the same
body returns the first transfer (200 instead of 201); the same key with another body is refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from buurtkit.core.actor import Actor
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import TransferKind
from buurtkit.ledger.numbers import format_account_number

router = Router(tags=["ledger"])

IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    description="1 to 100 characters, new for every transfer; send the same key on a retry.",
)


class In(Schema):
    """Base of every request body: a field the API does not know is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _actor(request: HttpRequest) -> Actor:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _amount(obj: Any, minor: int) -> str:
    return selectors.format_amount(obj.currency, minor)


# --- currency ------------------------------------------------------------------------------


class CurrencyOut(Schema):
    code: str
    names: dict[str, dict[str, str]] = Field(
        ..., description='Per language: {"singular": ..., "plural": ...}.'
    )
    decimals: int
    denominations: list[int] = Field(..., description="Paper notes, in major units.")
    euro_cents_per_unit: int
    default_lower_limit: str
    default_lower_limit_minor: int

    @staticmethod
    def resolve_default_lower_limit(obj: Any) -> str:
        return selectors.format_amount(obj, obj.default_lower_limit)

    @staticmethod
    def resolve_default_lower_limit_minor(obj: Any) -> int:
        return int(obj.default_lower_limit)


@router.get("/currency", response=CurrencyOut, summary="The community's currency")
def get_currency(request: HttpRequest) -> Any:
    return selectors.currency_get(actor=_actor(request))


# --- accounts ------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    number: str
    number_formatted: str = Field(..., description="As read out over the phone: 1234 5678 9.")
    kind: str
    name: str
    currency: str
    balance: str = Field(..., description="In major units, e.g. 12.50.")
    balance_minor: int
    lower_limit: str
    lower_limit_minor: int
    frozen: bool
    person_id: int | None
    organisation_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_number_formatted(obj: Any) -> str:
        return format_account_number(obj.number)

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return str(obj.currency.code)

    @staticmethod
    def resolve_balance(obj: Any) -> str:
        return _amount(obj, obj.balance)

    @staticmethod
    def resolve_balance_minor(obj: Any) -> int:
        return int(obj.balance)

    @staticmethod
    def resolve_lower_limit(obj: Any) -> str:
        return _amount(obj, obj.lower_limit)

    @staticmethod
    def resolve_lower_limit_minor(obj: Any) -> int:
        return int(obj.lower_limit)


class PayeeOut(Schema):
    """Enough to confirm whom you pay: no balance."""

    id: int
    number: str
    number_formatted: str
    name: str
    kind: str

    @staticmethod
    def resolve_number_formatted(obj: Any) -> str:
        return format_account_number(obj.number)


class AccountIn(In):
    kind: str = Field(..., description="resident, merchant, organisation or till.")
    name: str = Field("", max_length=150)
    person_id: int | None = Field(None, description="For a resident's account.")
    organisation_id: int | None = Field(None, description="For every other kind.")


@router.get("/accounts", response=list[AccountOut], summary="Accounts you may see")
@paginate(LimitOffsetPagination)
def list_accounts(request: HttpRequest, q: str = "", kind: str = "") -> Any:
    return selectors.accounts_visible(actor=_actor(request), q=q, kind=kind)


@router.post("/accounts", response={201: AccountOut}, summary="Open an account")
def open_account(request: HttpRequest, payload: AccountIn) -> Any:
    return Status(201, services.account_open(actor=_actor(request), **payload.dict()))


@router.get(
    "/accounts/by-number/{number}",
    response=PayeeOut,
    summary="Find whom to pay by a typed account number",
    description="The check digit is validated: a mistyped number is not found.",
)
def get_account_by_number(request: HttpRequest, number: str) -> Any:
    return selectors.account_by_number(actor=_actor(request), number=number)


@router.get("/accounts/{account_id}", response=AccountOut)
def get_account(request: HttpRequest, account_id: int) -> Any:
    return selectors.account_get(actor=_actor(request), account_id=account_id)


class LineOut(Schema):
    """One transfer seen from one account: what it changed and the balance after it."""

    id: int
    at: datetime
    kind: str
    description: str
    amount: str
    amount_minor: int
    change: str = Field(..., description="Negative when money left the account.")
    change_minor: int
    balance_after: str
    balance_after_minor: int
    other_account_id: int
    other_number: str
    other_name: str
    reverses_id: int | None

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return _amount(obj, obj.amount)

    @staticmethod
    def resolve_amount_minor(obj: Any) -> int:
        return int(obj.amount)

    @staticmethod
    def resolve_change(obj: Any) -> str:
        return _amount(obj, obj.change)

    @staticmethod
    def resolve_change_minor(obj: Any) -> int:
        return int(obj.change)

    @staticmethod
    def resolve_balance_after(obj: Any) -> str:
        return _amount(obj, obj.balance_after)

    @staticmethod
    def resolve_balance_after_minor(obj: Any) -> int:
        return int(obj.balance_after)


@router.get(
    "/accounts/{account_id}/transfers",
    response=list[LineOut],
    summary="An account's transfers, newest first, with the running balance",
)
@paginate(LimitOffsetPagination)
def list_account_transfers(request: HttpRequest, account_id: int) -> Any:
    return selectors.account_lines(actor=_actor(request), account_id=account_id)


@router.get(
    "/accounts/{account_id}/statement.csv",
    summary="A statement as CSV (UTF-8, opens in a spreadsheet)",
    description="`from` and `to` are dates (YYYY-MM-DD), both included; without them, everything.",
    openapi_extra={
        "responses": {
            200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
    },
)
def get_statement_csv(
    request: HttpRequest,
    account_id: int,
    date_from: date | None = Query(None, alias="from"),  # noqa: B008
    date_to: date | None = Query(None, alias="to"),  # noqa: B008
) -> HttpResponse:
    statement = selectors.statement_csv(
        actor=_actor(request), account_id=account_id, date_from=date_from, date_to=date_to
    )
    response = HttpResponse(statement.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{statement.filename}"'
    return response


# --- transfers -----------------------------------------------------------------------------


class TransferOut(Schema):
    """A transfer. No balances: those of the other side are not yours to see."""

    id: int
    at: datetime
    kind: str
    description: str
    currency: str
    amount: str
    amount_minor: int
    debit_account_id: int
    credit_account_id: int
    reverses_id: int | None
    channel: str

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return str(obj.currency.code)

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return _amount(obj, obj.amount)

    @staticmethod
    def resolve_amount_minor(obj: Any) -> int:
        return int(obj.amount)

    @staticmethod
    def resolve_debit_account_id(obj: Any) -> int:
        return int(obj.debit_id)

    @staticmethod
    def resolve_credit_account_id(obj: Any) -> int:
        return int(obj.credit_id)


class TransferIn(In):
    debit_account_id: int = Field(..., description="The account the money leaves.")
    credit_account_id: int = Field(..., description="The account the money goes to.")
    amount: str = Field(
        ...,
        min_length=1,
        max_length=32,
        description='In major units, as a string: "12" or "2.50".',
        examples=["2.50"],
    )
    kind: str = Field(TransferKind.PAYMENT.value, description="payment, reward, issue, ...")
    description: str = Field("", max_length=200)
    pin: str | None = Field(
        None, description="The payer's payment PIN, when a resident pays from their own account."
    )


class ReverseIn(In):
    reason: str = Field("", max_length=200)


@router.post(
    "/transfers",
    response={200: TransferOut, 201: TransferOut},
    summary="Move money (exactly once per Idempotency-Key)",
)
def create_transfer(
    request: HttpRequest,
    payload: TransferIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.transfer_submit(
        actor=_actor(request), idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(200 if transfer.replayed else 201, transfer)


@router.get("/transfers/{transfer_id}", response=TransferOut)
def get_transfer(request: HttpRequest, transfer_id: int) -> Any:
    return selectors.transfer_get(actor=_actor(request), transfer_id=transfer_id)


@router.post(
    "/transfers/{transfer_id}/reverse",
    response={200: TransferOut, 201: TransferOut},
    summary="Correct a transfer with a linked transfer the other way",
)
def reverse_transfer(
    request: HttpRequest,
    transfer_id: int,
    payload: ReverseIn | None = None,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.transfer_reverse(
        actor=_actor(request),
        transfer_id=transfer_id,
        idempotency_key=idempotency_key or "",
        reason=payload.reason if payload else "",
    )
    return Status(200 if transfer.replayed else 201, transfer)


# --- overview ------------------------------------------------------------------------------


class OverviewOut(Schema):
    currency: str
    issued: str
    issued_minor: int
    paper: str
    paper_minor: int
    digital: str
    digital_minor: int
    redeemed: str
    redeemed_minor: int

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return str(obj.currency.code)

    @staticmethod
    def resolve_issued(obj: Any) -> str:
        return _amount(obj, obj.issued)

    @staticmethod
    def resolve_issued_minor(obj: Any) -> int:
        return int(obj.issued)

    @staticmethod
    def resolve_paper(obj: Any) -> str:
        return _amount(obj, obj.paper)

    @staticmethod
    def resolve_paper_minor(obj: Any) -> int:
        return int(obj.paper)

    @staticmethod
    def resolve_digital(obj: Any) -> str:
        return _amount(obj, obj.digital)

    @staticmethod
    def resolve_digital_minor(obj: Any) -> int:
        return int(obj.digital)

    @staticmethod
    def resolve_redeemed(obj: Any) -> str:
        return _amount(obj, obj.redeemed)

    @staticmethod
    def resolve_redeemed_minor(obj: Any) -> int:
        return int(obj.redeemed)


@router.get(
    "/overview",
    response=OverviewOut,
    summary="Money issued, on paper, digital and redeemed (staff)",
)
def get_overview(request: HttpRequest) -> Any:
    return selectors.overview(actor=_actor(request))
