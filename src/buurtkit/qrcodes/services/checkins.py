"""Check-ins at an entrance: a code people scan to check in and out, "who is in the building
now" for staff, everyone still in checked out at the end of the day.

A shared tablet at the entrance sends every answer from one address, so the per-address limit
on public answers would block it after ten. Staff register such a tablet as a *kiosk* for one
code (:func:`kiosk_register`): it gets a signed cookie that lifts the limit for that code only
(:func:`kiosk_allows`); anyone else, and the tablet on any other code, keeps the limit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.qrcodes.models import CheckInPoint, Code, Kiosk, Visit
from buurtkit.qrcodes.services.reservations import (
    MAX_KEEP_DAYS,
    _clean_name,
    _clean_number,
    _code,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
KIOSK_SALT = "buurtkit.qrcodes.kiosk"
KIOSK_COOKIE = "bk_kiosk"
#: A kiosk cookie is accepted for a year; staff revoke a lost tablet at once.
KIOSK_MAX_AGE = 365 * 24 * 3600


@transaction.atomic
def point_create(
    *, actor: Actor, name: str, keep_days: int = 14, code_id: int | None = None
) -> CheckInPoint:
    actor.require("qrcodes.manage")
    point = CheckInPoint.objects.create(
        community=actor.community,
        name=_clean_name(name),
        keep_days=_clean_number(keep_days, "keep_days", 1, MAX_KEEP_DAYS),
        code=_code(actor.community, code_id),
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.checkin_point_created", obj=point)
    return point


@transaction.atomic
def point_update(
    *,
    actor: Actor,
    point_id: int,
    name: str | None = None,
    keep_days: int | None = None,
    code_id: int | None = None,
    active: bool | None = None,
) -> CheckInPoint:
    actor.require("qrcodes.manage")
    point = get_scoped(CheckInPoint, actor.community, for_update=True, pk=point_id)
    if name is not None:
        point.name = _clean_name(name)
    if keep_days is not None:
        point.keep_days = _clean_number(keep_days, "keep_days", 1, MAX_KEEP_DAYS)
    if code_id is not None:
        point.code = _code(actor.community, code_id)
    if active is not None:
        point.active = active
    point.save()
    audit_record(actor=actor, verb="qrcodes.checkin_point_changed", obj=point)
    return point


@transaction.atomic
def visit_check_in(
    *,
    community: Community,
    point_id: int,
    name: str = "",
    person_id: int | None = None,
    actor: Actor | None = None,
    kiosk: bool = False,
) -> Visit:
    """Check someone in: a name typed on the phone or the tablet, the signed-in resident
    (``person_id``), or staff at the desk (``actor``)."""
    if actor is not None:
        actor.require("qrcodes.submissions")
        community = actor.community
    point = get_scoped(CheckInPoint, community, pk=point_id)
    if not point.active:
        raise ValidationFailed(_("Checking in here is switched off."))
    person_name = ""
    if person_id is not None:
        from buurtkit.people.models import Person

        person_name = str(get_scoped(Person, community, pk=person_id))
    visit = Visit.objects.create(
        community=community,
        point=point,
        person_id=person_id,
        name=_clean_name(name or person_name),
        token=secrets.token_urlsafe(16)[:22],
        in_at=clock.now(),
        kiosk=kiosk,
    )
    audit_record(
        actor=actor or Actor.system(community, label="qr-checkin"),
        verb="qrcodes.checked_in",
        obj=visit,
    )
    return visit


def _out(visit: Visit, how: str, at: dt.datetime) -> Visit:
    if visit.out_at is None:
        visit.out_at = at
        visit.out_how = how
        visit.save(update_fields=["out_at", "out_how"])
    return visit


@transaction.atomic
def visit_check_out(
    *,
    community: Community | None = None,
    token: str = "",
    actor: Actor | None = None,
    visit_id: int | None = None,
    kiosk_point_id: int | None = None,
) -> Visit:
    """Check out: the visitor with the token in their phone's cookie, staff (``visit_id``), or
    a registered tablet of the visit's entrance (``kiosk_point_id`` with ``visit_id``).
    Checking out twice is harmless."""
    if actor is not None and visit_id is not None:
        actor.require("qrcodes.submissions")
        visit = get_scoped(Visit, actor.community, for_update=True, pk=visit_id)
        how = Visit.Out.STAFF
    elif community is not None and kiosk_point_id is not None and visit_id is not None:
        visit = get_scoped(Visit, community, for_update=True, pk=visit_id, point_id=kiosk_point_id)
        how = Visit.Out.SELF
    elif community is not None and token:
        visit = get_scoped(Visit, community, for_update=True, token=str(token)[:32])
        how = Visit.Out.SELF
    else:
        raise ValidationFailed(_("We do not know whom to check out."))
    _out(visit, how, clock.now())
    audit_record(
        actor=actor or Actor.system(visit.community, label="qr-checkin"),
        verb="qrcodes.checked_out",
        obj=visit,
    )
    return visit


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(BRUSSELS)
    end = dt.datetime.combine(local.date(), dt.time(23, 59, 59), tzinfo=BRUSSELS)
    return end.astimezone(dt.UTC)


def visits_auto_check_out() -> int:
    """Everyone still checked in on an earlier day (Brussels time) is checked out at the end
    of that day (all communities; run by the scheduler). Returns how many."""
    today = clock.now().astimezone(BRUSSELS).date()
    start_of_today = dt.datetime.combine(today, dt.time(0, 0), tzinfo=BRUSSELS)
    count = 0
    for visit in Visit.objects.filter(out_at__isnull=True, in_at__lt=start_of_today).iterator():
        with transaction.atomic():
            fresh = Visit.objects.select_for_update().get(pk=visit.pk)
            if fresh.out_at is None:
                _out(fresh, Visit.Out.AUTO, _end_of_day(fresh.in_at))
                count += 1
    return count


# --- kiosks: a shared tablet registered by staff ----------------------------------------------


@transaction.atomic
def kiosk_register(*, actor: Actor, code_id: int, label: str = "") -> tuple[Kiosk, str]:
    """Register the tablet staff are holding as a kiosk for one code. Returns the kiosk and
    the signed value of its cookie (set it on that tablet only)."""
    actor.require("qrcodes.manage")
    code = get_scoped(Code, actor.community, pk=code_id)
    kiosk = Kiosk.objects.create(
        community=actor.community,
        code=code,
        label=_clean_name(label or _("Tablet"), field="label", max_length=80),
        registered_by=actor.label[:150],
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.kiosk_registered", obj=kiosk)
    return kiosk, kiosk_token(kiosk)


def kiosk_token(kiosk: Kiosk) -> str:
    return signing.dumps({"k": kiosk.pk, "c": kiosk.code_id}, salt=KIOSK_SALT)


@transaction.atomic
def kiosk_revoke(*, actor: Actor, kiosk_id: int) -> Kiosk:
    actor.require("qrcodes.manage")
    kiosk = get_scoped(Kiosk, actor.community, for_update=True, pk=kiosk_id)
    if kiosk.revoked_at is None:
        kiosk.revoked_at = clock.now()
        kiosk.save(update_fields=["revoked_at"])
    audit_record(actor=actor, verb="qrcodes.kiosk_revoked", obj=kiosk)
    return kiosk


def kiosk_allows(token: str, code_id: int | None) -> bool:
    """Whether a kiosk cookie is a live registration for this very code."""
    if not token or code_id is None:
        return False
    try:
        data = signing.loads(token, salt=KIOSK_SALT, max_age=KIOSK_MAX_AGE)
    except signing.BadSignature:
        return False
    if not isinstance(data, dict) or data.get("c") != code_id:
        return False
    kiosk_id = data.get("k")
    if not isinstance(kiosk_id, int):
        return False
    return Kiosk.objects.filter(pk=kiosk_id, code_id=code_id, revoked_at__isnull=True).exists()
