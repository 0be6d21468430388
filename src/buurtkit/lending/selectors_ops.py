"""Reads of repairs, the staff overview of the device bank and its exports (re-exported by
``lending.selectors``).

The overview counts rows of the models directly (stock, referrals, hand-overs, loans,
repairs), so it holds whatever service wrote them. Every figure that has a place can be split
per municipality: a device by where it is (``device.place``), a hand-over and its loans by
where it happened (``handover.place``), a repair by the device's place or else the hand-over's.
Referrals have no place until a pick-up is planned: they are counted for the whole community.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.lending.models import (
    AgreementKind,
    Connectivity,
    Device,
    DeviceKind,
    DeviceState,
    HandOver,
    HandOverDevice,
    Loan,
    LoanState,
    OpenedVia,
    Pool,
    Referral,
    ReferralState,
    Repairer,
    RepairState,
    RepairTicket,
)
from buurtkit.lending.services.referrals import may_triage
from buurtkit.lending.services.repairs import (
    OPEN_STATES,
    latest_handover,
    may_see_all_repairs,
    referring_organisation,
    require_referrer,
)
from buurtkit.places.models import Municipality

#: Connectivity that counts as "online at home".
ONLINE = (Connectivity.OWN, Connectivity.SOCIAL_TARIFF, Connectivity.VOUCHER)
#: Devices no longer in the digibank's stock.
NOT_IN_STOCK = (DeviceState.HANDED_OVER, DeviceState.WRITTEN_OFF, DeviceState.RECYCLED)
WAITING = (ReferralState.WAITING, ReferralState.APPROVED)
SET_ASIDE = (ReferralState.MATCHED, ReferralState.INVITED)
MONTHS = 12
DUE_SOON_DAYS = 14


def local_today() -> date:
    return timezone.localtime(clock.now(), timezone.get_default_timezone()).date()


# --- repairs ---------------------------------------------------------------------------------


def repairs_for(
    *, actor: Actor, state: str = "", repairer: str = "", device_id: int | None = None
) -> QuerySet[RepairTicket]:
    """Repair tickets, newest first: all of them for staff, a referrer's organisation's only.
    ``state`` "active" is open or in repair."""
    require_choice("state", state, [*RepairState.values, "active"])
    require_choice("repairer", repairer, Repairer.values)
    qs = RepairTicket.objects.in_community(actor.community)
    if not may_see_all_repairs(actor):
        qs = qs.filter(organisation_id__in=require_referrer(actor))
    if state == "active":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if repairer:
        qs = qs.filter(repairer=repairer)
    if device_id:
        qs = qs.filter(device_id=device_id)
    return qs.select_related("device", "replacement", "organisation").order_by("-opened_at", "-pk")


def repair_get(*, actor: Actor, ticket_id: int) -> RepairTicket:
    ticket = get_scoped(RepairTicket, actor.community, pk=ticket_id)
    if not may_see_all_repairs(actor) and ticket.organisation_id not in require_referrer(actor):
        raise NotFound(_("Repair ticket not found."))
    return ticket


def repair_open_for_device(*, actor: Actor, device_id: int) -> RepairTicket | None:
    """The device's open ticket, if it has one (what its QR code leads to)."""
    return repairs_for(actor=actor, state="active", device_id=device_id).first()


def device_for_repair(*, actor: Actor, label: str = "", device_id: int | None = None) -> Device:
    """The device to report broken, by its label (typed or scanned) or id. A referrer finds
    only a device handed over to a household their organisation referred."""
    term = label.strip().upper()
    lookup: dict[str, Any] = {"pk": device_id} if device_id else {"label__iexact": term}
    if not device_id and not term:
        raise NotFound(_("Device not found."))
    device = get_scoped(Device, actor.community, **lookup)
    if not may_see_all_repairs(actor):
        orgs = require_referrer(actor)
        if referring_organisation(latest_handover(device)) not in orgs:
            raise NotFound(_("Device not found."))
    return device


