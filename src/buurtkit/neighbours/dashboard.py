"""Buurbel's figures per week (the dashboard), real costs per month, and the price tables.

Reads only, scoped to one community. Weeks run Monday to Sunday in Europe/Brussels; the last
week is the running one. Buurbel's calls are those whose ``purpose`` starts with ``buurbel``.
No personal data leaves here: only counts and sums.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from buurtkit.core import clock
from buurtkit.core.models import Community
from buurtkit.messaging.models import Channel, Message, Status
from buurtkit.neighbours.models import Introduction, Match, Outcome, Participant
from buurtkit.telephony.models import Call, Direction, PriceItem, PriceTable
from buurtkit.telephony.services import SEEDED_PROVIDERS, TWILIO_PRICES

BUURBEL_PURPOSE = "buurbel"
WEEK_CHOICES = (8, 26, 52)
MAX_WEEKS = 104
CONNECTED = (Outcome.CONNECTED, Outcome.APPOINTMENT)


def _local_today() -> dt.date:
    return timezone.localtime(clock.now()).date()


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Brussels, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Week:
    monday: dt.date
    participants_new: int = 0
    participants_verified: int = 0
    participants_active: int = 0  # at the end of the week (or now, for the running week)
    calls: int = 0
    calls_answered: int = 0
    introductions: int = 0  # introductions by phone started
    connected: int = 0  # pairs connected by phone or with an appointment
    met: int = 0  # pairs that met
    cost_micros: int = 0

    @property
    def answer_rate(self) -> Decimal | None:
        """Answered calls as a percentage (one decimal); None without calls."""
        if not self.calls:
            return None
        return (Decimal(100 * self.calls_answered) / self.calls).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class Dashboard:
    weeks: list[Week]
    start: dt.date
    end: dt.date  # the last day (today)
    participants_active: int
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def answer_rate(self) -> Decimal | None:
        calls = self.totals.get("calls", 0)
        if not calls:
            return None
        return (Decimal(100 * self.totals["calls_answered"]) / calls).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def _bucket(weeks: dict[dt.date, Week], at: dt.datetime | None) -> Week | None:
    if at is None:
        return None
    return weeks.get(_monday(timezone.localtime(at).date()))


def _pairs_per_week(
    weeks: dict[dt.date, Week], rows: Iterable[tuple[int, int, dt.datetime]]
) -> dict[dt.date, set[tuple[int, int]]]:
    """Distinct pairs per week (a pair connected twice in one week counts once)."""
    seen: dict[dt.date, set[tuple[int, int]]] = {}
    for a, b, at in rows:
        week = _bucket(weeks, at)
        if week is not None:
            seen.setdefault(week.monday, set()).add((a, b))
    return seen


def weekly(*, community: Community, weeks: int) -> Dashboard:
    """The last ``weeks`` weeks (the running one included) of ``community``."""
    today = _local_today()
    first = _monday(today) - dt.timedelta(weeks=weeks - 1)
    since = _start_of(first)
    rows = {
        first + dt.timedelta(weeks=n): Week(first + dt.timedelta(weeks=n)) for n in range(weeks)
    }

    participants = Participant.objects.in_community(community)
    # Active at a moment = signed up before it and not opted out before it.
    active = (
        participants.filter(created_at__lt=since).count()
        - participants.filter(opted_out_at__lt=since).count()
    )
    changes: dict[dt.date, int] = {}
    for created, verified, opted_out in participants.filter(
        Q(created_at__gte=since) | Q(phone_verified_at__gte=since) | Q(opted_out_at__gte=since)
    ).values_list("created_at", "phone_verified_at", "opted_out_at"):
        if created and created >= since and (week := _bucket(rows, created)):
            week.participants_new += 1
            changes[week.monday] = changes.get(week.monday, 0) + 1
        if verified and verified >= since and (week := _bucket(rows, verified)):
            week.participants_verified += 1
        if opted_out and opted_out >= since and (week := _bucket(rows, opted_out)):
            changes[week.monday] = changes.get(week.monday, 0) - 1
    for monday in sorted(rows):
        active += changes.get(monday, 0)
        rows[monday].participants_active = active

    calls = Call.objects.in_community(community).filter(
        purpose__startswith=BUURBEL_PURPOSE, direction=Direction.OUT, created_at__gte=since
    )
    for created, answered, price in calls.values_list("created_at", "answered_at", "price_micros"):
        week = _bucket(rows, created)
        if week is None:
            continue
        week.calls += 1
        week.calls_answered += answered is not None
        week.cost_micros += price or 0

    for created in (
        Match.objects.in_community(community)
        .filter(created_at__gte=since)
        .values_list("created_at", flat=True)
    ):
        if week := _bucket(rows, created):
            week.introductions += 1

    history = Introduction.objects.in_community(community).filter(at__gte=since)
    columns = ("participant_a_id", "participant_b_id", "at")
    connected = _pairs_per_week(rows, history.filter(outcome__in=CONNECTED).values_list(*columns))
    met = _pairs_per_week(rows, history.filter(outcome=Outcome.MET).values_list(*columns))
    # A match marked as met without a "met" row in its history counts in the week it closed.
    for a, b, at in (
        Match.objects.in_community(community)
        .filter(met=True, state_changed_at__gte=since)
        .values_list("participant_a_id", "participant_b_id", "state_changed_at")
    ):
        if (week := _bucket(rows, at)) and not any((a, b) in pairs for pairs in met.values()):
            met.setdefault(week.monday, set()).add((a, b))
    for monday, pairs in connected.items():
        rows[monday].connected = len(pairs)
    for monday, pairs in met.items():
        rows[monday].met = len(pairs)

    ordered = [rows[m] for m in sorted(rows)]
    keys = (
        "participants_new",
        "participants_verified",
        "calls",
        "calls_answered",
        "introductions",
        "connected",
        "met",
        "cost_micros",
    )
    return Dashboard(
        weeks=ordered,
        start=first,
        end=today,
        participants_active=ordered[-1].participants_active if ordered else active,
        totals={key: sum(getattr(w, key) for w in ordered) for key in keys},
    )


# --- prices and real costs -------------------------------------------------------------------


@dataclass(frozen=True)
class PriceRow:
    id: int | None  # None: not stored yet (the seeded default is shown)
    item: str
    unit_micros: int
    free_per_month: int


@dataclass(frozen=True)
class Table:
    provider: str
    currency: str
    updated_at: dt.datetime | None
    prices: list[PriceRow]


def price_tables(*, community: Community) -> list[Table]:
    """The community's price tables (the seeded providers always, others when stored); a table
    or an item not stored yet shows the seeded default. Writes nothing."""
    stored = {
        t.provider: t for t in PriceTable.objects.in_community(community).prefetch_related("prices")
    }
    providers = list(SEEDED_PROVIDERS) + sorted(set(stored) - set(SEEDED_PROVIDERS))
    tables = []
    for provider in providers:
        table = stored.get(provider)
        have = {p.item: p for p in table.prices.all()} if table else {}
        rows = []
        for item in PriceItem.values:
            price = have.get(item)
            if price is not None:
                rows.append(PriceRow(price.pk, item, price.unit_micros, price.free_per_month))
            elif item in TWILIO_PRICES:
                unit, free = TWILIO_PRICES[item]
                rows.append(PriceRow(None, item, unit, free))
        tables.append(
            Table(
                provider=provider,
                currency=table.currency if table else "USD",
                updated_at=table.updated_at if table else None,
                prices=rows,
            )
        )
    return tables


def price_map(*, community: Community, provider: str) -> tuple[dict[str, int], dict[str, int]]:
    """(unit price, free per month) per item of ``provider``'s table."""
    for table in price_tables(community=community):
        if table.provider == provider:
            return (
                {p.item: p.unit_micros for p in table.prices},
                {p.item: p.free_per_month for p in table.prices},
            )
    return {}, {}


