"""Every write to places: keyword-only, validated, one transaction, recorded in the log."""

from __future__ import annotations

import itertools
from datetime import date, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import full_clean
from buurtkit.people.models import Organisation, Person
from buurtkit.places import rules
from buurtkit.places.models import (
    HoursKind,
    Municipality,
    OpeningException,
    OpeningHours,
    Place,
    PlaceStatus,
)

PLACE_FIELDS = [
    "name",
    "kind",
    "street",
    "postcode",
    "neighbourhood",
    "phone",
    "email",
    "description",
    "wheelchair",
    "hearing_loop",
    "accessibility_note",
    "pcs",
    "laptops",
    "tablets",
    "printer",
    "scanner",
    "internet",
]
LANGUAGES = ("nl", "en", "fr")


def _clean_postcodes(postcodes: list[str]) -> list[str]:
    cleaned = sorted({str(p).strip() for p in postcodes if str(p).strip()})
    bad = [p for p in cleaned if not (p.isdigit() and len(p) == 4)]
    if bad:
        msg = _("A Belgian postcode has four digits: %(codes)s.") % {"codes": ", ".join(bad)}
        raise ValidationFailed(msg, fields={"postcodes": msg})
    return cleaned


@transaction.atomic
def municipality_create(
    *, actor: Actor, name: str, postcodes: list[str] | None = None, population: int | None = None
) -> Municipality:
    actor.require("places.manage")
    municipality = Municipality(
        community=actor.community,
        name=name.strip(),
        postcodes=_clean_postcodes(postcodes or []),
        population=population,
    )
    full_clean(municipality, exclude=["community"])
    if (
        Municipality.objects.in_community(actor.community)
        .filter(name__iexact=municipality.name)
        .exists()
    ):
        msg = _("There is already a municipality called %(name)s.") % {"name": municipality.name}
        raise Conflict(msg, fields={"name": msg})
    municipality.save()
    audit_record(actor=actor, verb="places.municipality_created", obj=municipality)
    return municipality


