"""Every write on the currency: keyword-only, permission-checked, atomic, audited.

Invariants (checked by the property-based tests after every step):
- per currency the balances sum to zero (system accounts carry the negative side);
- each account's balance equals its credits minus its debits;
- no non-system balance below its lower limit (also a database constraint);
- transfers are never updated or deleted; corrections are reversal transfers.

Concurrency: the two accounts of a transfer are locked in ascending id order (no deadlocks)
on PostgreSQL; SQLite runs writers one at a time (IMMEDIATE transactions). Every transfer
carries an idempotency key: a retry returns the first result, the same key with a different
request is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.db import fetchone_server_bound
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    PaymentRequest,
    PaymentRequestStatus,
    SystemRole,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.numbers import new_account_number
from buurtkit.people.models import Organisation, Person

if TYPE_CHECKING:
    from buurtkit.qrcodes.models import Code

MAX_AMOUNT = 10**12


class InsufficientBalance(ServiceError):
    code = "insufficient_balance"
    status = 409


# --- amounts -----------------------------------------------------------------------------


def parse_amount(currency: Currency, value: Any, *, field: str = "amount") -> int:
    """Turn "12.5" (major units, as people type them) into minor units; refuse what does not fit."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise _amount_error("not_a_number", field=field) from exc
    if not number.is_finite():
        raise _amount_error("not_a_number", field=field)
    minor = number.scaleb(currency.decimals)
    if minor != minor.to_integral_value():
        raise _amount_error("decimals", decimals=currency.decimals, field=field)
    return _check_amount(int(minor), field=field)


