"""Transfers: every movement of money, exactly once per idempotency key.

``transfer_create`` (minor units) and ``transfer_submit`` (as a client types it) move money;
``transfer_reverse`` corrects a transfer with one the other way; ``payment_with_pin`` and
``payment_on_behalf`` are a resident's own payment and a clerk's at the counter.

Two paths, one set of rules. The ORM path (``make_transfer``) locks both accounts in ascending
id order (no deadlocks) on PostgreSQL; SQLite runs writers one at a time (IMMEDIATE
transactions). On PostgreSQL a payment takes the fast path (``_fast_path``): the same checks,
rows and errors in one round trip.

Invariants (checked by the property-based tests after every step):
- per currency the balances sum to zero (system accounts carry the negative side);
- each account's balance equals its credits minus its debits;
- no non-system balance below its lower limit (also a database constraint);
- transfers are never updated or deleted; corrections are reversal transfers.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import (
    KEY_MAX_LENGTH,
    fingerprint,
    replay,
    run_once,
    same_fingerprint,
)
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import Account, AccountKind, Transfer, TransferKind
from buurtkit.ledger.rules import (
    TRANSFER_KINDS,
    account_role,
    check_amount,
    may_move_from,
    parse_amount,
    refusal,
)
from buurtkit.ledger.services._common import (
    TRANSFER_CONFLICT,
    community_currency,
    receipt_after_commit,
    reward_budget_check,
    reward_threshold_check,
    transfer_key,
)
from buurtkit.ledger.services._fast_path import fast_path_enabled, fast_payment, fast_submit_number
from buurtkit.ledger.services.pin import paying_person, pin_verify


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
    key = transfer_key(idempotency_key)
    amount = check_amount(amount)
    if kind not in TRANSFER_KINDS:
        msg = _("Unknown kind of transfer.")
        raise ValidationFailed(msg, fields={"kind": msg})
    if kind == TransferKind.REWARD and actor.channel != "system":
        reward_threshold_check(actor, amount)  # issuing budgets: see issuing.py
    description = (description or "").strip()[:200]
    if kind == TransferKind.PAYMENT and fast_path_enabled():
        return fast_payment(
            actor=actor,
            debit_id=debit_account_id,
            credit_id=credit_account_id,
            amount=amount,
            major=False,
            kind=kind,
            description=description,
            key=key,
        )
    request = fingerprint(
        {
            "debit": debit_account_id,
            "credit": credit_account_id,
            "amount": amount,
            "kind": kind,
            "description": description,
            "reverses": None,
        }
    )
    return run_once(
        queryset=Transfer.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request),
        create=lambda: make_transfer(
            actor=actor,
            debit_id=debit_account_id,
            credit_id=credit_account_id,
            amount=amount,
            kind=kind,
            description=description,
            key=key,
            fingerprint=request,
            reverses=None,
        ),
        conflict=TRANSFER_CONFLICT,
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
        and fast_path_enabled()
    ):
        # No PIN question (see below) and PostgreSQL: one round trip for all of it, amount
        # included. What only the ORM path can word (a bad key or amount) goes there.
        key = (idempotency_key or "").strip()
        number = fast_submit_number(amount)
        if key and len(key) <= KEY_MAX_LENGTH and number is not None:
            return fast_payment(
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
    key = transfer_key(idempotency_key)
    description = (reason or _("Correction of transfer %(id)s") % {"id": original.pk})[:200]
    request = fingerprint(
        {
            "debit": original.credit_id,
            "credit": original.debit_id,
            "amount": original.amount,
            "kind": TransferKind.REVERSAL,
            # The reason as sent, not the translated default text: a retry in another language
            # is the same request.
            "description": (reason or "").strip()[:200],
            "reverses": original.pk,
        }
    )
    return run_once(
        queryset=Transfer.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request),
        create=lambda: make_transfer(
            actor=actor,
            debit_id=original.credit_id,
            credit_id=original.debit_id,
            amount=original.amount,
            kind=TransferKind.REVERSAL,
            description=description,
            key=key,
            fingerprint=request,
            reverses=original,
        ),
        conflict=TRANSFER_CONFLICT,
    )


def make_transfer(
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
    """The ORM path of one transfer: every check under lock, then the rows. Call it inside a
    transaction (``run_once`` gives it a savepoint; approvals and redemptions their own)."""
    if debit_id == credit_id:
        raise refusal("self")
    # Lock both accounts in a fixed order (ascending id), so two transfers never deadlock.
    locked = {
        a.pk: a
        for a in Account.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk__in=[debit_id, credit_id])
        .order_by("pk")
    }
    if debit_id not in locked or credit_id not in locked:
        raise refusal("not_found")
    # A retry that waited for our locks finds the first result here.
    existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if existing is not None:
        return replay(existing, same=same_fingerprint(fingerprint), conflict=TRANSFER_CONFLICT)
    if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
        raise Conflict(_("This transfer has already been corrected."), code="already_reversed")
    debit, credit = locked[debit_id], locked[credit_id]
    if debit.currency_id != credit.currency_id:
        raise refusal("currency")
    for account in (debit, credit):
        if account.frozen:
            raise refusal("frozen", account.number)
    if reverses is None:
        sources, targets, _perm = TRANSFER_KINDS[kind]
        if account_role(debit) not in sources or account_role(credit) not in targets:
            raise refusal("kind")
        if not may_move_from(actor, debit, kind):
            raise refusal("denied")
        if kind == TransferKind.REWARD and actor.channel != "system":
            reward_budget_check(actor, debit, amount)  # the issuer is locked (above)
    new_debit = debit.balance - amount
    if debit.kind != AccountKind.SYSTEM and new_debit < debit.lower_limit:
        raise refusal("insufficient", debit.number)
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
        receipt_after_commit(transfer.pk)  # opt-in SMS receipt, after commit, never blocking
    return transfer


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
    account = paying_person(actor, debit_account_id)
    check_amount(amount)
    pin_verify(actor, account.person_id, pin)  # type: ignore[arg-type]
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
    account = paying_person(actor, debit_account_id)
    return transfer_create(
        actor=actor,
        debit_account_id=account.pk,
        credit_account_id=credit_account_id,
        amount=amount,
        idempotency_key=idempotency_key,
        description=description,
    )
