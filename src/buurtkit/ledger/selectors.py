"""Reads on the currency, scoped to one community."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Case, CharField, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.core import clock, exports
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    DailyCount,
    ExchangeOffice,
    IssuingBudget,
    PaymentRequest,
    PendingReward,
    RedemptionRun,
    TillMovement,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.numbers import format_account_number, normalise_account_number
from buurtkit.ledger.rules import PAYABLE_KINDS, display_name, same_person
from buurtkit.people.models import Person
from buurtkit.people.selectors import people_search


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
    account = get_scoped(Account, actor.community, pk=account_id)
    if not _may_see(actor, account):
        raise NotFound(_not_found())
    return account


def _not_found() -> str:
    return _("Account not found.")


def account_by_number(*, actor: Actor, number: str) -> Account:
    """Find an account to pay to by its number (typed, read out over the phone, or scanned)."""
    digits = normalise_account_number(number)
    if digits is None:
        raise NotFound(_not_found())
    return get_scoped(Account, actor.community, number=digits)


def payee_for(*, actor: Actor, number: str, payer: Account) -> Account:
    """The account ``payer`` would pay to, from its number as typed or scanned; or, as a
    ``ValidationFailed`` on the field ``number``, why it cannot be paid: the check digit is
    wrong, there is no such account, it is the payer's own, nobody can pay to it (a system
    account, a till) or it is frozen. The transfer checks these again when it is made; this
    lets the pay pages say so before the amount is asked."""
    if normalise_account_number(number or "") is None:
        msg = _("This number is not right. Check the 9 digits.")
        raise ValidationFailed(msg, fields={"number": msg})
    try:
        account = account_by_number(actor=actor, number=number)
    except NotFound as exc:
        msg = _("There is no account with this number. Check the digits.")
        raise ValidationFailed(msg, fields={"number": msg}) from exc
    if account.pk == payer.pk:
        msg = _("This is your own account. Type the number of who you pay.")
        raise ValidationFailed(msg, fields={"number": msg})
    if account.kind not in PAYABLE_KINDS:
        msg = _("You cannot pay to this account.")
        raise ValidationFailed(msg, fields={"number": msg})
    if account.frozen:
        msg = _("This account is blocked. You cannot pay to it now.")
        raise ValidationFailed(msg, fields={"number": msg})
    return account


def accounts_visible(*, actor: Actor, q: str = "", kind: str = "") -> QuerySet[Account]:
    qs = scoped(Account, actor.community).select_related("currency", "person", "organisation")
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


def resident_account(*, actor: Actor, person_id: int) -> Account | None:
    """The resident account of a person (the one they pay from), if they have one."""
    account = (
        scoped(Account, actor.community)
        .filter(person_id=person_id, kind=AccountKind.RESIDENT)
        .select_related("currency")
        .order_by("pk")
        .first()
    )
    if account is not None and not _may_see(actor, account):
        return None
    return account


def recent_payees(*, actor: Actor, account_id: int, limit: int = 5) -> list[Account]:
    """Accounts this account paid most recently, newest first, each once."""
    account = account_get(actor=actor, account_id=account_id)
    seen: dict[int, Account] = {}
    recent = (
        scoped(Transfer, actor.community)
        .filter(debit=account, kind="payment")
        .select_related("credit")
        .order_by("-at", "-id")[:50]
    )
    for t in recent:
        if t.credit_id not in seen and not t.credit.frozen:
            seen[t.credit_id] = t.credit
        if len(seen) >= limit:
            break
    return list(seen.values())


# --- for the API and statements ---------------------------------------------------------------


def format_amount(currency: Currency, amount: int) -> str:
    """Minor units as a decimal string in major units, as people read them: ``250`` -> ``"2.50"``."""
    decimals = currency.decimals
    return f"{Decimal(amount).scaleb(-decimals):.{decimals}f}"


def amount_number(currency: Currency, amount: int) -> Decimal:
    """Minor units as a number in major units, for spreadsheets: ``-250`` -> ``Decimal("-2.50")``."""
    return Decimal(amount).scaleb(-currency.decimals)


def currency_get(*, actor: Actor) -> Currency:
    currency = scoped(Currency, actor.community).first()
    if currency is None:
        raise NotFound(_("This community has no currency yet."))
    return currency


def transfer_get(*, actor: Actor, transfer_id: int) -> Transfer:
    """One transfer, for someone who may see its paying or its receiving account."""
    transfer = get_scoped(Transfer, actor.community, pk=transfer_id)
    if not (_may_see(actor, transfer.debit) or _may_see(actor, transfer.credit)):
        raise NotFound(_("Transfer not found."))
    return transfer


def account_lines(
    *,
    actor: Actor,
    account_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    newest_first: bool = True,
) -> QuerySet[Transfer]:
    """The transfers of one account, each annotated from that account's side.

    ``change`` (signed minor units), ``balance_after``, and the other account's
    ``other_account_id``, ``other_number`` and ``other_name``. Ordered by id: for one account
    that is the order its transfers were locked and written in, so the running balances follow.
    ``date_from`` and ``date_to`` are whole days in the community's time zone, both included.
    """
    account = account_get(actor=actor, account_id=account_id)
    outgoing = Q(debit_id=account.pk)

    def side(if_out: str, if_in: str, field: Any) -> Case:
        return Case(When(outgoing, then=F(if_out)), default=F(if_in), output_field=field)

    qs = (
        scoped(Transfer, actor.community)
        .filter(Q(debit_id=account.pk) | Q(credit_id=account.pk))
        .select_related("currency")
        .annotate(
            change=Case(
                When(outgoing, then=-F("amount")),
                default=F("amount"),
                output_field=BigIntegerField(),
            ),
            balance_after=side("debit_balance_after", "credit_balance_after", BigIntegerField()),
            other_account_id=side("credit_id", "debit_id", BigIntegerField()),
            other_number=side("credit__number", "debit__number", CharField()),
            other_name=side("credit__name", "debit__name", CharField()),
            other_role=side("credit__system_role", "debit__system_role", CharField()),
        )
    )
    if date_from is not None and date_to is not None and date_from > date_to:
        msg = _("The start date is after the end date.")
        raise ValidationFailed(msg, fields={"from": msg})
    zone = timezone.get_default_timezone()
    if date_from is not None:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to is not None:
        qs = qs.filter(at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))
    return qs.order_by("-id" if newest_first else "id")


@dataclass(frozen=True)
class StatementFile:
    filename: str
    content: str


def statement_csv(
    *, actor: Actor, account_id: int, date_from: date | None = None, date_to: date | None = None
) -> StatementFile:
    """A statement as CSV that opens in a spreadsheet: UTF-8 with a BOM, times in the
    community's time zone, amounts as decimals in major units, a running balance per line."""
    account = account_get(actor=actor, account_id=account_id)
    lines = account_lines(
        actor=actor,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        newest_first=False,
    )
    header = [
        _("Date"),
        _("Transfer"),
        _("Kind"),
        _("Description"),
        _("Other account"),
        _("Other account name"),
        _("Amount"),
        _("Balance after"),
    ]
    currency = account.currency
    rows = (
        [
            timezone.localtime(t.at, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M"),
            t.pk,
            t.get_kind_display(),
            t.description,
            format_account_number(t.other_number),  # type: ignore[attr-defined]
            display_name(t.other_name, t.other_role),  # type: ignore[attr-defined]
            amount_number(currency, t.change),  # type: ignore[attr-defined]
            amount_number(currency, t.balance_after),  # type: ignore[attr-defined]
        ]
        for t in lines.iterator()
    )
    content = exports.csv_text(itertools.chain([header], rows))
    period = "-".join(d.isoformat() for d in (date_from, date_to) if d is not None)
    name = f"statement-{account.number}" + (f"-{period}" if period else "") + ".csv"
    return StatementFile(filename=name, content=content)


@dataclass(frozen=True)
class Overview:
    currency: Currency
    issued: int
    paper: int
    digital: int
    redeemed: int


def overview(*, actor: Actor) -> Overview:
    """The staff overview's totals, with the currency to show them in."""
    figures = totals(actor=actor)
    currency = currency_get(actor=actor)
    return Overview(
        currency=currency,
        issued=figures["issued"],
        paper=figures["paper"],
        digital=figures["digital"],
        redeemed=figures["redeemed"],
    )


# --- staff overview: activity per week and per merchant (no personal data) --------------------

BRUSSELS = "Europe/Brussels"


@dataclass(frozen=True)
class WeekActivity:
    week: date  # the Monday the week starts on (Brussels time)
    transfers: int
    payments: int
    paid: int  # minor units paid in payments that were not corrected
    active_accounts: int  # residents, merchants and organisations with a transfer that week


def weekly_activity(*, actor: Actor, weeks: int = 16) -> list[WeekActivity]:
    """Transfers and active accounts per week for the last ``weeks`` weeks, oldest first."""
    actor.require("ledger.view")
    tz = ZoneInfo(BRUSSELS)
    today = clock.now().astimezone(tz).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    since = datetime.combine(first, time(0), tzinfo=tz)
    qs = (
        scoped(Transfer, actor.community)
        .filter(at__gte=since)
        .annotate(week=TruncWeek("at", tzinfo=tz))
        .order_by()
    )
    payment = Q(kind=TransferKind.PAYMENT, reversed_by__isnull=True)
    counts: dict[date, dict[str, Any]] = {
        row["week"].date(): dict(row)
        for row in qs.values("week").annotate(
            n=Count("id"),
            payments=Count("id", filter=payment),
            paid=Sum("amount", filter=payment),
        )
    }
    active: dict[date, set[int]] = {}
    for side in ("debit", "credit"):
        rows = (
            qs.exclude(**{f"{side}__kind": AccountKind.SYSTEM}).values_list("week", side).distinct()
        )
        for week, account_id in rows:
            active.setdefault(week.date(), set()).add(account_id)
    result = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        row = counts.get(week, {})
        result.append(
            WeekActivity(
                week=week,
                transfers=row.get("n") or 0,
                payments=row.get("payments") or 0,
                paid=row.get("paid") or 0,
                active_accounts=len(active.get(week, ())),
            )
        )
    return result


@dataclass(frozen=True)
class MerchantActivity:
    account_id: int
    name: str  # the organisation's name: merchants are organisations, not people
    payments: int
    received: int  # minor units received in payments that were not corrected
    redeemed: int  # minor units converted to euro
    redeemed_cents: int  # what that was worth in euro cents
    balance: int


def merchant_activity(*, actor: Actor) -> list[MerchantActivity]:
    """Per merchant: payments received, money converted to euro, what is left to convert."""
    actor.require("ledger.view")
    merchants = (
        scoped(Account, actor.community)
        .filter(kind=AccountKind.MERCHANT)
        .select_related("organisation", "currency")
        .order_by("name", "pk")
    )
    transfers = scoped(Transfer, actor.community).filter(reversed_by__isnull=True).order_by()
    received: dict[int, dict[str, Any]] = {
        row["credit"]: dict(row)
        for row in transfers.filter(kind=TransferKind.PAYMENT, credit__kind=AccountKind.MERCHANT)
        .values("credit")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    redeemed = dict(
        transfers.filter(kind=TransferKind.REDEMPTION)
        .values("debit")
        .annotate(s=Sum("amount"))
        .values_list("debit", "s")
    )
    result = []
    for m in merchants:
        got = received.get(m.pk, {})
        out = redeemed.get(m.pk) or 0
        result.append(
            MerchantActivity(
                account_id=m.pk,
                name=m.organisation.name if m.organisation else m.name,
                payments=got.get("n") or 0,
                received=got.get("s") or 0,
                redeemed=out,
                redeemed_cents=out * m.currency.euro_cents_per_unit // 10**m.currency.decimals,
                balance=m.balance,
            )
        )
    return result


# --- exchange offices: the paper notes in a till ---------------------------------------------


def till_counts(*, office_id: int) -> dict[int, int]:
    """Notes per denomination in an office's till: the sum of its movements (no permission
    check: for services, which hold the office lock, and for the checks below)."""
    rows = (
        TillMovement.objects.filter(office_id=office_id)
        .order_by()
        .values_list("denomination")
        .annotate(n=Sum("delta"))
    )
    return {int(d): int(n or 0) for d, n in rows}


def till_violations(*, office_id: int) -> list[str]:
    """Every broken till invariant (empty when all hold): no denomination below zero notes."""
    return [
        f"office {office_id}: {n} notes of {d}"
        for d, n in sorted(till_counts(office_id=office_id).items())
        if n < 0
    ]


def offices_visible(*, actor: Actor) -> QuerySet[ExchangeOffice]:
    actor.require("ledger.exchange")
    return (
        scoped(ExchangeOffice, actor.community)
        .select_related("organisation", "account", "account__currency")
        .order_by("name", "pk")
    )


def office_get(*, actor: Actor, office_id: int) -> ExchangeOffice:
    actor.require("ledger.exchange")
    return get_scoped(ExchangeOffice, actor.community, pk=office_id)


@dataclass(frozen=True)
class TillLine:
    denomination: int  # in major units, as printed on the note
    notes: int
    value: int  # minor units


@dataclass(frozen=True)
class TillState:
    office: ExchangeOffice
    currency: Currency
    lines: list[TillLine]
    total: int  # minor units

    @property
    def notes(self) -> dict[int, int]:
        return {line.denomination: line.notes for line in self.lines}


def till_state(*, actor: Actor, office_id: int) -> TillState:
    """The notes in an office's till per denomination (the currency's, and any left over from
    denominations no longer issued), with their value."""
    office = office_get(actor=actor, office_id=office_id)
    currency = currency_get(actor=actor)
    counts = till_counts(office_id=office.pk)
    denominations = sorted({int(d) for d in currency.denominations} | set(counts))
    unit = 10**currency.decimals
    lines = [TillLine(d, counts.get(d, 0), d * counts.get(d, 0) * unit) for d in denominations]
    return TillState(
        office=office, currency=currency, lines=lines, total=sum(x.value for x in lines)
    )


def office_day(*, actor: Actor, office_id: int, day: date | None = None) -> dict[str, Any]:
    """What happened at an office on one day (Brussels time): movements, transfers, counts."""
    office = office_get(actor=actor, office_id=office_id)
    tz = ZoneInfo(BRUSSELS)
    day = day or clock.now().astimezone(tz).date()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    movements = list(
        scoped(TillMovement, actor.community)
        .filter(office=office, at__gte=start, at__lt=end)
        .select_related("transfer", "transfer__debit", "transfer__credit")
        .order_by("-at", "-id")
    )
    counts = list(
        scoped(DailyCount, actor.community)
        .filter(office=office, date=day)
        .select_related("replaced_by")
        .order_by("-id")
    )
    return {"office": office, "day": day, "movements": movements, "counts": counts}


def office_latest_count(*, actor: Actor, office_id: int) -> DailyCount | None:
    """The office's most recent count that no recount replaced, or None."""
    office = office_get(actor=actor, office_id=office_id)
    return (
        scoped(DailyCount, actor.community)
        .filter(office=office, replaced_by__isnull=True)
        .order_by("-date", "-id")
        .first()
    )


# --- issuing budgets, approvals, monthly redemption (issue 4) ---------------------------------


def local_today() -> date:
    """Today in the community's time zone: a budget's days are Brussels days."""
    return timezone.localtime(clock.now(), timezone.get_default_timezone()).date()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def budget_for_day(*, issuer: Account, day: date) -> IssuingBudget | None:
    """The issuer's budget that covers ``day``, or None."""
    return (
        IssuingBudget.objects.filter(
            community_id=issuer.community_id,
            account_id=issuer.pk,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .order_by("starts_on")
        .first()
    )


def budget_used(budget: IssuingBudget) -> int:
    """Rewards from the budget's account in its period that were not corrected, and rewards
    held for agreed help (``TransferKind.HOLD``) that were not released."""
    total = Transfer.objects.filter(
        community_id=budget.community_id,
        debit_id=budget.account_id,
        kind__in=(TransferKind.REWARD, TransferKind.HOLD),
        at__gte=_day_start(budget.starts_on),
        at__lt=_day_start(budget.ends_on + timedelta(days=1)),
        reversed_by__isnull=True,
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


@dataclass(frozen=True)
class BudgetLine:
    budget: IssuingBudget
    organisation: str
    used: int
    remaining: int
    current: bool


def budgets_list(*, actor: Actor, account_id: int | None = None) -> list[BudgetLine]:
    """Issuing budgets with what is used and left, newest period first.

    Staff with ``ledger.view`` see all; someone who may issue sees their organisations'.
    """
    qs = scoped(IssuingBudget, actor.community).select_related(
        "account", "account__organisation", "account__currency"
    )
    if not actor.has("ledger.view"):
        if not actor.has("ledger.issue"):
            actor.require("ledger.view")
        qs = qs.filter(account__organisation_id__in=list(actor.organisation_ids))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    today = local_today()
    lines = []
    for budget in qs.order_by("-starts_on", "account__name", "pk"):
        used = budget_used(budget)
        org = budget.account.organisation
        lines.append(
            BudgetLine(
                budget=budget,
                organisation=org.name if org else budget.account.name,
                used=used,
                remaining=budget.amount - used,
                current=budget.starts_on <= today <= budget.ends_on,
            )
        )
    return lines


def issuer_accounts(*, actor: Actor) -> QuerySet[Account]:
    """Issuing organisations' accounts the actor may reward from."""
    qs = (
        scoped(Account, actor.community)
        .filter(kind=AccountKind.ORGANISATION)
        .select_related("organisation", "currency")
    )
    if not actor.has("ledger.manage"):
        qs = qs.filter(organisation_id__in=list(actor.organisation_ids))
    return qs.order_by("name", "pk")


def residents_to_reward(*, actor: Actor, q: str) -> list[Account]:
    """Residents' accounts found by name or account number, for the reward form."""
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")):
        actor.require("ledger.issue")
    q = (q or "").strip()
    if not q:
        return []
    qs = scoped(Account, actor.community).filter(kind=AccountKind.RESIDENT, frozen=False)
    digits = normalise_account_number(q)
    if digits is not None:
        return list(qs.filter(number=digits))
    return list(qs.filter(name__icontains=q).order_by("name", "pk")[:20])


def people_without_account(*, actor: Actor, q: str, limit: int = 10) -> list[Person]:
    """People found by name (or phone) who have no resident account yet: the counter's and
    the reward form's search offer to open one. Empty for who may not see people or open
    accounts."""
    q = (q or "").strip()
    may_open = actor.has("ledger.open_account") or actor.has("ledger.manage")
    if not q or not may_open or not actor.has("people.view"):
        return []
    with_account = scoped(Account, actor.community).filter(
        kind=AccountKind.RESIDENT, person_id__isnull=False
    )
    return list(
        people_search(actor=actor, q=q)
        .filter(anonymised_at__isnull=True)
        .exclude(pk__in=with_account.values("person_id"))
        .order_by("last_name", "first_name", "pk")[:limit]
    )


def pending_rewards(*, actor: Actor, status: str = "pending") -> QuerySet[PendingReward]:
    """Large rewards waiting for (or decided by) a second person, newest first."""
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")):
        actor.require("ledger.issue")
    qs = scoped(PendingReward, actor.community).select_related(
        "issuer", "resident", "issuer__currency"
    )
    if not actor.has("ledger.manage"):
        qs = qs.filter(issuer__organisation_id__in=list(actor.organisation_ids))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def may_approve(actor: Actor, pending: PendingReward) -> bool:
    """False for the person who asked for the reward (the page hides the button)."""
    return not same_person(actor, pending)


def redemption_runs(*, actor: Actor) -> QuerySet[RedemptionRun]:
    actor.require("ledger.view")
    return scoped(RedemptionRun, actor.community).select_related("currency").order_by("-month")


def redemption_run_get(*, actor: Actor, run_id: int) -> RedemptionRun:
    actor.require("ledger.view")
    return get_scoped(RedemptionRun, actor.community, pk=run_id)


@dataclass(frozen=True)
class PayoutLine:
    """One shop's conversion in one month. Shops are organisations: no personal data."""

    account_id: int
    merchant: str
    organisation: str
    number: str
    amount: int  # minor units of the community currency
    euro_cents: int
    transfer_id: int


def payout_lines(*, actor: Actor, run: RedemptionRun) -> list[PayoutLine]:
    """The payout list of a redemption run: corrected conversions are left out."""
    actor.require("ledger.view")
    currency = run.currency
    prefix = f"redemption-{run.month:%Y-%m}-"
    transfers = (
        scoped(Transfer, actor.community)
        .filter(
            kind=TransferKind.REDEMPTION,
            idempotency_key__startswith=prefix,
            reversed_by__isnull=True,
        )
        .select_related("debit", "debit__organisation")
        .order_by("debit__name", "debit_id")
    )
    return [
        PayoutLine(
            account_id=t.debit_id,
            merchant=t.debit.name,
            organisation=t.debit.organisation.name if t.debit.organisation else "",
            number=t.debit.number,
            amount=t.amount,
            euro_cents=t.amount * currency.euro_cents_per_unit // 10**currency.decimals,
            transfer_id=t.pk,
        )
        for t in transfers
    ]


def payout_csv(*, actor: Actor, run: RedemptionRun) -> StatementFile:
    """The payout list as CSV for the bookkeeper: UTF-8 with a BOM, decimals with a dot."""
    currency = run.currency
    header = [
        _("Shop"),
        _("Organisation"),
        _("Account number"),
        _("Amount (%(code)s)") % {"code": currency.code},
        _("Euro"),
    ]
    rows = (
        [
            line.merchant,
            line.organisation,
            format_account_number(line.number),
            amount_number(currency, line.amount),
            Decimal(line.euro_cents).scaleb(-2),
        ]
        for line in payout_lines(actor=actor, run=run)
    )
    content = exports.csv_text(itertools.chain([header], rows))
    return StatementFile(filename=f"payouts-{run.month:%Y-%m}.csv", content=content)


def currency_exists(*, actor: Actor) -> bool:
    return Currency.objects.in_community(actor.community).exists()


# --- payment requests -------------------------------------------------------------------------


def payment_requests_visible(
    *, actor: Actor, payee_account_id: int | None = None
) -> QuerySet[PaymentRequest]:
    """Requests of the accounts the actor may see (staff with ``ledger.view``: all), newest first."""
    qs = scoped(PaymentRequest, actor.community).select_related("payee", "payee__currency")
    if not actor.has("ledger.view"):
        mine = actor.person_id if actor.person_id and not actor.on_behalf_of_id else None
        own = Q(payee__person_id=mine) if mine else Q(pk__in=[])
        own |= Q(payee__organisation_id__in=list(actor.organisation_ids))
        qs = qs.filter(own)
    if payee_account_id is not None:
        qs = qs.filter(payee_id=payee_account_id)
    return qs.order_by("-created_at", "-pk")


def payment_request_get(*, actor: Actor, token: str) -> PaymentRequest:
    """A request by its token: whoever has the token (from the QR code) may see and pay it."""
    return get_scoped(PaymentRequest, actor.community, token=str(token))


def request_payee_accounts(*, actor: Actor) -> list[Account]:
    """The accounts the actor may ask money for: their own, their shop's, their organisation's."""
    qs = scoped(Account, actor.community).select_related("currency")
    qs = qs.filter(
        kind__in=[AccountKind.RESIDENT, AccountKind.MERCHANT, AccountKind.ORGANISATION],
        frozen=False,
    )
    own = Q(organisation_id__in=list(actor.organisation_ids))
    if actor.person_id and not actor.on_behalf_of_id:
        own |= Q(person_id=actor.person_id)
    # Shops first: they are the ones who ask.
    return sorted(qs.filter(own), key=lambda a: (a.kind != AccountKind.MERCHANT, a.name, a.pk))


def sms_contact_candidates(*, actor: Actor, account: Account) -> list[Person]:
    """Who may get a shop's or organisation's SMS receipts: the people with a login there."""
    people = scoped(Person, actor.community).filter(anonymised_at__isnull=True)
    chosen = people.filter(pk=account.sms_contact_id) if account.sms_contact_id else people.none()
    members = people.none()
    if account.organisation_id is not None:
        members = people.filter(
            user__memberships__community=actor.community,
            user__memberships__organisation_id=account.organisation_id,
            user__memberships__active=True,
        )
    return list((chosen | members).distinct().order_by("last_name", "first_name", "pk"))


@dataclass(frozen=True)
class ShopDay:
    """A shop's account and what it received today (Brussels time), for its home page."""

    account: Account
    payments: list[Transfer]
    received: int  # minor units, today's payments in


def shop_days(*, actor: Actor, limit: int = 20) -> list[ShopDay]:
    """The shop accounts of the actor's organisations, each with today's incoming payments.

    Only a shop's own people see these (by organisation), not staff who happen to have
    ``ledger.view``: this is the shopkeeper's home, not an overview."""
    if not actor.organisation_ids:
        return []
    accounts = list(
        scoped(Account, actor.community)
        .filter(kind=AccountKind.MERCHANT, organisation_id__in=list(actor.organisation_ids))
        .select_related("currency")
        .order_by("name", "pk")
    )
    start = _day_start(local_today())
    days = []
    for account in accounts:
        today = scoped(Transfer, actor.community).filter(
            credit=account, kind=TransferKind.PAYMENT, at__gte=start, reversed_by__isnull=True
        )
        received = today.aggregate(total=Sum("amount"))["total"] or 0
        payments = list(today.select_related("debit").order_by("-at", "-id")[:limit])
        days.append(ShopDay(account=account, payments=payments, received=int(received)))
    return days
