"""API routers for people, organisations and memberships: thin, one service call each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from buurtkit.core.apitools import In, actor_of
from buurtkit.people import selectors, services

people = Router(tags=["people"])
organisations = Router(tags=["organisations"])
memberships = Router(tags=["memberships"])


# --- people -----------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    preferred_language: str
    phone: str
    phone_kind: str
    email: str
    postcode: str
    neighbourhood: str
    birth_year: int | None
    has_smartphone: bool
    has_login: bool = Field(False, alias="has_login")
    anonymised: bool = False
    created_at: datetime

    @staticmethod
    def resolve_has_login(obj: Any) -> bool:
        return bool(obj.user_id)

    @staticmethod
    def resolve_anonymised(obj: Any) -> bool:
        return obj.anonymised_at is not None


class PersonIn(In):
    first_name: str = Field(..., min_length=1, max_length=100)
    last_name: str = Field("", max_length=100)
    preferred_language: str | None = None
    phone: str = ""
    email: str = ""
    postcode: str = ""
    neighbourhood: str = ""
    birth_year: int | None = None
    has_smartphone: bool = False
    consents: dict[str, bool] = {}
    allow_duplicate: bool = Field(
        False,
        description="Someone with the same name and phone is refused with 409 "
        "`duplicate_person` (fields.duplicate_of: their id); true adds a new person anyway.",
    )


class PersonPatch(In):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    preferred_language: str | None = None
    phone: str | None = None
    email: str | None = None
    postcode: str | None = None
    neighbourhood: str | None = None
    birth_year: int | None = None
    has_smartphone: bool | None = None


class ConsentIn(In):
    kind: str
    granted: bool


@people.get("", response=list[PersonOut], summary="Search people")
@paginate(LimitOffsetPagination)
def list_people(request: HttpRequest, q: str = "", has_smartphone: bool | None = None) -> Any:
    return selectors.people_search(actor=actor_of(request), q=q, has_smartphone=has_smartphone)


@people.post("", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    data = payload.dict()
    consents = data.pop("consents")
    if data["preferred_language"] is None:
        data.pop("preferred_language")
    return Status(201, services.person_create(actor=actor_of(request), consents=consents, **data))


@people.get("/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    return selectors.person_get(actor=actor_of(request), person_id=person_id)


@people.patch("/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    return services.person_update(
        actor=actor_of(request), person_id=person_id, **payload.dict(exclude_unset=True)
    )


@people.post("/{person_id}/consents", response={201: dict[str, bool]})
def record_consent(request: HttpRequest, person_id: int, payload: ConsentIn) -> Any:
    services.person_record_consent(
        actor=actor_of(request), person_id=person_id, kind=payload.kind, granted=payload.granted
    )
    person = selectors.person_get(actor=actor_of(request), person_id=person_id)
    return Status(201, selectors.current_consents(person=person))


@people.get("/{person_id}/export", response=dict[str, Any], summary="GDPR export of one person")
def export_person(request: HttpRequest, person_id: int) -> Any:
    return services.person_gdpr_export(actor=actor_of(request), person_id=person_id)


@people.post("/{person_id}/anonymise", response=PersonOut, summary="GDPR anonymisation")
def anonymise_person(request: HttpRequest, person_id: int) -> Any:
    return services.person_anonymise(actor=actor_of(request), person_id=person_id)


# --- organisations ---------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    email: str
    phone: str
    address: str
    active: bool


class OrganisationIn(In):
    name: str = Field(..., min_length=1, max_length=150)
    slug: str = Field(..., min_length=1, max_length=50)
    kind: str
    email: str = ""
    phone: str = ""
    address: str = ""
    active: bool = True


class OrganisationPatch(In):
    name: str | None = Field(None, min_length=1, max_length=150)
    slug: str | None = Field(None, min_length=1, max_length=50)
    kind: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    active: bool | None = None


@organisations.get("", response=list[OrganisationOut])
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest, q: str = "", kind: str = "") -> Any:
    return selectors.organisations_search(actor=actor_of(request), q=q, kind=kind)


@organisations.post("", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    return Status(201, services.organisation_create(actor=actor_of(request), **payload.dict()))


@organisations.get("/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return selectors.organisation_get(actor=actor_of(request), organisation_id=organisation_id)


@organisations.patch("/{organisation_id}", response=OrganisationOut)
def update_organisation(
    request: HttpRequest, organisation_id: int, payload: OrganisationPatch
) -> Any:
    return services.organisation_update(
        actor=actor_of(request), organisation_id=organisation_id, **payload.dict(exclude_unset=True)
    )


# --- memberships --------------------------------------------------------------------------------


class MembershipOut(Schema):
    id: int
    username: str
    organisation_id: int | None
    roles: list[str]
    active: bool

    @staticmethod
    def resolve_username(obj: Any) -> str:
        return str(obj.user.username)


class MembershipIn(In):
    username: str = Field(..., min_length=1)
    roles: list[str]
    organisation_id: int | None = None


class MembershipPatch(In):
    roles: list[str] | None = None
    active: bool | None = None


@memberships.get("", response=list[MembershipOut])
@paginate(LimitOffsetPagination)
def list_memberships(request: HttpRequest, q: str = "") -> Any:
    return selectors.memberships_list(actor=actor_of(request), q=q)


@memberships.post("", response={201: MembershipOut})
def grant_membership(request: HttpRequest, payload: MembershipIn) -> Any:
    return Status(201, services.membership_grant(actor=actor_of(request), **payload.dict()))


@memberships.get("/{membership_id}", response=MembershipOut)
def get_membership(request: HttpRequest, membership_id: int) -> Any:
    return selectors.membership_get(actor=actor_of(request), membership_id=membership_id)


@memberships.patch("/{membership_id}", response=MembershipOut)
def update_membership(request: HttpRequest, membership_id: int, payload: MembershipPatch) -> Any:
    return services.membership_update(
        actor=actor_of(request), membership_id=membership_id, **payload.dict(exclude_unset=True)
    )
