"""API router for the community currency: thin, one service or selector call per endpoint.

Amounts go in and come out as decimal strings in major units (``"2.50"``), as people type and
read them; every amount also comes out as an integer in minor units (``*_minor``), which is what
is stored. Transfers need an ``Idempotency-Key`` header: a retry with the same key and the same
body returns the first transfer (200 instead of 201); the same key with another body is refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from buurtkit.core import exports
from buurtkit.core.apitools import (
    MONEY_PATTERN,
    MONTH_PATTERN,
    NONBLANK,
    Count,
    Day,
    Id,
    In,
    actor_of,
    idempotency_key_header,
    paged,
)
from buurtkit.ledger import selectors, services, statements
from buurtkit.ledger.models import TransferKind
from buurtkit.ledger.numbers import format_account_number

router = Router(tags=["ledger"])

IDEMPOTENCY_KEY = idempotency_key_header("transfer", required=True)


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
    return selectors.currency_get(actor=actor_of(request))


class CurrencyNameIn(In):
    singular: str = Field(..., min_length=1, max_length=40, pattern=NONBLANK)
    plural: str = Field(..., min_length=1, max_length=40, pattern=NONBLANK)


class CurrencyNamesIn(In):
    nl: CurrencyNameIn
    en: CurrencyNameIn | None = None
    fr: CurrencyNameIn | None = None


class CurrencyIn(In):
    code: str = Field(..., min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]{1,8}$")
    names: CurrencyNamesIn = Field(
        ..., description="Per language; Dutch (nl) is needed, the others fall back to it."
    )
    decimals: int = Field(0, ge=0, le=4, description="Fixed once the currency exists.")
    denominations: list[Annotated[int, Field(ge=1, le=1_000_000)]] = Field(
        default_factory=list, max_length=20, description="Paper notes, in major units."
    )
    euro_cents_per_unit: int = Field(
        10, ge=0, le=100_000, description="What a shop gets in euro cents for one unit."
    )
    approval_threshold: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=MONEY_PATTERN,
        description="Rewards above this amount (major units) wait for a second person.",
    )


@router.put(
    "/currency",
    response={200: CurrencyOut, 201: CurrencyOut},
    summary="Set the community's currency up, or change it",
    description="Makes the currency (201) or changes its names, notes, euro value and approval "
    "threshold (200). The code and the decimals cannot change once it exists (409). "
    "Idempotent: sending the same again changes nothing.",
)
def put_currency(request: HttpRequest, payload: CurrencyIn) -> Any:
    data = payload.dict()
    currency = services.currency_set(actor=actor_of(request), **data)
    return Status(201 if getattr(currency, "created", False) else 200, currency)


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
    kind: Literal["resident", "merchant", "organisation", "till"]
    name: str = Field("", max_length=150)
    person_id: Id | None = Field(None, description="For a resident's account.")
    organisation_id: Id | None = Field(None, description="For every other kind.")


@router.get("/accounts", response=list[AccountOut], summary="Accounts you may see")
@paged
def list_accounts(request: HttpRequest, q: str = "", kind: str = "") -> Any:
    return selectors.accounts_visible(actor=actor_of(request), q=q, kind=kind)


@router.post("/accounts", response={201: AccountOut}, summary="Open an account")
def open_account(request: HttpRequest, payload: AccountIn) -> Any:
    return Status(201, services.account_open(actor=actor_of(request), **payload.dict()))


@router.get(
    "/accounts/by-number/{number}",
    response=PayeeOut,
    summary="Find whom to pay by a typed account number",
    description="The check digit is validated: a mistyped number is not found.",
)
def get_account_by_number(request: HttpRequest, number: str) -> Any:
    return selectors.account_by_number(actor=actor_of(request), number=number)


@router.get("/accounts/{account_id}", response=AccountOut)
def get_account(request: HttpRequest, account_id: Id) -> Any:
    return selectors.account_get(actor=actor_of(request), account_id=account_id)


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
@paged
def list_account_transfers(request: HttpRequest, account_id: Id) -> Any:
    return selectors.account_lines(actor=actor_of(request), account_id=account_id)


@router.get(
    "/accounts/{account_id}/statement.csv",
    summary="A statement as CSV (UTF-8, opens in a spreadsheet)",
    description="`from` and `to` are dates (YYYY-MM-DD), both included; without them, everything.",
    openapi_extra=exports.OPENAPI_CSV,
)
def get_statement_csv(
    request: HttpRequest,
    account_id: Id,
    date_from: Day | None = Query(None, alias="from"),  # noqa: B008
    date_to: Day | None = Query(None, alias="to"),  # noqa: B008
) -> HttpResponse:
    statement = selectors.statement_csv(
        actor=actor_of(request), account_id=account_id, date_from=date_from, date_to=date_to
    )
    return exports.csv_text_response(statement.content, filename=statement.filename)


@router.get(
    "/accounts/{account_id}/statement.pdf",
    summary="A statement for a period as PDF",
    description=(
        "`from` and `to` are dates (YYYY-MM-DD) in Europe/Brussels, both included; without "
        "`from` from the account's opening, without `to` until today. Opening balance, every "
        "transfer with the running balance, totals and the closing balance."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_statement_pdf(
    request: HttpRequest,
    account_id: Id,
    date_from: Day | None = Query(None, alias="from"),  # noqa: B008
    date_to: Day | None = Query(None, alias="to"),  # noqa: B008
) -> HttpResponse:
    pdf = statements.statement_pdf(
        actor=actor_of(request), account_id=account_id, date_from=date_from, date_to=date_to
    )
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
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
    debit_account_id: Id = Field(..., description="The account the money leaves.")
    credit_account_id: Id = Field(..., description="The account the money goes to.")
    amount: str = Field(
        ...,
        min_length=1,
        max_length=32,
        pattern=MONEY_PATTERN,
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
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.transfer_submit(
        actor=actor_of(request), idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(200 if transfer.replayed else 201, transfer)


@router.get("/transfers/{transfer_id}", response=TransferOut)
def get_transfer(request: HttpRequest, transfer_id: Id) -> Any:
    return selectors.transfer_get(actor=actor_of(request), transfer_id=transfer_id)


@router.post(
    "/transfers/{transfer_id}/reverse",
    response={200: TransferOut, 201: TransferOut},
    summary="Correct a transfer with a linked transfer the other way",
)
def reverse_transfer(
    request: HttpRequest,
    transfer_id: Id,
    payload: ReverseIn | None = None,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.transfer_reverse(
        actor=actor_of(request),
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


@router.get(
    "/overview",
    response=OverviewOut,
    summary="Money issued, on paper, digital and redeemed (staff)",
)
def get_overview(request: HttpRequest) -> Any:
    totals = selectors.overview(actor=actor_of(request))
    out: dict[str, Any] = {"currency": totals.currency.code}
    for name in ("issued", "paper", "digital", "redeemed"):
        minor = int(getattr(totals, name))
        out[name], out[f"{name}_minor"] = _amount(totals, minor), minor
    return out


# --- exchange offices (wisselkantoren) -------------------------------------------------------


class OfficeOut(Schema):
    id: int
    name: str
    organisation_id: int
    organisation_name: str
    till_account_id: int
    till_account_number: str
    active: bool

    @staticmethod
    def resolve_organisation_name(obj: Any) -> str:
        return str(obj.organisation.name)

    @staticmethod
    def resolve_till_account_id(obj: Any) -> int:
        return int(obj.account_id)

    @staticmethod
    def resolve_till_account_number(obj: Any) -> str:
        return format_account_number(obj.account.number)


class TillLineOut(Schema):
    denomination: int = Field(..., description="The note, in major units.")
    notes: int
    value: str
    value_minor: int


class TillOut(Schema):
    office_id: int
    currency: str
    lines: list[TillLineOut]
    total: str
    total_minor: int


NOTES_DESCRIPTION = 'Number of notes per denomination (major units), e.g. {"5": 2, "10": 1}.'


class NotesIn(In):
    account_id: Id = Field(..., description="The resident's or shop's account.")
    notes: dict[str, Count] = Field(..., description=NOTES_DESCRIPTION)
    pin: str | None = Field(
        None,
        description="Withdrawals: the resident's payment PIN, typed by them at the counter.",
    )


class CountIn(In):
    counted: dict[str, Count] = Field(
        ..., description=NOTES_DESCRIPTION + " A denomination left out counts as 0 notes."
    )
    note: str = Field("", max_length=500)


class CountOut(Schema):
    id: int
    office_id: int
    date: date
    counted: dict[str, int]
    expected: dict[str, int]
    discrepancy: dict[str, int] = Field(..., description="Counted minus expected.")
    note: str
    replaces_id: int | None
    at: datetime


@router.get("/offices", response=list[OfficeOut], summary="Exchange offices")
@paged
def list_offices(request: HttpRequest) -> Any:
    return selectors.offices_visible(actor=actor_of(request))


class OfficeIn(In):
    name: str = Field(..., min_length=1, max_length=150, pattern=NONBLANK)
    organisation_id: Id = Field(..., description="Where the office is (its address is shown).")


@router.post(
    "/offices",
    response={200: OfficeOut, 201: OfficeOut},
    summary="Open an exchange office",
    description="A retry with the same Idempotency-Key and body returns the first office (200).",
)
def create_office(
    request: HttpRequest,
    payload: OfficeIn,
    idempotency_key: str = idempotency_key_header("exchange office", required=True),
) -> Any:
    office = services.exchange_office_open(
        actor=actor_of(request), idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(200 if getattr(office, "replayed", False) else 201, office)


class ShopIn(In):
    organisation_id: Id = Field(..., description="The shop (an organisation).")


@router.post(
    "/shops",
    response={200: AccountOut, 201: AccountOut},
    summary="Let a shop accept the currency",
    description="Opens the shop's merchant account (201), or returns the one it has (200).",
)
def create_shop(request: HttpRequest, payload: ShopIn) -> Any:
    account = services.shop_accept(actor=actor_of(request), **payload.dict())
    return Status(200 if getattr(account, "replayed", False) else 201, account)


@router.get(
    "/offices/{office_id}/till",
    response=TillOut,
    summary="The paper notes in an office's till, per denomination",
)
def get_till(request: HttpRequest, office_id: Id) -> Any:
    state = selectors.till_state(actor=actor_of(request), office_id=office_id)
    fmt = state.currency
    return {
        "office_id": state.office.pk,
        "currency": fmt.code,
        "lines": [
            {
                "denomination": line.denomination,
                "notes": line.notes,
                "value": selectors.format_amount(fmt, line.value),
                "value_minor": line.value,
            }
            for line in state.lines
        ],
        "total": selectors.format_amount(fmt, state.total),
        "total_minor": state.total,
    }


@router.post(
    "/offices/{office_id}/deposit",
    response={200: TransferOut, 201: TransferOut},
    summary="Paper notes handed in: their value goes to the account (exactly once per key)",
)
def exchange_deposit(
    request: HttpRequest,
    office_id: Id,
    payload: NotesIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.exchange_deposit(
        actor=actor_of(request),
        office_id=office_id,
        account_id=payload.account_id,
        notes=payload.notes,
        idempotency_key=idempotency_key or "",
    )
    return Status(200 if transfer.replayed else 201, transfer)


@router.post(
    "/offices/{office_id}/withdraw",
    response={200: TransferOut, 201: TransferOut},
    summary="Digital money out as paper notes from the till (exactly once per key)",
)
def exchange_withdraw(
    request: HttpRequest,
    office_id: Id,
    payload: NotesIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    transfer = services.exchange_withdraw(
        actor=actor_of(request),
        office_id=office_id,
        account_id=payload.account_id,
        notes=payload.notes,
        idempotency_key=idempotency_key or "",
        pin=payload.pin,
    )
    return Status(200 if transfer.replayed else 201, transfer)


@router.post(
    "/offices/{office_id}/counts",
    response={201: CountOut},
    summary="Record the daily count: counted against expected, differences recorded",
)
def office_daily_count(request: HttpRequest, office_id: Id, payload: CountIn) -> Any:
    return Status(
        201,
        services.office_daily_count(
            actor=actor_of(request),
            office_id=office_id,
            counted=payload.counted,
            note=payload.note,
        ),
    )


# --- issuing budgets, rewards with second-person approval, monthly redemption ------------


class BudgetOut(Schema):
    id: int
    account_id: int
    organisation: str
    starts_on: date
    ends_on: date
    amount: str
    amount_minor: int
    used: str
    used_minor: int
    remaining: str
    remaining_minor: int
    current: bool

    @staticmethod
    def resolve_id(obj: Any) -> int:
        return int(obj.budget.pk)

    @staticmethod
    def resolve_account_id(obj: Any) -> int:
        return int(obj.budget.account_id)

    @staticmethod
    def resolve_starts_on(obj: Any) -> date:
        return obj.budget.starts_on  # type: ignore[no-any-return]

    @staticmethod
    def resolve_ends_on(obj: Any) -> date:
        return obj.budget.ends_on  # type: ignore[no-any-return]

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return _amount(obj.budget.account, obj.budget.amount)

    @staticmethod
    def resolve_amount_minor(obj: Any) -> int:
        return int(obj.budget.amount)

    @staticmethod
    def resolve_used(obj: Any) -> str:
        return _amount(obj.budget.account, obj.used)

    @staticmethod
    def resolve_used_minor(obj: Any) -> int:
        return int(obj.used)

    @staticmethod
    def resolve_remaining(obj: Any) -> str:
        return _amount(obj.budget.account, obj.remaining)

    @staticmethod
    def resolve_remaining_minor(obj: Any) -> int:
        return int(obj.remaining)


class BudgetIn(In):
    account_id: Id = Field(..., description="The issuing organisation's account.")
    starts_on: date = Field(..., description="First day of the period.")
    ends_on: date = Field(..., description="Last day of the period (included).")
    amount: str = Field(
        ..., min_length=1, max_length=32, pattern=MONEY_PATTERN, description="In major units."
    )


@router.get("/budgets", response=list[BudgetOut], summary="Issuing budgets with used and left")
def list_budgets(request: HttpRequest, account_id: Id | None = None) -> Any:
    return selectors.budgets_list(actor=actor_of(request), account_id=account_id)


@router.post("/budgets", response={201: BudgetOut}, summary="Give an organisation a budget")
def create_budget(request: HttpRequest, payload: BudgetIn) -> Any:
    actor = actor_of(request)
    budget = services.budget_create(actor=actor, **payload.dict())
    line = selectors.budgets_list(actor=actor, account_id=budget.account_id)
    return Status(201, next(b for b in line if b.budget.pk == budget.pk))


class OrganisationBudgetIn(In):
    starts_on: date = Field(..., description="First day of the period.")
    ends_on: date = Field(..., description="Last day of the period (included).")
    amount: str = Field(
        ..., min_length=1, max_length=32, pattern=MONEY_PATTERN, description="In major units."
    )


@router.post(
    "/organisations/{organisation_id}/budgets",
    response={200: BudgetOut, 201: BudgetOut},
    summary="Give an organisation a budget (its issuer account is opened the first time)",
    description="A retry with the same Idempotency-Key and body returns the first budget (200).",
)
def create_organisation_budget(
    request: HttpRequest,
    organisation_id: Id,
    payload: OrganisationBudgetIn,
    idempotency_key: str = idempotency_key_header("budget", required=True),
) -> Any:
    actor = actor_of(request)
    budget = services.organisation_budget_create(
        actor=actor,
        organisation_id=organisation_id,
        idempotency_key=idempotency_key,
        **payload.dict(),
    )
    line = selectors.budgets_list(actor=actor, account_id=budget.account_id)
    return Status(
        200 if getattr(budget, "replayed", False) else 201,
        next(b for b in line if b.budget.pk == budget.pk),
    )


class PendingRewardOut(Schema):
    id: int
    status: str
    issuer_account_id: int
    resident_account_id: int
    resident_name: str
    amount: str
    amount_minor: int
    reason: str
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str
    transfer_id: int | None

    @staticmethod
    def resolve_issuer_account_id(obj: Any) -> int:
        return int(obj.issuer_id)

    @staticmethod
    def resolve_resident_account_id(obj: Any) -> int:
        return int(obj.resident_id)

    @staticmethod
    def resolve_resident_name(obj: Any) -> str:
        return str(obj.resident.name)

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return _amount(obj.issuer, obj.amount)

    @staticmethod
    def resolve_amount_minor(obj: Any) -> int:
        return int(obj.amount)

    @staticmethod
    def resolve_created_by(obj: Any) -> str:
        return str(obj.created_by_label)

    @staticmethod
    def resolve_decided_by(obj: Any) -> str:
        return str(obj.decided_by_label)


class RewardIn(In):
    issuer_account_id: Id = Field(..., description="The organisation's account that pays.")
    resident_account_id: Id = Field(..., description="The volunteer's account.")
    amount: str = Field(
        ..., min_length=1, max_length=32, pattern=MONEY_PATTERN, description="In major units."
    )
    reason: str = Field(
        ..., max_length=200, pattern=NONBLANK, description="What the reward is for."
    )


class RewardOut(Schema):
    status: str = Field(..., description="paid, or pending (waiting for a second person).")
    transfer: TransferOut | None
    pending: PendingRewardOut | None


class DecisionIn(In):
    note: str = Field("", max_length=200)


@router.post(
    "/rewards",
    response={200: RewardOut, 201: RewardOut, 202: RewardOut},
    summary="Reward a volunteer (201 paid, 202 waiting for approval)",
    description="Within the organisation's budget for today; above the currency's threshold "
    "a second person approves. Needs an Idempotency-Key header.",
)
def create_reward(
    request: HttpRequest, payload: RewardIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> Any:
    result = services.reward_create(
        actor=actor_of(request), idempotency_key=idempotency_key or "", **payload.dict()
    )
    body = {
        "status": "pending" if result.is_pending else "paid",
        "transfer": result.transfer,
        "pending": result.pending,
    }
    if result.replayed:
        return Status(200, body)
    return Status(202 if result.is_pending else 201, body)


@router.get(
    "/pending-rewards",
    response=list[PendingRewardOut],
    summary="Rewards waiting for a second person",
    description="`status`: pending (default), approved, rejected, or empty for all.",
)
@paged
def list_pending_rewards(request: HttpRequest, status: str = "pending") -> Any:
    return selectors.pending_rewards(actor=actor_of(request), status=status)


@router.post(
    "/pending-rewards/{pending_id}/approve",
    response=PendingRewardOut,
    summary="Approve a reward someone else asked for: the transfer is made once",
)
def approve_pending_reward(request: HttpRequest, pending_id: Id) -> Any:
    return services.pending_reward_approve(actor=actor_of(request), pending_id=pending_id)


@router.post(
    "/pending-rewards/{pending_id}/reject",
    response=PendingRewardOut,
    summary="Reject a reward: no money moves",
)
def reject_pending_reward(
    request: HttpRequest, pending_id: Id, payload: DecisionIn | None = None
) -> Any:
    return services.pending_reward_reject(
        actor=actor_of(request), pending_id=pending_id, note=payload.note if payload else ""
    )


class RedemptionRunOut(Schema):
    id: int
    month: str = Field(..., description="YYYY-MM")
    run_at: datetime
    run_by: str

    @staticmethod
    def resolve_month(obj: Any) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_run_by(obj: Any) -> str:
        return str(obj.run_by_label)


class RedemptionRunIn(In):
    month: str = Field(..., pattern=MONTH_PATTERN, examples=["2026-03"])


class PayoutOut(Schema):
    account_id: int
    merchant: str
    organisation: str
    number: str
    amount: str
    amount_minor: int
    euro: str
    euro_cents: int
    transfer_id: int


@router.get("/redemption-runs", response=list[RedemptionRunOut], summary="Monthly conversions")
def list_redemption_runs(request: HttpRequest) -> Any:
    return selectors.redemption_runs(actor=actor_of(request))


@router.post(
    "/redemption-runs",
    response={200: RedemptionRunOut, 201: RedemptionRunOut},
    summary="Convert every shop's balance to euro for a month (200: run before, nothing new)",
)
def create_redemption_run(request: HttpRequest, payload: RedemptionRunIn) -> Any:
    run = services.redemption_run(actor=actor_of(request), month=payload.month)
    return Status(201 if run.created else 200, run)


@router.get(
    "/redemption-runs/{run_id}/payouts",
    response=list[PayoutOut],
    summary="The payout list of one month (shops only, no personal data)",
)
def list_payouts(request: HttpRequest, run_id: Id) -> Any:
    actor = actor_of(request)
    run = selectors.redemption_run_get(actor=actor, run_id=run_id)
    return [
        {
            **line.__dict__,
            "amount": selectors.format_amount(run.currency, line.amount),
            "amount_minor": line.amount,
            "euro": f"{line.euro_cents // 100}.{line.euro_cents % 100:02d}",
        }
        for line in selectors.payout_lines(actor=actor, run=run)
    ]


@router.get(
    "/redemption-runs/{run_id}/payouts.csv",
    summary="The payout list as CSV (UTF-8, opens in a spreadsheet)",
    openapi_extra=exports.OPENAPI_CSV,
)
def get_payouts_csv(request: HttpRequest, run_id: Id) -> HttpResponse:
    actor = actor_of(request)
    run = selectors.redemption_run_get(actor=actor, run_id=run_id)
    payouts = selectors.payout_csv(actor=actor, run=run)
    return exports.csv_text_response(payouts.content, filename=payouts.filename)


# --- payment requests: a shop asks, the payer accepts ------------------------------------------


class PaymentRequestOut(Schema):
    """A request for money. ``token`` is the secret in its QR code: whoever has it may pay it."""

    id: int
    token: str
    url: str = Field(
        ..., description="The payer's page, for the QR code: /<community>/pay/requests/<token>/."
    )
    payee_account_id: int
    payee_name: str
    payee_number: str
    amount: str
    amount_minor: int
    description: str
    status: str = Field(
        ..., description="open, paid, cancelled or expired (an open request past its time)."
    )
    created_at: datetime
    expires_at: datetime
    transfer_id: int | None

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse(
            "web:payment_request_pay", kwargs={"slug": obj.community.slug, "token": obj.token}
        )

    @staticmethod
    def resolve_payee_account_id(obj: Any) -> int:
        return int(obj.payee_id)

    @staticmethod
    def resolve_payee_name(obj: Any) -> str:
        return str(obj.payee.name)

    @staticmethod
    def resolve_payee_number(obj: Any) -> str:
        return format_account_number(obj.payee.number)

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return selectors.format_amount(obj.payee.currency, obj.amount)

    @staticmethod
    def resolve_amount_minor(obj: Any) -> int:
        return int(obj.amount)

    @staticmethod
    def resolve_status(obj: Any) -> str:
        from buurtkit.core import clock

        return str(obj.status_at(clock.now()))


class PaymentRequestIn(In):
    payee_account_id: Id = Field(..., description="The account that asks (a shop's, usually).")
    amount: str = Field(
        ...,
        min_length=1,
        max_length=32,
        pattern=MONEY_PATTERN,
        description='In major units: "2.50".',
    )
    description: str = Field("", max_length=200)
    expires_in_hours: int = Field(
        24, ge=1, le=24 * 31, description="1 hour to 31 days; 24 hours by default."
    )


class PaymentRequestPayIn(In):
    debit_account_id: Id | None = Field(
        None, description="The paying account; by default the caller's own resident account."
    )
    pin: str | None = Field(
        None, description="The payer's payment PIN, when a resident pays from their own account."
    )


@router.get(
    "/payment-requests",
    response=list[PaymentRequestOut],
    summary="Payment requests of the accounts you may see, newest first",
)
@paged
def list_payment_requests(request: HttpRequest, payee_account_id: Id | None = None) -> Any:
    return selectors.payment_requests_visible(
        actor=actor_of(request), payee_account_id=payee_account_id
    ).select_related("community")


@router.post(
    "/payment-requests",
    response={200: PaymentRequestOut, 201: PaymentRequestOut},
    summary="Ask for an amount (exactly once per Idempotency-Key)",
)
def create_payment_request(
    request: HttpRequest,
    payload: PaymentRequestIn,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    created = services.payment_request_create(
        actor=actor_of(request), idempotency_key=idempotency_key or "", **payload.dict()
    )
    return Status(200 if getattr(created, "replayed", False) else 201, created)


@router.get(
    "/payment-requests/{token}", response=PaymentRequestOut, summary="A request by its token"
)
def get_payment_request(request: HttpRequest, token: str) -> Any:
    return selectors.payment_request_get(actor=actor_of(request), token=token)


@router.post(
    "/payment-requests/{token}/cancel",
    response=PaymentRequestOut,
    summary="Withdraw an open request (the asking side)",
)
def cancel_payment_request(request: HttpRequest, token: str) -> Any:
    return services.payment_request_cancel(actor=actor_of(request), token=token)


@router.post(
    "/payment-requests/{token}/pay",
    response={200: PaymentRequestOut, 201: PaymentRequestOut},
    summary="Pay a request, exactly once (Idempotency-Key; a second payment is a 409)",
)
def pay_payment_request(
    request: HttpRequest,
    token: str,
    payload: PaymentRequestPayIn | None = None,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    paid = services.payment_request_pay(
        actor=actor_of(request),
        token=token,
        idempotency_key=idempotency_key or "",
        **(payload.dict() if payload else {}),
    )
    return Status(200 if getattr(paid, "replayed", False) else 201, paid)
