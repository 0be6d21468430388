"""Reads of places: the staff list, one place with its week, the public directory, figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.validation import require_choice
from buurtkit.places import rules
from buurtkit.places.models import (
    HoursKind,
    Municipality,
    OpeningException,
    OpeningHours,
    Place,
    PlaceKind,
    PlaceStatus,
)


def local_now() -> datetime:
    """Now in the community's time zone (Europe/Brussels)."""
    return clock.now().astimezone(ZoneInfo(settings.TIME_ZONE))


def municipalities_list(*, community: Community) -> QuerySet[Municipality]:
    return Municipality.objects.in_community(community).order_by("name")


def _with_hours(qs: QuerySet[Place], today: date) -> QuerySet[Place]:
    return qs.select_related("municipality", "host").prefetch_related(
        Prefetch(
            "hours",
            queryset=OpeningHours.objects.select_related("digibuddy").order_by("weekday", "opens"),
        ),
        Prefetch(
            "exceptions",
            queryset=OpeningException.objects.filter(ends_on__gte=today).order_by("starts_on"),
            to_attr="coming_exceptions",
        ),
    )


def places_search(
    *,
    actor: Actor,
    q: str = "",
    status: str = "",
    kind: str = "",
    municipality_id: int | None = None,
) -> QuerySet[Place]:
    """Places for staff, searched by name, street, postcode or neighbourhood."""
    actor.require("places.view")
    require_choice("status", status, PlaceStatus.values)
    require_choice("kind", kind, PlaceKind.values)
    if municipality_id is not None and not 0 < municipality_id < 2**31:
        msg = _("Unknown municipality.")
        raise ValidationFailed(msg, fields={"municipality_id": msg})
    qs = Place.objects.in_community(actor.community)
    if q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(street__icontains=term)
            | Q(postcode__startswith=term)
            | Q(neighbourhood__icontains=term)
            | Q(municipality__name__icontains=term)
        )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if municipality_id:
        qs = qs.filter(municipality_id=municipality_id)
    return _with_hours(qs, local_now().date()).order_by("name")


def place_get(*, actor: Actor, place_id: int) -> Place:
    actor.require("places.view")
    place = get_scoped(Place, actor.community, pk=place_id)
    return _with_hours(Place.objects.filter(pk=place.pk), local_now().date()).get()


# --- opening hours, worked out -----------------------------------------------------------------


def _weekly(place: Place) -> list[rules.Weekly]:
    return [
        rules.Weekly(
            h.weekday,
            h.opens,
            h.closes,
            h.kind == HoursKind.DROP_IN,
            h.digibuddy.first_name if h.digibuddy and not h.digibuddy.anonymised_at else "",
        )
        for h in place.hours.all()
    ]


def _exceptions(place: Place) -> list[rules.Exception_]:
    items = getattr(place, "coming_exceptions", None)
    if items is None:
        items = list(place.exceptions.filter(ends_on__gte=local_now().date() - timedelta(days=7)))
    return [rules.Exception_(e.starts_on, e.ends_on, e.opens, e.closes, e.reason) for e in items]


def open_state(place: Place, at: datetime | None = None) -> rules.OpenState:
    """Whether ``place`` is open at ``at`` (default: now) and when it next opens."""
    if place.status != PlaceStatus.OPEN:
        return rules.OpenState(False, False, None, "", None)
    return rules.open_state(at or local_now(), _weekly(place), _exceptions(place))


def week_table(place: Place, monday: date | None = None) -> list[Any]:
    today = local_now().date()
    monday = monday or today - timedelta(days=today.weekday())
    return rules.week_table(monday, _weekly(place), _exceptions(place))


@dataclass(frozen=True)
class DirectoryEntry:
    place: Place
    state: rules.OpenState
    week: list[Any]


