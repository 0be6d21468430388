"""The places API: reads with ``places.view``, writes with ``places.manage``.

The public directory (no key) is a page with a JSON twin: ``/<slug>/places/directory.json``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import (
    NONBLANK,
    ClockTime,
    Email,
    Id,
    In,
    Language,
    actor_of,
    one_of,
    paged,
)
from buurtkit.places import selectors, services
from buurtkit.places.models import HoursKind, Internet, PlaceKind, PlaceStatus
from buurtkit.places.rules import MANUAL_ITEMS

router = Router(tags=["places"])


class MunicipalityOut(Schema):
    id: int
    name: str
    postcodes: list[str]
    population: int | None


class MunicipalityIn(In):
    name: str = Field(..., min_length=1, max_length=100, pattern=NONBLANK)
    postcodes: list[str] = []
    population: int | None = Field(None, ge=0, le=100_000_000)


class PlaceHoursOut(Schema):
    weekday: int
    opens: ClockTime
    closes: ClockTime
    kind: str


class PlaceHoursIn(In):
    weekday: int = Field(..., ge=0, le=6)
    opens: ClockTime
    closes: ClockTime
    kind: HoursKind = HoursKind.OPEN
    digibuddy_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PlaceHoursSetIn(In):
    hours: list[PlaceHoursIn] = Field(..., max_length=70)


class PlaceExceptionOut(Schema):
    id: int
    starts_on: date
    ends_on: date
    opens: ClockTime | None
    closes: ClockTime | None
    reason: str


class PlaceExceptionIn(In):
    starts_on: date
    ends_on: date | None = None
    opens: ClockTime | None = None
    closes: ClockTime | None = None
    reason: str = Field("", max_length=150)


class PlaceOut(Schema):
    id: int
    name: str
    kind: PlaceKind
    status: PlaceStatus
    host_id: int | None
    street: str
    postcode: str
    municipality_id: int | None
    municipality: str | None
    neighbourhood: str
    phone: str
    email: str
    description: dict[str, str]
    wheelchair: bool
    hearing_loop: bool
    accessibility_note: str
    pcs: int
    laptops: int
    tablets: int
    printer: bool
    scanner: bool
    internet: Internet
    checklist: dict[str, bool]
    hours: list[PlaceHoursOut]
    open_now: bool

    @staticmethod
    def resolve_open_now(obj: Any) -> bool:
        return selectors.open_state(obj).open_now

    @staticmethod
    def resolve_municipality(obj: Any) -> str | None:
        return obj.municipality.name if obj.municipality_id else None

    @staticmethod
    def resolve_checklist(obj: Any) -> dict[str, bool]:
        return {item.key: done for item, done in selectors.checklist(obj)}

    @staticmethod
    def resolve_hours(obj: Any) -> list[Any]:
        return list(obj.hours.all())


class PlaceIn(In):
    name: str = Field(..., min_length=1, max_length=150, pattern=NONBLANK)
    kind: PlaceKind
    host_id: int | None = Field(None, ge=1, le=2**31 - 1)
    street: str = Field("", max_length=200)
    postcode: str = Field("", max_length=10)
    municipality_id: int | None = Field(None, ge=1, le=2**31 - 1)
    neighbourhood: str = Field("", max_length=100)
    phone: str = Field("", max_length=20)
    email: Email = ""
    description: dict[Language, str] = {}
    wheelchair: bool = False
    hearing_loop: bool = False
    accessibility_note: str = Field("", max_length=200)
    pcs: int = Field(0, ge=0, le=1000)
    laptops: int = Field(0, ge=0, le=1000)
    tablets: int = Field(0, ge=0, le=1000)
    printer: bool = False
    scanner: bool = False
    internet: Internet = Internet.NONE


class PlacePatch(In):
    name: str | None = Field(None, min_length=1, max_length=150, pattern=NONBLANK)
    kind: PlaceKind | None = None
    host_id: int | None = Field(None, ge=1, le=2**31 - 1)
    street: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, max_length=10)
    municipality_id: int | None = Field(None, ge=1, le=2**31 - 1)
    neighbourhood: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=20)
    email: Email | None = None
    description: dict[Language, str] | None = None
    wheelchair: bool | None = None
    hearing_loop: bool | None = None
    accessibility_note: str | None = Field(None, max_length=200)
    pcs: int | None = Field(None, ge=0, le=1000)
    laptops: int | None = Field(None, ge=0, le=1000)
    tablets: int | None = Field(None, ge=0, le=1000)
    printer: bool | None = None
    scanner: bool | None = None
    internet: Internet | None = None


class PlaceStatusIn(In):
    status: PlaceStatus


class PlaceTickIn(In):
    item: one_of(MANUAL_ITEMS)  # type: ignore[valid-type]
    done: bool = True


def _fields(payload: Schema) -> dict[str, Any]:
    return {
        k: (v.value if hasattr(v, "value") else v)
        for k, v in payload.dict(exclude_unset=True).items()
        if v is not None  # null in a change leaves the field alone
    }


@router.get("/municipalities", response=list[MunicipalityOut], summary="List municipalities")
def list_municipalities(request: HttpRequest) -> Any:
    actor = actor_of(request)
    actor.require("places.view")
    return selectors.municipalities_list(community=actor.community)


@router.post("/municipalities", response={201: MunicipalityOut}, summary="Add a municipality")
def create_municipality(request: HttpRequest, payload: MunicipalityIn) -> Any:
    return Status(201, services.municipality_create(actor=actor_of(request), **payload.dict()))


@router.get("", response=list[PlaceOut], summary="Search places")
@paged
def list_places(
    request: HttpRequest,
    q: str = "",
    status: PlaceStatus | Literal[""] = "",
    kind: PlaceKind | Literal[""] = "",
    municipality_id: Id | None = None,
) -> Any:
    return selectors.places_search(
        actor=actor_of(request), q=q, status=status, kind=kind, municipality_id=municipality_id
    )


@router.post("", response={201: PlaceOut}, summary="Add a place (planned)")
def create_place(request: HttpRequest, payload: PlaceIn) -> Any:
    place = services.place_create(actor=actor_of(request), **_fields(payload))
    return Status(201, selectors.place_get(actor=actor_of(request), place_id=place.pk))


@router.get("/{place_id}", response=PlaceOut, summary="One place")
def get_place(request: HttpRequest, place_id: Id) -> Any:
    return selectors.place_get(actor=actor_of(request), place_id=place_id)


@router.patch("/{place_id}", response=PlaceOut, summary="Change a place")
def update_place(request: HttpRequest, place_id: Id, payload: PlacePatch) -> Any:
    services.place_update(actor=actor_of(request), place_id=place_id, **_fields(payload))
    return selectors.place_get(actor=actor_of(request), place_id=place_id)


@router.put("/{place_id}/hours", response=PlaceOut, summary="Replace the weekly opening hours")
def set_hours(request: HttpRequest, place_id: Id, payload: PlaceHoursSetIn) -> Any:
    services.place_set_hours(
        actor=actor_of(request), place_id=place_id, hours=[h.dict() for h in payload.hours]
    )
    return selectors.place_get(actor=actor_of(request), place_id=place_id)


@router.post(
    "/{place_id}/exceptions", response={201: PlaceExceptionOut}, summary="Close on some days"
)
def add_exception(request: HttpRequest, place_id: Id, payload: PlaceExceptionIn) -> Any:
    return Status(
        201,
        services.place_add_exception(actor=actor_of(request), place_id=place_id, **payload.dict()),
    )


@router.delete("/{place_id}/exceptions/{exception_id}", response={204: None})
def remove_exception(request: HttpRequest, place_id: Id, exception_id: Id) -> Any:
    services.place_remove_exception(
        actor=actor_of(request), place_id=place_id, exception_id=exception_id
    )
    return Status(204, None)


@router.post("/{place_id}/checklist", response=PlaceOut, summary="Tick a checklist item")
def tick(request: HttpRequest, place_id: Id, payload: PlaceTickIn) -> Any:
    services.place_tick(
        actor=actor_of(request), place_id=place_id, item=payload.item, done=payload.done
    )
    return selectors.place_get(actor=actor_of(request), place_id=place_id)


@router.post("/{place_id}/status", response=PlaceOut, summary="Open, close or plan a place")
def change_status(request: HttpRequest, place_id: Id, payload: PlaceStatusIn) -> Any:
    services.place_change_status(
        actor=actor_of(request), place_id=place_id, status=payload.status.value
    )
    return selectors.place_get(actor=actor_of(request), place_id=place_id)
