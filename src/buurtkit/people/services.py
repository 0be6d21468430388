"""Every write on people, organisations, memberships and API keys.

Each function is keyword-only, checks the actor's permission, validates, runs in one
transaction and writes an audit event in that same transaction.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record, audit_record_many
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.anonymising import unlocked
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import ROLES, permissions_for_roles
from buurtkit.core.scoping import get_scoped
from buurtkit.core.services import check_modules
from buurtkit.core.validation import full_clean
from buurtkit.people.apikeys import API_KEY_PREFIX, hash_api_key
from buurtkit.people.hooks import INVITATION_MAILERS, PERSON_DATA, PersonTraces
from buurtkit.people.models import (
    ApiKey,
    Consent,
    ConsentKind,
    Invitation,
    InvitationKind,
    Membership,
    Organisation,
    Person,
)
from buurtkit.people.phones import normalise_phone
from buurtkit.people.selectors import forget_api_keys, person_export_data

User = get_user_model()

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "preferred_language",
    "phone",
    "email",
    "postcode",
    "neighbourhood",
    "birth_year",
    "has_smartphone",
)


# --- community ---------------------------------------------------------------------------


@transaction.atomic
def community_update(
    *,
    actor: Actor,
    name: str | None = None,
    default_language: str | None = None,
    enabled_modules: list[str] | None = None,
) -> Community:
    actor.require("community.manage")
    community = Community.objects.select_for_update().get(pk=actor.community.pk)
    changed: list[str] = []
    if name is not None and name.strip() != community.name:
        community.name = name.strip()
        changed.append("name")
    if default_language is not None and default_language != community.default_language:
        community.default_language = default_language
        changed.append("default_language")
    if enabled_modules is not None:
        community.enabled_modules = check_modules(enabled_modules)
        changed.append("enabled_modules")
    full_clean(community)
    community.save()
    audit_record(actor=actor, verb="community.updated", obj=community, data={"fields": changed})
    return community


# --- people ------------------------------------------------------------------------------


def _apply_person_fields(person: Person, values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    changed = []
    for key, value in values.items():
        if key == "phone":
            phone, kind = normalise_phone(value or "")
            if phone != person.phone:
                person.phone, person.phone_kind = phone, kind
                changed.append("phone")
            continue
        if isinstance(value, str):
            value = value.strip()
        if key == "email" and value:
            value = value.lower()
        if key == "birth_year" and value is not None and not 1900 <= value <= clock.now().year:
            msg = _("Give a birth year between 1900 and this year.")
            raise ValidationFailed(msg, fields={"birth_year": msg})
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    return changed


class DuplicatePerson(Conflict):
    """Someone with the same name and phone number is already registered (``fields``:
    ``duplicate_of`` is their id); nothing has been written."""

    code = "duplicate_person"


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    consents: dict[str, bool] | None = None,
    allow_duplicate: bool = False,
    **values: Any,
) -> Person:
    """Register a resident or contact. ``values`` are fields of :data:`PERSON_FIELDS`.

    Someone with the same first and last name (any case) and the same phone number is refused
    with :class:`DuplicatePerson` naming them, unless ``allow_duplicate`` (a namesake who
    shares a landline, for example).
    """
    actor.require("people.manage")
    person = Person(community=actor.community)
    if "preferred_language" not in values:
        values["preferred_language"] = actor.community.default_language
    _apply_person_fields(person, values)
    full_clean(person, exclude=["community", "user"])
    if not allow_duplicate:
        existing = _same_person(actor, person)
        if existing is not None:
            message = _(
                "%(name)s is already registered with this phone number. Open their page, or "
                "add a new person anyway if this is someone else."
            ) % {"name": existing.full_name}
            raise DuplicatePerson(message, fields={"duplicate_of": existing.pk})
    person.save()
    audit_record(actor=actor, verb="person.created", obj=person)
    _record_consents(actor=actor, person=person, consents=consents or {})
    return person


def _same_person(actor: Actor, person: Person) -> Person | None:
    if not person.phone:
        return None
    return (
        Person.objects.in_community(actor.community)
        .filter(
            phone=person.phone,
            first_name__iexact=person.first_name,
            last_name__iexact=person.last_name,
            anonymised_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def person_update(*, actor: Actor, person_id: int, **values: Any) -> Person:
    actor.require("people.manage")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if person.anonymised_at:
        raise Conflict(_("This person has been anonymised and can no longer be changed."))
    changed = _apply_person_fields(person, values)
    full_clean(person, exclude=["community", "user"])
    person.save()
    if changed:
        audit_record(actor=actor, verb="person.updated", obj=person, data={"fields": changed})
    return person


def _record_consents(*, actor: Actor, person: Person, consents: dict[str, bool]) -> None:
    """A new person's consents and their audit events, in two statements (a sign-up rush
    creates many people)."""
    unknown = sorted(set(consents) - set(ConsentKind.values))
    if unknown:
        msg = _("Unknown consent: %(kind)s.") % {"kind": unknown[0]}
        raise ValidationFailed(msg, fields={"consents": msg})
    if not consents:
        return
    at = clock.now()
    Consent.objects.bulk_create(
        Consent(
            community=actor.community,
            person=person,
            kind=kind,
            granted=bool(granted),
            at=at,
            recorded_by=actor.label[:150],
            channel=actor.channel,
        )
        for kind, granted in consents.items()
    )
    audit_record_many(
        actor=actor,
        verb="person.consent",
        rows=[(person, {"kind": kind, "granted": bool(g)}) for kind, g in consents.items()],
    )


def _record_consent(*, actor: Actor, person: Person, kind: str, granted: bool) -> Consent:
    if kind not in ConsentKind.values:
        msg = _("Unknown consent: %(kind)s.") % {"kind": kind}
        raise ValidationFailed(msg, fields={"consents": msg})
    consent = Consent.objects.create(
        community=actor.community,
        person=person,
        kind=kind,
        granted=bool(granted),
        at=clock.now(),
        recorded_by=actor.label[:150],
        channel=actor.channel,
    )
    audit_record(
        actor=actor,
        verb="person.consent",
        obj=person,
        data={"kind": kind, "granted": bool(granted)},
    )
    return consent


@transaction.atomic
def person_record_consent(*, actor: Actor, person_id: int, kind: str, granted: bool) -> Consent:
    """Record a consent given or withdrawn. A resident may do this for themself."""
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if actor.person_id != person.pk:
        actor.require("people.manage")
    return _record_consent(actor=actor, person=person, kind=kind, granted=granted)


@transaction.atomic
def person_gdpr_export(*, actor: Actor, person_id: int) -> dict[str, Any]:
    """Everything buurtkit holds about one person, as a JSON-ready dict. Recorded in the log."""
    person = get_scoped(Person, actor.community, pk=person_id)
    if actor.person_id != person.pk:
        actor.require("people.gdpr")
    data = person_export_data(person=person)
    audit_record(actor=actor, verb="person.exported", obj=person)
    return data


@transaction.atomic
def person_anonymise(*, actor: Actor, person_id: int) -> Person:
    """Clear every personal field; ids, counts and money history stay for statistics.

    The login (if any) is deactivated and stripped of its name and e-mail.
    """
    actor.require("people.gdpr")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if person.anonymised_at:
        return person
    birth_decade = (person.birth_year // 10) * 10 if person.birth_year else None
    login = User.objects.filter(pk=person.user_id).first() if person.user_id else None
    traces = PersonTraces(
        person=person,
        person_id=person.pk,
        community_id=person.community_id,
        first_name=person.first_name,
        last_name=person.last_name,
        phones=tuple(p for p in (person.phone,) if p),
        emails=tuple(e for e in (person.email, login.email if login else "") if e),
        usernames=(login.get_username(),) if login else (),
        label=f"anonymised-{person.community_id}-{person.pk}",
    )
    person.first_name = _("Anonymous")
    person.last_name = f"#{person.pk}"
    person.phone = ""
    person.email = ""
    person.postcode = person.postcode[:2] if person.postcode else ""
    person.birth_year = birth_decade
    person.anonymised_at = clock.now()
    if person.user_id:
        used_elsewhere = (
            Person.objects.filter(user_id=person.user_id).exclude(pk=person.pk).exists()
            or Membership.objects.filter(user_id=person.user_id).exists()
        )
        admin_login = User.objects.filter(pk=person.user_id).filter(
            models.Q(is_superuser=True) | models.Q(is_staff=True)
        )
        if used_elsewhere or admin_login.exists():
            # The login still serves another community or a role: only unlink it from here.
            person.user = None
        else:
            user = User.objects.select_for_update().get(pk=person.user_id)
            user.username = traces.label
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
    person.save()
    # Every module clears what it copied (its registration in people.hooks), append-only
    # rows included; statistics (counts, amounts, durations, costs) stay.
    with unlocked():
        for entry in PERSON_DATA.values():
            entry.anonymise(traces)
    audit_record(actor=actor, verb="person.anonymised", obj=person)
    return person


@transaction.atomic
def person_give_login(*, actor: Actor, person_id: int, username: str, password: str) -> Any:
    """Create a login for a resident (done at the counter or by staff)."""
    actor.require("people.manage")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if person.user_id:
        raise Conflict(_("This person already has a login."))
    username = username.strip()
    if not username:
        msg = _("Choose a user name.")
        raise ValidationFailed(msg, fields={"username": msg})
    if User.objects.filter(username__iexact=username).exists():
        msg = _("This user name is taken.")
        raise ValidationFailed(msg, fields={"username": msg})
    user = User(
        username=username,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
    )
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        msg = _("This user name is taken.")
        raise ValidationFailed(msg, fields={"username": msg}) from exc
    person.user = user
    person.save(update_fields=["user"])
    audit_record(actor=actor, verb="person.login_created", obj=person)
    return user


def _validate_password(password: str, user: Any) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        msg = " ".join(exc.messages)
        raise ValidationFailed(msg, fields={"password": msg}) from exc


@transaction.atomic
def password_set_by_staff(*, actor: Actor, user_id: int, password: str) -> None:
    """Staff set a new password for someone in their community (after an identity check)."""
    actor.require("passwords.reset")
    in_community = (
        Person.objects.in_community(actor.community).filter(user_id=user_id).exists()
        or Membership.objects.in_community(actor.community).filter(user_id=user_id).exists()
    )
    if not in_community:
        raise PermissionDenied(_("This login does not belong to your community."))
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_superuser or user.is_staff:
        # Platform administrators are never reset from inside one community.
        raise PermissionDenied(_("This login can only be reset by e-mail."))
    # A new password opens everything the login can do; it must not open more than the actor has,
    # here or in another community.
    elsewhere = (
        Membership.objects.filter(user_id=user_id).exclude(community_id=actor.community.pk).exists()
        or Person.objects.filter(user_id=user_id).exclude(community_id=actor.community.pk).exists()
    )
    if elsewhere:
        raise PermissionDenied(
            _("This login is also used in another community; it can only be reset by e-mail.")
        )
    their_roles: set[str] = set()
    for roles in (
        Membership.objects.in_community(actor.community)
        .filter(user_id=user_id)
        .values_list("roles", flat=True)
    ):
        their_roles |= set(roles)
    if their_roles - {"resident"} and "coordinator" not in actor.roles:
        # Staff reset residents' passwords at the counter; other team members go to a coordinator.
        raise PermissionDenied(_("This login has a role here; ask a coordinator."))
    if "coordinator" in their_roles and actor.user_id != user_id:
        raise PermissionDenied(_("A coordinator's password can only be reset by e-mail."))
    if not permissions_for_roles(their_roles, actor.community.enabled_modules) <= actor.permissions:
        raise PermissionDenied(_("This login has rights that you do not have; ask a coordinator."))
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(actor=actor, verb="login.password_reset", obj=user)


# --- organisations -------------------------------------------------------------------------

ORGANISATION_FIELDS = ("name", "slug", "kind", "email", "phone", "address", "active")


def _apply_org_fields(org: Organisation, values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    changed = []
    for key, value in values.items():
        if key == "phone":
            value, _kind = normalise_phone(value or "")
        elif isinstance(value, str):
            value = value.strip()
        if key == "slug":
            value = value.lower()
        if getattr(org, key) != value:
            setattr(org, key, value)
            changed.append(key)
    return changed


def _save_org(org: Organisation) -> None:
    full_clean(org, exclude=["community"])
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:
        msg = _("Another organisation already uses this short name.")
        raise ValidationFailed(msg, fields={"slug": msg}) from exc


@transaction.atomic
def organisation_create(*, actor: Actor, **values: Any) -> Organisation:
    actor.require("organisations.manage")
    org = Organisation(community=actor.community)
    _apply_org_fields(org, values)
    _save_org(org)
    audit_record(actor=actor, verb="organisation.created", obj=org)
    return org


@transaction.atomic
def organisation_update(*, actor: Actor, organisation_id: int, **values: Any) -> Organisation:
    actor.require("organisations.manage")
    org = get_scoped(Organisation, actor.community, for_update=True, pk=organisation_id)
    changed = _apply_org_fields(org, values)
    _save_org(org)
    if changed:
        audit_record(actor=actor, verb="organisation.updated", obj=org, data={"fields": changed})
    return org


# --- memberships -------------------------------------------------------------------------------


def _check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - ROLES)
    if unknown or not roles:
        msg = (
            _("Unknown role: %(r)s.") % {"r": ", ".join(unknown)}
            if unknown
            else _("Choose at least one role.")
        )
        raise ValidationFailed(msg, fields={"roles": msg})
    return sorted(set(roles))


def _grantable(actor: Actor, roles: list[str]) -> None:
    if "coordinator" in roles and "coordinator" not in actor.roles and actor.channel != "system":
        raise PermissionDenied(_("Only a coordinator can make someone a coordinator."))


@transaction.atomic
def membership_grant(
    *, actor: Actor, username: str, roles: list[str], organisation_id: int | None = None
) -> Membership:
    """Give a login roles in this community at once: the system actor only (the
    ``buurtkit community`` command, demo data). People are invited (:func:`membership_invite`):
    a direct grant would tell whether a login name exists in another community."""
    actor.require("memberships.manage")
    if actor.channel != "system":
        raise PermissionDenied(_("Invite the person; they accept the invitation themselves."))
    roles = _check_roles(roles)
    try:
        user = User.objects.get(username__iexact=username.strip())
    except User.DoesNotExist as exc:
        msg = _("There is no login with this user name.")
        raise ValidationFailed(msg, fields={"username": msg}) from exc
    org = None
    if organisation_id is not None:
        org = get_scoped(Organisation, actor.community, pk=organisation_id)
    membership = _membership_create(actor.community, user, org, roles)
    audit_record(actor=actor, verb="membership.granted", obj=membership, data={"roles": roles})
    return membership


def _membership_create(
    community: Community, user: Any, org: Organisation | None, roles: list[str]
) -> Membership:
    taken = _("This login already has a membership here; change that one instead.")
    existing = (
        Membership.objects.in_community(community)
        .select_for_update()
        .filter(user=user, organisation=org)
        .first()
    )
    if existing:
        raise Conflict(taken)
    try:
        with transaction.atomic():
            return Membership.objects.create(
                community=community, user=user, organisation=org, roles=roles
            )
    except IntegrityError as exc:
        raise Conflict(taken) from exc


INVITATION_DAYS = 14


def invitation_token_hash(token: str) -> str:
    return hash_api_key(token)  # a 256-bit random token: a plain SHA-256 is enough


@transaction.atomic
def membership_invite(
    *,
    actor: Actor,
    roles: list[str],
    username: str = "",
    email: str = "",
    organisation_id: int | None = None,
) -> Invitation:
    """Offer roles in this community to a login (by user name) or to an e-mail address.

    The answer is the same whether or not a login with the name exists: an invitation is
    stored either way, the same queries run, and nothing in the result says which. The
    person accepts it (:func:`invitation_accept`): a user name's login on its invitations
    page, an e-mail address through the link sent to it.
    """
    actor.require("memberships.manage")
    roles = _check_roles(roles)
    _grantable(actor, roles)
    username, email = (username or "").strip(), (email or "").strip()
    if bool(username) == bool(email):
        msg = _("Give a user name or an e-mail address (one of the two).")
        raise ValidationFailed(msg, fields={"username": msg, "email": msg})
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            msg = _("This is not a valid e-mail address.")
            raise ValidationFailed(msg, fields={"email": msg}) from exc
    org = None
    if organisation_id is not None:
        org = get_scoped(Organisation, actor.community, pk=organisation_id)
    now = clock.now()
    token = secrets.token_urlsafe(32) if email else ""
    invitation = Invitation.objects.create(
        community=actor.community,
        kind=InvitationKind.EMAIL if email else InvitationKind.USERNAME,
        invited_as=(email or username)[:254],
        # The login of that name, if any: only it will see the invitation.
        user=User.objects.filter(username__iexact=username).first() if username else None,
        token_hash=invitation_token_hash(token) if token else "",
        organisation=org,
        roles=roles,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
        created_by_label=actor.label[:150],
    )
    audit_record(actor=actor, verb="membership.invited", obj=invitation, data={"roles": roles})
    if token:
        for send in INVITATION_MAILERS.values():
            send(actor, invitation, token)
    return invitation


@transaction.atomic
def invitation_accept(
    *, user: Any, invitation_id: int | None = None, token: str = ""
) -> Membership:
    """The signed-in login accepts an invitation: one made for its user name (by id), or an
    e-mail invitation whose link it opened (by token). Gives the roles, once."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("Sign in to accept an invitation."))
    found = Invitation.objects.select_for_update(of=("self",)).select_related(
        "community", "organisation"
    )
    if token:
        found = found.filter(kind=InvitationKind.EMAIL, token_hash=invitation_token_hash(token))
    elif invitation_id is not None:
        found = found.filter(kind=InvitationKind.USERNAME, pk=invitation_id, user=user)
    else:
        found = found.none()
    invitation = found.first()
    if invitation is None or invitation.accepted_at or invitation.expires_at <= clock.now():
        raise NotFound(_("This invitation does not exist, was used or has expired."))
    membership = _membership_create(
        invitation.community, user, invitation.organisation, list(invitation.roles)
    )
    invitation.accepted_at = clock.now()
    invitation.membership = membership
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "membership", "user"])
    actor = Actor(community=invitation.community, label=user.get_username(), user_id=user.pk)
    audit_record(
        actor=actor,
        verb="membership.granted",
        obj=membership,
        data={"roles": list(invitation.roles), "invitation": invitation.pk},
    )
    return membership


