"""Reads of the device bank: search, one device with its history, the stock overview."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.lending.models import Device, DeviceEvent, DeviceKind, DeviceState, Pool


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


# --- repairs, the staff overview and the exports (H6): selectors_ops.py ---------------------
from buurtkit.lending.selectors_ops import (  # noqa: E402
    EXPORTS,
    device_for_repair,
    export_rows,
    lending_overview,
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
    "repair_get",
    "repair_open_for_device",
    "repairs_for",
    "replacement_candidates",
    "stock_overview",
]
