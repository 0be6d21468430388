"""The currency's rules that need no database: shared by the services and the selectors.

Amounts as people type them, which accounts each kind of transfer moves money between and who
may move it, why a transfer is refused (worded once for the ORM path and the PostgreSQL fast
path), who may ask money for an account, who asked for a reward. Nothing here reads or writes a
row, so every module of the app may import it and it imports none of them but the models.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    PendingReward,
    SystemRole,
    TransferKind,
)

MAX_AMOUNT = 10**12

# Accounts people can pay to (and ask money for): not the system accounts, not a till.
PAYABLE_KINDS = frozenset({AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION})


class InsufficientBalance(ServiceError):
    code = "insufficient_balance"
    status = 409


def parse_amount(currency: Currency, value: Any, *, field: str = "amount") -> int:
    """Turn "12.5" (major units, as people type them) into minor units; refuse what does not fit."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise amount_error("not_a_number", field=field) from exc
    if not number.is_finite():
        raise amount_error("not_a_number", field=field)
    minor = number.scaleb(currency.decimals)
    if minor != minor.to_integral_value():
        raise amount_error("decimals", decimals=currency.decimals, field=field)
    return check_amount(int(minor), field=field)


def check_amount(amount: int, *, field: str = "amount") -> int:
    """A whole number of minor units, above zero and at most ``MAX_AMOUNT``."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise amount_error("not_whole", field=field)
    if amount <= 0:
        raise amount_error("amount_not_positive", field=field)
    if amount > MAX_AMOUNT:
        raise amount_error("amount_too_large", field=field)
    return amount


def amount_error(problem: str, *, decimals: int = 0, field: str = "amount") -> ValidationFailed:
    """What is wrong with an amount, the same on the ORM path and on the fast path."""
    if problem == "not_a_number":
        msg = _("Type an amount, for example 5.")
    elif problem == "decimals":
        msg = (
            _("Use at most %(n)d decimals.") % {"n": decimals}
            if decimals
            else _("Use whole numbers only.")
        )
    elif problem == "not_whole":
        msg = _("The amount must be a whole number of units.")
    elif problem == "amount_not_positive":
        msg = _("The amount must be more than zero.")
    else:
        msg = _("This amount is too large.")
    return ValidationFailed(msg, fields={field: msg})


# Which accounts each kind of transfer may move money between, and the permission it needs
# (besides the owner paying from their own account).
TRANSFER_KINDS: dict[str, tuple[set[str], set[str], str | None]] = {
    TransferKind.PAYMENT: (
        {AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION},
        {AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION},
        None,
    ),
    TransferKind.REWARD: ({AccountKind.ORGANISATION}, {AccountKind.RESIDENT}, "ledger.issue"),
    TransferKind.ISSUE: (
        {SystemRole.ISSUANCE},
        {AccountKind.ORGANISATION, SystemRole.PAPER},
        "ledger.manage",
    ),
    TransferKind.EXCHANGE_IN: (
        {SystemRole.PAPER},
        {AccountKind.RESIDENT, AccountKind.MERCHANT},
        "ledger.exchange",
    ),
    TransferKind.EXCHANGE_OUT: (
        {AccountKind.RESIDENT, AccountKind.MERCHANT},
        {SystemRole.PAPER},
        "ledger.exchange",
    ),
    TransferKind.REDEMPTION: ({AccountKind.MERCHANT}, {SystemRole.REDEMPTION}, "ledger.manage"),
    # Only ledger/services/holds.py makes these (a deal of the help exchange): see there.
    TransferKind.HOLD: ({AccountKind.ORGANISATION}, {SystemRole.HELD}, "ledger.manage"),
    TransferKind.HOLD_PAYOUT: ({SystemRole.HELD}, {AccountKind.RESIDENT}, "ledger.manage"),
}


def account_role(account: Account) -> str:
    """The role that ``TRANSFER_KINDS`` names an account by: its system role, or its kind."""
    return account.system_role or account.kind


def may_move_from(actor: Actor, account: Account, kind: str) -> bool:
    """Whether ``actor`` may move money of ``kind`` out of ``account`` (the fast path's
    ``ledger_fast_payment`` asks the same for a payment, in SQL)."""
    needed = TRANSFER_KINDS[kind][2] if kind in TRANSFER_KINDS else "ledger.manage"
    if actor.has("ledger.manage"):
        return True
    if needed and not actor.has(needed):
        return False
    if kind in (TransferKind.EXCHANGE_IN, TransferKind.ISSUE):
        return True  # money leaves a system account; the permission above is what counts
    if account.person_id is not None:
        if account.person_id == actor.person_id and actor.on_behalf_of_id is None:
            return True
        return account.person_id == actor.on_behalf_of_id and actor.has("ledger.pay_on_behalf")
    if account.organisation_id is not None:
        return account.organisation_id in actor.organisation_ids
    return False


def refusal(status: str, number: str = "") -> ServiceError:
    """Why a transfer is refused, the same on the ORM path and on the PostgreSQL fast path."""
    if status == "self":
        msg = _("You cannot pay yourself.")
        return ValidationFailed(msg, fields={"credit_account_id": msg})
    if status == "not_found":
        return NotFound(_("Account not found."))
    if status == "currency":
        msg = _("These accounts use different currencies.")
        return ValidationFailed(msg, fields={"credit_account_id": msg})
    if status == "frozen":
        return Conflict(
            _("Account %(number)s is frozen.") % {"number": number}, code="account_frozen"
        )
    if status == "kind":
        msg = _("This kind of transfer is not possible between these accounts.")
        return ValidationFailed(msg, fields={"kind": msg})
    if status == "denied":
        return PermissionDenied(_("You may not move money from this account."))
    if status == "insufficient":
        return InsufficientBalance(
            _("Not enough money on account %(number)s.") % {"number": number},
            fields={"amount": _("Not enough money on this account.")},
        )
    raise RuntimeError(f"unknown refusal {status!r}")  # pragma: no cover


def same_person(actor: Actor, pending: PendingReward) -> bool:
    """Whether ``actor`` asked for the ``pending`` reward (who did may not approve it)."""
    if actor.user_id is not None and actor.user_id == pending.created_by_user_id:
        return True
    if actor.api_key_id is not None and actor.api_key_id == pending.created_by_api_key_id:
        return True
    if actor.person_id is not None and actor.person_id == pending.created_by_person_id:
        return True
    nobody = (actor.user_id, actor.api_key_id, actor.person_id) == (None, None, None)
    asked_by_nobody = (
        pending.created_by_user_id,
        pending.created_by_api_key_id,
        pending.created_by_person_id,
    ) == (None, None, None)
    return nobody and asked_by_nobody and actor.label == pending.created_by_label


def may_ask_for(actor: Actor, payee: Account) -> bool:
    """Who may ask money for an account: its resident, its organisation's people, a manager."""
    if actor.has("ledger.manage"):
        return True
    if payee.person_id is not None:
        return payee.person_id == actor.person_id and actor.on_behalf_of_id is None
    return payee.organisation_id is not None and payee.organisation_id in actor.organisation_ids


def display_name(name: str, system_role: str = "") -> str:
    """An account's name as a person reads it. The system accounts' stored names are English
    ("Paper in circulation"); a resident's history, statement or receipt says, in the page's
    language, what they are to them: the exchange office, new torekes, euro."""
    words = {
        "paper": _("Exchange office (paper torekes)"),
        "issuance": _("New torekes (issued)"),
        "redemption": _("Changed into euro"),
        "held": _("Reward for help (held until the help is done)"),
    }
    return str(words[system_role]) if system_role in words else name