@dataclass(frozen=True)
class Month:
    month: dt.date  # the first day
    calls: int
    minutes: int  # billed (started) minutes
    call_micros: int
    sms: int
    sms_micros: int

    @property
    def total_micros(self) -> int:
        return self.call_micros + self.sms_micros


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def actual_by_month(*, community: Community, months: int, sms_price_micros: int) -> list[Month]:
    """Per month (the running one last): Buurbel's calls with their real cost, and the text
    messages the community sent × the SMS price."""
    this_month = _local_today().replace(day=1)
    firsts = [_add_months(this_month, -n) for n in range(months - 1, -1, -1)]
    since = _start_of(firsts[0])
    per: dict[dt.date, dict[str, int]] = {
        m: {"calls": 0, "minutes": 0, "call_micros": 0, "sms": 0} for m in firsts
    }
    for created, seconds, price in (
        Call.objects.in_community(community)
        .filter(purpose__startswith=BUURBEL_PURPOSE, created_at__gte=since)
        .values_list("created_at", "duration_seconds", "price_micros")
    ):
        month = per.get(timezone.localtime(created).date().replace(day=1))
        if month is None:
            continue
        month["calls"] += 1
        month["minutes"] += -(-(seconds or 0) // 60)
        month["call_micros"] += price or 0
    for created in (
        Message.objects.in_community(community)
        .filter(channel=Channel.SMS, status=Status.SENT, created_at__gte=since)
        .values_list("created_at", flat=True)
    ):
        month = per.get(timezone.localtime(created).date().replace(day=1))
        if month is not None:
            month["sms"] += 1
    return [
        Month(
            month=m,
            calls=v["calls"],
            minutes=v["minutes"],
            call_micros=v["call_micros"],
            sms=v["sms"],
            sms_micros=v["sms"] * sms_price_micros,
        )
        for m, v in per.items()
    ]
