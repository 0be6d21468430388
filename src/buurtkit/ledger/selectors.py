"""Reads on the currency, scoped to one community."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.ledger.models import Account, AccountKind, Currency, Transfer
from buurtkit.ledger.numbers import normalise_account_number


def _may_see(actor: Actor, account: Account) -> bool:
    if actor.has("ledger.view"):
        return True
    if account.person_id is not None and account.person_id in (
        actor.person_id,
        actor.on_behalf_of_id,
    ):
        return True
    return account.organisation_id is not None and account.organisation_id in actor.organisation_ids


def account_get(*, actor: Actor, account_id: int) -> Account:
    from buurtkit.core.errors import NotFound

    account = get_scoped(Account, actor.community, pk=account_id)
    if not _may_see(actor, account):
        raise NotFound(_not_found())
    return account


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("Account not found.")


def account_by_number(*, actor: Actor, number: str) -> Account:
    """Find an account to pay to by its number (typed, read out over the phone, or scanned)."""
    from buurtkit.core.errors import NotFound

    digits = normalise_account_number(number)
    if digits is None:
        raise NotFound(_not_found())
    return get_scoped(Account, actor.community, number=digits)


def accounts_visible(*, actor: Actor, q: str = "", kind: str = "") -> QuerySet[Account]:
    qs = scoped(Account, actor.community).select_related("person", "organisation")
    if not actor.has("ledger.view"):
        own = Q(person_id__in=[p for p in (actor.person_id, actor.on_behalf_of_id) if p])
        own |= Q(organisation_id__in=list(actor.organisation_ids))
        qs = qs.filter(own)
    if q.strip():
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Q(name__icontains=q.strip())
        if digits:
            cond |= Q(number__startswith=digits)
        qs = qs.filter(cond)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "name", "pk")


def transfers_of_account(*, actor: Actor, account_id: int) -> QuerySet[Transfer]:
    account = account_get(actor=actor, account_id=account_id)
    return (
        scoped(Transfer, actor.community)
        .filter(Q(debit=account) | Q(credit=account))
        .select_related("debit", "credit")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class StatementLine:
    transfer: Transfer
    change: int
    balance_after: int
    other: Account


def statement_lines(*, actor: Actor, account_id: int, limit: int = 50) -> list[StatementLine]:
    """Recent transfers of one account with the change and the running balance after each."""
    lines = []
    for t in transfers_of_account(actor=actor, account_id=account_id)[:limit]:
        outgoing = t.debit_id == account_id
        lines.append(
            StatementLine(
                transfer=t,
                change=-t.amount if outgoing else t.amount,
                balance_after=t.debit_balance_after if outgoing else t.credit_balance_after,
                other=t.credit if outgoing else t.debit,
            )
        )
    return lines


def invariant_violations(*, currency: Currency) -> list[str]:
    """Every broken ledger invariant for one currency (empty when all hold)."""
    problems: list[str] = []
    accounts = Account.objects.filter(currency=currency)
    total = accounts.aggregate(s=Sum("balance"))["s"] or 0
    if total != 0:
        problems.append(f"balances sum to {total}, not 0")
    debits = dict(
        Transfer.objects.filter(currency=currency).values_list("debit").annotate(s=Sum("amount"))
    )
    credits = dict(
        Transfer.objects.filter(currency=currency).values_list("credit").annotate(s=Sum("amount"))
    )
    for account in accounts:
        expected = credits.get(account.pk, 0) - debits.get(account.pk, 0)
        if account.balance != expected:
            problems.append(
                f"account {account.number}: balance {account.balance} != transfers {expected}"
            )
        if account.kind != AccountKind.SYSTEM and account.balance < account.lower_limit:
            problems.append(f"account {account.number}: below its lower limit")
    return problems


def totals(*, actor: Actor) -> dict[str, Any]:
    """Money issued, on paper, digital and redeemed, for the staff overview."""
    actor.require("ledger.view")
    currency = Currency.objects.in_community(actor.community).first()
    if currency is None:
        return {}
    roles = dict(
        Account.objects.filter(currency=currency, kind=AccountKind.SYSTEM).values_list(
            "system_role", "balance"
        )
    )
    digital = (
        Account.objects.filter(currency=currency)
        .exclude(kind=AccountKind.SYSTEM)
        .aggregate(s=Sum("balance"))["s"]
        or 0
    )
    return {
        "issued": -roles.get("issuance", 0),
        "paper": roles.get("paper", 0),
        "redeemed": roles.get("redemption", 0),
        "digital": digital,
    }
