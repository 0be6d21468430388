"""API routers for people, organisations, memberships and invitations: thin, one service call each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import SessionAuth

from buurtkit.core.apitools import (
    NONBLANK,
    SLUG_PATTERN,
    Email,
    Id,
    In,
    Language,
    RoleName,
    actor_of,
    paged,
)
from buurtkit.people import selectors, services
from buurtkit.people.models import ConsentKind, OrganisationKind

people = Router(tags=["people"])
organisations = Router(tags=["organisations"])
memberships = Router(tags=["memberships"])
invitations = Router(tags=["invitations"])


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
    first_name: str = Field(..., min_length=1, max_length=100, pattern=NONBLANK)
    last_name: str = Field("", max_length=100)
    preferred_language: Language | None = None
    phone: str = ""
    email: Email = ""
    postcode: str = ""
    neighbourhood: str = ""
    birth_year: int | None = Field(None, ge=1900, le=2100)
    has_smartphone: bool = False
    consents: dict[ConsentKind, bool] = {}
    allow_duplicate: bool = Field(
        False,
        description="Someone with the same name and phone is refused with 409 "
        "`duplicate_person` (fields.duplicate_of: their id); true adds a new person anyway.",
    )


class PersonPatch(In):
    first_name: str | None = Field(None, min_length=1, max_length=100, pattern=NONBLANK)
    last_name: str | None = Field(None, max_length=100)
    preferred_language: Language | None = None
    phone: str | None = None
    email: Email | None = None
    postcode: str | None = None
    neighbourhood: str | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    has_smartphone: bool | None = None


class ConsentIn(In):
    kind: ConsentKind
    granted: bool


@people.get("", response=list[PersonOut], summary="Search people")
@paged
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
def get_person(request: HttpRequest, person_id: Id) -> Any:
    return selectors.person_get(actor=actor_of(request), person_id=person_id)


@people.patch("/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: Id, payload: PersonPatch) -> Any:
    # null leaves a field as it is; only the birth year can be emptied with it.
    changes = {
        k: v
        for k, v in payload.dict(exclude_unset=True).items()
        if v is not None or k == "birth_year"
    }
    return services.person_update(actor=actor_of(request), person_id=person_id, **changes)


@people.post("/{person_id}/consents", response={201: dict[str, bool]})
def record_consent(request: HttpRequest, person_id: Id, payload: ConsentIn) -> Any:
    services.person_record_consent(
        actor=actor_of(request), person_id=person_id, kind=payload.kind, granted=payload.granted
    )
    person = selectors.person_get(actor=actor_of(request), person_id=person_id)
    return Status(201, selectors.current_consents(person=person))


@people.get("/{person_id}/export", response=dict[str, Any], summary="GDPR export of one person")
def export_person(request: HttpRequest, person_id: Id) -> Any:
    return services.person_gdpr_export(actor=actor_of(request), person_id=person_id)


@people.post("/{person_id}/anonymise", response=PersonOut, summary="GDPR anonymisation")
def anonymise_person(request: HttpRequest, person_id: Id) -> Any:
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
    name: str = Field(..., min_length=1, max_length=150, pattern=NONBLANK)
    slug: str = Field(..., min_length=1, max_length=50, pattern=SLUG_PATTERN)
    kind: OrganisationKind
    email: Email = ""
    phone: str = ""
    address: str = ""
    active: bool = True


class OrganisationPatch(In):
    name: str | None = Field(None, min_length=1, max_length=150, pattern=NONBLANK)
    slug: str | None = Field(None, min_length=1, max_length=50, pattern=SLUG_PATTERN)
    kind: OrganisationKind | None = None
    email: Email | None = None
    phone: str | None = None
    address: str | None = None
    active: bool | None = None


@organisations.get("", response=list[OrganisationOut])
@paged
def list_organisations(request: HttpRequest, q: str = "", kind: str = "") -> Any:
    return selectors.organisations_search(actor=actor_of(request), q=q, kind=kind)


@organisations.post("", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    return Status(201, services.organisation_create(actor=actor_of(request), **payload.dict()))


@organisations.get("/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: Id) -> Any:
    return selectors.organisation_get(actor=actor_of(request), organisation_id=organisation_id)


@organisations.patch("/{organisation_id}", response=OrganisationOut)
def update_organisation(
    request: HttpRequest, organisation_id: Id, payload: OrganisationPatch
) -> Any:
    # null leaves a field as it is (no column of an organisation can be emptied with it).
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.organisation_update(
        actor=actor_of(request), organisation_id=organisation_id, **changes
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


class InvitationIn(In):
    """Invite a login by its user name, or anyone by e-mail address (one of the two)."""

    username: str = Field("", max_length=150)
    email: Email = ""
    roles: list[RoleName] = Field(..., min_length=1)
    organisation_id: Id | None = None


class InvitationOut(Schema):
    """The same for a name that exists and one that does not: nothing says which."""

    id: int
    kind: str
    invited_as: str
    organisation_id: int | None
    roles: list[str]
    created_at: datetime
    expires_at: datetime
    accepted: bool = False

    @staticmethod
    def resolve_accepted(obj: Any) -> bool:
        return obj.accepted_at is not None


class MembershipPatch(In):
    roles: list[RoleName] | None = Field(None, min_length=1)
    active: bool | None = None


@memberships.get("", response=list[MembershipOut])
@paged
def list_memberships(request: HttpRequest, q: str = "") -> Any:
    return selectors.memberships_list(actor=actor_of(request), q=q)


@memberships.post("", response={202: InvitationOut}, summary="Invite a login or an e-mail address")
def invite_member(request: HttpRequest, payload: InvitationIn) -> Any:
    """Roles are given by invitation: the invited person accepts (``POST /invitations/accept``
    or the page ``/accounts/invitations/``). The answer is the same whether or not the user
    name exists."""
    return Status(202, services.membership_invite(actor=actor_of(request), **payload.dict()))


@memberships.get("/{membership_id}", response=MembershipOut)
def get_membership(request: HttpRequest, membership_id: Id) -> Any:
    return selectors.membership_get(actor=actor_of(request), membership_id=membership_id)


@memberships.patch("/{membership_id}", response=MembershipOut)
def update_membership(request: HttpRequest, membership_id: Id, payload: MembershipPatch) -> Any:
    return services.membership_update(
        actor=actor_of(request), membership_id=membership_id, **payload.dict(exclude_unset=True)
    )


# --- invitations ---------------------------------------------------------------------------------


class LoginAuth(SessionAuth):
    """A signed-in browser session, in no community: what a login does for itself."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not hasattr(request, "user"):  # signed with a key: no session looked at
            return None
        return super().authenticate(request, key)