def _check_amount(amount: int, *, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _amount_error("not_whole", field=field)
    if amount <= 0:
        raise _amount_error("amount_not_positive", field=field)
    if amount > MAX_AMOUNT:
        raise _amount_error("amount_too_large", field=field)
    return amount


def _amount_error(problem: str, *, decimals: int = 0, field: str = "amount") -> ValidationFailed:
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


# --- currency and accounts ---------------------------------------------------------------


@transaction.atomic
def currency_create(
    *,
    actor: Actor,
    code: str,
    names: dict[str, dict[str, str]],
    decimals: int = 0,
    denominations: list[int] | None = None,
    euro_cents_per_unit: int = 10,
    default_lower_limit: int = 0,
) -> Currency:
    """Open the community's currency circle with its system accounts."""
    actor.require("ledger.manage")
    if Currency.objects.in_community(actor.community).exists():
        raise Conflict(_("This community already has a currency."))
    if not 0 <= decimals <= 4:
        msg = _("Use 0 to 4 decimals.")
        raise ValidationFailed(msg, fields={"decimals": msg})
    if default_lower_limit > 0:
        msg = _("The lower limit cannot be above zero.")
        raise ValidationFailed(msg, fields={"default_lower_limit": msg})
    denoms = sorted({int(d) for d in (denominations or [])})
    if any(d <= 0 for d in denoms):
        msg = _("Denominations must be more than zero.")
        raise ValidationFailed(msg, fields={"denominations": msg})
    currency = Currency.objects.create(
        community=actor.community,
        code=code.strip().upper()[:8],
        names=names,
        decimals=decimals,
        denominations=denoms,
        euro_cents_per_unit=euro_cents_per_unit,
        default_lower_limit=default_lower_limit,
    )
    labels = {
        SystemRole.ISSUANCE: "Issuance",
        SystemRole.REDEMPTION: "Redemption",
        SystemRole.PAPER: "Paper in circulation",
    }
    for role, label in labels.items():
        _new_account(currency, kind=AccountKind.SYSTEM, name=label, system_role=role)
    audit_record(actor=actor, verb="ledger.currency_created", obj=currency)
    return currency


def _new_account(currency: Currency, **fields: Any) -> Account:
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return Account.objects.create(
                    community_id=currency.community_id,
                    currency=currency,
                    number=new_account_number(),
                    lower_limit=0
                    if fields.get("kind") == AccountKind.SYSTEM
                    else currency.default_lower_limit,
                    **fields,
                )
        except IntegrityError:
            if fields.get("system_role"):
                raise
    raise RuntimeError("could not find a free account number")  # pragma: no cover


def community_currency(actor: Actor) -> Currency:
    currency = Currency.objects.in_community(actor.community).first()
    if currency is None:
        raise _no_currency()
    return currency


def _no_currency() -> NotFound:
    return NotFound(_("This community has no currency yet."))


@transaction.atomic
def account_open(
    *,
    actor: Actor,
    kind: str,
    name: str = "",
    person_id: int | None = None,
    organisation_id: int | None = None,
) -> Account:
    """Open an account for a resident, a merchant, an issuing organisation or a till."""
    actor.require("ledger.manage")
    currency = community_currency(actor)
    if kind not in {
        AccountKind.RESIDENT,
        AccountKind.MERCHANT,
        AccountKind.ORGANISATION,
        AccountKind.TILL,
    }:
        msg = _("Unknown kind of account.")
        raise ValidationFailed(msg, fields={"kind": msg})
    person = get_scoped(Person, actor.community, pk=person_id) if person_id else None
    org = get_scoped(Organisation, actor.community, pk=organisation_id) if organisation_id else None
    if kind == AccountKind.RESIDENT and person is None:
        msg = _("Choose the resident.")
        raise ValidationFailed(msg, fields={"person_id": msg})
    if kind != AccountKind.RESIDENT and org is None:
        msg = _("Choose the organisation.")
        raise ValidationFailed(msg, fields={"organisation_id": msg})
    account = _new_account(
        currency,
        kind=kind,
        name=(name or (person.full_name if person else org.name if org else ""))[:150],
        person=person,
        organisation=org,
    )
    audit_record(actor=actor, verb="ledger.account_opened", obj=account, data={"kind": kind})
    return account


@transaction.atomic
def account_set_frozen(*, actor: Actor, account_id: int, frozen: bool) -> Account:
    actor.require("ledger.manage")
    account = get_scoped(Account, actor.community, for_update=True, pk=account_id)
    if account.kind == AccountKind.SYSTEM:
        raise ValidationFailed(_("System accounts cannot be frozen."))
    account.frozen = frozen
    account.save(update_fields=["frozen"])
    audit_record(
        actor=actor,
        verb="ledger.account_frozen" if frozen else "ledger.account_unfrozen",
        obj=account,
    )
    return account


# --- transfers ---------------------------------------------------------------------------

# Which accounts each kind of transfer may move money between, and the permission it needs
# (besides the owner paying from their own account).
_KINDS: dict[str, tuple[set[str], set[str], str | None]] = {
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
}


def _role(account: Account) -> str:
    return account.system_role or account.kind


def _request_hash(**fields: Any) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _may_move_from(actor: Actor, account: Account, kind: str) -> bool:
    needed = _KINDS[kind][2] if kind in _KINDS else "ledger.manage"
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


def transfer_create(
    *,
    actor: Actor,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    idempotency_key: str,
    kind: str = TransferKind.PAYMENT,
    description: str = "",
) -> Transfer:
    """Move ``amount`` (minor units) from one account to another, exactly once per key."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        msg = _("Every transfer needs an idempotency key of 1 to 100 characters.")
        raise ValidationFailed(msg, fields={"idempotency_key": msg})
    amount = _check_amount(amount)
    if kind not in _KINDS:
        msg = _("Unknown kind of transfer.")
        raise ValidationFailed(msg, fields={"kind": msg})
    if kind == TransferKind.REWARD and actor.channel != "system":
        _reward_threshold_check(actor, amount)  # issuing budgets: see the end of this module
    description = (description or "").strip()[:200]
    fingerprint = _request_hash(
        debit=debit_account_id,
        credit=credit_account_id,
        amount=amount,
        kind=kind,
        description=description,
        reverses=None,
    )
    if kind == TransferKind.PAYMENT and _fast_path_enabled():
        return _fast_payment(
            actor=actor,
            debit_id=debit_account_id,
            credit_id=credit_account_id,
            amount=amount,
            major=False,
            kind=kind,
            description=description,
            key=key,
        )
    return _once(
        actor,
        key,
        fingerprint,
        lambda: _transfer(
            actor=actor,
            debit_id=debit_account_id,
            credit_id=credit_account_id,
            amount=amount,
            kind=kind,
            description=description,
            key=key,
            fingerprint=fingerprint,
            reverses=None,
        ),
    )


def transfer_submit(
    *,
    actor: Actor,
    debit_account_id: int,
    credit_account_id: int,
    amount: str,
    idempotency_key: str | None,
    kind: str = TransferKind.PAYMENT,
    description: str = "",
    pin: str | None = None,
) -> Transfer:
    """A transfer as a client sends it: the amount as typed, in major units (``"2.50"``).

    A resident paying from their own account confirms with their payment PIN (a stolen phone
    with an open session cannot pay). ``transfer.replayed`` tells a retry from a first run.
    """
    if (
        kind == TransferKind.PAYMENT
        and (actor.person_id is None or actor.on_behalf_of_id is not None)
        and _fast_path_enabled()
    ):
        # No PIN question (see below) and PostgreSQL: one round trip for all of it, amount
        # included. What only the ORM path can word (a bad key or amount) goes there.
        key = (idempotency_key or "").strip()
        number = _fast_submit_number(amount)
        if key and len(key) <= 100 and number is not None:
            return _fast_payment(
                actor=actor,
                debit_id=debit_account_id,
                credit_id=credit_account_id,
                amount=number,
                major=True,
                kind=kind,
                description=(description or "").strip()[:200],
                key=key,
            )
    currency = community_currency(actor)
    minor = parse_amount(currency, amount)
    # Only a person acting for themselves can be the owner of the paying account; for anyone
    # else (an API key, staff at the counter) the PIN question does not arise: no query.
    owner = (
        Account.objects.in_community(actor.community)
        .filter(pk=debit_account_id)
        .values_list("person_id", flat=True)
        .first()
        if kind == TransferKind.PAYMENT
        and actor.person_id is not None
        and actor.on_behalf_of_id is None
        else None
    )
    if (
        kind == TransferKind.PAYMENT
        and owner is not None
        and owner == actor.person_id
        and actor.on_behalf_of_id is None
    ):
        if not pin:
            msg = _("Confirm the payment with your payment PIN.")
            raise ValidationFailed(msg, fields={"pin": msg})
        return payment_with_pin(
            actor=actor,
            debit_account_id=debit_account_id,
            credit_account_id=credit_account_id,
            amount=minor,
            pin=pin,
            idempotency_key=idempotency_key or "",
            description=description,
        )
    transfer = transfer_create(
        actor=actor,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=minor,
        idempotency_key=idempotency_key or "",
        kind=kind,
        description=description,
    )
    if transfer.currency_id == currency.pk:
        transfer.currency = currency  # the answer shows the currency: no second query
    return transfer


def transfer_reverse(
    *, actor: Actor, transfer_id: int, idempotency_key: str, reason: str = ""
) -> Transfer:
    """Correct a transfer with a new one the other way, linked to it. A transfer is reversed once."""
    actor.require("ledger.manage")
    original = get_scoped(Transfer, actor.community, pk=transfer_id)
    if original.kind == TransferKind.REVERSAL:
        raise Conflict(_("A correction cannot itself be corrected; make a new transfer instead."))
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        msg = _("Every transfer needs an idempotency key of 1 to 100 characters.")
        raise ValidationFailed(msg, fields={"idempotency_key": msg})
    description = (reason or _("Correction of transfer %(id)s") % {"id": original.pk})[:200]
    fingerprint = _request_hash(
        debit=original.credit_id,
        credit=original.debit_id,
        amount=original.amount,
        kind=TransferKind.REVERSAL,
        # The reason as sent, not the translated default text: a retry in another language
        # is the same request.
        description=(reason or "").strip()[:200],
        reverses=original.pk,
    )
    return _once(
        actor,
        key,
        fingerprint,
        lambda: _transfer(
            actor=actor,
            debit_id=original.credit_id,
            credit_id=original.debit_id,
            amount=original.amount,
            kind=TransferKind.REVERSAL,
            description=description,
            key=key,
            fingerprint=fingerprint,
            reverses=original,
        ),
    )


def _once(actor: Actor, key: str, fingerprint: str, run: Any) -> Transfer:
    """Run a transfer unless its key was used: then return that result or refuse a different request."""
    existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if existing is not None:
        return _same(existing, fingerprint)
    try:
        return run()  # type: ignore[no-any-return]
    except IntegrityError:
        existing = (
            Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
        )
        if existing is None:
            raise
        return _same(existing, fingerprint)


def _same(existing: Transfer, fingerprint: str) -> Transfer:
    if existing.request_hash != fingerprint:
        raise Conflict(
            _("This idempotency key was already used for a different transfer."),
            code="idempotency_conflict",
        )
    existing.replayed = True  # the API answers a retry with 200 instead of 201
    return existing


@transaction.atomic
def _transfer(
    *,
    actor: Actor,
    debit_id: int,
    credit_id: int,
    amount: int,
    kind: str,
    description: str,
    key: str,
    fingerprint: str,
    reverses: Transfer | None,
) -> Transfer:
    if debit_id == credit_id:
        raise _refusal("self")
    # Lock both accounts in a fixed order (ascending id), so two transfers never deadlock.
    locked = {
        a.pk: a
        for a in Account.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk__in=[debit_id, credit_id])
        .order_by("pk")
    }
    if debit_id not in locked or credit_id not in locked:
        raise _refusal("not_found")
    # A retry that waited for our locks finds the first result here.
    existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if existing is not None:
        return _same(existing, fingerprint)
    if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
        raise Conflict(_("This transfer has already been corrected."), code="already_reversed")
    debit, credit = locked[debit_id], locked[credit_id]
    if debit.currency_id != credit.currency_id:
        raise _refusal("currency")
    for account in (debit, credit):
        if account.frozen:
            raise _refusal("frozen", account.number)
    if reverses is None:
        sources, targets, _perm = _KINDS[kind]
        if _role(debit) not in sources or _role(credit) not in targets:
            raise _refusal("kind")
        if not _may_move_from(actor, debit, kind):
            raise _refusal("denied")
        if kind == TransferKind.REWARD and actor.channel != "system":
            _reward_budget_check(actor, debit, amount)  # the issuer is locked (above)
    new_debit = debit.balance - amount
    if debit.kind != AccountKind.SYSTEM and new_debit < debit.lower_limit:
        raise _refusal("insufficient", debit.number)
    new_credit = credit.balance + amount
    Account.objects.filter(pk=debit.pk).update(balance=new_debit)
    Account.objects.filter(pk=credit.pk).update(balance=new_credit)
    transfer = Transfer.objects.create(
        community=actor.community,
        currency_id=debit.currency_id,
        debit=debit,
        credit=credit,
        amount=amount,
        kind=kind,
        description=description,
        reverses=reverses,
        idempotency_key=key,
        request_hash=fingerprint,
        at=clock.now(),
        actor_label=actor.label[:150],
        on_behalf_of_id=actor.on_behalf_of_id,
        channel=actor.channel,
        debit_balance_after=new_debit,
        credit_balance_after=new_credit,
    )
    audit_record(
        actor=actor,
        verb="ledger.transfer",
        obj=transfer,
        data={"kind": kind, "amount": amount, "debit": debit.pk, "credit": credit.pk},
    )
    if kind == TransferKind.PAYMENT and credit.sms_receipts:
        _receipt_after_commit(transfer.pk)  # opt-in SMS receipt, after commit, never blocking
    return transfer


def _refusal(status: str, number: str = "") -> ServiceError:
    """Why a transfer is refused, the same on the ORM path and on the PostgreSQL fast path."""
    if status == "self":
        msg = _("You cannot pay yourself.")
        return ValidationFailed(msg, fields={"credit_account_id": msg})
    if status == "not_found":
        return NotFound(_("Account not found."))
    if status == "currency":
        return ValidationFailed(_("These accounts use different currencies."))
    if status == "frozen":
        return Conflict(
            _("Account %(number)s is frozen.") % {"number": number}, code="account_frozen"
        )
    if status == "kind":
        return ValidationFailed(_("This kind of transfer is not possible between these accounts."))
    if status == "denied":
        return PermissionDenied(_("You may not move money from this account."))
    if status == "insufficient":
        return InsufficientBalance(
            _("Not enough money on account %(number)s.") % {"number": number},
            fields={"amount": _("Not enough money on this account.")},
        )
    raise RuntimeError(f"unknown refusal {status!r}")  # pragma: no cover


# --- the PostgreSQL fast path for payments (docs/ledger.md, ADR 0012) ----------------------

_FAST_PAYMENT_SQL = (
    "SELECT * FROM ledger_fast_payment(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s::text[], %s::text[], %s, %s, %s, %s, %s::bigint[])"
)
_TRANSFER_COLUMNS = [
    "id",
    "community_id",
    "currency_id",
    "debit_id",
    "credit_id",
    "amount",
    "kind",
    "description",
    "reverses_id",
    "idempotency_key",
    "request_hash",
    "at",
    "actor_label",
    "on_behalf_of_id",
    "channel",
    "debit_balance_after",
    "credit_balance_after",
]
_FAST_PATH_LIMIT = Decimal(10) ** 13


def _fast_path_enabled() -> bool:
    """Payments take one round trip on PostgreSQL (``LEDGER_FAST_PATH = False`` turns it off)."""
    return connection.vendor == "postgresql" and getattr(settings, "LEDGER_FAST_PATH", True)


def _fast_submit_number(value: Any) -> Decimal | None:
    """The typed amount as a number the fast path may convert in the database, or None when
    only ``parse_amount`` can say what is wrong with it (the ORM path then answers)."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= _FAST_PATH_LIMIT:
        return None
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -8:
        return None
    return number


def _fast_payment(
    *,
    actor: Actor,
    debit_id: int,
    credit_id: int,
    amount: int | Decimal,
    major: bool,
    kind: str,
    description: str,
    key: str,
) -> Transfer:
    """``parse_amount`` (when ``major``) + ``_once`` + ``_transfer`` for a payment, as one call
    of the ``ledger_fast_payment`` function (migration 0007): the same checks in the same
    order, the same rows, the same errors.

    Outside a transaction the one statement is its own transaction; inside one (a service
    that pays as part of more work) it runs in a savepoint, like ``_transfer``.
    """
    sources, targets, needed = _KINDS[kind]
    # _request_hash's JSON around the amount in minor units, which only the database knows
    # when the amount was typed in major units ("amount" is the first key once sorted).
    text = json.dumps(
        {
            "amount": 0,
            "credit": credit_id,
            "debit": debit_id,
            "description": description,
            "kind": kind,
            "reverses": None,
        },
        sort_keys=True,
    )
    params = [
        actor.community.pk,
        debit_id,
        credit_id,
        amount,
        major,
        str(kind),
        description,
        key,
        '{"amount": ',
        text[len('{"amount": 0') :],
        clock.now(),
        actor.label[:150],
        actor.user_id,
        actor.api_key_id,
        actor.on_behalf_of_id,
        actor.channel,
        sorted(str(role) for role in sources),
        sorted(str(role) for role in targets),
        actor.has("ledger.manage"),
        not needed or actor.has(needed),
        actor.person_id,
        actor.has("ledger.pay_on_behalf"),
        sorted(actor.organisation_ids),
    ]
    if connection.in_atomic_block:
        with transaction.atomic():
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
    else:
        try:
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
        except OperationalError:
            # A connection that broke while idle (see core/db/postgresql): the call is one
            # idempotent statement, so it is sent once more on a new connection.
            if connection.is_usable():
                raise
            connection.close()
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
    assert row is not None  # the function always returns one row
    status, info, sms, fingerprint = row[0], row[1] or "", row[2], row[3]
    if status == "no_currency":
        raise _no_currency()
    if status in ("decimals", "amount_not_positive", "amount_too_large"):
        raise _amount_error(status, decimals=int(info or 0))
    if status not in ("created", "existing"):
        raise _refusal(status, info)
    transfer = Transfer.from_db(connection.alias, _TRANSFER_COLUMNS, row[7:])
    if major:
        transfer.currency = Currency.from_db(
            connection.alias,
            ["id", "community_id", "code", "decimals"],
            [row[4], actor.community.pk, row[5], row[6]],
        )
    if status == "existing":
        return _same(transfer, fingerprint)
    if sms:
        _receipt_after_commit(transfer.pk)  # opt-in SMS receipt, after commit, never blocking
    return transfer


# --- paying with one phone: the payment PIN, paying, a lost phone ------------------------

PIN_MAX_TRIES = 5
_TRIVIAL_PINS = frozenset(
    {"1212", "1122", "2580", "0852", "1004", "2000", "6969", "121212", "112233", "123123", "696969"}
)


def _pin_error(message: str, *, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(message, fields={"pin": message}, code=code)


def _check_pin_rules(pin: str) -> str:
    pin = (pin or "").strip()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        raise _pin_error(_("Choose a PIN of 4 to 6 digits."))
    digits = [int(ch) for ch in pin]
    steps = {digits[i + 1] - digits[i] for i in range(len(digits) - 1)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}) or pin in _TRIVIAL_PINS:
        raise _pin_error(_("This PIN is too easy to guess. Choose another one."))
    return pin


def _require_identity_check(identity_checked: bool) -> None:
    if not identity_checked:
        msg = _("Check the person's identity first (identity card), then tick the box.")
        raise ValidationFailed(msg, fields={"identity_checked": msg})


def _staff_for_person(actor: Actor) -> bool:
    return actor.has("ledger.pay_on_behalf") or actor.has("ledger.manage")


def pin_status(*, actor: Actor, person_id: int) -> str:
    """``"none"``, ``"set"`` or ``"locked"``: for the pages, never the PIN itself."""
    from buurtkit.ledger.models import PaymentPin

    if person_id not in (actor.person_id, actor.on_behalf_of_id) and not _staff_for_person(actor):
        raise PermissionDenied(_("You may not see this."))
    pin = PaymentPin.objects.in_community(actor.community).filter(person_id=person_id).first()
    if pin is None:
        return "none"
    return "locked" if pin.locked_at else "set"


@transaction.atomic
def pin_set(
    *,
    actor: Actor,
    person_id: int,
    pin: str,
    current_pin: str | None = None,
    identity_checked: bool = False,
) -> None:
    """Set a resident's payment PIN (4 to 6 digits, not trivial).

    The resident sets their own; to change an existing one they give the current one (a stolen
    phone with an open session cannot change it). Staff with ``ledger.pay_on_behalf`` or
    ``ledger.manage`` set it at the counter, after checking the person's identity.
    """
    from buurtkit.ledger.models import PaymentPin

    person = get_scoped(Person, actor.community, pk=person_id)
    own = person.pk == actor.person_id and actor.on_behalf_of_id is None
    if not own:
        if not _staff_for_person(actor):
            raise PermissionDenied(_("You may only set your own PIN."))
        _require_identity_check(identity_checked)
    pin = _check_pin_rules(pin)
    existing = (
        PaymentPin.objects.in_community(actor.community)
        .select_for_update()
        .filter(person=person)
        .first()
    )
    if own and existing is not None:
        if existing.locked_at:
            raise _pin_error(
                _("Your PIN is locked after too many wrong tries. Ask at the counter."),
                code="pin_locked",
            )
        if not check_password(current_pin or "", existing.pin_hash):
            msg = _("Your current PIN is not right.")
            raise ValidationFailed(msg, fields={"current_pin": msg}, code="pin_wrong")
    PaymentPin.objects.update_or_create(
        community=actor.community,
        person=person,
        defaults={
            "pin_hash": make_password(pin),
            "failed_attempts": 0,
            "locked_at": None,
            "set_at": clock.now(),
        },
    )
    audit_record(
        actor=actor,
        verb="ledger.pin_set",
        obj=person,
        data={"by": "self" if own else "staff", "identity_checked": bool(identity_checked)},
    )


@transaction.atomic
def pin_reset_by_staff(
    *, actor: Actor, person_id: int, identity_checked: bool, new_pin: str = ""
) -> None:
    """At the counter, after an identity check: clear the lock and the wrong tries.

    With ``new_pin`` (typed by the resident) that becomes the PIN; without, the old PIN is
    removed and the resident chooses a new one after signing in again.
    """
    from buurtkit.ledger.models import PaymentPin

    if not _staff_for_person(actor):
        raise PermissionDenied(_("Only staff at the counter can reset a PIN."))
    person = get_scoped(Person, actor.community, pk=person_id)
    _require_identity_check(identity_checked)
    if new_pin:
        pin_set(actor=actor, person_id=person.pk, pin=new_pin, identity_checked=True)
    else:
        PaymentPin.objects.in_community(actor.community).filter(person=person).delete()
    audit_record(
        actor=actor,
        verb="ledger.pin_reset",
        obj=person,
        data={"new_pin": bool(new_pin), "identity_checked": True},
    )


def _pin_verify(actor: Actor, person_id: int, pin: str) -> None:
    """Check the PIN; a wrong try is counted and committed even though the payment is refused."""
    from buurtkit.ledger.models import PaymentPin

    error: ValidationFailed | None = None
    # Its own transaction: the count of wrong tries must survive the refusal that follows.
    with transaction.atomic():
        row = (
            PaymentPin.objects.in_community(actor.community)
            .select_for_update()
            .filter(person_id=person_id)
            .first()
        )
        if row is None:
            error = _pin_error(
                _("There is no payment PIN yet. Choose one first."), code="pin_not_set"
            )
        elif row.locked_at is not None:
            error = _pin_error(
                _("Your PIN is locked after too many wrong tries. Ask at the counter."),
                code="pin_locked",
            )
        elif not check_password(str(pin or "").strip(), row.pin_hash):
            row.failed_attempts += 1
            left = PIN_MAX_TRIES - row.failed_attempts
            if left <= 0:
                row.locked_at = clock.now()
                error = _pin_error(
                    _("Wrong PIN. Your PIN is now locked. Ask at the counter."),
                    code="pin_locked",
                )
            else:
                error = _pin_error(
                    ngettext(
                        "Wrong PIN. You can try %(n)d more time.",
                        "Wrong PIN. You can try %(n)d more times.",
                        left,
                    )
                    % {"n": left},
                    code="pin_wrong",
                )
            row.save(update_fields=["failed_attempts", "locked_at"])
            audit_record(
                actor=actor,
                verb="ledger.pin_locked" if row.locked_at else "ledger.pin_wrong",
                obj=row.person,
                data={"failed_attempts": row.failed_attempts},
            )
        elif row.failed_attempts:
            row.failed_attempts = 0
            row.save(update_fields=["failed_attempts"])
    if error is not None:
        raise error


def _paying_person(actor: Actor, debit_account_id: int) -> Account:
    account = get_scoped(Account, actor.community, pk=debit_account_id)
    if account.person_id is None:
        raise ValidationFailed(_("Only residents' accounts are paid from with a PIN."))
    if account.person_id != (actor.on_behalf_of_id or actor.person_id):
        # Checked before the PIN: nobody can lock someone else's PIN by guessing.
        raise PermissionDenied(_("You may not move money from this account."))
    return account


def payment_with_pin(
    *,
    actor: Actor,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    pin: str,
    idempotency_key: str,
    description: str = "",
) -> Transfer:
    """A resident pays from their own account, confirmed with their payment PIN.

    Call it outside a transaction: a wrong PIN is counted (and after ``PIN_MAX_TRIES`` the PIN
    locks) in its own transaction, then the payment is refused. With the right PIN the payment
    goes through :func:`transfer_create`, so a retry with the same key pays once.
    """
    account = _paying_person(actor, debit_account_id)
    _check_amount(amount)
    _pin_verify(actor, account.person_id, pin)  # type: ignore[arg-type]
    return transfer_create(
        actor=actor,
        debit_account_id=account.pk,
        credit_account_id=credit_account_id,
        amount=amount,
        idempotency_key=idempotency_key,
        description=description,
    )


def payment_on_behalf(
    *,
    actor: Actor,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    idempotency_key: str,
    description: str = "",
) -> Transfer:
    """A counter clerk pays for a resident who is there in person, without their PIN.

    Needs ``ledger.pay_on_behalf`` and an act-on-behalf session for that resident; the transfer
    records whose money it was (``on_behalf_of_id``) and the channel (the counter).
    """
    actor.require("ledger.pay_on_behalf")
    if actor.on_behalf_of_id is None:
        raise PermissionDenied(_("Start acting on behalf of the resident first."))
    if actor.channel == "web":
        actor = actor.acting_for(actor.on_behalf_of_id, channel="counter")
    account = _paying_person(actor, debit_account_id)
    return transfer_create(
        actor=actor,
        debit_account_id=account.pk,
        credit_account_id=credit_account_id,
        amount=amount,
        idempotency_key=idempotency_key,
        description=description,
    )


@transaction.atomic
def sessions_end_everywhere(*, actor: Actor, person_id: int) -> int:
    """A lost phone: sign the person's login out on every device. Returns how many sessions ended.

    The login model is Django's own ``User``, whose session hash depends only on the password;
    rotating it would mean changing the password and locking the resident out as well. So the
    sessions themselves are deleted, in the session store every web process shares (the
    database, see settings). A request still running on the lost phone cannot bring its
    session back: saving a deleted database session raises ``SessionInterrupted``.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model

    if not _staff_for_person(actor) and actor.person_id != person_id:
        raise PermissionDenied(_("Only staff at the counter can do this."))
    person = get_scoped(Person, actor.community, pk=person_id)
    ended = 0
    if person.user_id is not None:
        user = get_user_model().objects.get(pk=person.user_id)
        if user.is_superuser or user.is_staff:
            raise PermissionDenied(
                _("This login can only be signed out by a platform administrator.")
            )
        store = import_module(settings.SESSION_ENGINE).SessionStore
        model = store.get_model_class()  # database-backed stores only (settings pin "db")
        wanted = str(user.pk)
        for session in model.objects.filter(expire_date__gt=clock.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == wanted:
                store(session_key=session.session_key).delete()
                ended += 1
    audit_record(actor=actor, verb="ledger.sessions_ended", obj=person, data={"sessions": ended})
    return ended


@transaction.atomic
def lost_phone(*, actor: Actor, person_id: int, identity_checked: bool) -> int:
    """At the counter, after an identity check: sign out everywhere and reset the PIN, together.

    Returns how many sessions were ended.
    """
    pin_reset_by_staff(actor=actor, person_id=person_id, identity_checked=identity_checked)
    return sessions_end_everywhere(actor=actor, person_id=person_id)


# --- exchange offices (wisselkantoren): paper notes <-> digital money ----------------------
#
# The money moves between the ``paper`` system account and the resident's or shop's account
# (``exchange_in`` / ``exchange_out``); the notes move in and out of the office's till as
# append-only ``TillMovement`` rows, in the same transaction. The notes in a till are the sum
# of its movements. Every write on a till first locks the office row (``SELECT ... FOR
# UPDATE``), then the two accounts in ascending id order, always in that order: movements of
# one office are serialised (no count can go below zero between the check and the write) and
# no two transactions wait for each other in a cycle.

MAX_NOTES = 100_000  # of one denomination in one request


def _note_field(denomination: Any) -> str:
    return f"note_{denomination}"


def _clean_notes(
    currency: Currency, notes: Any, *, require_some: bool = True, label: str = "notes"
) -> dict[int, int]:
    """Notes per denomination as typed, checked: known denominations, whole counts, not below 0.

    Zero counts are dropped. Keys may be numbers or strings of digits (JSON keys are strings).
    """
    if not isinstance(notes, dict):
        msg = _("Give the number of notes per denomination.")
        raise ValidationFailed(msg, fields={label: msg})
    allowed = {int(d) for d in currency.denominations}
    clean: dict[int, int] = {}
    errors: dict[str, str] = {}
    for raw_denomination, raw_count in notes.items():
        text = str(raw_denomination).strip()
        if isinstance(raw_denomination, bool) or not text.isascii() or not text.isdigit():
            errors[_note_field(text)] = _("There is no note of %(d)s.") % {"d": text}
            continue
        denomination = int(text)
        if denomination not in allowed:
            errors[_note_field(denomination)] = _("There is no note of %(d)s.") % {
                "d": denomination
            }
            continue
        if isinstance(raw_count, bool) or not isinstance(raw_count, int | str):
            count_text = ""
        else:
            count_text = str(raw_count).strip() or "0"
        if count_text.startswith("-") and count_text[1:].isdigit():
            errors[_note_field(denomination)] = _("The number of notes cannot be below zero.")
            continue
        if not (count_text.isascii() and count_text.isdigit()):
            errors[_note_field(denomination)] = _("Type a whole number of notes, for example 3.")
            continue
        count = int(count_text)
        if count > MAX_NOTES:
            errors[_note_field(denomination)] = _("That is too many notes.")
            continue
        if count:
            clean[denomination] = clean.get(denomination, 0) + count
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    if require_some and not clean:
        msg = _("Count at least one note.")
        raise ValidationFailed(msg, fields={label: msg})
    return clean


def notes_total(currency: Currency, notes: dict[int, int]) -> int:
    """The value of ``notes`` (denominations in major units) in minor units."""
    return sum(d * n for d, n in notes.items()) * 10**currency.decimals


def _office_locked(actor: Actor, office_id: int) -> Any:
    from buurtkit.ledger.models import ExchangeOffice

    office = get_scoped(ExchangeOffice, actor.community, for_update=True, pk=office_id)
    if not office.active:
        raise Conflict(_("This exchange office is closed."), code="office_closed")
    return office


def _paper_account(currency: Currency) -> Account:
    return Account.objects.get(currency=currency, system_role=SystemRole.PAPER)


def _exchange_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        msg = _("Every transfer needs an idempotency key of 1 to 100 characters.")
        raise ValidationFailed(msg, fields={"idempotency_key": msg})
    return key


def _exchange_replay(
    actor: Actor, office: Any, existing: Transfer, kind: str, account_id: int, notes: dict[int, int]
) -> Transfer:
    """A retried exchange: the first result, if it was the same request; else refused."""
    from buurtkit.ledger.models import TillMovement

    moved: dict[int, int] = {}
    offices = set()
    for m in TillMovement.objects.filter(transfer=existing):
        moved[m.denomination] = moved.get(m.denomination, 0) + abs(m.delta)
        offices.add(m.office_id)
    party = existing.credit_id if kind == TransferKind.EXCHANGE_IN else existing.debit_id
    if existing.kind != kind or offices != {office.pk} or party != account_id or moved != notes:
        raise Conflict(
            _("This idempotency key was already used for a different transfer."),
            code="idempotency_conflict",
        )
    existing.replayed = True
    return existing


def _till_movements(
    actor: Actor,
    office: Any,
    notes: dict[int, int],
    *,
    sign: int,
    reason: str,
    transfer: Transfer | None = None,
    key: str = "",
    note: str = "",
    daily_count: Any = None,
) -> list[Any]:
    from buurtkit.ledger.models import TillMovement

    now = clock.now()
    return [
        TillMovement.objects.create(
            community=actor.community,
            office=office,
            denomination=d,
            delta=sign * n,
            reason=reason,
            transfer=transfer,
            daily_count=daily_count,
            idempotency_key=key,
            note=note[:200],
            at=now,
            actor_label=actor.label[:150],
            on_behalf_of_id=actor.on_behalf_of_id,
        )
        for d, n in sorted(notes.items())
        if n
    ]


def _notes_json(notes: dict[int, int]) -> dict[str, int]:
    return {str(d): n for d, n in sorted(notes.items())}


@transaction.atomic
def exchange_office_create(*, actor: Actor, name: str, organisation_id: int) -> Any:
    """Open an exchange office for an organisation, with its own till account."""
    from buurtkit.ledger.models import ExchangeOffice

    actor.require("ledger.manage")
    currency = community_currency(actor)
    name = (name or "").strip()[:150]
    if not name:
        msg = _("Give the exchange office a name.")
        raise ValidationFailed(msg, fields={"name": msg})
    org = get_scoped(Organisation, actor.community, pk=organisation_id)
    if ExchangeOffice.objects.in_community(actor.community).filter(name=name).exists():
        msg = _("There is already an exchange office with this name.")
        raise ValidationFailed(msg, fields={"name": msg})
    till = _new_account(currency, kind=AccountKind.TILL, name=name, organisation=org)
    office = ExchangeOffice.objects.create(
        community=actor.community, name=name, organisation=org, account=till
    )
    audit_record(actor=actor, verb="ledger.office_created", obj=office, data={"till": till.pk})
    return office


def exchange_deposit(
    *,
    actor: Actor,
    office_id: int,
    account_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
) -> Transfer:
    """A resident or shop hands in paper notes: the notes go into the till and their value is
    credited to the account (``exchange_in`` from the paper account), in one transaction.

    ``notes`` is the number of notes per denomination. A retry with the same key returns the
    first transfer (``replayed``); the same key with other notes, account or office is refused.
    """
    actor.require("ledger.exchange")
    with transaction.atomic():
        office = _office_locked(actor, office_id)
        currency = community_currency(actor)
        clean = _clean_notes(currency, notes)
        amount = _check_amount(notes_total(currency, clean), field="notes")
        key = _exchange_key(idempotency_key)
        existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key)
        if existing.exists():
            return _exchange_replay(
                actor, office, existing.get(), TransferKind.EXCHANGE_IN, account_id, clean
            )
        transfer = transfer_create(
            actor=actor,
            debit_account_id=_paper_account(currency).pk,
            credit_account_id=account_id,
            amount=amount,
            idempotency_key=key,
            kind=TransferKind.EXCHANGE_IN,
        )
        if transfer.replayed:  # the key was taken meanwhile, at another office
            return _exchange_replay(
                actor, office, transfer, TransferKind.EXCHANGE_IN, account_id, clean
            )
        _till_movements(actor, office, clean, sign=1, reason="deposit", transfer=transfer, key=key)
        audit_record(
            actor=actor,
            verb="ledger.exchange_deposit",
            obj=office,
            data={
                "transfer": transfer.pk,
                "account": account_id,
                "amount": amount,
                "notes": _notes_json(clean),
            },
        )
        return transfer


def exchange_withdraw(
    *,
    actor: Actor,
    office_id: int,
    account_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
    pin: str | None = None,
) -> Transfer:
    """Digital money out as paper notes: ``exchange_out`` to the paper account, notes out of the
    till, in one transaction. Refused when the till has too few notes of a denomination or the
    account too little money.

    Whose money it is must be clear: a clerk acting on behalf of the resident at the counter
    (the normal case), the resident's payment PIN typed at the counter (``pin``), a shop's own
    staff, or ``ledger.manage``.
    """
    actor.require("ledger.exchange")
    account = get_scoped(Account, actor.community, pk=account_id)
    currency = community_currency(actor)
    clean = _clean_notes(currency, notes)
    amount = _check_amount(notes_total(currency, clean), field="notes")
    key = _exchange_key(idempotency_key)
    get_scoped(_office_model(), actor.community, pk=office_id)  # unknown office: 404 first
    if (
        pin is not None
        and account.person_id is not None
        and actor.on_behalf_of_id != account.person_id
    ):
        # The resident confirms with their PIN; a wrong try is counted in its own transaction.
        _pin_verify(actor, account.person_id, pin)
        actor = actor.acting_for(
            account.person_id, channel="counter" if actor.channel == "web" else actor.channel
        )
    with transaction.atomic():
        office = _office_locked(actor, office_id)
        existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key)
        if existing.exists():
            return _exchange_replay(
                actor, office, existing.get(), TransferKind.EXCHANGE_OUT, account_id, clean
            )
        from buurtkit.ledger.selectors import till_counts

        in_till = till_counts(office_id=office.pk)
        short = {d: n for d, n in clean.items() if in_till.get(d, 0) < n}
        if short:
            fields = {
                _note_field(d): _("The till has only %(n)d notes of %(d)d.")
                % {"n": max(in_till.get(d, 0), 0), "d": d}
                for d in sorted(short)
            }
            raise Conflict(
                _("There are not enough notes in the till."),
                code="not_enough_notes",
                fields=fields,
            )
        transfer = transfer_create(
            actor=actor,
            debit_account_id=account.pk,
            credit_account_id=_paper_account(currency).pk,
            amount=amount,
            idempotency_key=key,
            kind=TransferKind.EXCHANGE_OUT,
        )
        if transfer.replayed:
            return _exchange_replay(
                actor, office, transfer, TransferKind.EXCHANGE_OUT, account_id, clean
            )
        _till_movements(
            actor, office, clean, sign=-1, reason="withdrawal", transfer=transfer, key=key
        )
        audit_record(
            actor=actor,
            verb="ledger.exchange_withdraw",
            obj=office,
            data={
                "transfer": transfer.pk,
                "account": account.pk,
                "amount": amount,
                "notes": _notes_json(clean),
            },
        )
        return transfer


def _office_model() -> Any:
    from buurtkit.ledger.models import ExchangeOffice

    return ExchangeOffice


@transaction.atomic
def office_opening_float(
    *,
    actor: Actor,
    office_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
    note: str = "",
) -> list[Any]:
    """Put notes into a till from the organisation's stock (the float it opens with, or a top-up).

    No money moves: these notes are already counted on the paper account when they were issued.
    A retry with the same key returns the first movements; other notes with it are refused.
    """
    from buurtkit.ledger.models import TillMovement, TillReason

    actor.require("ledger.exchange")
    office = _office_locked(actor, office_id)
    clean = _clean_notes(community_currency(actor), notes)
    key = _exchange_key(idempotency_key)
    earlier = list(
        TillMovement.objects.in_community(actor.community).filter(
            office=office, reason=TillReason.OPENING_FLOAT, idempotency_key=key
        )
    )
    if earlier:
        if {m.denomination: m.delta for m in earlier} != clean:
            raise Conflict(
                _("This idempotency key was already used for a different request."),
                code="idempotency_conflict",
            )
        return earlier
    movements = _till_movements(
        actor, office, clean, sign=1, reason=TillReason.OPENING_FLOAT, key=key, note=note
    )
    audit_record(
        actor=actor,
        verb="ledger.office_float",
        obj=office,
        data={"notes": _notes_json(clean), "note": note[:200]},
    )
    return movements


@transaction.atomic
def office_daily_count(
    *, actor: Actor, office_id: int, counted: dict[Any, Any], note: str = ""
) -> Any:
    """Record the notes counted in the till against what the movements say should be there.

    A denomination left out counts as zero notes. Differences are recorded, never fixed here
    (see :func:`office_correct_count`). A recount the same day is a new row that replaces the
    previous count.
    """
    from zoneinfo import ZoneInfo

    from buurtkit.ledger.models import DailyCount
    from buurtkit.ledger.selectors import BRUSSELS, till_counts

    actor.require("ledger.exchange")
    office = _office_locked(actor, office_id)
    currency = community_currency(actor)
    clean = _clean_notes(currency, counted, require_some=False, label="counted")
    expected = till_counts(office_id=office.pk)
    denominations = sorted({int(d) for d in currency.denominations} | set(expected))
    counted_all = {d: clean.get(d, 0) for d in denominations}
    expected_all = {d: expected.get(d, 0) for d in denominations}
    difference = {d: counted_all[d] - expected_all[d] for d in denominations}
    day = clock.now().astimezone(ZoneInfo(BRUSSELS)).date()
    previous = (
        DailyCount.objects.in_community(actor.community)
        .filter(office=office, date=day, replaced_by__isnull=True)
        .order_by("-id")
        .first()
    )
    count = DailyCount.objects.create(
        community=actor.community,
        office=office,
        date=day,
        counted=_notes_json(counted_all),
        expected=_notes_json(expected_all),
        discrepancy=_notes_json(difference),
        note=(note or "").strip()[:500],
        replaces=previous,
        actor_label=actor.label[:150],
        user_id=actor.user_id,
        at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="ledger.office_count",
        obj=office,
        data={
            "count": count.pk,
            "discrepancy": {k: v for k, v in count.discrepancy.items() if v},
            "replaces": previous.pk if previous else None,
        },
    )
    return count


@transaction.atomic
def office_correct_count(*, actor: Actor, office_id: int, count_id: int, reason: str) -> list[Any]:
    """Book a count's differences as ``count_correction`` movements, so the till matches the
    notes counted. Needs ``ledger.manage`` (a second person, not the clerk who counted), a
    reason, and a till unchanged since the count; a count is corrected once."""
    from buurtkit.ledger.models import DailyCount, TillReason
    from buurtkit.ledger.selectors import till_counts

    actor.require("ledger.manage")
    office = _office_locked(actor, office_id)
    count = get_scoped(DailyCount, actor.community, office=office, pk=count_id)
    reason = (reason or "").strip()
    if not reason:
        msg = _("Say why the till is corrected.")
        raise ValidationFailed(msg, fields={"reason": msg})
    if DailyCount.objects.filter(replaces=count).exists():
        raise Conflict(_("A later count replaces this one. Correct that one."), code="recounted")
    if count.corrections.exists():
        raise Conflict(_("This count has already been corrected."), code="already_corrected")
    now = {d: n for d, n in till_counts(office_id=office.pk).items() if n}
    if now != {int(d): int(n) for d, n in count.expected.items() if int(n)}:
        raise Conflict(
            _("Notes came in or went out after this count. Count the till again."),
            code="till_changed",
        )
    difference = {int(d): int(n) for d, n in count.discrepancy.items() if int(n)}
    if not difference:
        raise ValidationFailed(_("This count matches the till: there is nothing to correct."))
    from buurtkit.ledger.models import TillMovement

    movements = [
        TillMovement.objects.create(
            community=actor.community,
            office=office,
            denomination=d,
            delta=n,
            reason=TillReason.COUNT_CORRECTION,
            daily_count=count,
            note=reason[:200],
            at=clock.now(),
            actor_label=actor.label[:150],
            on_behalf_of_id=actor.on_behalf_of_id,
        )
        for d, n in sorted(difference.items())
    ]
    audit_record(
        actor=actor,
        verb="ledger.office_count_corrected",
        obj=office,
        data={"count": count.pk, "difference": _notes_json(difference), "reason": reason[:200]},
    )
    return movements


# --- issuing budgets, second-person approval, monthly redemption (issue 4) ---------------
#
# People (pages, API keys) reward only within the issuing organisation's budget for the day,
# and a reward above the currency's threshold waits for a second person. The system actor
# (demo history, imports, fixtures) is not bound by these rules.

DEFAULT_APPROVAL_THRESHOLD_UNITS = 100


def _may_issue(actor: Actor) -> None:
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")):
        actor.require("ledger.issue")


def reward_approval_threshold(currency: Currency) -> int:
    """Rewards above this many minor units need a second person's approval."""
    from buurtkit.ledger.models import RewardPolicy

    policy = RewardPolicy.objects.filter(currency=currency).first()
    if policy is not None:
        return int(policy.approval_threshold)
    return int(DEFAULT_APPROVAL_THRESHOLD_UNITS * 10**currency.decimals)


@transaction.atomic
def reward_policy_set(*, actor: Actor, approval_threshold: str | int) -> int:
    """Set the currency's approval threshold (typed in major units, or minor units as int)."""
    from buurtkit.ledger.models import RewardPolicy

    actor.require("ledger.manage")
    currency = community_currency(actor)
    if isinstance(approval_threshold, str):
        threshold = parse_amount(currency, approval_threshold, field="approval_threshold")
    else:
        threshold = _check_amount(approval_threshold, field="approval_threshold")
    RewardPolicy.objects.update_or_create(
        community=actor.community, currency=currency, defaults={"approval_threshold": threshold}
    )
    audit_record(
        actor=actor,
        verb="ledger.reward_threshold_set",
        obj=currency,
        data={"approval_threshold": threshold},
    )
    return threshold


def _reward_threshold_check(actor: Actor, amount: int) -> None:
    currency = community_currency(actor)
    threshold = reward_approval_threshold(currency)
    if amount > threshold:
        from buurtkit.ledger.selectors import format_amount

        msg = _(
            "A reward above %(limit)s needs a second person's approval. "
            "Ask for it with the reward form."
        ) % {"limit": format_amount(currency, threshold)}
        raise ValidationFailed(msg, fields={"amount": msg}, code="approval_required")


def _reward_budget_check(actor: Actor, issuer: Account, amount: int) -> None:
    """Refuse a reward that has no budget today or does not fit in it. Call with ``issuer`` locked."""
    from buurtkit.ledger.selectors import budget_for_day, budget_used, format_amount, local_today

    budget = budget_for_day(issuer=issuer, day=local_today())
    if budget is None:
        msg = _("%(name)s has no issuing budget for today. Staff can add one.") % {
            "name": issuer.name
        }
        raise Conflict(msg, fields={"amount": msg}, code="no_budget")
    left = budget.amount - budget_used(budget)
    if amount > left:
        msg = _("This is more than the budget allows: %(left)s left until %(until)s.") % {
            "left": format_amount(issuer.currency, max(left, 0)),
            "until": budget.ends_on.isoformat(),
        }
        raise Conflict(msg, fields={"amount": msg}, code="budget_exceeded")


def _issuer_account(actor: Actor, account_id: int, *, field: str) -> Account:
    account = (
        Account.objects.in_community(actor.community)
        .select_related("currency")
        .filter(pk=account_id)
        .first()
    )
    if account is None or account.kind != AccountKind.ORGANISATION:
        msg = _("Choose the account of an issuing organisation.")
        raise ValidationFailed(msg, fields={field: msg})
    return account


@transaction.atomic
def budget_create(
    *,
    actor: Actor,
    account_id: int,
    starts_on: Any,
    ends_on: Any,
    amount: str | int,
) -> Any:
    """Give an issuing organisation a budget for one period (both days included).

    Periods of one organisation do not overlap, so every day has at most one budget.
    """
    from datetime import date

    from buurtkit.ledger.models import IssuingBudget

    actor.require("ledger.manage")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        msg = _("Choose the account of an issuing organisation.")
        raise ValidationFailed(msg, fields={"account_id": msg})
    # Lock the account: two budgets for one organisation are checked one after the other.
    if not (
        Account.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk=account_id)
        .exists()
    ):
        msg = _("Choose the account of an issuing organisation.")
        raise ValidationFailed(msg, fields={"account_id": msg})
    account = _issuer_account(actor, account_id, field="account_id")
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if isinstance(value, date):
            days[name] = value
            continue
        try:
            days[name] = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[name] = _("Type a date, for example 2026-03-01.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    if days["ends_on"] < days["starts_on"]:
        msg = _("The last day is before the first day.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if (days["ends_on"] - days["starts_on"]).days > 366:
        msg = _("A budget period is at most one year.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if isinstance(amount, str):
        minor = parse_amount(account.currency, amount)
    else:
        minor = _check_amount(amount)
    overlap = (
        IssuingBudget.objects.in_community(actor.community)
        .filter(account=account, starts_on__lte=days["ends_on"], ends_on__gte=days["starts_on"])
        .first()
    )
    if overlap is not None:
        msg = _("This organisation already has a budget from %(start)s to %(end)s.") % {
            "start": overlap.starts_on.isoformat(),
            "end": overlap.ends_on.isoformat(),
        }
        raise ValidationFailed(msg, fields={"starts_on": msg}, code="budget_overlap")
    budget = IssuingBudget.objects.create(
        community=actor.community,
        account=account,
        starts_on=days["starts_on"],
        ends_on=days["ends_on"],
        amount=minor,
        created_by_label=actor.label[:150],
    )
    audit_record(
        actor=actor,
        verb="ledger.budget_created",
        obj=budget,
        data={
            "account": account.pk,
            "starts_on": budget.starts_on.isoformat(),
            "ends_on": budget.ends_on.isoformat(),
            "amount": minor,
        },
    )
    return budget


class RewardResult:
    """What a reward request became: a transfer at once, or a reward waiting for approval."""

    def __init__(self, *, transfer: Transfer | None = None, pending: Any = None) -> None:
        self.transfer = transfer
        self.pending = pending
        self.replayed = False

    @property
    def is_pending(self) -> bool:
        return self.transfer is None


def reward_create(
    *,
    actor: Actor,
    issuer_account_id: int,
    resident_account_id: int,
    amount: str | int,
    reason: str,
    idempotency_key: str,
) -> RewardResult:
    """Reward a volunteer from an organisation's budget, exactly once per key.

    Up to the currency's threshold the transfer is made at once; above it a
    :class:`~buurtkit.ledger.models.PendingReward` waits for a second person
    (:func:`pending_reward_approve`). ``amount`` as typed (``"12.5"``) or in minor units (int).
    """
    from buurtkit.ledger.models import PendingReward

    _may_issue(actor)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        msg = _("Every transfer needs an idempotency key of 1 to 100 characters.")
        raise ValidationFailed(msg, fields={"idempotency_key": msg})
    currency = community_currency(actor)
    minor = parse_amount(currency, amount) if isinstance(amount, str) else _check_amount(amount)
    reason = (reason or "").strip()[:200]
    if not reason:
        msg = _("Say what the reward is for, for example: helped at the repair café.")
        raise ValidationFailed(msg, fields={"reason": msg})
    fingerprint = _request_hash(
        debit=issuer_account_id,
        credit=resident_account_id,
        amount=minor,
        kind=TransferKind.REWARD,
        description=reason,
        reverses=None,
    )
    # A retry: the first answer, or a refusal if the request differs.
    earlier = (
        PendingReward.objects.in_community(actor.community).filter(idempotency_key=key).first()
    )
    if earlier is not None:
        if earlier.request_hash != fingerprint:
            raise Conflict(
                _("This idempotency key was already used for a different transfer."),
                code="idempotency_conflict",
            )
        result = RewardResult(transfer=earlier.transfer, pending=earlier)
        result.replayed = True
        return result
    issuer = _issuer_account(actor, issuer_account_id, field="issuer_account_id")
    resident = Account.objects.in_community(actor.community).filter(pk=resident_account_id).first()
    if resident is None or resident.kind != AccountKind.RESIDENT:
        msg = _("Choose the resident's account.")
        raise ValidationFailed(msg, fields={"resident_account_id": msg})
    if not _may_move_from(actor, issuer, TransferKind.REWARD):
        raise PermissionDenied(_("You may not reward from this organisation's account."))
    if minor <= reward_approval_threshold(currency):
        transfer = transfer_create(
            actor=actor,
            debit_account_id=issuer.pk,
            credit_account_id=resident.pk,
            amount=minor,
            idempotency_key=key,
            kind=TransferKind.REWARD,
            description=reason,
        )
        result = RewardResult(transfer=transfer)
        result.replayed = transfer.replayed
        return result
    if Transfer.objects.in_community(actor.community).filter(idempotency_key=key).exists():
        raise Conflict(
            _("This idempotency key was already used for a different transfer."),
            code="idempotency_conflict",
        )
    for account in (issuer, resident):
        if account.frozen:
            raise Conflict(
                _("Account %(number)s is frozen.") % {"number": account.number},
                code="account_frozen",
            )
    # Refuse now what could never be approved (checked again, under lock, on approval).
    _reward_budget_check(actor, issuer, minor)
    try:
        with transaction.atomic():
            pending = PendingReward.objects.create(
                community=actor.community,
                issuer=issuer,
                resident=resident,
                amount=minor,
                reason=reason,
                idempotency_key=key,
                request_hash=fingerprint,
                created_at=clock.now(),
                created_by_label=actor.label[:150],
                created_by_user_id=actor.user_id,
                created_by_api_key_id=actor.api_key_id,
                created_by_person_id=actor.person_id,
            )
            audit_record(
                actor=actor,
                verb="ledger.reward_requested",
                obj=pending,
                data={"issuer": issuer.pk, "resident": resident.pk, "amount": minor},
            )
    except IntegrityError:
        # The same key at the same moment: answer as a retry.
        return reward_create(
            actor=actor,
            issuer_account_id=issuer_account_id,
            resident_account_id=resident_account_id,
            amount=minor,
            reason=reason,
            idempotency_key=key,
        )
    return RewardResult(pending=pending)


def _same_person(actor: Actor, pending: Any) -> bool:
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


def _pending_locked(actor: Actor, pending_id: int) -> Any:
    from buurtkit.ledger.models import PendingReward

    _may_issue(actor)
    pending = (
        PendingReward.objects.in_community(actor.community)
        .select_for_update(of=("self",))
        .select_related("issuer", "resident")
        .filter(pk=pending_id)
        .first()
    )
    if pending is None:
        raise NotFound(_("This reward was not found."))
    if not _may_move_from(actor, pending.issuer, TransferKind.REWARD):
        raise PermissionDenied(_("You may not reward from this organisation's account."))
    return pending


@transaction.atomic
def pending_reward_approve(*, actor: Actor, pending_id: int) -> Any:
    """A second person approves a large reward: the transfer is made, exactly once.

    Approving an approved reward again returns it as it is; the person who asked for the
    reward cannot approve it.
    """
    from buurtkit.ledger.models import PendingRewardStatus

    pending = _pending_locked(actor, pending_id)
    if pending.status == PendingRewardStatus.APPROVED:
        pending.replayed = True
        return pending
    if pending.status == PendingRewardStatus.REJECTED:
        raise Conflict(_("This reward was rejected; it cannot be approved."), code="rejected")
    if _same_person(actor, pending):
        raise PermissionDenied(
            _("Someone else must approve this reward: you asked for it yourself."),
            code="own_request",
        )
    transfer = _transfer(
        actor=actor,
        debit_id=pending.issuer_id,
        credit_id=pending.resident_id,
        amount=pending.amount,
        kind=TransferKind.REWARD,
        description=pending.reason,
        key=pending.idempotency_key,
        fingerprint=pending.request_hash,
        reverses=None,
    )
    pending.status = PendingRewardStatus.APPROVED
    pending.transfer = transfer
    pending.decided_at = clock.now()
    pending.decided_by_label = actor.label[:150]
    pending.save(update_fields=["status", "transfer", "decided_at", "decided_by_label"])
    audit_record(
        actor=actor,
        verb="ledger.reward_approved",
        obj=pending,
        data={"transfer": transfer.pk, "amount": pending.amount},
    )
    return pending


@transaction.atomic
def pending_reward_reject(*, actor: Actor, pending_id: int, note: str = "") -> Any:
    """Refuse a large reward: no money moves. Rejecting twice is harmless."""
    from buurtkit.ledger.models import PendingRewardStatus

    pending = _pending_locked(actor, pending_id)
    if pending.status == PendingRewardStatus.REJECTED:
        pending.replayed = True
        return pending
    if pending.status == PendingRewardStatus.APPROVED:
        raise Conflict(
            _("This reward was already paid. Correct the transfer instead."), code="approved"
        )
    pending.status = PendingRewardStatus.REJECTED
    pending.decided_at = clock.now()
    pending.decided_by_label = actor.label[:150]
    pending.decision_note = (note or "").strip()[:200]
    pending.save(update_fields=["status", "decided_at", "decided_by_label", "decision_note"])
    audit_record(actor=actor, verb="ledger.reward_rejected", obj=pending)
    return pending


def _month_start(month: Any) -> Any:
    from datetime import date

    from buurtkit.ledger.selectors import local_today

    if isinstance(month, date):
        first = month.replace(day=1)
    else:
        text = str(month or "").strip()
        msg = _("Type a month, for example 2026-03.")
        try:
            first = date.fromisoformat(text[:7] + "-01")
        except ValueError:
            raise ValidationFailed(msg, fields={"month": msg}) from None
        if len(text) not in (7, 10):
            raise ValidationFailed(msg, fields={"month": msg})
    if first > local_today().replace(day=1):
        msg = _("This month has not started yet.")
        raise ValidationFailed(msg, fields={"month": msg})
    return first


def redemption_key(month: Any, account_id: int) -> str:
    """The idempotency key of one merchant's conversion in one month."""
    return f"redemption-{month:%Y-%m}-{account_id}"


@transaction.atomic
def redemption_run(*, actor: Actor, month: Any) -> Any:
    """Convert every merchant's balance (as it is now) to euro, for ``month``.

    Each merchant with money gets one ``redemption`` transfer to the redemption account, keyed
    by month and account: a second run for the same month moves nothing twice (money received
    after the first run waits for the next month). Frozen accounts are skipped. Returns the
    :class:`~buurtkit.ledger.models.RedemptionRun`; ``created`` says whether it is new.
    """
    from buurtkit.ledger.models import RedemptionRun

    actor.require("ledger.manage")
    first = _month_start(month)
    currency = community_currency(actor)
    # The redemption account first (the lowest id: it is made with the currency), then each
    # merchant: the same ascending order every transfer locks in.
    redemption = (
        Account.objects.in_community(actor.community)
        .select_for_update()
        .get(currency=currency, system_role=SystemRole.REDEMPTION)
    )
    run, created = RedemptionRun.objects.get_or_create(
        community=actor.community,
        currency=currency,
        month=first,
        defaults={"run_at": clock.now(), "run_by_label": actor.label[:150]},
    )
    converted = 0
    count = 0
    merchants = (
        Account.objects.in_community(actor.community)
        .filter(currency=currency, kind=AccountKind.MERCHANT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    description = _("Converted to euro: %(month)s") % {"month": f"{first:%Y-%m}"}
    for merchant_id in list(merchants):
        key = redemption_key(first, merchant_id)
        if Transfer.objects.in_community(actor.community).filter(idempotency_key=key).exists():
            continue
        merchant = Account.objects.select_for_update().get(pk=merchant_id)
        if merchant.balance <= 0 or merchant.frozen:
            continue
        _transfer(
            actor=actor,
            debit_id=merchant.pk,
            credit_id=redemption.pk,
            amount=merchant.balance,
            kind=TransferKind.REDEMPTION,
            description=description,
            key=key,
            fingerprint=_request_hash(
                debit=merchant.pk,
                credit=redemption.pk,
                amount=merchant.balance,
                kind=TransferKind.REDEMPTION,
                description=key,
                reverses=None,
            ),
            reverses=None,
        )
        converted += merchant.balance
        count += 1
    audit_record(
        actor=actor,
        verb="ledger.redemption_run",
        obj=run,
        data={"month": f"{first:%Y-%m}", "merchants": count, "amount": converted, "new": created},
    )
    setattr(run, "created", created)  # noqa: B010  (not stored: new or a re-run)
    return run


def notes_parse(*, currency: Currency, notes: dict[Any, Any], require_some: bool = True) -> int:
    """Check notes per denomination as typed (for a live total on the counter screen) and
    return their value in minor units; the same errors the exchanges give."""
    return notes_total(currency, _clean_notes(currency, notes, require_some=require_some))


# --- the account's QR code ---------------------------------------------------------------------


@transaction.atomic
def account_qr_code(*, actor: Actor, account_id: int) -> Code:
    """The QR code of an account people can pay: its one linked code, made the first time.

    Anyone who may see the account gets it (a resident their own, to let others pay them; staff
    any). Scanning it opens the pay page with this account filled in (``ledger.qr``). The account
    row is locked first, so two first calls at once still make one code (a database constraint
    cannot say "one code per link" on the codes table). A retired code does not count: the
    account gets a new one.
    """
    from buurtkit.ledger import qr, selectors
    from buurtkit.qrcodes import services as qr_services
    from buurtkit.qrcodes.models import Code, CodeStatus

    account = selectors.account_get(actor=actor, account_id=account_id)
    if account.kind not in qr.PAYABLE_KINDS:
        raise ValidationFailed(_("Nobody can pay to this account, so it has no QR code."))
    linked = (
        Code.objects.in_community(actor.community)
        .filter(link_type=qr.LINK_TYPE, link_id=account.number)
        .exclude(status=CodeStatus.RETIRED)
        .order_by("created_at", "id")
    )
    existing = linked.first()  # the usual case: no lock needed to read it
    if existing is not None:
        return existing
    get_scoped(Account, actor.community, for_update=True, pk=account.pk)
    existing = linked.first()  # made by someone who held the lock before us?
    if existing is not None:
        return existing
    # Residents and shops may not make QR codes themselves; this one code is made for them.
    maker = actor if actor.has("qrcodes.manage") else Actor.system(actor.community, actor.label)
    code = qr_services.code_create(
        actor=maker,
        title=account.name,
        link_type=qr.LINK_TYPE,
        link_id=account.number,
        routes=qr.pay_routes(account.number, account.kind),
    )
    audit_record(actor=actor, verb="ledger.account_qr_code", obj=account, data={"code": code.code})
    return code


# --- payment requests: a shop asks for an amount, the payer accepts it once ------------------

REQUEST_HOURS_DEFAULT = 24
REQUEST_HOURS_MAX = 24 * 31


def _may_ask_for(actor: Actor, payee: Account) -> bool:
    """Who may ask money for an account: its resident, its organisation's people, a manager."""
    if actor.has("ledger.manage"):
        return True
    if payee.person_id is not None:
        return payee.person_id == actor.person_id and actor.on_behalf_of_id is None
    return payee.organisation_id is not None and payee.organisation_id in actor.organisation_ids


def may_manage_payment_request(actor: Actor, payment_request: PaymentRequest) -> bool:
    """The asking side (it sees the request's QR screen and may cancel it)."""
    return _may_ask_for(actor, payment_request.payee)


def _check_key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        msg = _("Every request needs an idempotency key of 1 to 100 characters.")
        raise ValidationFailed(msg, fields={"idempotency_key": msg})
    return key


def payment_request_create(
    *,
    actor: Actor,
    payee_account_id: int,
    amount: int | str,
    idempotency_key: str,
    description: str = "",
    expires_in_hours: int = REQUEST_HOURS_DEFAULT,
) -> PaymentRequest:
    """Ask for ``amount`` (minor units, or as typed in major units: ``"2.50"``) to an account.

    The shop's people (a membership of the shop's organisation), the resident for their own
    account, or a manager. The same key with the same request returns the first request
    (``replayed``); the same key with another request is refused.
    """
    key = _check_key(idempotency_key)
    if isinstance(amount, str):
        amount = parse_amount(community_currency(actor), amount)
    amount = _check_amount(amount)
    if isinstance(expires_in_hours, bool) or not 1 <= int(expires_in_hours) <= REQUEST_HOURS_MAX:
        msg = _("A request is valid for 1 hour to 31 days.")
        raise ValidationFailed(msg, fields={"expires_in_hours": msg})
    description = (description or "").strip()[:200]
    fingerprint = _request_hash(
        payee=payee_account_id, amount=amount, description=description, hours=expires_in_hours
    )
    requests = PaymentRequest.objects.in_community(actor.community)
    existing = requests.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_payment_request(existing, fingerprint)
    try:
        return _payment_request_new(
            actor=actor,
            payee_account_id=payee_account_id,
            amount=amount,
            description=description,
            hours=int(expires_in_hours),
            key=key,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        existing = requests.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_payment_request(existing, fingerprint)


def _same_payment_request(existing: PaymentRequest, fingerprint: str) -> PaymentRequest:
    if existing.request_hash != fingerprint:
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            code="idempotency_conflict",
        )
    existing.replayed = True  # type: ignore[attr-defined]
    return existing


@transaction.atomic
def _payment_request_new(
    *,
    actor: Actor,
    payee_account_id: int,
    amount: int,
    description: str,
    hours: int,
    key: str,
    fingerprint: str,
) -> PaymentRequest:
    import secrets
    from datetime import timedelta

    payee = get_scoped(Account, actor.community, pk=payee_account_id)
    if not _may_ask_for(actor, payee):
        raise PermissionDenied(_("You may not ask money for this account."))
    if payee.kind not in (AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION):
        msg = _("Nobody can pay to this account.")
        raise ValidationFailed(msg, fields={"payee_account_id": msg})
    if payee.frozen:
        raise Conflict(
            _("Account %(number)s is frozen.") % {"number": payee.number}, code="account_frozen"
        )
    now = clock.now()
    request = PaymentRequest.objects.create(
        community=actor.community,
        payee=payee,
        amount=amount,
        description=description,
        token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        created_by_label=actor.label[:150],
        created_by_user_id=actor.user_id,
        idempotency_key=key,
        request_hash=fingerprint,
    )
    audit_record(
        actor=actor,
        verb="ledger.payment_request_created",
        obj=request,
        data={"amount": amount, "payee": payee.pk},
    )
    return request


def _payment_request_by_token(actor: Actor, token: str, *, for_update: bool = False) -> Any:
    return get_scoped(PaymentRequest, actor.community, for_update=for_update, token=str(token))


def _refuse_unless_open(request: PaymentRequest) -> None:
    status = request.status_at(clock.now())
    if status == PaymentRequestStatus.PAID:
        raise Conflict(_("This request has already been paid."), code="already_paid")
    if status == PaymentRequestStatus.CANCELLED:
        raise Conflict(_("This request was cancelled. Ask for a new one."), code="cancelled")
    if status == PaymentRequestStatus.EXPIRED:
        raise Conflict(_("This request has expired. Ask for a new one."), code="expired")


@transaction.atomic
def payment_request_cancel(*, actor: Actor, token: str) -> PaymentRequest:
    """The asking side withdraws an open request; cancelling twice is harmless."""
    request = _payment_request_by_token(actor, token, for_update=True)
    if not _may_ask_for(actor, request.payee):
        raise PermissionDenied(_("You may not cancel this request."))
    if request.status == PaymentRequestStatus.CANCELLED:
        return request
    _refuse_unless_open(request)
    request.status = PaymentRequestStatus.CANCELLED
    request.closed_at = clock.now()
    request.closed_by_label = actor.label[:150]
    request.save(update_fields=["status", "closed_at", "closed_by_label"])
    audit_record(actor=actor, verb="ledger.payment_request_cancelled", obj=request)
    return request


def payment_request_pay(
    *,
    actor: Actor,
    token: str,
    idempotency_key: str,
    pin: str | None = None,
    debit_account_id: int | None = None,
) -> PaymentRequest:
    """Pay a request exactly once, through the usual payment checks.

    A resident pays from their own account with their payment PIN (a wrong PIN is counted as
    for any payment); a counter clerk acting on behalf of a resident pays without it; a
    manager (or API key with ``ledger.manage``) names the paying account. The request row is
    locked while the transfer is made, so two payers at once cannot both pay it: the second
    gets a conflict and nothing is written. A retry with the same key returns the first result.
    Call it outside a transaction (the PIN's wrong tries must be kept).
    """
    key = _check_key(idempotency_key)
    request = _payment_request_by_token(actor, token)
    if debit_account_id is None:
        payer_id = actor.on_behalf_of_id or actor.person_id
        account = (
            Account.objects.in_community(actor.community)
            .filter(person_id=payer_id, kind=AccountKind.RESIDENT)
            .first()
            if payer_id
            else None
        )
        if account is None:
            msg = _("Choose the account that pays.")
            raise ValidationFailed(msg, fields={"debit_account_id": msg})
        debit_account_id = account.pk
    debit = get_scoped(Account, actor.community, pk=debit_account_id)
    if _is_replay(request, key, debit.pk):
        request.replayed = True  # type: ignore[attr-defined]
        return request
    _refuse_unless_open(request)  # before the PIN: no wrong try counted for a closed request
    own = debit.person_id is not None and debit.person_id == actor.person_id
    if own and not actor.on_behalf_of_id:
        if not pin:
            msg = _("Confirm the payment with your payment PIN.")
            raise ValidationFailed(msg, fields={"pin": msg})
        _pin_verify(actor, _paying_person(actor, debit.pk).person_id or 0, pin)
    elif actor.on_behalf_of_id is not None:
        actor.require("ledger.pay_on_behalf")
        _paying_person(actor, debit.pk)
        if actor.channel == "web":
            actor = actor.acting_for(actor.on_behalf_of_id, channel="counter")
    with transaction.atomic():
        request = _payment_request_by_token(actor, token, for_update=True)
        if _is_replay(request, key, debit.pk):
            request.replayed = True  # type: ignore[attr-defined]
            return request
        _refuse_unless_open(request)
        transfer = transfer_create(
            actor=actor,
            debit_account_id=debit.pk,
            credit_account_id=request.payee_id,
            amount=request.amount,
            idempotency_key=key,
            description=request.description,
        )
        if transfer.replayed:
            raise Conflict(
                _("This idempotency key was already used for a different transfer."),
                code="idempotency_conflict",
            )
        request.status = PaymentRequestStatus.PAID
        request.transfer = transfer
        request.closed_at = transfer.at
        request.closed_by_label = actor.label[:150]
        request.save(update_fields=["status", "transfer", "closed_at", "closed_by_label"])
        audit_record(
            actor=actor,
            verb="ledger.payment_request_paid",
            obj=request,
            data={"transfer": transfer.pk, "debit": debit.pk},
        )
    return request


def _is_replay(request: PaymentRequest, key: str, debit_id: int) -> bool:
    """The same payment sent again (a double click, a retry): not a second payment."""
    return (
        request.transfer_id is not None
        and request.transfer is not None
        and request.transfer.idempotency_key == key
        and request.transfer.debit_id == debit_id
    )


# --- SMS receipts: a text message for a payment received (opt-in) ----------------------------


def receipt_contact(account: Account) -> Person | None:
    """Who gets the account's SMS receipts: its resident, or the shop's chosen contact."""
    if account.kind == AccountKind.RESIDENT:
        return account.person
    return account.sms_contact


def _reachable_by_sms(person: Person) -> bool:
    from buurtkit.people.selectors import current_consents

    consents = current_consents(person=person)
    mobile = bool(person.phone) and person.phone_kind == "mobile"
    return mobile and bool(consents.get("contact_sms", False))


@transaction.atomic
def account_set_sms_receipts(
    *, actor: Actor, account_id: int, enabled: bool, contact_person_id: int | None = None
) -> Account:
    """Switch SMS receipts on or off for an account (the opt-in).

    Counter staff record the resident's or shop's wish; a resident may switch their own. The
    person who gets them needs a mobile number and their consent to text messages (recorded on
    their person page), so an SMS is never sent to someone who did not agree to it.
    """
    account = get_scoped(Account, actor.community, for_update=True, pk=account_id)
    own = (account.person_id is not None and account.person_id == actor.person_id) or (
        account.organisation_id is not None and account.organisation_id in actor.organisation_ids
    )
    if not (own or actor.has("ledger.manage") or actor.has("ledger.pay_on_behalf")):
        raise PermissionDenied(_("You may not change this account."))
    if account.kind not in (AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION):
        raise ValidationFailed(_("This account does not receive payments."))
    contact: Person | None = account.person
    if account.kind != AccountKind.RESIDENT:
        contact = (
            get_scoped(Person, actor.community, pk=contact_person_id)
            if contact_person_id
            else account.sms_contact
        )
    if enabled:
        if contact is None:
            msg = _("Choose who receives the text messages.")
            raise ValidationFailed(msg, fields={"contact_person_id": msg})
        if not _reachable_by_sms(contact):
            msg = _(
                "%(name)s has no mobile number or did not agree to text messages. "
                "Record that on their person page first."
            ) % {"name": contact.full_name}
            raise ValidationFailed(msg, fields={"contact_person_id": msg}, code="unreachable")
    account.sms_receipts = bool(enabled)
    if account.kind != AccountKind.RESIDENT:
        account.sms_contact = contact
    account.save(update_fields=["sms_receipts", "sms_contact"])
    audit_record(
        actor=actor,
        verb="ledger.sms_receipts_on" if enabled else "ledger.sms_receipts_off",
        obj=account,
        data={"contact": contact.pk if contact else None},
    )
    return account


def _receipt_after_commit(transfer_id: int) -> None:
    """Queue the SMS receipt once the payment is committed; a failure never touches the payment."""

    def enqueue() -> None:
        from buurtkit.ledger.tasks import send_payment_receipt

        send_payment_receipt.enqueue(transfer_id)

    transaction.on_commit(enqueue, robust=True)


def payment_receipt_send(*, transfer_id: int) -> Any:
    """Send the SMS receipt of one payment, in the receiver's language; once per transfer.

    Returns the queued message, or None when no receipt is due (not a payment, not opted in,
    no number or no consent any more). Never raises for an unreachable receiver.
    """
    import logging

    from django.utils import translation

    from buurtkit.core.errors import ServiceError as _ServiceError
    from buurtkit.messaging.services import notify

    transfer = (
        Transfer.objects.select_related("credit", "debit", "currency", "community")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None or transfer.kind != TransferKind.PAYMENT:
        return None
    account = transfer.credit
    person = receipt_contact(account)
    if not account.sms_receipts or person is None or not person.phone:
        return None
    currency = transfer.currency
    language = person.preferred_language or "nl"
    one = 10**currency.decimals

    def units(minor: int) -> str:
        from buurtkit.ledger.selectors import format_amount

        return f"{format_amount(currency, minor)} {currency.name(language, plural=minor != one)}"

    with translation.override(language):
        text = _("You received %(amount)s from %(payer)s. New balance: %(balance)s.") % {
            "amount": units(transfer.amount),
            "payer": transfer.debit.name,
            "balance": units(transfer.credit_balance_after),
        }
    try:
        return notify(
            actor=Actor.system(transfer.community, label="SMS receipts"),
            person_id=person.pk,
            template="ledger_receipt",
            context={"text": text},
            channel="sms",
            idempotency_key=f"ledger-receipt-{transfer.pk}",
        )
    except _ServiceError as exc:  # unreachable now, or already sent in another wording
        logging.getLogger(__name__).info("no SMS receipt for transfer %s: %s", transfer.pk, exc)
        return None


# --- copying a circle's setup for a new neighbourhood ------------------------------------------


@dataclass
class CircleCopy:
    """What ``currency_copy`` made in the new neighbourhood, and what it left out (by name)."""

    currency: Currency
    offices: list[str] = field(default_factory=list)
    offices_skipped: list[str] = field(default_factory=list)
    budgets: list[str] = field(default_factory=list)
    budgets_skipped: list[str] = field(default_factory=list)


@transaction.atomic
def currency_copy(*, actor: Actor, target: Actor) -> CircleCopy:
    """Copy the setup of ``actor``'s circle into ``target``'s community, which has none yet.

    Copied: the currency (code, names, decimals, paper denominations, euro value, default lower
    limit, with its own system accounts), the reward approval threshold, and - for the
    organisations the new neighbourhood has too (same short name) - the exchange offices and
    the issuing budgets that are not over yet (the issuer gets an empty account there).
    Never copied: accounts with money, transfers, people, PINs. Both sides need
    ``ledger.manage``: a coordinator of the old circle who also coordinates the new one.
    Returns what was copied and what was left out, by name.
    """
    from buurtkit.ledger.models import ExchangeOffice, IssuingBudget, RewardPolicy
    from buurtkit.ledger.selectors import local_today

    actor.require("ledger.manage")
    target.require("ledger.manage")
    if target.community.pk == actor.community.pk:
        raise ValidationFailed(_("Choose another neighbourhood to copy the currency to."))
    source = community_currency(actor)
    if Currency.objects.in_community(target.community).exists():
        raise Conflict(
            _("%(community)s already has a currency.") % {"community": target.community.name},
            code="currency_exists",
        )
    currency = currency_create(
        actor=target,
        code=source.code,
        names=source.names,
        decimals=source.decimals,
        denominations=list(source.denominations),
        euro_cents_per_unit=source.euro_cents_per_unit,
        default_lower_limit=source.default_lower_limit,
    )
    policy = RewardPolicy.objects.filter(currency=source).first()
    if policy is not None:
        reward_policy_set(actor=target, approval_threshold=int(policy.approval_threshold))
    orgs = {o.slug: o for o in Organisation.objects.in_community(target.community)}
    report = CircleCopy(currency=currency)
    offices = (
        ExchangeOffice.objects.in_community(actor.community)
        .filter(active=True)
        .select_related("organisation")
        .order_by("name", "pk")
    )
    for office in offices:
        org = orgs.get(office.organisation.slug)
        if org is None:
            report.offices_skipped.append(office.name)
            continue
        exchange_office_create(actor=target, name=office.name, organisation_id=org.pk)
        report.offices.append(office.name)
    issuers: dict[int, Account] = {}
    budgets = (
        IssuingBudget.objects.in_community(actor.community)
        .filter(ends_on__gte=local_today())
        .select_related("account__organisation")
        .order_by("starts_on", "pk")
    )
    for budget in budgets:
        label = f"{budget.account.name} {budget.starts_on:%Y-%m-%d}..{budget.ends_on:%Y-%m-%d}"
        source_org = budget.account.organisation
        org = orgs.get(source_org.slug) if source_org is not None else None
        if org is None:
            report.budgets_skipped.append(label)
            continue
        if org.pk not in issuers:
            issuers[org.pk] = Account.objects.in_community(target.community).filter(
                currency=currency, kind=AccountKind.ORGANISATION, organisation=org
            ).first() or account_open(
                actor=target, kind=AccountKind.ORGANISATION, organisation_id=org.pk
            )
        budget_create(
            actor=target,
            account_id=issuers[org.pk].pk,
            starts_on=budget.starts_on,
            ends_on=budget.ends_on,
            amount=int(budget.amount),
        )
        report.budgets.append(label)
    data = {
        "from": actor.community.slug,
        "to": target.community.slug,
        "offices": report.offices,
        "budgets": report.budgets,
    }
    audit_record(actor=actor, verb="ledger.circle_copied", obj=source, data=data)
    audit_record(actor=target, verb="ledger.circle_copied", obj=currency, data=data)
    return report
