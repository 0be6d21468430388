"""Reservations through a code: a resource (a room, a laptop, a bike) with time slots, booked
by whoever scans it, checked in at the slot, marked as no-show after it.

A slot never holds more bookings than its capacity, also when many people book its last place
at the same moment: a booking raises ``Slot.booked`` with one conditional UPDATE
(``… SET booked = booked + 1 WHERE booked < capacity``) that the database serialises on the
slot's row, and a check constraint keeps ``booked <= capacity`` whatever code writes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.people.phones import normalise_phone
from buurtkit.qrcodes.models import Booking, BookingStatus, Code, Resource, Slot

BRUSSELS = ZoneInfo("Europe/Brussels")
MAX_CAPACITY = 500
MAX_KEEP_DAYS = 3650
MAX_SLOTS_AT_ONCE = 200
#: A booking can be checked in from this long before its slot starts.
CHECK_IN_EARLY = dt.timedelta(minutes=15)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def _clean_name(name: Any, field: str = "name", max_length: int = 120) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise _invalid(field, _("Fill in a name."))
    if len(text) > max_length:
        raise _invalid(field, _("Use at most %(n)s characters.") % {"n": max_length})
    return text


def clean_contact(contact: Any, *, required: bool = True) -> str:
    """A phone number (stored as +32…) or an e-mail address; empty only when not required."""
    text = str(contact or "").strip()
    if not text:
        if required:
            raise _invalid("contact", _("Give a phone number or an e-mail address."))
        return ""
    if "@" in text:
        try:
            validate_email(text)
        except DjangoValidationError as exc:
            raise _invalid("contact", _("This is not an e-mail address.")) from exc
        return text[:200]
    try:
        return normalise_phone(text, field="contact")[0]
    except ValidationFailed as exc:
        raise _invalid("contact", _("This is not a phone number we can call.")) from exc


def _clean_number(value: Any, field: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise _invalid(
            field, _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return number


def _code(community: Community, code_id: int | None) -> Code | None:
    return get_scoped(Code, community, pk=code_id) if code_id else None


# --- resources and slots (staff) ---------------------------------------------------------------


@transaction.atomic
def resource_create(
    *,
    actor: Actor,
    name: str,
    capacity: int = 1,
    keep_days: int = 14,
    code_id: int | None = None,
) -> Resource:
    actor.require("qrcodes.manage")
    resource = Resource.objects.create(
        community=actor.community,
        name=_clean_name(name),
        capacity=_clean_number(capacity, "capacity", 1, MAX_CAPACITY),
        keep_days=_clean_number(keep_days, "keep_days", 1, MAX_KEEP_DAYS),
        code=_code(actor.community, code_id),
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.resource_created", obj=resource)
    return resource


@transaction.atomic
def resource_update(
    *,
    actor: Actor,
    resource_id: int,
    name: str | None = None,
    capacity: int | None = None,
    keep_days: int | None = None,
    code_id: int | None = None,
    active: bool | None = None,
) -> Resource:
    """Change a resource. A new capacity counts for slots added afterwards."""
    actor.require("qrcodes.manage")
    resource = get_scoped(Resource, actor.community, for_update=True, pk=resource_id)
    if name is not None:
        resource.name = _clean_name(name)
    if capacity is not None:
        resource.capacity = _clean_number(capacity, "capacity", 1, MAX_CAPACITY)
    if keep_days is not None:
        resource.keep_days = _clean_number(keep_days, "keep_days", 1, MAX_KEEP_DAYS)
    if code_id is not None:
        resource.code = _code(actor.community, code_id)
    if active is not None:
        resource.active = active
    resource.save()
    audit_record(actor=actor, verb="qrcodes.resource_changed", obj=resource)
    return resource


@transaction.atomic
def slots_add(
    *,
    actor: Actor,
    resource_id: int,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    minutes: int = 60,
    capacity: int | None = None,
) -> list[Slot]:
    """Slots of ``minutes`` from ``start`` to ``end`` (Brussels time) on ``day``. Slots that
    already exist (same start) are left as they are."""
    actor.require("qrcodes.manage")
    resource = get_scoped(Resource, actor.community, pk=resource_id)
    minutes = _clean_number(minutes, "minutes", 5, 24 * 60)
    places = _clean_number(capacity or resource.capacity, "capacity", 1, MAX_CAPACITY)
    first = dt.datetime.combine(day, start, tzinfo=BRUSSELS)
    last = dt.datetime.combine(day, end, tzinfo=BRUSSELS)
    if last <= first:
        raise _invalid("end", _("The end time must be after the start time."))
    step = dt.timedelta(minutes=minutes)
    starts: list[dt.datetime] = []
    moment = first
    while moment + step <= last:
        starts.append(moment)
        moment += step
    if not starts:
        raise _invalid("minutes", _("No slot fits between these times."))
    if len(starts) > MAX_SLOTS_AT_ONCE:
        raise _invalid("minutes", _("That makes too many slots at once; use longer slots."))
    taken = set(
        Slot.objects.filter(resource=resource, starts_at__in=starts).values_list(
            "starts_at", flat=True
        )
    )
    made = [
        Slot.objects.create(
            community=actor.community,
            resource=resource,
            starts_at=s,
            ends_at=s + step,
            capacity=places,
        )
        for s in starts
        if s not in taken
    ]
    audit_record(
        actor=actor,
        verb="qrcodes.slots_added",
        obj=resource,
        data={"day": day.isoformat(), "slots": len(made)},
    )
    return made


# --- bookings --------------------------------------------------------------------------------


def _take_place(slot_id: int) -> bool:
    """One place more in the slot, if one is free: a single conditional UPDATE, atomic on
    every database (the row is locked while it is changed)."""
    return bool(
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    )


def _give_back(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


@transaction.atomic
def booking_create(
    *,
    community: Community,
    slot_id: int,
    name: str = "",
    contact: str = "",
    person_id: int | None = None,
    actor: Actor | None = None,
    idempotency_key: str = "",
) -> Booking:
    """Book one place in a slot: for whoever scanned the code (a name with a phone or e-mail,
    or the signed-in ``person_id``), or by staff (``actor``) for someone at the counter.

    Refused when the slot is full (``Conflict`` "slot_full"), has started, or its resource is
    switched off. ``idempotency_key`` (the API's header, or the page's hidden field) makes a
    retried request return the first booking.
    """
    if actor is not None:
        actor.require("qrcodes.submissions")
        community = actor.community
    slot = get_scoped(Slot, community, pk=slot_id)
    resource = get_scoped(Resource, community, pk=slot.resource_id)
    person_name = ""
    if person_id is not None:
        from buurtkit.people.models import Person

        person = get_scoped(Person, community, pk=person_id)
        person_name = str(person)
    clean = {
        "name": _clean_name(name or person_name),
        "contact": clean_contact(contact, required=person_id is None),
    }
    key = clean_key(idempotency_key, required=False)

    def create() -> Booking:
        if not resource.active:
            raise ValidationFailed(_("This can no longer be booked."))
        if slot.starts_at <= clock.now():
            raise _invalid("slot", _("This time has already started. Choose a later time."))
        if not _take_place(slot.pk):
            raise Conflict(_("Sorry, this time is full. Choose another time."), code="slot_full")
        booking = Booking.objects.create(
            community=community,
            slot=slot,
            resource=resource,
            person_id=person_id,
            token=secrets.token_urlsafe(16)[:22],
            created_at=clock.now(),
            idempotency_key=key,
            request_hash=fingerprint({"slot": slot.pk, "person": person_id, **clean}),
            **clean,
        )
        audit_record(
            actor=actor or Actor.system(community, label="qr-booking"),
            verb="qrcodes.booking_created",
            obj=booking,
            data={"slot": slot.pk},
        )
        return booking

    if not key:
        return create()
    return run_once(
        queryset=Booking.objects.in_community(community),
        key=key,
        same=same_fingerprint(fingerprint({"slot": slot.pk, "person": person_id, **clean})),
        create=create,
        conflict=_("This idempotency key was already used for a different booking."),
    )


def _booking_by_token(community: Community, token: str) -> Booking:
    return get_scoped(Booking, community, for_update=True, token=str(token)[:32])


def _booking_for_staff(actor: Actor, booking_id: int) -> Booking:
    actor.require("qrcodes.submissions")
    return get_scoped(Booking, actor.community, for_update=True, pk=booking_id)


def _cancel(booking: Booking) -> Booking:
    if booking.status == BookingStatus.CANCELLED:
        return booking
    if booking.status != BookingStatus.BOOKED:
        raise Conflict(_("This booking can no longer be cancelled."), code="booking_closed")
    booking.status = BookingStatus.CANCELLED
    booking.changed_at = clock.now()
    booking.save(update_fields=["status", "changed_at"])
    _give_back(booking.slot_id)
    return booking


@transaction.atomic
def booking_cancel(
    *,
    community: Community | None = None,
    token: str = "",
    actor: Actor | None = None,
    booking_id: int | None = None,
) -> Booking:
    """Cancel with the secret link the person got (``token``), or as staff (``booking_id``).
    The place is free again at once. Cancelling twice is harmless."""
    if actor is not None and booking_id is not None:
        booking = _booking_for_staff(actor, booking_id)
    elif community is not None and token:
        booking = _booking_by_token(community, token)
    else:
        raise PermissionDenied(_("You may not cancel this booking."))
    booking = _cancel(booking)
    audit_record(
        actor=actor or Actor.system(booking.community, label="qr-booking"),
        verb="qrcodes.booking_cancelled",
        obj=booking,
    )
    return booking


def _check_in(booking: Booking, *, staff: bool) -> Booking:
    """The person's own check-in counts from 15 minutes before the slot until its end; staff
    may mark anyone who came at any time (also a no-show who came after all)."""
    if booking.status == BookingStatus.CHECKED_IN:
        return booking
    if booking.status == BookingStatus.CANCELLED or (
        booking.status == BookingStatus.NO_SHOW and not staff
    ):
        raise Conflict(_("This booking was cancelled or has passed."), code="booking_closed")
    now = clock.now()
    slot = booking.slot
    if not staff and now < slot.starts_at - CHECK_IN_EARLY:
        raise Conflict(
            _("It is too early: you can check in from 15 minutes before your time."),
            code="too_early",
        )
    if not staff and now >= slot.ends_at:
        raise Conflict(_("Your time has passed."), code="booking_closed")
    booking.status = BookingStatus.CHECKED_IN
    booking.changed_at = now
    booking.save(update_fields=["status", "changed_at"])
    return booking


@transaction.atomic
def booking_check_in(
    *,
    community: Community | None = None,
    token: str = "",
    actor: Actor | None = None,
    booking_id: int | None = None,
) -> Booking:
    """The person has come: by scanning again with their booking link (from 15 minutes before
    the slot until its end), or marked by staff (at any time)."""
    if actor is not None and booking_id is not None:
        booking = _booking_for_staff(actor, booking_id)
    elif community is not None and token:
        booking = _booking_by_token(community, token)
    else:
        raise PermissionDenied(_("You may not check in this booking."))
    booking = _check_in(booking, staff=actor is not None)
    audit_record(
        actor=actor or Actor.system(booking.community, label="qr-booking"),
        verb="qrcodes.booking_checked_in",
        obj=booking,
    )
    return booking


def bookings_mark_no_shows() -> int:
    """Every booking whose slot has ended without a check-in becomes a no-show (all
    communities; run by the scheduler). The place is not given back: the time has passed."""
    return Booking.objects.filter(
        status=BookingStatus.BOOKED, slot__ends_at__lte=clock.now()
    ).update(status=BookingStatus.NO_SHOW, changed_at=clock.now())