def directory(
    *,
    community: Community,
    municipality_id: int | None = None,
    postcode: str = "",
    open_now: bool = False,
    drop_in: bool = False,
    wheelchair: bool = False,
) -> list[DirectoryEntry]:
    """The public "help near me" list: open places, the ones open now first.

    Public: no actor, no personal data (a digibuddy shows by first name only).
    """
    now = local_now()
    qs = Place.objects.in_community(community).filter(status=PlaceStatus.OPEN)
    if municipality_id:
        qs = qs.filter(municipality_id=municipality_id)
    if postcode.strip():
        qs = qs.filter(postcode=postcode.strip())
    if wheelchair:
        qs = qs.filter(wheelchair=True)
    entries = [
        DirectoryEntry(place, open_state(place, now), week_table(place))
        for place in _with_hours(qs, now.date())
    ]
    if open_now:
        entries = [e for e in entries if e.state.open_now]
    if drop_in:
        entries = [
            e for e in entries if any(h.kind == HoursKind.DROP_IN for h in e.place.hours.all())
        ]

    def order(entry: DirectoryEntry) -> tuple[Any, ...]:
        nxt = entry.state.next_period
        when = nxt.start(now.tzinfo) if nxt else now + timedelta(days=365)
        return (not entry.state.open_now, when, entry.place.name)

    return sorted(entries, key=order)


def checklist(place: Place) -> list[tuple[rules.ChecklistItem, bool]]:
    return rules.checklist_state(place, hours_count=len(place.hours.all()))


# --- figures per municipality --------------------------------------------------------------


def places_per_municipality(*, actor: Actor) -> list[dict[str, Any]]:
    """Places per municipality and status (a row "—" for places without a municipality)."""
    actor.require("places.view")
    rows = (
        Place.objects.in_community(actor.community)
        .values("municipality__name", "status")
        .annotate(n=Count("id"))
        .order_by("municipality__name", "status")
    )
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row["municipality__name"] or "—"
        entry = table.setdefault(
            name, {"municipality": name, **dict.fromkeys(PlaceStatus.values, 0), "total": 0}
        )
        entry[row["status"]] += row["n"]
        entry["total"] += row["n"]
    return list(table.values())


def public_place(*, community: Community, place_id: int) -> DirectoryEntry:
    """One open place as the public sees it; a place that is not open is not found."""
    place = get_scoped(Place, community, pk=place_id, status=PlaceStatus.OPEN)
    now = local_now()
    place = _with_hours(Place.objects.filter(pk=place.pk), now.date()).get()
    return DirectoryEntry(place, open_state(place, now), week_table(place))


def directory_data(entry: DirectoryEntry) -> dict[str, Any]:
    """One directory entry as JSON-ready data: what the public page shows, no personal data
    (a digibuddy appears by first name only)."""
    place, state = entry.place, entry.state
    nxt = state.next_period
    return {
        "id": place.pk,
        "name": place.name,
        "kind": place.kind,
        "street": place.street,
        "postcode": place.postcode,
        "municipality": place.municipality.name if place.municipality else None,
        "neighbourhood": place.neighbourhood,
        "phone": place.phone,
        "email": place.email,
        "description": place.description,
        "wheelchair": place.wheelchair,
        "hearing_loop": place.hearing_loop,
        "equipment": {
            "pcs": place.pcs,
            "laptops": place.laptops,
            "tablets": place.tablets,
            "printer": place.printer,
            "scanner": place.scanner,
            "internet": place.internet,
        },
        "open_now": state.open_now,
        "drop_in_now": state.drop_in_now,
        "open_until": state.until.strftime("%H:%M") if state.until else None,
        "next_opens": f"{nxt.day.isoformat()}T{nxt.opens:%H:%M}" if nxt else None,
        "week": [
            {
                "date": day.isoformat(),
                "periods": [
                    {
                        "opens": f"{p.opens:%H:%M}",
                        "closes": f"{p.closes:%H:%M}",
                        "drop_in": p.drop_in,
                        "digibuddy": p.who,
                    }
                    for p in periods
                ],
                "closed_because": reason,
            }
            for day, periods, reason in entry.week
        ],
    }
