"""Issuing: rewards from an organisation's budget, a second person's approval for large ones,
and the monthly conversion of shops' money to euro (issue 4).

People (pages, API keys) reward only within the issuing organisation's budget for the day,
and a reward above the currency's threshold waits for a second person. The system actor
(demo history, imports, fixtures) is not bound by these rules.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import fingerprint, replay, same_fingerprint
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    IssuingBudget,
    PendingReward,
    PendingRewardStatus,
    RedemptionRun,
    RewardPolicy,
    SystemRole,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.rules import check_amount, parse_amount, same_person
from buurtkit.ledger.selectors import local_today
from buurtkit.ledger.services._common import (
    TRANSFER_CONFLICT,
    community_currency,
    reward_approval_threshold,
    reward_budget_check,
    transfer_key,
)
from buurtkit.ledger.services.rights import may_issue_from
from buurtkit.ledger.services.transfers import make_transfer, transfer_create


def _may_issue(actor: Actor) -> None:
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")):
        actor.require("ledger.issue")


def _refuse_other_organisation(actor: Actor, issuer: Account) -> None:
    """Issuing is scoped to one's own organisation: ``ledger.issue`` from a membership of the
    issuer's organisation (partner staff, a trusted volunteer), or a coordinator."""
    if not may_issue_from(actor, issuer):
        raise PermissionDenied(_("You may not reward from this organisation's account."))


@transaction.atomic
def reward_policy_set(*, actor: Actor, approval_threshold: str | int) -> int:
    """Set the currency's approval threshold (typed in major units, or minor units as int)."""
    actor.require("ledger.manage")
    currency = community_currency(actor)
    if isinstance(approval_threshold, str):
        threshold = parse_amount(currency, approval_threshold, field="approval_threshold")
    else:
        threshold = check_amount(approval_threshold, field="approval_threshold")
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
    starts_on: date | str,
    ends_on: date | str,
    amount: str | int,
    idempotency_key: str = "",
    request: str = "",
) -> IssuingBudget:
    """Give an issuing organisation a budget for one period (both days included).

    Periods of one organisation do not overlap, so every day has at most one budget.
    ``idempotency_key`` and ``request`` (its fingerprint) are kept in the audit event, where
    ``setup.organisation_budget_create`` finds a retry.
    """
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
        minor = check_amount(amount)
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
        }
        | ({"idempotency_key": idempotency_key, "request": request} if idempotency_key else {}),
    )
    return budget


class RewardResult:
    """What a reward request became: a transfer at once, or a reward waiting for approval."""

    def __init__(
        self, *, transfer: Transfer | None = None, pending: PendingReward | None = None
    ) -> None:
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
    _may_issue(actor)
    key = transfer_key(idempotency_key)
    currency = community_currency(actor)
    minor = parse_amount(currency, amount) if isinstance(amount, str) else check_amount(amount)
    reason = (reason or "").strip()[:200]
    if not reason:
        msg = _("Say what the reward is for, for example: helped at the repair café.")
        raise ValidationFailed(msg, fields={"reason": msg})
    # The fingerprint of the transfer it makes (now, or when it is approved).
    request = fingerprint(
        {
            "debit": issuer_account_id,
            "credit": resident_account_id,
            "amount": minor,
            "kind": TransferKind.REWARD,
            "description": reason,
            "reverses": None,
        }
    )
    # A retry: the first answer, or a refusal if the request differs.
    earlier = (
        PendingReward.objects.in_community(actor.community).filter(idempotency_key=key).first()
    )
    if earlier is not None:
        replay(earlier, same=same_fingerprint(request), conflict=TRANSFER_CONFLICT)
        result = RewardResult(transfer=earlier.transfer, pending=earlier)
        result.replayed = True
        return result
    issuer = _issuer_account(actor, issuer_account_id, field="issuer_account_id")
    resident = Account.objects.in_community(actor.community).filter(pk=resident_account_id).first()
    if resident is None or resident.kind != AccountKind.RESIDENT:
        msg = _("Choose the resident's account.")
        raise ValidationFailed(msg, fields={"resident_account_id": msg})
    _refuse_other_organisation(actor, issuer)
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
        # The key made a transfer of its own (not this reward): never a replay of it.
        raise Conflict(str(TRANSFER_CONFLICT), code="idempotency_conflict")
    for account in (issuer, resident):
        if account.frozen:
            raise Conflict(
                _("Account %(number)s is frozen.") % {"number": account.number},
                code="account_frozen",
            )
    # Refuse now what could never be approved (checked again, under lock, on approval).
    reward_budget_check(actor, issuer, minor)
    try:
        with transaction.atomic():
            pending = PendingReward.objects.create(
                community=actor.community,
                issuer=issuer,
                resident=resident,
                amount=minor,
                reason=reason,
                idempotency_key=key,
                request_hash=request,
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


def _pending_locked(actor: Actor, pending_id: int) -> PendingReward:
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
    _refuse_other_organisation(actor, pending.issuer)
    return pending


@transaction.atomic
def pending_reward_approve(*, actor: Actor, pending_id: int) -> PendingReward:
    """A second person approves a large reward: the transfer is made, exactly once.

    Approving an approved reward again returns it as it is; the person who asked for the
    reward cannot approve it.
    """
    pending = _pending_locked(actor, pending_id)
    if pending.status == PendingRewardStatus.APPROVED:
        pending.replayed = True
        return pending
    if pending.status == PendingRewardStatus.REJECTED:
        raise Conflict(_("This reward was rejected; it cannot be approved."), code="rejected")
    if same_person(actor, pending):
        raise PermissionDenied(
            _("Someone else must approve this reward: you asked for it yourself."),
            code="own_request",
        )
    transfer = make_transfer(
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
def pending_reward_reject(*, actor: Actor, pending_id: int, note: str = "") -> PendingReward:
    """Refuse a large reward: no money moves. Rejecting twice is harmless."""
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


def _month_start(month: date | str) -> date:
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


def redemption_key(month: date, account_id: int) -> str:
    """The idempotency key of one merchant's conversion in one month."""
    return f"redemption-{month:%Y-%m}-{account_id}"


@transaction.atomic
def redemption_run(*, actor: Actor, month: date | str) -> RedemptionRun:
    """Convert every merchant's balance (as it is now) to euro, for ``month``.

    Each merchant with money gets one ``redemption`` transfer to the redemption account, keyed
    by month and account: a second run for the same month moves nothing twice (money received
    after the first run waits for the next month). Frozen accounts are skipped. Returns the
    :class:`~buurtkit.ledger.models.RedemptionRun`; ``created`` says whether it is new.
    """
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
        make_transfer(
            actor=actor,
            debit_id=merchant.pk,
            credit_id=redemption.pk,
            amount=merchant.balance,
            kind=TransferKind.REDEMPTION,
            description=description,
            key=key,
            fingerprint=fingerprint(
                {
                    "debit": merchant.pk,
                    "credit": redemption.pk,
                    "amount": merchant.balance,
                    "kind": TransferKind.REDEMPTION,
                    "description": key,
                    "reverses": None,
                }
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
    run.created = created  # not stored: new, or a re-run that moved nothing twice
    return run