def _description(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        return {"nl": value.strip()}
    if not isinstance(value, dict) or any(k not in LANGUAGES for k in value):
        msg = _("Give the description per language: nl, en or fr.")
        raise ValidationFailed(msg, fields={"description": msg})
    return {k: str(v).strip() for k, v in value.items() if str(v).strip()}


def _apply(actor: Actor, place: Place, data: dict[str, Any]) -> None:
    unknown = set(data) - set(PLACE_FIELDS) - {"host_id", "municipality_id"}
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    for field, value in data.items():
        if field == "host_id":
            place.host = (
                get_scoped(Organisation, actor.community, pk=value) if value is not None else None
            )
        elif field == "municipality_id":
            place.municipality = (
                get_scoped(Municipality, actor.community, pk=value) if value is not None else None
            )
        elif field == "description":
            place.description = _description(value)
        else:
            setattr(place, field, value.strip() if isinstance(value, str) else value)
    municipality = place.municipality
    codes = municipality.postcodes if municipality is not None else []
    if place.postcode and municipality is not None and codes and place.postcode not in codes:
        msg = _("Postcode %(code)s is not in %(municipality)s (%(codes)s).") % {
            "code": place.postcode,
            "municipality": municipality.name,
            "codes": ", ".join(codes),
        }
        raise ValidationFailed(msg, fields={"postcode": msg})
    if place.postcode and place.municipality is None:
        # A community has a handful of municipalities: the one whose postcodes hold this one.
        place.municipality = next(
            (
                m
                for m in Municipality.objects.in_community(actor.community)
                if place.postcode in (m.postcodes or [])
            ),
            None,
        )
    full_clean(place, exclude=["community", "host", "municipality"])


def _save(place: Place) -> None:
    try:
        with transaction.atomic():
            place.save()
    except IntegrityError as exc:
        msg = _("There is already a place called %(name)s.") % {"name": place.name}
        raise Conflict(msg, fields={"name": msg}) from exc


@transaction.atomic
def place_create(*, actor: Actor, **data: Any) -> Place:
    """A new place, planned until it is equipped and its checklist is done."""
    actor.require("places.manage")
    place = Place(community=actor.community, status=PlaceStatus.PLANNED)
    _apply(actor, place, data)
    _save(place)
    audit_record(actor=actor, verb="places.created", obj=place, data={"kind": place.kind})
    return place


@transaction.atomic
def place_update(*, actor: Actor, place_id: int, **data: Any) -> Place:
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    _apply(actor, place, data)
    _save(place)
    audit_record(actor=actor, verb="places.changed", obj=place, data={"fields": sorted(data)})
    return place


def _time(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        msg = _("Write a time as 09:30.")
        raise ValidationFailed(msg, fields={field: msg}) from exc


@transaction.atomic
def place_set_hours(*, actor: Actor, place_id: int, hours: list[dict[str, Any]]) -> Place:
    """Replace the weekly opening hours of a place as a whole (what staff see is what is kept).

    Each entry: ``weekday`` (0 = Monday), ``opens``, ``closes``, ``kind`` (``open`` or
    ``drop_in``) and optionally ``digibuddy_id``. Periods of the same kind on one day may
    not overlap.
    """
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    rows = []
    for i, entry in enumerate(hours):
        weekday = entry.get("weekday")
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            msg = _("Choose a day of the week.")
            raise ValidationFailed(msg, fields={f"hours.{i}.weekday": msg})
        opens = _time(entry.get("opens"), f"hours.{i}.opens")
        closes = _time(entry.get("closes"), f"hours.{i}.closes")
        if opens >= closes:
            msg = _("The closing time must be after the opening time.")
            raise ValidationFailed(msg, fields={f"hours.{i}.closes": msg})
        kind = entry.get("kind") or HoursKind.OPEN
        if kind not in HoursKind.values:
            msg = _("Choose open or drop-in help.")
            raise ValidationFailed(msg, fields={f"hours.{i}.kind": msg})
        buddy = entry.get("digibuddy_id")
        digibuddy = get_scoped(Person, actor.community, pk=buddy) if buddy else None
        rows.append(
            OpeningHours(
                community=actor.community,
                place=place,
                weekday=weekday,
                opens=opens,
                closes=closes,
                kind=kind,
                digibuddy=digibuddy,
            )
        )
    by_day: dict[tuple[int, str], list[OpeningHours]] = {}
    for row in rows:
        by_day.setdefault((row.weekday, row.kind), []).append(row)
    for periods in by_day.values():
        periods.sort(key=lambda r: r.opens)
        for before, after in itertools.pairwise(periods):
            if after.opens < before.closes:
                msg = _("Two periods on the same day overlap (%(a)s and %(b)s).") % {
                    "a": f"{before.opens:%H:%M}–{before.closes:%H:%M}",
                    "b": f"{after.opens:%H:%M}–{after.closes:%H:%M}",
                }
                raise ValidationFailed(msg, fields={"hours": msg})
    OpeningHours.objects.in_community(actor.community).filter(place=place).delete()
    OpeningHours.objects.bulk_create(rows)
    audit_record(actor=actor, verb="places.hours_set", obj=place, data={"periods": len(rows)})
    return place


@transaction.atomic
def place_add_exception(
    *,
    actor: Actor,
    place_id: int,
    starts_on: date,
    ends_on: date | None = None,
    opens: time | None = None,
    closes: time | None = None,
    reason: str = "",
) -> OpeningException:
    """Close a place on some days (a holiday), or give those days other hours."""
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        msg = _("The last day cannot be before the first day.")
        raise ValidationFailed(msg, fields={"ends_on": msg})
    if (opens is None) != (closes is None):
        msg = _("Give both an opening and a closing time, or neither (closed all day).")
        raise ValidationFailed(msg, fields={"closes": msg})
    if opens is not None and closes is not None and opens >= closes:
        msg = _("The closing time must be after the opening time.")
        raise ValidationFailed(msg, fields={"closes": msg})
    overlapping = OpeningException.objects.in_community(actor.community).filter(
        place=place, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        msg = _("These days already have an exception; remove that one first.")
        raise Conflict(msg, fields={"starts_on": msg})
    exception = OpeningException.objects.create(
        community=actor.community,
        place=place,
        starts_on=starts_on,
        ends_on=ends_on,
        opens=opens,
        closes=closes,
        reason=reason.strip()[:150],
    )
    audit_record(
        actor=actor,
        verb="places.exception_added",
        obj=place,
        data={"from": str(starts_on), "until": str(ends_on), "closed": opens is None},
    )
    return exception


@transaction.atomic
def place_remove_exception(*, actor: Actor, place_id: int, exception_id: int) -> None:
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    exception = get_scoped(OpeningException, actor.community, place=place, pk=exception_id)
    audit_record(
        actor=actor,
        verb="places.exception_removed",
        obj=place,
        data={"from": str(exception.starts_on), "until": str(exception.ends_on)},
    )
    exception.delete()


@transaction.atomic
def place_tick(*, actor: Actor, place_id: int, item: str, done: bool) -> Place:
    """Tick (or untick) a checklist item that staff check by hand."""
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    if item not in rules.MANUAL_ITEMS:
        msg = _("This item follows from the place's details; it cannot be ticked by hand.")
        raise ValidationFailed(msg, fields={"item": msg})
    checklist = dict(place.checklist or {})
    checklist[item] = bool(done)
    place.checklist = checklist
    place.save(update_fields=["checklist", "updated_at"])
    audit_record(
        actor=actor, verb="places.checklist", obj=place, data={"item": item, "done": bool(done)}
    )
    return place


@transaction.atomic
def place_change_status(*, actor: Actor, place_id: int, status: str) -> Place:
    """Move a place along planned → equipping → open → closed; "open" needs the checklist."""
    actor.require("places.manage")
    place = get_scoped(Place, actor.community, for_update=True, pk=place_id)
    if status not in PlaceStatus.values:
        msg = _("Unknown status.")
        raise ValidationFailed(msg, fields={"status": msg})
    if status == place.status:
        return place
    if not rules.may_move(place.status, status):
        msg = _("A place that is %(current)s cannot become %(target)s.") % {
            "current": PlaceStatus(place.status).label,
            "target": PlaceStatus(status).label,
        }
        raise Conflict(msg, fields={"status": msg})
    if status == PlaceStatus.OPEN:
        hours = OpeningHours.objects.in_community(actor.community).filter(place=place).count()
        missing = rules.checklist_missing(place, hours_count=hours)
        if missing:
            msg = _("Not ready to open yet: %(items)s.") % {
                "items": "; ".join(str(item.label) for item in missing)
            }
            raise Conflict(msg, code="checklist_incomplete", fields={"status": msg})
        place.opened_at = place.opened_at or clock.now()
    previous = place.status
    place.status = status
    place.save(update_fields=["status", "opened_at", "updated_at"])
    audit_record(
        actor=actor, verb="places.status", obj=place, data={"from": previous, "to": status}
    )
    return place
