"""The stock: donations taken in, and each step in a device's life."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.lending import qr as lending_qr
from buurtkit.lending import rules
from buurtkit.lending.models import (
    Condition,
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceState,
    Donation,
    Pool,
    StockCount,
)
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code

MAX_DEVICES_PER_DONATION = 500
WIPE_EVIDENCE = ("method", "tool", "operator", "wiped_on")
LABEL_PREFIX = "DB-"


def _device_fields(i: int, raw: dict[str, Any]) -> dict[str, Any]:
    def refuse(field: str, msg: str) -> ValidationFailed:
        return ValidationFailed(msg, fields={f"devices.{i}.{field}": msg})

    kind = raw.get("kind")
    if kind not in DeviceKind.values:
        raise refuse("kind", _("Choose the kind of device."))
    condition = raw.get("condition") or Condition.GOOD
    if condition not in Condition.values:
        raise refuse("condition", _("Choose the condition."))
    pool = raw.get("pool") or Pool.HANDOUT
    if pool not in Pool.values:
        raise refuse("pool", _("Choose what the device is for."))
    specs = raw.get("specs") or {}
    if not isinstance(specs, dict) or len(specs) > 30:
        raise refuse("specs", _("Give the specifications as a short list of name and value."))
    fields = {
        "kind": kind,
        "condition": condition,
        "pool": pool,
        "specs": {str(k)[:40]: str(v)[:200] for k, v in specs.items()},
    }
    for name, limit in (("brand", 60), ("model", 100), ("serial", 100)):
        value = str(raw.get(name) or "").strip()
        if len(value) > limit:
            raise refuse(name, _("At most %(n)d characters.") % {"n": limit})
        fields[name] = value
    return fields


def _next_labels(community: Community, count: int) -> list[str]:
    """``count`` new labels, after the highest one in use (the caller holds the lock)."""
    last = (
        Device.objects.in_community(community)
        .filter(label__startswith=LABEL_PREFIX)
        .order_by("-label")
        .values_list("label", flat=True)
        .first()
    )
    start = int(last[len(LABEL_PREFIX) :]) + 1 if last else 1
    return [f"{LABEL_PREFIX}{n:06d}" for n in range(start, start + count)]


@transaction.atomic
def donation_receive(
    *,
    actor: Actor,
    received_on: date,
    devices: list[dict[str, Any]],
    donor_id: int | None = None,
    donor_name: str = "",
    note: str = "",
    place_id: int | None = None,
    idempotency_key: str | None = None,
) -> Donation:
    """Take in a batch of donated devices: each gets a label and a first event, "received".

    A retry with the same ``idempotency_key`` answers the first donation instead of taking
    the devices in twice.
    """
    actor.require("lending.manage")
    if not devices:
        msg = _("Add at least one device.")
        raise ValidationFailed(msg, fields={"devices": msg})
    if len(devices) > MAX_DEVICES_PER_DONATION:
        msg = _("At most %(n)d devices at once.") % {"n": MAX_DEVICES_PER_DONATION}
        raise ValidationFailed(msg, fields={"devices": msg})
    cleaned = [_device_fields(i, raw) for i, raw in enumerate(devices)]
    donor = get_scoped(Organisation, actor.community, pk=donor_id) if donor_id else None
    if donor is None and not donor_name.strip():
        msg = _("Say who gave the devices.")
        raise ValidationFailed(msg, fields={"donor_name": msg})
    place = get_scoped(Place, actor.community, pk=place_id) if place_id else None
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint(
        {
            "devices": cleaned,
            "donor": donor_id,
            "donor_name": donor_name.strip(),
            "received_on": received_on,
            "place": place_id,
        }
    )

    def create() -> Donation:
        # One donation at a time per community takes labels: lock the community row.
        Community.objects.select_for_update().get(pk=actor.community.pk)
        now = clock.now()
        donation = Donation.objects.create(
            community=actor.community,
            donor=donor,
            donor_name=donor_name.strip()[:150],
            received_on=received_on,
            announced=len(cleaned),
            note=note.strip()[:300],
            idempotency_key=key,
            request_hash=request_hash,
        )
        labels = _next_labels(actor.community, len(cleaned))
        made = Device.objects.bulk_create(
            [
                Device(
                    community=actor.community,
                    label=label,
                    donation=donation,
                    place=place,
                    state=DeviceState.RECEIVED,
                    state_changed_at=now,
                    events_count=1,
                    **fields,
                )
                for label, fields in zip(labels, cleaned, strict=True)
            ]
        )
        if any(d.pk is None for d in made):  # SQLite before 3.35 returns no ids
            made = list(Device.objects.filter(donation=donation).order_by("label"))
        received: dict[tuple[str, str, str], int] = {}
        for device in made:
            counter = (device.kind, device.pool, str(DeviceState.RECEIVED))
            received[counter] = received.get(counter, 0) + 1
        stock_count_add(community_id=actor.community.pk, deltas=received)
        DeviceEvent.objects.bulk_create(
            [
                DeviceEvent(
                    community=actor.community,
                    device=device,
                    seq=1,
                    kind=rules.RECEIVED,
                    at=now,
                    actor_label=actor.label,
                    data={"donation": donation.pk},
                )
                for device in made
            ]
        )
        audit_record(
            actor=actor,
            verb="lending.donation_received",
            obj=donation,
            data={"devices": len(made), "first": labels[0], "last": labels[-1]},
        )
        return donation

    if not key:
        return create()
    return run_once(
        queryset=Donation.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another donation."),
    )


def _evidence(evidence: dict[str, Any] | None) -> dict[str, str]:
    evidence = evidence or {}
    missing = [name for name in WIPE_EVIDENCE if not str(evidence.get(name) or "").strip()]
    if missing:
        msg = _("A wipe needs its evidence: method, tool, who did it and the date.")
        raise ValidationFailed(msg, fields={f"evidence.{name}": msg for name in missing})
    try:
        wiped_on = date.fromisoformat(str(evidence["wiped_on"]))
    except ValueError as exc:
        msg = _("Write the date as 2026-12-07.")
        raise ValidationFailed(msg, fields={"evidence.wiped_on": msg}) from exc
    if wiped_on > clock.now().date():
        msg = _("A wipe cannot be in the future.")
        raise ValidationFailed(msg, fields={"evidence.wiped_on": msg})
    return {name: str(evidence[name]).strip()[:200] for name in WIPE_EVIDENCE}


@transaction.atomic
def device_record_event(
    *,
    actor: Actor,
    device_id: int,
    kind: str,
    note: str = "",
    evidence: dict[str, Any] | None = None,
    expected_seq: int | None = None,
) -> DeviceEvent:
    """Record the next step in a device's life (wiped, checked, available, in repair…).

    Refused when the step cannot follow the device's state, when a wipe has no evidence, and
    when a hand-over comes without a wipe since the device last came in. ``expected_seq`` (the
    number of events the person saw) makes a second click on a stale page a conflict.
    """
    actor.require("lending.manage")
    if kind not in rules.ALL_EVENTS or kind == rules.RECEIVED:
        msg = _("Unknown step.")
        raise ValidationFailed(msg, fields={"kind": msg})
    device = get_scoped(Device, actor.community, for_update=True, pk=device_id)
    if expected_seq is not None and expected_seq != device.events_count:
        raise Conflict(_("Someone else changed this device just now. Look again."))
    if not rules.may_follow(device.state, kind):
        msg = _("A device that is %(state)s cannot be %(next)s.") % {
            "state": DeviceState(device.state).label,
            "next": DeviceState(kind).label,
        }
        raise Conflict(msg, fields={"kind": msg})
    data: dict[str, Any] = {}
    if kind == rules.WIPED:
        data = _evidence(evidence)
    if kind == rules.HANDED_OVER:
        history = DeviceEvent.objects.filter(device=device).order_by("seq")
        if not rules.wiped_since_it_came_in(
            (e.kind, bool(e.data.get("method"))) for e in history.only("kind", "data")
        ):
            msg = _("This device was not wiped since it came in. Wipe it first.")
            raise Conflict(msg, code="not_wiped", fields={"kind": msg})
    now = clock.now()
    event = DeviceEvent.objects.create(
        community=actor.community,
        device=device,
        seq=device.events_count + 1,
        kind=kind,
        at=now,
        actor_label=actor.label,
        note=note.strip()[:300],
        data=data,
    )
    if kind != device.state:
        stock_count_add(
            community_id=actor.community.pk,
            deltas={
                (device.kind, device.pool, device.state): -1,
                (device.kind, device.pool, kind): 1,
            },
        )
    device.state, device.state_changed_at = kind, now
    device.events_count = event.seq
    device.save(update_fields=["state", "state_changed_at", "events_count"])
    audit_record(actor=actor, verb="lending.device_event", obj=device, data={"kind": kind})
    return event


# --- the stock counters (the overview reads them: models.StockCount) ------------------------

StockKey = tuple[str, str, str]  # (kind, pool, state)


def stock_count_add(*, community_id: int, deltas: dict[StockKey, int]) -> None:
    """Add ``deltas`` to the stock counters, in the caller's transaction (the one that writes
    the devices): one upsert statement. The rows are written in one fixed order, so two
    transactions that move devices take the counters' row locks in the same order."""
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(StockCount._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (kind, pool, state), n in rows:
        params += [community_id, kind, pool, state, n]
    sql = (
        f"INSERT INTO {table} (community_id, kind, pool, state, n) VALUES {values} "  # noqa: S608 - names are ours, values bound
        "ON CONFLICT (community_id, kind, pool, state) "
        f"DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def stock_counts_fresh(*, community_id: int) -> dict[StockKey, int]:
    """The stock counted from the devices themselves (what the counters must equal)."""
    rows = (
        Device.objects.in_community(community_id)
        .values_list("kind", "pool", "state")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(kind, pool, state): n for kind, pool, state, n in rows}


def stock_counts_stored(*, community_id: int) -> dict[StockKey, int]:
    """The counters as stored (zeros left out)."""
    rows = StockCount.objects.in_community(community_id).exclude(n=0)
    return {(r.kind, r.pool, r.state): r.n for r in rows}


@transaction.atomic
def stock_counts_rebuild(*, community_id: int) -> dict[StockKey, tuple[int, int]]:
    """Count the stock afresh from the devices and store it (after a bulk import or a
    correction by hand in the database). Returns what differed: key -> (stored, counted).

    The community's counter rows are locked first: a device event that runs meanwhile waits
    for the recount and then adds its own step to the fresh figures."""
    list(StockCount.objects.in_community(community_id).select_for_update().values_list("pk"))
    stored = stock_counts_stored(community_id=community_id)
    fresh = stock_counts_fresh(community_id=community_id)
    differ = {
        key: (stored.get(key, 0), fresh.get(key, 0))
        for key in set(stored) | set(fresh)
        if stored.get(key, 0) != fresh.get(key, 0)
    }
    if differ:
        StockCount.objects.in_community(community_id).delete()
        StockCount.objects.bulk_create(
            [
                StockCount(community_id=community_id, kind=kind, pool=pool, state=state, n=n)
                for (kind, pool, state), n in sorted(fresh.items())
            ]
        )
    return differ


# --- QR labels --------------------------------------------------------------------------------


@transaction.atomic
def device_label_codes(
    *, actor: Actor, device_ids: list[int] | None = None, donation_id: int | None = None
) -> list[tuple[Device, Code]]:
    """Give devices (these ids, or all of a donation) their QR label: a code of the ``qrcodes``
    module linked to the device (``lending.qr``). Idempotent: a device keeps the code it has
    (a retired code does not count); only devices without one get a new code. The devices are
    locked first, so two clicks at once still make one code per device.
    Returns (device, code) pairs in label order."""
    actor.require("lending.manage")
    devices = Device.objects.in_community(actor.community)
    if donation_id is not None:
        donation = get_scoped(Donation, actor.community, pk=donation_id)
        devices = devices.filter(donation=donation)
    elif device_ids:
        if len(device_ids) > MAX_DEVICES_PER_DONATION:
            msg = _("At most %(n)d devices at once.") % {"n": MAX_DEVICES_PER_DONATION}
            raise ValidationFailed(msg, fields={"devices": msg})
        devices = devices.filter(pk__in=device_ids)
    else:
        msg = _("Choose the devices.")
        raise ValidationFailed(msg, fields={"devices": msg})
    locked = list(devices.select_for_update().order_by("label"))
    if donation_id is None and len(locked) != len(set(device_ids or [])):
        raise NotFound(_("Not found."))
    codes = lending_qr.label_codes(actor.community, locked)
    # Staff without QR rights may still label the devices they manage: the code is made for them.
    maker = actor if actor.has("qrcodes.manage") else Actor.system(actor.community, actor.label)
    made = []
    for device in locked:
        if device.pk in codes:
            continue
        codes[device.pk] = qr_services.code_create(
            actor=maker,
            title=str(device)[:150],
            link_type=lending_qr.LINK_TYPE,
            link_id=device.label,
            routes=lending_qr.label_routes(device.label),
        )
        made.append(device.label)
    if made:
        audit_record(
            actor=actor,
            verb="lending.labels_made",
            obj=locked[0].donation if donation_id is not None else locked[0],
            data={"devices": len(made), "first": made[0], "last": made[-1]},
        )
    return [(device, codes[device.pk]) for device in locked]
