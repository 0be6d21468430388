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
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
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
    SystemRole,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.numbers import new_account_number
from buurtkit.people.models import Organisation, Person

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
        msg = _("Type an amount, for example 5.")
        raise ValidationFailed(msg, fields={field: msg}) from exc
    if not number.is_finite():
        msg = _("Type an amount, for example 5.")
        raise ValidationFailed(msg, fields={field: msg})
    minor = number.scaleb(currency.decimals)
    if minor != minor.to_integral_value():
        msg = (
            _("Use at most %(n)d decimals.") % {"n": currency.decimals}
            if currency.decimals
            else _("Use whole numbers only.")
        )
        raise ValidationFailed(msg, fields={field: msg})
    return _check_amount(int(minor), field=field)


def _check_amount(amount: int, *, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        msg = _("The amount must be a whole number of units.")
        raise ValidationFailed(msg, fields={field: msg})
    if amount <= 0:
        msg = _("The amount must be more than zero.")
        raise ValidationFailed(msg, fields={field: msg})
    if amount > MAX_AMOUNT:
        msg = _("This amount is too large.")
        raise ValidationFailed(msg, fields={field: msg})
    return amount


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
        raise NotFound(_("This community has no currency yet."))
    return currency


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
    description = (description or "").strip()[:200]
    fingerprint = _request_hash(
        debit=debit_account_id,
        credit=credit_account_id,
        amount=amount,
        kind=kind,
        description=description,
        reverses=None,
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
    minor = parse_amount(community_currency(actor), amount)
    owner = (
        Account.objects.in_community(actor.community)
        .filter(pk=debit_account_id)
        .values_list("person_id", flat=True)
        .first()
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
    return transfer_create(
        actor=actor,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=minor,
        idempotency_key=idempotency_key or "",
        kind=kind,
        description=description,
    )


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
        msg = _("You cannot pay yourself.")
        raise ValidationFailed(msg, fields={"credit_account_id": msg})
    # Lock both accounts in a fixed order (ascending id), so two transfers never deadlock.
    locked = {
        a.pk: a
        for a in Account.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk__in=[debit_id, credit_id])
        .order_by("pk")
    }
    if debit_id not in locked or credit_id not in locked:
        raise NotFound(_("Account not found."))
    # A retry that waited for our locks finds the first result here.
    existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if existing is not None:
        return _same(existing, fingerprint)
    if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
        raise Conflict(_("This transfer has already been corrected."), code="already_reversed")
    debit, credit = locked[debit_id], locked[credit_id]
    if debit.currency_id != credit.currency_id:
        raise ValidationFailed(_("These accounts use different currencies."))
    for account in (debit, credit):
        if account.frozen:
            raise Conflict(
                _("Account %(number)s is frozen.") % {"number": account.number},
                code="account_frozen",
            )
    if reverses is None:
        sources, targets, _perm = _KINDS[kind]
        if _role(debit) not in sources or _role(credit) not in targets:
            raise ValidationFailed(
                _("This kind of transfer is not possible between these accounts.")
            )
        if not _may_move_from(actor, debit, kind):
            raise PermissionDenied(_("You may not move money from this account."))
    new_debit = debit.balance - amount
    if debit.kind != AccountKind.SYSTEM and new_debit < debit.lower_limit:
        raise InsufficientBalance(
            _("Not enough money on account %(number)s.") % {"number": debit.number},
            fields={"amount": _("Not enough money on this account.")},
        )
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
