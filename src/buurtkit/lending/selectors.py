"""Reads of the device bank: search, one device with its history, the stock overview; the
referrals' queue (below)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.lending import qr as lending_qr
from buurtkit.lending.models import (
    AgreementKind,
    AgreementText,
    Device,
    DeviceEvent,
    DeviceKind,
    DevicePhoto,
    DeviceState,
    Donation,
    HandOver,
    Loan,
    LoanState,
    Pool,
    Referral,
    ReferralCap,
    ReferralState,
)
from buurtkit.lending.periods import next_period_start, period_start
from buurtkit.lending.services.referrals import may_triage, referral_for_actor
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place, PlaceKind, PlaceStatus
from buurtkit.qrcodes.models import Code


def devices_search(
    *, actor: Actor, q: str = "", state: str = "", kind: str = "", pool: str = ""
) -> QuerySet[Device]:
    """Devices by label, serial number, brand or model; filtered by state, kind and pool."""
    actor.require("lending.view")
    require_choice("state", state, DeviceState.values)
    require_choice("kind", kind, DeviceKind.values)
    require_choice("pool", pool, Pool.values)
    qs = Device.objects.in_community(actor.community)
    term = q.strip()
    if term:
        qs = qs.filter(_term_filter(actor.community, term))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if pool:
        qs = qs.filter(pool=pool)
    return qs.select_related("place").order_by("label")


LABEL_FRAGMENT = re.compile(r"^(DB-?)?\d{1,6}$", re.IGNORECASE)


def _term_filter(community: Community, term: str) -> Q:
    """A label or serial number typed (or scanned) exactly finds that device through an index;
    anything else searches the text: brand and model (``search_text``, in capitals, from an
    index), and the label when the term looks like part of one ("123", "DB-00012")."""
    exact = Q(label=term.upper()) | Q(serial__in={term, term.upper(), term.lower()})
    if Device.objects.in_community(community).filter(exact).exists():
        return exact
    text = Q(search_text__contains=term.upper())
    if LABEL_FRAGMENT.match(term):
        text |= Q(label__contains=term.upper())
    return text


def device_get(*, actor: Actor, device_id: int) -> Device:
    actor.require("lending.view")
    return get_scoped(Device, actor.community, pk=device_id)


def device_events(*, actor: Actor, device_id: int) -> QuerySet[DeviceEvent]:
    device = device_get(actor=actor, device_id=device_id)
    return DeviceEvent.objects.filter(device=device).order_by("seq")


def stock_overview(*, actor: Actor) -> dict[str, Any]:
    """Devices per kind and state, and per pool: the staff overview's table."""
    actor.require("lending.view")
    # One pass over the covering index (community, state, kind, pool).
    rows = (
        Device.objects.in_community(actor.community)
        .values_list("state", "kind", "pool")
        .annotate(n=Count("*"))
        .order_by()
    )
    by_kind: dict[str, dict[str, int]] = {}
    pools: dict[str, int] = {}
    for state, kind, pool, n in rows:
        states = by_kind.setdefault(kind, {})
        states[state] = states.get(state, 0) + n
        pools[pool] = pools.get(pool, 0) + n
    return {
        "by_kind": {
            kind: {"total": sum(states.values()), **states} for kind, states in by_kind.items()
        },
        "by_pool": pools,
        "total": sum(pools.values()),
    }


# --- referrals: the queue, positions, what a partner may see, caps, waiting time ------------

QUEUED_STATES = ("waiting", "approved")