def replacement_candidates(*, actor: Actor, kind: str) -> QuerySet[Device]:
    """Available devices of ``kind`` for residents, to replace a broken one."""
    actor.require("lending.manage")
    return Device.objects.in_community(actor.community).filter(
        state=DeviceState.AVAILABLE, kind=kind, pool=Pool.HANDOUT
    )


# --- the staff overview ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The rows of one community, or of one municipality in it."""

    devices: QuerySet[Device]
    handovers: QuerySet[HandOver]
    loans: QuerySet[Loan]
    repairs: QuerySet[RepairTicket]


def _scope(actor: Actor, municipality_id: int | None) -> Scope:
    c = actor.community
    devices = Device.objects.in_community(c)
    handovers = HandOver.objects.in_community(c)
    loans = Loan.objects.in_community(c)
    repairs = RepairTicket.objects.in_community(c)
    if municipality_id:
        m = municipality_id
        devices = devices.filter(place__municipality_id=m)
        handovers = handovers.filter(place__municipality_id=m)
        loans = loans.filter(handover__place__municipality_id=m)
        repairs = repairs.filter(
            Q(device__place__municipality_id=m)
            | Q(device__place__isnull=True, handover__place__municipality_id=m)
        )
    return Scope(devices, handovers, loans, repairs)


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    starts = [first]
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts[::-1]


def _local_month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value, timezone.get_default_timezone())
        return value.date().replace(day=1)
    return value.replace(day=1)


def _stock(devices: QuerySet[Device]) -> dict[str, Any]:
    rows = list(devices.values("kind", "pool", "state").annotate(n=Count("id")).order_by())
    by_kind: dict[str, dict[str, int]] = {}
    by_pool: dict[str, dict[str, int]] = {}
    by_state: dict[str, int] = {}
    for row in rows:
        for table, key in ((by_kind, row["kind"]), (by_pool, row["pool"])):
            cell = table.setdefault(key, {"total": 0})
            cell[row["state"]] = cell.get(row["state"], 0) + row["n"]
            cell["total"] += row["n"]
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
    total = sum(by_state.values())
    gone = sum(by_state.get(s, 0) for s in NOT_IN_STOCK)
    return {
        "by_kind": by_kind,
        "by_pool": by_pool,
        "by_state": by_state,
        "total": total,
        "in_stock": total - gone,
        "available": by_state.get(DeviceState.AVAILABLE, 0),
    }


def referral_wait_stats(*, actor: Actor, days: int = 365) -> dict[str, Any]:
    """How long requests wait: the one computation the request queue and the staff overview
    both show. A request waits from filing until a device is set aside for it
    (``matched_at``: from then on the device bank has done its part; the pick-up follows).

    Answers the requests in the queue (waiting or approved, per state and kind), the average
    wait of the requests matched in the last ``days`` days (``matched``: how many), and how
    long the requests still in the queue have waited so far (``waiting_now_days``).
    Public as ``selectors.referral_wait_stats``."""
    if not may_triage(actor):
        actor.require("lending.view")
    qs = Referral.objects.in_community(actor.community)
    open_rows = qs.filter(state__in=WAITING).values("state", "kind").annotate(n=Count("pk"))
    waiting: dict[str, dict[str, int]] = {}
    for row in open_rows.order_by():
        waiting.setdefault(row["kind"], {})[row["state"]] = row["n"]
    now = clock.now()
    since = now - timedelta(days=days)
    waits = list(
        qs.filter(matched_at__isnull=False, matched_at__gte=since)
        .values_list("filed_at", "matched_at")
        .order_by()
    )
    seconds = [(matched - filed).total_seconds() for filed, matched in waits]
    average = sum(seconds) / len(seconds) / 86400 if seconds else None
    queued = [
        (now - filed).total_seconds()
        for filed in qs.filter(state__in=WAITING).values_list("filed_at", flat=True)
    ]
    so_far = sum(queued) / len(queued) / 86400 if queued else None
    return {
        "waiting": sum(v.get("waiting", 0) for v in waiting.values()),
        "approved": sum(v.get("approved", 0) for v in waiting.values()),
        "by_kind": waiting,
        "matched": len(seconds),
        "average_wait_days": round(average, 1) if average is not None else None,
        "waiting_now_days": round(so_far, 1) if so_far is not None else None,
        "days": days,
    }


