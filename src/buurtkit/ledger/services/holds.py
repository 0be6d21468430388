"""Rewards held for agreed help (the help exchange, issue 16): reserve, pay once, or release.

A deal of the help exchange promises a reward from an issuing organisation. When the deal is
agreed the reward is **held**: a ``hold`` transfer moves it from the organisation's account to
the currency's ``held`` system account, so it is no longer spendable and it counts against the
organisation's issuing budget (``selectors.budget_used``). When the help is done the hold is
**paid**: a ``hold_payout`` transfer from the held account to the helper's resident account
(opened if they have none). When the deal is cancelled or expires the hold is **released**: a
reversal of the hold transfer, which gives the money and the budget back.

Every step is one transfer with a key derived from the caller's reference (``hold-<ref>``,
``hold-pay-<ref>``, ``hold-release-<ref>``), so a retry returns the first transfer and a hold
is paid or released at most once (the unique key and the one-reversal-per-transfer index
settle races; the caller also locks its own row). Paying a released hold or releasing a paid
one is refused. The ledger's invariants hold at every step: these are ordinary transfers.

The caller (``buurtkit.helpexchange``) decides who may make a deal; the permission to spend
the organisation's budget was checked when the reward was promised
(:func:`hold_promise_check`), so these functions move the money on that promise.
"""

from __future__ import annotations

from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import fingerprint
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    SystemRole,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.rules import check_amount, may_move_from
from buurtkit.ledger.selectors import budget_for_day, budget_used, local_today
from buurtkit.ledger.services._common import (
    community_currency,
    new_account,
    reward_budget_check,
)
from buurtkit.ledger.services.circle import resident_account_open
from buurtkit.ledger.services.transfers import make_transfer


def _mover(actor: Actor) -> Actor:
    """The actor as the ledger sees a hold's transfers: its own label and ids in the log, with
    the right to move money between the issuer, the held account and the helper."""
    return replace(actor, permissions=actor.permissions | {"ledger.manage", "ledger.open_account"})


def held_account(currency: Currency) -> Account:
    """The currency's ``held`` system account (made the first time a reward is held)."""
    account = Account.objects.filter(currency=currency, system_role=SystemRole.HELD).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return new_account(
                currency,
                kind=AccountKind.SYSTEM,
                system_role=SystemRole.HELD,
                name="Rewards held for agreed help",
            )
    except IntegrityError:  # made at the same moment by another deal
        return Account.objects.get(currency=currency, system_role=SystemRole.HELD)


def hold_promise_check(*, actor: Actor, issuer_account_id: int, amount: int) -> Account:
    """May ``actor`` promise ``amount`` (minor units) from this organisation's budget, and does
    it fit in what is left today? Returns the issuer's account; raises with a clear message."""
    currency = community_currency(actor)
    check_amount(amount, field="reward")
    issuer = (
        Account.objects.in_community(actor.community)
        .select_related("currency")
        .filter(pk=issuer_account_id, currency=currency)
        .first()
    )
    if issuer is None or issuer.kind != AccountKind.ORGANISATION:
        msg = _("Choose the account of an issuing organisation.")
        raise ValidationFailed(msg, fields={"reward_account_id": msg})
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")) or not may_move_from(
        actor, issuer, TransferKind.REWARD
    ):
        msg = _("You may not promise rewards from this organisation's budget.")
        raise PermissionDenied(msg, fields={"reward_account_id": msg})
    try:
        reward_budget_check(actor, issuer, amount)
    except Conflict as exc:
        # The same words, on the field the poster typed.
        raise ValidationFailed(str(exc), fields={"reward": str(exc)}, code=exc.code) from None
    return issuer


def budget_left_today(*, issuer: Account) -> int | None:
    """What is left of the issuer's budget today (None: no budget today)."""
    budget = budget_for_day(issuer=issuer, day=local_today())
    if budget is None:
        return None
    return max(budget.amount - budget_used(budget), 0)