@transaction.atomic
def membership_update(
    *, actor: Actor, membership_id: int, roles: list[str] | None = None, active: bool | None = None
) -> Membership:
    actor.require("memberships.manage")
    membership = get_scoped(Membership, actor.community, for_update=True, pk=membership_id)
    data: dict[str, Any] = {}
    if roles is not None:
        roles = _check_roles(roles)
        _grantable(actor, roles + list(membership.roles))
        membership.roles = roles
        data["roles"] = roles
    if active is not None:
        _grantable(actor, list(membership.roles))
        membership.active = active
        data["active"] = active
    membership.save()
    audit_record(actor=actor, verb="membership.updated", obj=membership, data=data)
    return membership


# --- API keys -------------------------------------------------------------------------------------


@transaction.atomic
def apikey_create(
    *, actor: Actor, name: str, roles: list[str], organisation_id: int | None = None
) -> tuple[ApiKey, str]:
    """Create an API key; returns the row and the raw key, which is never stored or shown again."""
    actor.require("apikeys.manage")
    roles = _check_roles(roles)
    _grantable(actor, roles)
    name = name.strip()
    if not name:
        msg = _("Give the key a name, so you know later what it is for.")
        raise ValidationFailed(msg, fields={"name": msg})
    org = None
    if organisation_id is not None:
        org = get_scoped(Organisation, actor.community, pk=organisation_id)
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        community=actor.community,
        name=name[:100],
        prefix=prefix,
        key_hash=hash_api_key(raw),
        roles=roles,
        organisation=org,
        created_by_label=actor.label[:150],
    )
    audit_record(actor=actor, verb="apikey.created", obj=key, data={"roles": roles})
    return key, raw


@transaction.atomic
def apikey_revoke(*, actor: Actor, apikey_id: int) -> ApiKey:
    actor.require("apikeys.manage")
    key = get_scoped(ApiKey, actor.community, for_update=True, pk=apikey_id)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, verb="apikey.revoked", obj=key)
    forget_api_keys()  # this process refuses the key at once,
    transaction.on_commit(forget_api_keys)  # also if it was read again before the commit
    return key


_touched: dict[int, datetime] = {}


def apikey_touch(*, apikey_id: int) -> None:
    """Note that a key was used; at most once a minute so busy keys do not write per request.

    Each process also remembers the minute it last wrote for a key, so a busy key costs no
    query at all for the rest of that minute."""
    now = clock.now()
    minute = now.replace(second=0, microsecond=0)
    if _touched.get(apikey_id) == minute:
        return
    ApiKey.objects.filter(pk=apikey_id).exclude(last_used_at__gt=minute).update(last_used_at=now)
    if len(_touched) > 10_000:
        _touched.clear()
    _touched[apikey_id] = minute
