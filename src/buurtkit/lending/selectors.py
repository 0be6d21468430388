"""Reads of the device bank: search, one device with its history, the stock overview."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.lending.models import Device, DeviceEvent, DeviceKind, DeviceState, Pool


def devices_search(
    *, actor: Actor, q: str = "", state: str = "", kind: str = "", pool: str = ""
) -> QuerySet[Device]:
    """Devices by label, serial number, brand or model; filtered by state, kind and pool."""
    actor.require("lending.view")
    for name, value, allowed in (
        ("state", state, DeviceState.values),
        ("kind", kind, DeviceKind.values),
        ("pool", pool, Pool.values),
    ):
        if value and value not in allowed:
            msg = _("Choose one of: %(values)s.") % {"values": ", ".join(allowed)}
            raise ValidationFailed(msg, fields={name: msg})
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