def _queue_position() -> Any:
    """The request's place in the queue of its kind of device (FIFO by filed_at in the
    community; waiting and approved requests queue together), or None when it left it."""
    ahead = (
        Referral.objects.filter(
            community_id=OuterRef("community_id"),
            kind=OuterRef("kind"),
            state__in=QUEUED_STATES,
        )
        .filter(
            Q(filed_at__lt=OuterRef("filed_at"))
            | Q(filed_at=OuterRef("filed_at"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(state__in=QUEUED_STATES, then=Coalesce(Subquery(ahead), Value(0))),
        default=Value(None),
        output_field=IntegerField(),
    )


def _with_view(actor: Actor, qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``position`` and ``resident_visible`` (the resident's identity is shown to
    staff who triage, and to the partner only when they entered it themselves)."""
    visible: Any = Value(True) if may_triage(actor) else F("person_by_referrer")
    return qs.annotate(
        position=_queue_position(),
        resident_visible=ExpressionWrapper(visible, output_field=BooleanField()),
    ).select_related("organisation", "device", "pickup_place", "person")


def referrals_for(
    actor: Actor,
    *,
    q: str = "",
    state: str = "",
    organisation_id: int | None = None,
    kind: str = "",
) -> QuerySet[Referral]:
    """The requests ``actor`` may see: all for staff who triage, their own organisation's for
    a partner. Search by the partner's reference (and, for staff, the resident's name)."""
    require_choice("state", state, ReferralState.values)
    require_choice("kind", kind, DeviceKind.values)
    qs = Referral.objects.in_community(actor.community)
    if not may_triage(actor):
        actor.require("lending.refer")
        if not actor.organisation_ids:
            raise PermissionDenied(
                _("Your login is not linked to a partner organisation. Ask a coordinator."),
                code="permission_denied",
            )
        qs = qs.filter(organisation_id__in=list(actor.organisation_ids))
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    term = q.strip()[:100]
    if term:
        match = Q(client_ref__icontains=term)
        if term.isdigit() and int(term) < 2**31:
            match |= Q(pk=int(term))
        if may_triage(actor):
            match |= Q(person__first_name__icontains=term) | Q(person__last_name__icontains=term)
        else:
            match |= Q(person_by_referrer=True) & (
                Q(person__first_name__icontains=term) | Q(person__last_name__icontains=term)
            )
        qs = qs.filter(match)
    return _with_view(actor, qs).order_by("-filed_at", "-pk")


def referral_get(*, actor: Actor, referral_id: int) -> Referral:
    """One request with its position and what ``actor`` may see of the resident."""
    referral = referral_for_actor(actor, referral_id)
    return _with_view(actor, Referral.objects.filter(pk=referral.pk)).get()


def waiting_position(referral: Referral) -> int | None:
    """Where a request stands in the queue of its kind (1 = next), or None out of the queue."""
    if referral.state not in QUEUED_STATES:
        return None
    return (
        Referral.objects.in_community(referral.community_id)
        .filter(kind=referral.kind, state__in=QUEUED_STATES)
        .filter(
            Q(filed_at__lt=referral.filed_at) | Q(filed_at=referral.filed_at, pk__lte=referral.pk)
        )
        .count()
    )


def resident_name(referral: Referral) -> str:
    """The resident's name if the annotated request may show it (``referrals_for``)."""
    if referral.person_id is None or not getattr(referral, "resident_visible", False):
        return ""
    return referral.person.full_name if referral.person else ""


@dataclass(frozen=True)
class CapUsage:
    cap: ReferralCap
    used: int
    since: datetime
    until: datetime

    @property
    def left(self) -> int:
        return max(0, self.cap.max_referrals - self.used)


def cap_usage(
    *, actor: Actor, organisation_id: int | None = None, period: str = ""
) -> list[CapUsage]:
    """Each cap with the requests it counts now (filed this period, not refused or
    cancelled). Staff who triage see every partner's; a partner their own."""
    now = clock.now()
    caps = ReferralCap.objects.in_community(actor.community).select_related("organisation")
    if not may_triage(actor):
        actor.require("lending.refer")
        caps = caps.filter(organisation_id__in=list(actor.organisation_ids))
    if organisation_id is not None:
        caps = caps.filter(organisation_id=organisation_id)
    if period:
        caps = caps.filter(period=period)
    result = []
    for cap in caps.order_by("organisation__name", "period"):
        since = period_start(cap.period, now)
        used = (
            Referral.objects.in_community(actor.community)
            .filter(organisation_id=cap.organisation_id, filed_at__gte=since)
            .exclude(state__in=("refused", "cancelled"))
            .count()
        )
        result.append(CapUsage(cap, used, since, next_period_start(cap.period, now)))
    return result


def referral_partners(*, actor: Actor) -> QuerySet[Organisation]:
    """The partners a request can be filed for: any active organisation for staff who triage,
    the partner's own for a referrer."""
    qs = Organisation.objects.in_community(actor.community).filter(active=True)
    if not may_triage(actor):
        qs = qs.filter(pk__in=list(actor.organisation_ids))
    return qs.order_by("name")


# --- pages, labels and documents --------------------------------------------------------------


def donations_list(*, actor: Actor) -> QuerySet[Donation]:
    actor.require("lending.view")
    donations: QuerySet[Donation] = Donation.objects.in_community(actor.community)
    return (
        donations.select_related("donor")
        .annotate(devices_count=Count("devices"))
        .order_by("-received_on", "-pk")
    )


def donation_get(*, actor: Actor, donation_id: int) -> Donation:
    actor.require("lending.view")
    return get_scoped(Donation, actor.community, pk=donation_id)


def donation_devices(*, actor: Actor, donation_id: int) -> QuerySet[Device]:
    donation = donation_get(actor=actor, donation_id=donation_id)
    return Device.objects.filter(donation=donation).select_related("place").order_by("label")


def device_by_label(*, actor: Actor, label: str) -> Device:
    actor.require("lending.view")
    return get_scoped(Device, actor.community, label=str(label).strip().upper()[:20])


def wipe_events(*, actor: Actor, device_ids: list[int]) -> QuerySet[DeviceEvent]:
    """The wipes (with their evidence) of these devices: each is an erasure certificate."""
    actor.require("lending.view")
    return (
        DeviceEvent.objects.in_community(actor.community)
        .filter(device_id__in=device_ids, kind=DeviceState.WIPED)
        .select_related("device", "device__donation", "device__donation__donor")
        .order_by("device__label", "seq")
    )


def wipe_event(*, actor: Actor, device_id: int, seq: int) -> DeviceEvent:
    device = device_get(actor=actor, device_id=device_id)
    event = wipe_events(actor=actor, device_ids=[device.pk]).filter(seq=seq).first()
    if event is None:
        raise NotFound(_("This device has no wipe with this number."))
    return event


def label_codes(*, community: Community, devices: list[Device]) -> dict[int, Code]:
    """Each device's QR label code (the oldest one not retired), by device id."""
    return lending_qr.label_codes(community, devices)


def return_place(*, device: Device) -> Place | None:
    """Where a found device goes back to: its own place, else the community's device store."""
    if device.place_id is not None:
        return device.place
    return (
        Place.objects.in_community(device.community)
        .filter(
            status=PlaceStatus.OPEN,
            kind__in=[PlaceKind.LIBRARY_STORE, PlaceKind.LENDING_POINT],
        )
        .select_related("municipality")
        .order_by("pk")
        .first()
    )


def intake_choices(*, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    """The donor organisations and places the intake form offers."""
    actor.require("lending.manage")
    return {
        "donors": list(
            Organisation.objects.in_community(actor.community)
            .filter(active=True)
            .order_by("name")
            .values_list("pk", "name")[:500]
        ),
        "places": list(
            Place.objects.in_community(actor.community)
            .exclude(status=PlaceStatus.CLOSED)
            .order_by("name")
            .values_list("pk", "name")[:500]
        ),
    }


# --- repairs, the staff overview and the exports (H6): selectors_ops.py ---------------------
from buurtkit.lending.selectors_ops import (  # noqa: E402
    EXPORTS,
    device_for_repair,
    export_rows,
    lending_overview,
    referral_wait_stats,
    repair_get,
    repair_open_for_device,
    repairs_for,
    replacement_candidates,
)

__all__ = [
    "EXPORTS",
    "device_events",
    "device_for_repair",
    "device_get",
    "devices_search",
    "export_rows",
    "lending_overview",
    "referral_wait_stats",
    "repair_get",
    "repair_open_for_device",
    "repairs_for",
    "replacement_candidates",
    "stock_overview",
]
# --- hand-overs, agreement texts and loans (the counter) ------------------------------------


def handovers_list(*, actor: Actor, kind: str = "") -> QuerySet[HandOver]:
    """Hand-overs, newest first (the counter's right: they name residents)."""
    actor.require("lending.hand_over")
    require_choice("kind", kind, AgreementKind.values)
    qs = HandOver.objects.in_community(actor.community).defer("signature_png", "agreement_pdf")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("agreement_text", "place").prefetch_related("items__device")


def handover_get(*, actor: Actor, handover_id: int) -> HandOver:
    actor.require("lending.hand_over")
    return get_scoped(HandOver, actor.community, pk=handover_id)


def agreement_texts_list(
    *, actor: Actor, kind: str = "", language: str = ""
) -> QuerySet[AgreementText]:
    """Every version of the agreement texts, newest version first per kind and language."""
    actor.require("lending.view")
    require_choice("kind", kind, AgreementKind.values)
    qs = AgreementText.objects.in_community(actor.community)
    if kind:
        qs = qs.filter(kind=kind)
    if language:
        qs = qs.filter(language=language[:5])
    return qs.order_by("kind", "language", "-version")


def agreement_text_shown(
    *, community: Any, kind: str, language: str
) -> tuple[int | None, str, str]:
    """(id, title, body) of the text a resident would sign now; id None while the standard
    text is not yet published (it is, with the first hand-over)."""
    from buurtkit.lending.agreements import default_text

    found = (
        AgreementText.objects.in_community(community)
        .filter(kind=kind, language=language)
        .order_by("-version")
        .first()
    )
    if found is not None:
        return found.pk, found.title, found.body
    title, body = default_text(kind, language)
    return None, title, body


LOAN_FILTERS = ("due", "overdue", "unreached")


def loans_list(
    *, actor: Actor, due: str = "", state: str = "open", days: int = 14
) -> QuerySet[Loan]:
    """Loans: ``due`` = due within ``days``; ``overdue`` = past their date; ``unreached`` =
    the last reminder reached nobody (staff phone or write)."""
    from buurtkit.core import clock
    from buurtkit.lending.agreements import BRUSSELS

    actor.require("lending.hand_over")
    require_choice("due", due, list(LOAN_FILTERS))
    require_choice("state", state, LoanState.values)
    today = clock.now().astimezone(BRUSSELS).date()
    qs = Loan.objects.in_community(actor.community)
    if state:
        qs = qs.filter(state=state)
    if due == "due":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + timedelta(days=days))
    elif due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif due == "unreached":
        qs = qs.filter(reminder_via="staff")
    return qs.select_related("device", "handover", "handover__person").order_by("due_on", "pk")


def loan_get(*, actor: Actor, loan_id: int) -> Loan:
    actor.require("lending.hand_over")
    return get_scoped(Loan, actor.community, pk=loan_id)


def referrals_ready_for_handover(*, actor: Actor) -> QuerySet[Referral]:
    """Referrals with a device set aside, to pick at the counter (soonest pick-up first)."""
    actor.require("lending.hand_over")
    return (
        Referral.objects.in_community(actor.community)
        .filter(state__in=[ReferralState.MATCHED, ReferralState.INVITED])
        .select_related("device", "organisation")
        .order_by("pickup_at", "pk")
    )


def counter_devices(*, actor: Actor, device_ids: list[int]) -> list[Device]:
    """The devices a counter form already holds (chosen, or set aside for the chosen
    referral): shown again without a search. Only ones that may still be handed over."""
    actor.require("lending.hand_over")
    ids = {i for i in device_ids if i}
    if not ids:
        return []
    return list(
        Device.objects.in_community(actor.community)
        .filter(pk__in=ids, state__in=[DeviceState.AVAILABLE, DeviceState.RESERVED])
        .order_by("label")
    )


def device_photos(*, actor: Actor, device_id: int) -> QuerySet[DevicePhoto]:
    """A device's photos, oldest first (staff of its community only)."""
    actor.require("lending.view")
    device = get_scoped(Device, actor.community, pk=device_id)
    return DevicePhoto.objects.in_community(actor.community).filter(device=device).order_by("pk")


def device_photo_get(*, actor: Actor, device_id: int, photo_id: int) -> DevicePhoto:
    actor.require("lending.view")
    device = get_scoped(Device, actor.community, pk=device_id)
    return get_scoped(DevicePhoto, actor.community, pk=photo_id, device=device)
