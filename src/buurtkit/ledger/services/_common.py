"""What several parts of the ledger's services share: the community's currency, a new
account number, the reward checks a transfer makes, the SMS receipt queued after a payment.

Private to ``buurtkit.ledger.services``: the parts import it, it imports none of them.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, ValidationFailed
from buurtkit.core.idempotency import clean_key
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.ledger.models import Account, AccountKind, Currency, RewardPolicy
from buurtkit.ledger.numbers import new_account_number
from buurtkit.ledger.selectors import budget_for_day, budget_used, format_amount, local_today

# The task is named by its path: tasks.py imports the services it wraps (core/tasks_util.py).
RECEIPT_TASK = "buurtkit.ledger.tasks.send_payment_receipt"

# Every transfer's key, and a key used before for another transfer (core.idempotency).
TRANSFER_KEY_MESSAGE = gettext_lazy(
    "Every transfer needs an idempotency key of 1 to 100 characters."
)
TRANSFER_CONFLICT = gettext_lazy("This idempotency key was already used for a different transfer.")


def transfer_key(raw: str | None) -> str:
    """The idempotency key of a transfer (or of an exchange or reward that makes one)."""
    return clean_key(raw, message=TRANSFER_KEY_MESSAGE)


def community_currency(actor: Actor) -> Currency:
    """The community's currency; ``NotFound`` when it has none yet."""
    currency = Currency.objects.in_community(actor.community).first()
    if currency is None:
        raise no_currency()
    return currency


def no_currency() -> NotFound:
    return NotFound(_("This community has no currency yet."))


def new_account(currency: Currency, **fields: Any) -> Account:
    """An account with a new random number (drawn again if it is taken)."""
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


DEFAULT_APPROVAL_THRESHOLD_UNITS = 100


def reward_approval_threshold(currency: Currency) -> int:
    """Rewards above this many minor units need a second person's approval."""
    policy = RewardPolicy.objects.filter(currency=currency).first()
    if policy is not None:
        return int(policy.approval_threshold)
    return int(DEFAULT_APPROVAL_THRESHOLD_UNITS * 10**currency.decimals)


def reward_threshold_check(actor: Actor, amount: int) -> None:
    """Refuse a reward above the threshold: it needs a second person (``reward_create``)."""
    currency = community_currency(actor)
    threshold = reward_approval_threshold(currency)
    if amount > threshold:
        msg = _(
            "A reward above %(limit)s needs a second person's approval. "
            "Ask for it with the reward form."
        ) % {"limit": format_amount(currency, threshold)}
        raise ValidationFailed(msg, fields={"amount": msg}, code="approval_required")


def reward_budget_check(actor: Actor, issuer: Account, amount: int) -> None:
    """Refuse a reward that has no budget today or does not fit in it. Call with ``issuer`` locked."""
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


def receipt_after_commit(transfer_id: int) -> None:
    """Queue the SMS receipt once the payment is committed; a failure never touches the payment."""
    # ``robust``: a queue that fails is logged by Django and the payment's answer is still
    # given (the payment has committed).
    enqueue_after_commit(RECEIPT_TASK, transfer_id, robust=True)
