"""The digibuddy register: volunteers, their duties at sessions and at digipunten, cancelling,
swapping, taking over, asking for help with a gap, and the training track.

A volunteer is never on two duties that overlap: every write that gives someone a duty locks
their register row first and then looks at their other duties, so two coordinators (or a
coordinator and a swap) cannot book one person twice. A duty offered for a swap is taken by
exactly one volunteer: the taker locks the duty row and finds it still offered, or is told
someone else was quicker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, translation
from django.utils.translation import gettext as _

from buurtkit.activities.models import (
    ActivityKind,
    DigipuntSlot,
    Duty,
    DutyRole,
    DutyState,
    Series,
    Session,
    TrainingTrack,
    Volunteer,
)
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.public_url import public_url
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.places.models import Place

BRUSSELS = ZoneInfo("Europe/Brussels")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # tests and development; production sets its own
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS_OF_DAY = ("morning", "afternoon", "evening")
#: Languages a digibuddy may help in (the portal's own and those often asked for).
BUDDY_LANGUAGES = (
    "nl", "fr", "en", "de", "ar", "tr", "pl", "ro", "bg", "uk", "ru", "es", "it", "pt",
    "fa", "ps", "so", "ti", "sq",
)  # fmt: skip
MAX_ITEMS = 20
MAX_SLOT_HOURS = 12
LIVE = ~Q(state=DutyState.CANCELLED)


def part_of_day(moment: datetime) -> str:
    """Morning (before noon), afternoon (before five) or evening, in Brussels time."""
    hour = moment.astimezone(BRUSSELS).hour
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def weekday_of(moment: datetime) -> str:
    return WEEKDAYS[moment.astimezone(BRUSSELS).weekday()]


# --- the register ---------------------------------------------------------------------------


def _clean_list(field: str, values: Any, *, choices: tuple[str, ...] = ()) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple):
        values = []
    cleaned: list[str] = []
    for value in values:
        text = str(value or "").strip()
        if not text:
            continue
        if choices and text not in choices:
            msg = _("“%(value)s” is not one of the choices.") % {"value": text}
            raise ValidationFailed(msg, fields={field: msg})
        if len(text) > 60:
            msg = _("At most %(n)d characters.") % {"n": 60}
            raise ValidationFailed(msg, fields={field: msg})
        if text.lower() not in (c.lower() for c in cleaned):
            cleaned.append(text)
    if len(cleaned) > MAX_ITEMS:
        msg = _("At most %(n)d.") % {"n": MAX_ITEMS}
        raise ValidationFailed(msg, fields={field: msg})
    return cleaned


def _clean_availability(values: Any) -> dict[str, list[str]]:
    if not isinstance(values, dict):
        values = {}
    cleaned: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        parts = values.get(day) or []
        if not isinstance(parts, list | tuple) or any(p not in PARTS_OF_DAY for p in parts):
            msg = _("Choose mornings, afternoons or evenings.")
            raise ValidationFailed(msg, fields={"availability": msg})
        if parts:
            cleaned[day] = [p for p in PARTS_OF_DAY if p in parts]
    unknown = set(values) - set(WEEKDAYS)
    if unknown:
        msg = _("Unknown day “%(day)s”.") % {"day": sorted(unknown)[0]}
        raise ValidationFailed(msg, fields={"availability": msg})
    return cleaned


def _training_series(actor: Actor, series_id: int | None) -> Series | None:
    if not series_id:
        return None
    series = get_scoped(Series, actor.community, pk=series_id)
    if series.kind != ActivityKind.BUDDY_TRAINING:
        msg = _("Choose a digibuddy training.")
        raise ValidationFailed(msg, fields={"training_series_id": msg})
    return series


def _apply(actor: Actor, volunteer: Volunteer, values: dict[str, Any]) -> None:
    if "skills" in values:
        volunteer.skills = _clean_list("skills", values["skills"])
    if "languages" in values:
        volunteer.languages = _clean_list("languages", values["languages"], choices=BUDDY_LANGUAGES)
    if "neighbourhoods" in values:
        volunteer.neighbourhoods = _clean_list("neighbourhoods", values["neighbourhoods"])
    if "availability" in values:
        volunteer.availability = _clean_availability(values["availability"])
    if "home_visits" in values:
        volunteer.home_visits = bool(values["home_visits"])
    if "active" in values:
        volunteer.active = bool(values["active"])
    if "note" in values:
        note = str(values["note"] or "").strip()
        if len(note) > 300:
            msg = _("At most %(n)d characters.") % {"n": 300}
            raise ValidationFailed(msg, fields={"note": msg})
        volunteer.note = note
    if "training_series_id" in values:
        volunteer.training_series = _training_series(actor, values["training_series_id"])
        if volunteer.training_series and volunteer.track == TrainingTrack.NONE:
            volunteer.track = TrainingTrack.IN_TRAINING


REGISTER_FIELDS = (
    "skills",
    "languages",
    "neighbourhoods",
    "availability",
    "home_visits",
    "active",
    "note",
    "training_series_id",
)


@transaction.atomic
def volunteer_create(
    *,
    actor: Actor,
    person_id: int | None = None,
    person: dict[str, Any] | None = None,
    allow_duplicate: bool = False,
    **values: Any,
) -> Volunteer:
    """Put someone in the register: a person already known (``person_id``), or a new one
    (``person``: first name, last name, phone, e-mail). A new person with the name and number
    of someone known is refused with ``duplicate_person`` naming them (``duplicate_of``), so
    the form can offer that person instead; ``allow_duplicate`` adds a namesake anyway."""
    actor.require("activities.volunteers")
    unknown = set(values) - set(REGISTER_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        msg = _("Unknown field “%(f)s”.") % {"f": field}
        raise ValidationFailed(msg, fields={field: msg})
    if person_id:
        who = get_scoped(Person, actor.community, pk=person_id)
    elif person:
        who = people_services.person_create(actor=actor, allow_duplicate=allow_duplicate, **person)
    else:
        msg = _("Choose the person, or fill in their name.")
        raise ValidationFailed(msg, fields={"first_name": msg})
    if who.anonymised_at is not None:
        raise Conflict(_("This person's data was erased."), code="anonymised")
    existing = Volunteer.objects.in_community(actor.community).filter(person=who).first()
    if existing is not None:
        raise Conflict(
            _("%(name)s is already in the register.") % {"name": who.full_name},
            code="already_volunteer",
            fields={"volunteer_id": existing.pk},
        )
    volunteer = Volunteer(community=actor.community, person=who, created_at=clock.now())
    _apply(actor, volunteer, values)
    volunteer.save()
    audit_record(actor=actor, verb="activities.volunteer_added", obj=volunteer, data={})
    return volunteer


@transaction.atomic
def volunteer_update(*, actor: Actor, volunteer_id: int, **values: Any) -> Volunteer:
    actor.require("activities.volunteers")
    unknown = set(values) - set(REGISTER_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        msg = _("Unknown field “%(f)s”.") % {"f": field}
        raise ValidationFailed(msg, fields={field: msg})
    volunteer = get_scoped(Volunteer, actor.community, for_update=True, pk=volunteer_id)
    _apply(actor, volunteer, values)
    volunteer.save()
    audit_record(
        actor=actor,
        verb="activities.volunteer_changed",
        obj=volunteer,
        data={"fields": sorted(values)},
    )
    return volunteer


@transaction.atomic
def volunteer_certify(*, actor: Actor, volunteer_id: int, on: date) -> Volunteer:
    """A coordinator records that the volunteer finished the training (on a day not to come)."""
    actor.require("activities.volunteers")
    volunteer = get_scoped(Volunteer, actor.community, for_update=True, pk=volunteer_id)
    if on > clock.now().astimezone(BRUSSELS).date():
        msg = _("The day of certification cannot be in the future.")
        raise ValidationFailed(msg, fields={"on": msg})
    volunteer.track = TrainingTrack.CERTIFIED
    volunteer.certified_on = on
    volunteer.save(update_fields=["track", "certified_on"])
    audit_record(
        actor=actor, verb="activities.volunteer_certified", obj=volunteer, data={"on": str(on)}
    )
    return volunteer


# --- duties ---------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return formats.date_format(moment.astimezone(BRUSSELS), "D j/n H:i")


def _check_free(
    volunteer: Volunteer, starts_at: datetime, ends_at: datetime, *, field: str = ""
) -> None:
    """Refuse a second duty at a time the volunteer is already on duty (the row is locked)."""
    other = (
        Duty.objects.filter(volunteer=volunteer)
        .filter(LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("session__series", "place", "session__place")
        .order_by("starts_at")
        .first()
    )
    if other is None:
        return
    where = other.session.place.name if other.session else other.place.name if other.place else ""
    message = _(
        "%(name)s is already on duty at that time (%(when)s, %(where)s). Choose someone else "
        "or another time."
    ) % {
        "name": volunteer.person.full_name,
        "when": _when(other.starts_at or starts_at),
        "where": where,
    }
    raise Conflict(
        message, code="double_booked", fields={field: message} if field else {"duty_id": other.pk}
    )


def _in_future(starts_at: datetime) -> None:
    if starts_at <= clock.now():
        msg = _("This duty has already started.")
        raise Conflict(msg, code="started")


@transaction.atomic
def duty_assign(
    *,
    actor: Actor,
    volunteer_id: int,
    session_id: int | None = None,
    place_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    role: str = DutyRole.BUDDY,
) -> Duty:
    """Put a volunteer on a session (as digibuddy or teacher), or on duty at a place (a
    digipunt's drop-in hours) from ``starts_at`` to ``ends_at``."""
    actor.require("activities.volunteers")
    if role not in DutyRole.values:
        msg = _("Choose the role.")
        raise ValidationFailed(msg, fields={"role": msg})
    volunteer = get_scoped(Volunteer, actor.community, for_update=True, pk=volunteer_id)
    if not volunteer.active:
        raise Conflict(_("This volunteer is no longer active."), code="inactive")
    session = place = None
    if session_id:
        session = get_scoped(Session, actor.community, pk=session_id)
        if session.cancelled_at is not None:
            raise Conflict(_("This session is cancelled."), code="cancelled")
        starts_at, ends_at = session.starts_at, session.ends_at
    elif place_id:
        place = get_scoped(Place, actor.community, pk=place_id)
        if starts_at is None or ends_at is None or ends_at <= starts_at:
            msg = _("Give the start and the end; the end comes after the start.")
            raise ValidationFailed(msg, fields={"ends_at": msg})
        if (ends_at - starts_at).total_seconds() > MAX_SLOT_HOURS * 3600:
            msg = _("A duty lasts at most %(n)d hours.") % {"n": MAX_SLOT_HOURS}
            raise ValidationFailed(msg, fields={"ends_at": msg})
    else:
        msg = _("Choose a session or a place.")
        raise ValidationFailed(msg, fields={"session_id": msg})
    assert starts_at is not None and ends_at is not None
    _in_future(starts_at)
    _check_free(volunteer, starts_at, ends_at, field="session_id" if session else "starts_at")
    now = clock.now()
    duty = Duty.objects.create(
        community=actor.community,
        volunteer=volunteer,
        session=session,
        place=place,
        on=starts_at.astimezone(BRUSSELS).date(),
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        changed_at=now,
    )
    audit_record(
        actor=actor,
        verb="activities.duty_planned",
        obj=duty,
        data={"volunteer": volunteer.pk, "session": session_id, "place": place_id},
    )
    return duty


def _own_duty(actor: Actor, duty_id: int) -> Duty:
    """The duty, locked: a coordinator may change any; a volunteer only their own."""
    if not actor.has("activities.duties") or actor.person_id is None:
        # Not a volunteer with a person of their own (an API key owns no duty): only a
        # coordinator may change it.
        actor.require("activities.volunteers")
    duty = get_scoped(Duty, actor.community, for_update=True, pk=duty_id)
    if not actor.has("activities.volunteers") and duty.volunteer.person_id != actor.person_id:
        refused = PermissionDenied(_("This is not your duty."))
        refused.permission = "activities.volunteers"
        raise refused
    return duty


@transaction.atomic
def duty_cancel(
    *, actor: Actor, duty_id: int, reason: str, idempotency_key: str | None = None
) -> Duty:
    """Cancel a duty with a reason; the coordinator's gap list shows the hole it leaves.
    Cancelling a duty that is already cancelled changes nothing (a retry)."""
    duty = _own_duty(actor, duty_id)
    if duty.state == DutyState.CANCELLED:
        duty.replayed = True  # type: ignore[attr-defined]
        return duty
    reason = (reason or "").strip()
    if not reason:
        msg = _("Say why, in a few words.")
        raise ValidationFailed(msg, fields={"reason": msg})
    if len(reason) > 300:
        msg = _("At most %(n)d characters.") % {"n": 300}
        raise ValidationFailed(msg, fields={"reason": msg})
    if duty.starts_at is not None:
        _in_future(duty.starts_at)
    now = clock.now()
    duty.state = DutyState.CANCELLED
    duty.cancel_reason = reason
    duty.cancelled_at = now
    duty.changed_at = now
    duty.save(update_fields=["state", "cancel_reason", "cancelled_at", "changed_at"])
    audit_record(actor=actor, verb="activities.duty_cancelled", obj=duty, data={})
    return duty


@transaction.atomic
def duty_offer_swap(*, actor: Actor, duty_id: int) -> Duty:
    """Offer one's duty to the other digibuddies: it stays one's own until someone takes it."""
    duty = _own_duty(actor, duty_id)
    if duty.state == DutyState.SWAP_ASKED:
        return duty
    if duty.state != DutyState.PLANNED:
        raise Conflict(_("This duty is cancelled."), code="cancelled")
    if duty.starts_at is not None:
        _in_future(duty.starts_at)
    now = clock.now()
    duty.state = DutyState.SWAP_ASKED
    duty.swap_asked_at = now
    duty.changed_at = now
    duty.save(update_fields=["state", "swap_asked_at", "changed_at"])
    audit_record(actor=actor, verb="activities.duty_swap_offered", obj=duty, data={})
    return duty


@transaction.atomic
def duty_keep(*, actor: Actor, duty_id: int) -> Duty:
    """Take back one's own swap offer (nobody took it yet)."""
    duty = _own_duty(actor, duty_id)
    if duty.state != DutyState.SWAP_ASKED:
        raise Conflict(_("This duty is not offered for a swap."), code="not_offered")
    duty.state = DutyState.PLANNED
    duty.swap_asked_at = None
    duty.changed_at = clock.now()
    duty.save(update_fields=["state", "swap_asked_at", "changed_at"])
    return duty


def own_volunteer(actor: Actor, *, for_update: bool = False) -> Volunteer:
    """The register entry of the signed-in volunteer."""
    qs = Volunteer.objects.in_community(actor.community).filter(active=True)
    if for_update:
        qs = qs.select_for_update()
    volunteer = qs.filter(person_id=actor.person_id).first() if actor.person_id else None
    if volunteer is None:
        raise Conflict(
            _("Your login is not in the digibuddy register. Ask your coordinator."),
            code="not_a_volunteer",
        )
    return volunteer


@transaction.atomic
def duty_take(
    *,
    actor: Actor,
    duty_id: int,
    volunteer_id: int | None = None,
    idempotency_key: str | None = None,
) -> Duty:
    """Take over a duty another volunteer offered: the signed-in volunteer, or (a coordinator)
    the volunteer ``volunteer_id`` who said yes on the phone. Exactly one taker wins: the duty
    row is locked, and whoever comes second finds it taken. A retry by the winner returns the
    duty."""
    if volunteer_id:
        actor.require("activities.volunteers")
    else:
        actor.require("activities.duties")
    duty = get_scoped(Duty, actor.community, for_update=True, pk=duty_id)
    if volunteer_id:
        taker = get_scoped(Volunteer, actor.community, for_update=True, pk=volunteer_id)
        if not taker.active:
            raise Conflict(_("This volunteer is no longer active."), code="inactive")
    else:
        taker = own_volunteer(actor, for_update=True)
    if duty.volunteer_id == taker.pk:
        if duty.taken_over_from_id is not None and duty.state == DutyState.PLANNED:
            duty.replayed = True  # type: ignore[attr-defined]
            return duty
        raise Conflict(_("This is already your duty."), code="own_duty")
    # A volunteer takes a duty offered for a swap; a coordinator may also hand a planned duty
    # to someone else (a swap agreed on the phone).
    open_states = (
        (DutyState.SWAP_ASKED, DutyState.PLANNED) if volunteer_id else (DutyState.SWAP_ASKED,)
    )
    if duty.state not in open_states:
        raise Conflict(
            _("Someone else already took this duty, or it is no longer offered."),
            code="not_offered",
        )
    if duty.starts_at is not None:
        _in_future(duty.starts_at)
        _check_free(taker, duty.starts_at, duty.ends_at or duty.starts_at)
    previous = duty.volunteer_id
    duty.taken_over_from_id = previous
    duty.volunteer = taker
    duty.state = DutyState.PLANNED
    duty.swap_asked_at = None
    duty.changed_at = clock.now()
    duty.save(
        update_fields=["volunteer", "taken_over_from", "state", "swap_asked_at", "changed_at"]
    )
    audit_record(actor=actor, verb="activities.duty_taken_over", obj=duty, data={"from": previous})
    return duty


@transaction.atomic
def gap_fill(
    *,
    actor: Actor,
    session_id: int | None = None,
    duty_id: int | None = None,
    slot_id: int | None = None,
) -> Duty:
    """A volunteer fills a gap themself: a session that needs more digibuddies, a digipunt
    slot whose duty was cancelled, or digipunt hours (``slot_id``) with fewer digibuddies
    planned than they need. The session (the cancelled duty, the slot) is locked, so the last
    free place goes to one volunteer only."""
    actor.require("activities.duties")
    if slot_id:
        slot = get_scoped(DigipuntSlot, actor.community, for_update=True, pk=slot_id)
        volunteer = own_volunteer(actor, for_update=True)
        args = (slot.community_id, slot.place_id, slot.starts_at, slot.ends_at)
        if _slot_planned(*args) >= slot.buddies_needed:
            raise Conflict(_("These hours have enough digibuddies now."), code="filled")
        session, starts_at, ends_at, place = None, slot.starts_at, slot.ends_at, slot.place
    elif session_id:
        session = get_scoped(Session, actor.community, for_update=True, pk=session_id)
        volunteer = own_volunteer(actor, for_update=True)
        if session.cancelled_at is not None:
            raise Conflict(_("This session is cancelled."), code="cancelled")
        # A duty offered for a swap still holds its place: it is taken over, not added to.
        on_duty = (
            session.duties.filter(role=DutyRole.BUDDY)
            .filter(state__in=[DutyState.PLANNED, DutyState.SWAP_ASKED])
            .count()
        )
        if on_duty >= session.buddies_needed:
            raise Conflict(_("This session has enough digibuddies now."), code="filled")
        starts_at, ends_at, place = session.starts_at, session.ends_at, None
    elif duty_id:
        gap = get_scoped(Duty, actor.community, for_update=True, pk=duty_id, session__isnull=True)
        volunteer = own_volunteer(actor, for_update=True)
        if gap.state != DutyState.CANCELLED or gap.starts_at is None or gap.ends_at is None:
            raise Conflict(_("This duty is not open."), code="not_open")
        if slot_is_covered(gap):
            raise Conflict(_("Someone else already took this duty."), code="filled")
        session, starts_at, ends_at, place = None, gap.starts_at, gap.ends_at, gap.place
    else:
        msg = _("Choose a session or a duty.")
        raise ValidationFailed(msg, fields={"session_id": msg})
    _in_future(starts_at)
    _check_free(volunteer, starts_at, ends_at)
    duty = Duty.objects.create(
        community=actor.community,
        volunteer=volunteer,
        session=session,
        place=place,
        on=starts_at.astimezone(BRUSSELS).date(),
        role=DutyRole.BUDDY,
        starts_at=starts_at,
        ends_at=ends_at,
        changed_at=clock.now(),
    )
    audit_record(actor=actor, verb="activities.duty_planned", obj=duty, data={"gap": True})
    return duty


def slot_needed(community_id: int, place_id: int, starts_at: datetime, ends_at: datetime) -> int:
    """How many digibuddies these digipunt hours need: as set on the slot, else one."""
    found = (
        DigipuntSlot.objects.filter(
            community_id=community_id, place_id=place_id, starts_at=starts_at, ends_at=ends_at
        )
        .values_list("buddies_needed", flat=True)
        .first()
    )
    return 1 if found is None else found


def _slot_planned(community_id: int, place_id: int, starts_at: datetime, ends_at: datetime) -> int:
    return Duty.objects.filter(
        community_id=community_id,
        session__isnull=True,
        place_id=place_id,
        starts_at=starts_at,
        ends_at=ends_at,
        state=DutyState.PLANNED,
    ).count()


def slot_is_covered(duty: Duty) -> bool:
    """Whether enough digibuddies are planned at the place and time of this (digipunt) duty:
    as many as the slot needs (one when nobody said)."""
    assert duty.starts_at is not None and duty.ends_at is not None
    args = (duty.community_id, duty.place_id or 0, duty.starts_at, duty.ends_at)
    return _slot_planned(*args) >= slot_needed(*args)


@transaction.atomic
def slot_set_needed(
    *, actor: Actor, place_id: int, starts_at: datetime, ends_at: datetime, needed: int
) -> DigipuntSlot:
    """Say how many digibuddies a digipunt's hours need (a place, from–until); the gaps count
    the planned duties there against it. Setting it again changes the number."""
    actor.require("activities.volunteers")
    place = get_scoped(Place, actor.community, pk=place_id)
    if ends_at <= starts_at:
        msg = _("Give the start and the end; the end comes after the start.")
        raise ValidationFailed(msg, fields={"ends_at": msg})
    if (ends_at - starts_at).total_seconds() > MAX_SLOT_HOURS * 3600:
        msg = _("A duty lasts at most %(n)d hours.") % {"n": MAX_SLOT_HOURS}
        raise ValidationFailed(msg, fields={"ends_at": msg})
    if not 1 <= needed <= MAX_ITEMS:
        msg = _("Give a number of digibuddies from 1 to %(n)d.") % {"n": MAX_ITEMS}
        raise ValidationFailed(msg, fields={"needed": msg})
    _in_future(starts_at)
    slot, created = DigipuntSlot.objects.select_for_update().get_or_create(
        community=actor.community,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        defaults={"buddies_needed": needed, "changed_at": clock.now()},
    )
    if not created and slot.buddies_needed != needed:
        slot.buddies_needed = needed
        slot.changed_at = clock.now()
        slot.save(update_fields=["buddies_needed", "changed_at"])
    audit_record(
        actor=actor,
        verb="activities.slot_needed",
        obj=slot,
        data={"place": place.pk, "needed": needed},
    )
    return slot


# --- asking for help ------------------------------------------------------------------------


def available_volunteers(
    community_id: int, starts_at: datetime, ends_at: datetime, *, exclude: set[int]
) -> list[Volunteer]:
    """Active volunteers who said they are free at that weekday and part of day and have no
    duty at that time."""
    day, part = weekday_of(starts_at), part_of_day(starts_at)
    busy = Duty.objects.filter(LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at).values(
        "volunteer_id"
    )
    candidates = (
        Volunteer.objects.in_community(community_id)
        .filter(active=True, person__anonymised_at__isnull=True)
        .exclude(pk__in=busy)
        .exclude(pk__in=exclude)
        .select_related("person")
        .order_by("pk")
    )
    return [v for v in candidates if part in (v.availability or {}).get(day, [])]


@dataclass
class Asked:
    """What a one-click ask did: volunteers messaged now, and those asked before (no second
    message)."""

    asked: int
    already_asked: int


@transaction.atomic
def gap_ask(
    *,
    actor: Actor,
    session_id: int | None = None,
    duty_id: int | None = None,
    slot_id: int | None = None,
) -> Asked:
    """Ask the volunteers who are free then to fill a gap: one message each (SMS or e-mail,
    in their language). Asking again for the same gap sends nobody a second message; those
    who cannot be reached are skipped (the coordinator phones them)."""
    actor.require("activities.volunteers")
    title: dict[str, str] = {}
    if session_id:
        session = get_scoped(Session, actor.community, pk=session_id)
        starts_at, ends_at = session.starts_at, session.ends_at
        place, title = session.place.name, session.series.title
        exclude = set(session.duties.filter(LIVE).values_list("volunteer_id", flat=True))
        gap_key = f"s{session.pk}"
    elif duty_id:
        duty = get_scoped(Duty, actor.community, pk=duty_id, session__isnull=True)
        if duty.starts_at is None or duty.ends_at is None or duty.place is None:
            msg = _("This duty has no time.")
            raise ValidationFailed(msg, fields={"duty_id": msg})
        starts_at, ends_at, place = duty.starts_at, duty.ends_at, duty.place.name
        exclude = {duty.volunteer_id}
        gap_key = f"d{duty.pk}"
    elif slot_id:
        slot = get_scoped(DigipuntSlot, actor.community, pk=slot_id)
        starts_at, ends_at, place = slot.starts_at, slot.ends_at, slot.place.name
        exclude = set(
            Duty.objects.filter(
                LIVE, community=actor.community, session__isnull=True, place_id=slot.place_id,
                starts_at=slot.starts_at, ends_at=slot.ends_at,
            ).values_list("volunteer_id", flat=True)
        )  # fmt: skip
        gap_key = f"h{slot.pk}"
    else:
        msg = _("Choose a session or a duty.")
        raise ValidationFailed(msg, fields={"session_id": msg})
    _in_future(starts_at)
    url = public_url(fallback=DEFAULT_BASE_URL) + f"/{actor.community.slug}/activities/duties/"
    result = Asked(asked=0, already_asked=0)
    for volunteer in available_volunteers(actor.community.pk, starts_at, ends_at, exclude=exclude):
        language = volunteer.person.preferred_language or "nl"
        with translation.override(language):
            when = _when(starts_at)
            what = translated(title, language) if title else _("digipunt duty")
        try:
            message = notify(
                actor=actor,
                person_id=volunteer.person_id,
                template="activities_buddy_ask",
                context={"what": what, "when": when, "place": place, "url": url},
                idempotency_key=f"buddy-ask:{gap_key}:{starts_at:%Y%m%d%H%M}:{volunteer.pk}",
            )
        except (ValidationFailed, Conflict):
            continue  # no number, no e-mail or no consent: the coordinator phones them
        if getattr(message, "replayed", False):
            result.already_asked += 1
        else:
            result.asked += 1
    audit_record(
        actor=actor,
        verb="activities.gap_asked",
        obj=None,
        data={"gap": gap_key, "asked": result.asked},
    )
    return result


def languages_choices() -> list[tuple[str, str]]:
    names = dict(settings.LANGUAGES)
    return [(code, str(names.get(code, code))) for code in BUDDY_LANGUAGES]
