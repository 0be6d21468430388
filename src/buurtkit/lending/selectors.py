"""Reads of the device bank: search, one device with its history, the stock overview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.lending.models import (
    AgreementKind,
    AgreementText,
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceState,
    HandOver,
    Loan,
    LoanState,
    Pool,
    Referral,
    ReferralState,
)


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
        qs = qs.filter(
            Q(label__iexact=term)
            | Q(serial__iexact=term)
            | Q(label__icontains=term)
            | Q(brand__icontains=term)
            | Q(model__icontains=term)
        )
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if pool:
        qs = qs.filter(pool=pool)
    return qs.select_related("place").order_by("label")


def device_get(*, actor: Actor, device_id: int) -> Device:
    actor.require("lending.view")
    return get_scoped(Device, actor.community, pk=device_id)


def device_events(*, actor: Actor, device_id: int) -> QuerySet[DeviceEvent]:
    device = device_get(actor=actor, device_id=device_id)
    return DeviceEvent.objects.filter(device=device).order_by("seq")


def stock_overview(*, actor: Actor) -> dict[str, Any]:
    """Devices per kind and state, and per pool: the staff overview's table."""
    actor.require("lending.view")
    rows = (
        Device.objects.in_community(actor.community)
        .values("kind", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_kind: dict[str, dict[str, int]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], {})[row["state"]] = row["n"]
    pools = dict(
        Device.objects.in_community(actor.community)
        .values_list("pool")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "by_kind": {
            kind: {"total": sum(states.values()), **states} for kind, states in by_kind.items()
        },
        "by_pool": pools,
        "total": sum(pools.values()),
    }


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