class MyInvitationOut(Schema):
    id: int
    community: str
    community_name: str
    organisation: str | None
    roles: list[str]
    expires_at: datetime

    @staticmethod
    def resolve_community(obj: Any) -> str:
        return str(obj.community.slug)

    @staticmethod
    def resolve_community_name(obj: Any) -> str:
        return str(obj.community.name)

    @staticmethod
    def resolve_organisation(obj: Any) -> str | None:
        return obj.organisation.name if obj.organisation else None


class AcceptIn(In):
    """An invitation for your user name (``invitation_id``) or an e-mail link's ``token``."""

    invitation_id: Id | None = None
    token: str = Field("", max_length=100)


class AcceptedOut(Schema):
    community: str
    organisation_id: int | None
    roles: list[str]

    @staticmethod
    def resolve_community(obj: Any) -> str:
        return str(obj.community.slug)


@invitations.get("", response=list[InvitationOut], summary="This community's invitations")
@paged
def list_invitations(request: HttpRequest) -> Any:
    return selectors.invitations_list(actor=actor_of(request))


@invitations.get(
    "/mine", response=list[MyInvitationOut], auth=LoginAuth(), summary="My open invitations"
)
def my_invitations(request: HttpRequest) -> Any:
    return list(selectors.invitations_for_user(user=request.user))


@invitations.post(
    "/accept", response={201: AcceptedOut}, auth=LoginAuth(), summary="Accept an invitation"
)
def accept_invitation(request: HttpRequest, payload: AcceptIn) -> Any:
    membership = services.invitation_accept(
        user=request.user, invitation_id=payload.invitation_id, token=payload.token
    )
    return Status(201, membership)