def _referrals(actor: Actor, today: date) -> dict[str, Any]:
    qs = Referral.objects.in_community(actor.community)
    by_state = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    # The waiting times are the request queue's own (one computation for both pages).
    waits = referral_wait_stats(actor=actor)
    return {
        "by_state": {state: by_state.get(state, 0) for state in ReferralState.values},
        "waiting": sum(by_state.get(s, 0) for s in WAITING),
        "set_aside": sum(by_state.get(s, 0) for s in SET_ASIDE),
        "average_wait_days": waits["average_wait_days"],
        "served": waits["matched"],
        "waiting_now_days": waits["waiting_now_days"],
    }


def _handovers(scope: Scope, today: date, months: int) -> dict[str, Any]:
    starts = _month_starts(today, months)
    brussels = timezone.get_default_timezone()
    first = timezone.make_aware(datetime.combine(starts[0], datetime.min.time()), brussels)
    window = scope.handovers.filter(handed_at__gte=first)
    per_month = dict.fromkeys(starts, 0)
    devices_per_month = dict.fromkeys(starts, 0)
    for row in (
        window.annotate(month=TruncMonth("handed_at", tzinfo=brussels))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_month[_local_month(row["month"])] += row["n"]
    items = HandOverDevice.objects.filter(handover__in=window)
    for row in (
        items.annotate(month=TruncMonth("handover__handed_at", tzinfo=brussels))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        devices_per_month[_local_month(row["month"])] += row["n"]
    partners: dict[str, dict[str, Any]] = {}
    for row in window.values("organisation__name", "kind").annotate(n=Count("id")).order_by():
        name = row["organisation__name"] or _("without referral")
        entry = partners.setdefault(
            name, {"partner": name, "total": 0, **dict.fromkeys(AgreementKind.values, 0)}
        )
        entry[row["kind"]] += row["n"]
        entry["total"] += row["n"]
    by_kind = dict(window.values_list("kind").annotate(n=Count("id")).order_by())
    return {
        "months": [
            {"month": m, "handovers": per_month[m], "devices": devices_per_month[m]} for m in starts
        ],
        "per_partner": sorted(partners.values(), key=lambda e: (-e["total"], e["partner"])),
        "by_kind": {kind: by_kind.get(kind, 0) for kind in AgreementKind.values},
        "total": sum(per_month.values()),
        "since": starts[0],
    }


def _households(handovers: QuerySet[HandOver]) -> dict[str, Any]:
    """Households reached and how they are online: one household per person (or referral, or
    else hand-over); the latest hand-over says how it is online."""
    latest: dict[tuple[str, int], str] = {}
    for pk, person_id, referral_id, connectivity in handovers.order_by(
        "handed_at", "pk"
    ).values_list("pk", "person_id", "referral_id", "connectivity"):
        if person_id:
            key = ("person", person_id)
        elif referral_id:
            key = ("referral", referral_id)
        else:
            key = ("handover", pk)
        latest[key] = connectivity
    by_connectivity = dict.fromkeys(Connectivity.values, 0)
    for connectivity in latest.values():
        by_connectivity[connectivity] += 1
    return {
        "total": len(latest),
        "online": sum(by_connectivity[c] for c in ONLINE),
        "by_connectivity": by_connectivity,
    }


def _loans(loans: QuerySet[Loan], today: date) -> dict[str, int]:
    open_loans = loans.filter(state=LoanState.OPEN)
    return {
        "open": open_loans.count(),
        "overdue": open_loans.filter(due_on__lt=today).count(),
        "due_soon": open_loans.filter(
            due_on__gte=today, due_on__lte=today + timedelta(days=DUE_SOON_DAYS)
        ).count(),
        "lost": loans.filter(state=LoanState.LOST).count(),
    }


def _repairs(repairs: QuerySet[RepairTicket]) -> dict[str, Any]:
    active = repairs.filter(state__in=OPEN_STATES)
    by_state = dict(active.values_list("state").annotate(n=Count("id")).order_by())
    by_repairer = dict(active.values_list("repairer").annotate(n=Count("id")).order_by())
    return {
        "open": sum(by_state.values()),
        "waiting": by_state.get(RepairState.OPEN, 0),
        "in_repair": by_state.get(RepairState.IN_REPAIR, 0),
        "by_repairer": {r: by_repairer.get(r, 0) for r in Repairer.values},
    }


def _per_municipality(actor: Actor, today: date) -> list[dict[str, Any]]:
    """One row per municipality (and "—" for what has no place), with the main figures."""
    rows = []
    names = list(
        Municipality.objects.in_community(actor.community)
        .order_by("name")
        .values_list("pk", "name")
    )
    for pk, name in names:
        scope = _scope(actor, pk)
        rows.append(_municipality_row(name, pk, scope, today))
    everything = _scope(actor, None)
    nowhere = Scope(
        everything.devices.filter(Q(place__isnull=True) | Q(place__municipality__isnull=True)),
        everything.handovers.filter(Q(place__isnull=True) | Q(place__municipality__isnull=True)),
        everything.loans.filter(
            Q(handover__place__isnull=True) | Q(handover__place__municipality__isnull=True)
        ),
        everything.repairs.exclude(
            Q(device__place__municipality__isnull=False)
            | Q(device__place__isnull=True, handover__place__municipality__isnull=False)
        ),
    )
    rows.append(_municipality_row("—", None, nowhere, today))
    return rows


def _municipality_row(name: str, pk: int | None, scope: Scope, today: date) -> dict[str, Any]:
    in_stock = scope.devices.exclude(state__in=NOT_IN_STOCK).count()
    households = _households(scope.handovers)
    loans = _loans(scope.loans, today)
    return {
        "municipality": name,
        "id": pk,
        "in_stock": in_stock,
        "handovers": scope.handovers.count(),
        "households": households["total"],
        "online": households["online"],
        "loans_open": loans["open"],
        "loans_overdue": loans["overdue"],
        "repairs_open": scope.repairs.filter(state__in=OPEN_STATES).count(),
    }


def lending_overview(
    *, actor: Actor, municipality_id: int | None = None, months: int = MONTHS
) -> dict[str, Any]:
    """The device bank at a glance: stock, referrals, hand-overs per month and per partner,
    households online, loans due and overdue, repairs open; per municipality."""
    actor.require("lending.view")
    municipality = None
    if municipality_id:
        municipality = get_scoped(Municipality, actor.community, pk=municipality_id)
    today = local_today()
    scope = _scope(actor, municipality_id)
    return {
        "today": today,
        "municipality": municipality,
        "stock": _stock(scope.devices),
        "referrals": _referrals(actor, today),
        "handovers": _handovers(scope, today, months),
        "households": _households(scope.handovers),
        "loans": _loans(scope.loans, today),
        "repairs": _repairs(scope.repairs),
        "per_municipality": [] if municipality_id else _per_municipality(actor, today),
    }


# --- exports (no personal data) --------------------------------------------------------------

EXPORTS = ("devices", "handovers", "loans", "repairs")


def export_rows(*, actor: Actor, what: str) -> Iterator[list[Any]]:
    """The rows of one export, header first: devices, hand-overs per month/partner/kind,
    loans, repairs. No one's name, contact, signature or free text about a person: devices
    by label and kind, hand-overs counted, loans and repairs by device and dates."""
    actor.require("lending.view")
    if what not in EXPORTS:
        raise NotFound(_("There is no such export."))
    return {
        "devices": _export_devices,
        "handovers": _export_handovers,
        "loans": _export_loans,
        "repairs": _export_repairs,
    }[what](actor)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _export_devices(actor: Actor) -> Iterator[list[Any]]:
    yield [
        _("label"),
        _("kind"),
        _("brand"),
        _("model"),
        _("serial number"),
        _("condition"),
        _("pool"),
        _("state"),
        _("since"),
        _("place"),
        _("municipality"),
        _("donor"),
        _("received on"),
    ]
    qs = (
        Device.objects.in_community(actor.community)
        .select_related("place__municipality", "donation__donor")
        .order_by("label")
    )
    for d in qs.iterator(chunk_size=2000):
        donation = d.donation
        donor = ""
        if donation is not None:
            donor = donation.donor.name if donation.donor else donation.donor_name
        yield [
            d.label,
            _label(DeviceKind, d.kind),
            d.brand,
            d.model,
            d.serial,
            d.get_condition_display(),
            _label(Pool, d.pool),
            _label(DeviceState, d.state),
            timezone.localtime(d.state_changed_at).date(),
            d.place.name if d.place else "",
            d.place.municipality.name if d.place and d.place.municipality else "",
            donor,
            donation.received_on if donation else "",
        ]


def _export_handovers(actor: Actor) -> Iterator[list[Any]]:
    """Counts per month, partner, kind and municipality: never one household's row."""
    yield [
        _("month"),
        _("partner"),
        _("kind"),
        _("municipality"),
        _("hand-overs"),
        _("devices"),
        _("households online"),
    ]
    brussels = timezone.get_default_timezone()
    groups: dict[tuple[date, str, str, str], list[int]] = {}
    qs = HandOver.objects.in_community(actor.community).annotate(
        month=TruncMonth("handed_at", tzinfo=brussels), devices=Count("items")
    )
    for row in qs.values(
        "month",
        "organisation__name",
        "kind",
        "place__municipality__name",
        "devices",
        "connectivity",
    ).order_by():
        key = (
            _local_month(row["month"]),
            row["organisation__name"] or "",
            row["kind"],
            row["place__municipality__name"] or "",
        )
        entry = groups.setdefault(key, [0, 0, 0])
        entry[0] += 1
        entry[1] += row["devices"]
        entry[2] += 1 if row["connectivity"] in ONLINE else 0
    for (month, partner, kind, municipality), (n, devices, online) in sorted(groups.items()):
        yield [
            month.strftime("%Y-%m"),
            partner,
            _label(AgreementKind, kind),
            municipality,
            n,
            devices,
            online,
        ]


def _export_loans(actor: Actor) -> Iterator[list[Any]]:
    yield [
        _("device"),
        _("kind"),
        _("handed over on"),
        _("due on"),
        _("extensions"),
        _("state"),
        _("returned on"),
        _("days overdue"),
        _("municipality"),
    ]
    today = local_today()
    qs = (
        Loan.objects.in_community(actor.community)
        .select_related("device", "handover__place__municipality")
        .order_by("due_on", "pk")
    )
    for loan in qs.iterator(chunk_size=2000):
        place = loan.handover.place
        overdue = (
            (today - loan.due_on).days
            if loan.state == LoanState.OPEN and loan.due_on < today
            else 0
        )
        yield [
            loan.device.label,
            _label(DeviceKind, loan.device.kind),
            timezone.localtime(loan.handover.handed_at).date(),
            loan.due_on,
            loan.extensions,
            _label(LoanState, loan.state),
            timezone.localtime(loan.returned_at).date() if loan.returned_at else "",
            overdue,
            place.municipality.name if place and place.municipality else "",
        ]


def _export_repairs(actor: Actor) -> Iterator[list[Any]]:
    """Tickets without what was written about the problem (it may name the household)."""
    yield [
        _("ticket"),
        _("device"),
        _("kind"),
        _("brand"),
        _("model"),
        _("opened on"),
        _("opened by"),
        _("repaired by"),
        _("state"),
        _("closed on"),
        _("days open"),
        _("replacement device"),
    ]
    today = local_today()
    qs = (
        RepairTicket.objects.in_community(actor.community)
        .select_related("device", "replacement")
        .order_by("opened_at", "pk")
    )
    for t in qs.iterator(chunk_size=2000):
        opened = timezone.localtime(t.opened_at).date()
        closed = timezone.localtime(t.closed_at).date() if t.closed_at else None
        yield [
            t.pk,
            t.device.label,
            _label(DeviceKind, t.device.kind),
            t.device.brand,
            t.device.model,
            opened,
            _label(OpenedVia, t.opened_via),
            _label(Repairer, t.repairer),
            _label(RepairState, t.state),
            closed or "",
            ((closed or today) - opened).days,
            t.replacement.label if t.replacement else "",
        ]