def _key(prefix: str, ref: str) -> str:
    return f"{prefix}-{ref}"[:100]


def reward_hold(
    *, actor: Actor, issuer_account_id: int, amount: int, ref: str, description: str
) -> Transfer:
    """Hold ``amount`` from the issuer for agreed help: out of its spendable balance and its
    budget for today. Refused (nothing written) when the budget or the balance has no room.
    Call inside the caller's transaction; the same ``ref`` again returns the first hold."""
    check_amount(amount, field="reward")
    currency = community_currency(actor)
    key = _key("hold", ref)
    earlier = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if earlier is not None:
        return earlier
    held = held_account(currency)
    # Lock the issuer and the held account in ascending id order (as every transfer does),
    # then check the budget under that lock: two holds racing for the last torekes wait.
    locked = {
        a.pk: a
        for a in Account.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk__in=[issuer_account_id, held.pk])
        .order_by("pk")
    }
    issuer = locked.get(issuer_account_id)
    if issuer is None or issuer.kind != AccountKind.ORGANISATION:
        msg = _("Choose the account of an issuing organisation.")
        raise ValidationFailed(msg, fields={"reward_account_id": msg})
    issuer.currency = currency
    reward_budget_check(actor, issuer, amount)
    return make_transfer(
        actor=_mover(actor),
        debit_id=issuer.pk,
        credit_id=held.pk,
        amount=amount,
        kind=TransferKind.HOLD,
        description=description[:200],
        key=key,
        fingerprint=fingerprint({"hold": ref, "debit": issuer.pk, "amount": amount}),
        reverses=None,
    )


def _hold_of(actor: Actor, hold_id: int) -> Transfer:
    hold = Transfer.objects.in_community(actor.community).filter(pk=hold_id).first()
    if hold is None or hold.kind != TransferKind.HOLD:
        raise Conflict(_("This reward is not held."), code="not_held")
    return hold


def reward_hold_pay(*, actor: Actor, hold_id: int, person_id: int, ref: str) -> Transfer:
    """Pay a held reward to the helper (``person_id``), exactly once. Refused when the hold was
    released. Call inside the caller's transaction, with the caller's row locked."""
    hold = _hold_of(actor, hold_id)
    key = _key("hold-pay", ref)
    earlier = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if earlier is not None:
        return earlier
    if Transfer.objects.filter(reverses=hold).exists():
        raise Conflict(_("This reward was released; it cannot be paid."), code="released")
    mover = _mover(actor)
    helper = resident_account_open(actor=mover, person_id=person_id)
    return make_transfer(
        actor=mover,
        debit_id=hold.credit_id,
        credit_id=helper.pk,
        amount=hold.amount,
        kind=TransferKind.HOLD_PAYOUT,
        description=hold.description,
        key=key,
        fingerprint=fingerprint({"hold_pay": hold.pk, "credit": helper.pk}),
        reverses=None,
    )


def reward_hold_release(*, actor: Actor, hold_id: int, ref: str, reason: str) -> Transfer:
    """Give a held reward back to the issuer (and its budget), exactly once. Refused when the
    hold was paid. Call inside the caller's transaction, with the caller's row locked."""
    hold = _hold_of(actor, hold_id)
    key = _key("hold-release", ref)
    earlier = Transfer.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if earlier is not None:
        return earlier
    if (
        Transfer.objects.in_community(actor.community)
        .filter(idempotency_key=_key("hold-pay", ref))
        .exists()
    ):
        raise Conflict(_("This reward was paid; it cannot be released."), code="paid")
    return make_transfer(
        actor=_mover(actor),
        debit_id=hold.credit_id,
        credit_id=hold.debit_id,
        amount=hold.amount,
        kind=TransferKind.REVERSAL,
        description=reason[:200],
        key=key,
        fingerprint=fingerprint({"hold_release": hold.pk}),
        reverses=hold,
    )
