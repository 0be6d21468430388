"""Reads on people, organisations, memberships and API keys, always scoped to one community."""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from buurtkit.audit.selectors import audit_events_about, audit_events_on_behalf_of
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.permissions import ROLES, permissions_for_roles
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.people.apikeys import API_KEY_PREFIX, hash_api_key
from buurtkit.people.models import (
    ApiKey,
    Consent,
    Invitation,
    InvitationKind,
    Membership,
    Organisation,
    Person,
)
from buurtkit.people.phones import normalise_phone

User = get_user_model()


# --- who is acting ---------------------------------------------------------------------------


def actor_for_user(*, user: Any, community: Community) -> Actor | None:
    """The actor a signed-in login is in ``community``, or None if it has no place there."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    memberships = list(
        Membership.objects.in_community(community)
        .filter(user=user, active=True)
        .only("roles", "organisation_id")
    )
    person = Person.objects.in_community(community).filter(user=user).only("id").first()
    roles: set[str] = set()
    for m in memberships:
        roles |= set(m.roles) & ROLES
    if person is not None:
        roles.add("resident")
    if user.is_superuser:
        roles.add("coordinator")
    if not roles:
        return None
    return Actor(
        community=community,
        label=user.get_username(),
        user_id=user.pk,
        person_id=person.pk if person else None,
        roles=frozenset(roles),
        permissions=permissions_for_roles(roles, community.enabled_modules),
        organisation_ids=frozenset(m.organisation_id for m in memberships if m.organisation_id),
    )


#: Keys this process found valid lately: SHA-256 of the whole key -> (valid until, actor).
#: A revoked key is refused at once by the process that revoked it, and by every other
#: process within ``API_KEY_CACHE_SECONDS`` (ADR 0012).
_known_keys: dict[str, tuple[float, Actor]] = {}
MAX_KNOWN_KEYS = 10_000


def forget_api_keys() -> None:
    _known_keys.clear()


def actor_for_api_key(raw: str) -> Actor | None:
    """The actor behind a bearer key, or None if the key is unknown or revoked."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    digest = hash_api_key(raw.strip())
    now = time.monotonic()
    known = _known_keys.get(digest)
    if known is not None and known[0] > now:
        return known[1]
    actor = _actor_for_key(prefix=parts[1], digest=digest)
    ttl = settings.API_KEY_CACHE_SECONDS
    if actor is not None and ttl > 0:
        if len(_known_keys) >= MAX_KNOWN_KEYS:
            _known_keys.clear()
        _known_keys[digest] = (now + ttl, actor)
    return actor


def _actor_for_key(*, prefix: str, digest: str) -> Actor | None:
    key = ApiKey.objects.select_related("community").filter(prefix=prefix).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, digest):
        return None
    roles = frozenset(key.roles) & ROLES
    return Actor(
        community=key.community,
        label=f"api:{key.name}"[:150],
        api_key_id=key.pk,
        roles=roles,
        permissions=permissions_for_roles(roles, key.community.enabled_modules),
        organisation_ids=frozenset([key.organisation_id]) if key.organisation_id else frozenset(),
        channel="api",
    )


def communities_for_user(*, user: Any) -> QuerySet[Community]:
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        Q(pk__in=Membership.objects.filter(user=user, active=True).values("community_id"))
        | Q(pk__in=Person.objects.filter(user=user).values("community_id"))
    ).distinct()


# --- people --------------------------------------------------------------------------------------


def people_search(
    *, actor: Actor, q: str = "", has_smartphone: bool | None = None
) -> QuerySet[Person]:
    actor.require("people.view")
    qs = scoped(Person, actor.community)
    q = (q or "").strip()
    if q:
        cond = (
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(postcode__startswith=q)
            | Q(neighbourhood__icontains=q)
        )
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 4:
            cond |= Q(phone__contains=digits.lstrip("0"))
        parts = q.split()
        if len(parts) >= 2:
            cond |= Q(first_name__icontains=parts[0], last_name__icontains=" ".join(parts[1:]))
        qs = qs.filter(cond)
    if has_smartphone is not None:
        qs = qs.filter(has_smartphone=has_smartphone)
    return qs


def person_get(*, actor: Actor, person_id: int) -> Person:
    if actor.person_id != person_id:
        actor.require("people.view")
    return get_scoped(Person, actor.community, pk=person_id)


def current_consents(*, person: Person) -> dict[str, bool]:
    latest: dict[str, bool] = {}
    for consent in (
        Consent.objects.in_community(person.community_id).filter(person=person).order_by("at", "id")
    ):
        latest[consent.kind] = consent.granted
    return latest


def current_consents_of(person_ids: set[int]) -> dict[int, dict[str, bool]]:
    """The current consents of many people in one query (the newest row per kind wins)."""
    found: dict[int, dict[str, bool]] = {pk: {} for pk in person_ids}
    rows = (
        Consent.objects.filter(person_id__in=person_ids)
        .order_by("at", "id")
        .values_list("person_id", "kind", "granted")
    )
    for person_id, kind, granted in rows:
        found[person_id][kind] = granted
    return found


def reminder_channel(person: Person | None, consents: dict[str, bool]) -> str:
    """How a reminder may reach this person, within their contact preferences: an SMS to a
    mobile, else an e-mail, else a phone call (a landline too); "" when none is allowed."""
    if person is None or person.anonymised_at is not None:
        return ""
    if person.phone and person.phone_kind == "mobile" and consents.get("contact_sms"):
        return "sms"
    if person.email and consents.get("contact_email"):
        return "email"
    if person.phone and consents.get("contact_phone"):
        return "call"
    return ""


def person_export_data(*, person: Person) -> dict[str, Any]:
    """Everything about one person (the GDPR access right). The caller checks permission."""
    user = person.user
    from buurtkit.people.hooks import PERSON_DATA

    data = {
        "format": "buurtkit.person-export/1",
        "community": {"slug": person.community.slug, "name": person.community.name},
        "person": {
            "id": person.pk,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "preferred_language": person.preferred_language,
            "phone": person.phone,
            "phone_kind": person.phone_kind,
            "email": person.email,
            "postcode": person.postcode,
            "neighbourhood": person.neighbourhood,
            "birth_year": person.birth_year,
            "has_smartphone": person.has_smartphone,
            "created_at": person.created_at.isoformat(),
            "updated_at": person.updated_at.isoformat(),
            "anonymised_at": person.anonymised_at.isoformat() if person.anonymised_at else None,
        },
        "login": (
            {
                "username": user.get_username(),
                "email": user.email,
                "date_joined": user.date_joined.isoformat(),
                "last_login": user.last_login.isoformat() if user.last_login else None,
            }
            if user
            else None
        ),
        "consents": [
            {
                "kind": c.kind,
                "granted": c.granted,
                "at": c.at.isoformat(),
                "recorded_by": c.recorded_by,
                "channel": c.channel,
            }
            for c in Consent.objects.in_community(person.community_id)
            .filter(person=person)
            .order_by("at")
        ],
        "memberships": [
            {
                "organisation": m.organisation.name if m.organisation else None,
                "roles": m.roles,
                "active": m.active,
            }
            for m in Membership.objects.in_community(person.community_id)
            .filter(user_id=person.user_id)
            .select_related("organisation")
        ]
        if person.user_id
        else [],
        "activity": [
            {"at": e.at.isoformat(), "verb": e.verb, "by": e.actor_label, "channel": e.channel}
            for e in audit_events_about(
                community_id=person.community_id,
                object_type="people.person",
                object_id=str(person.pk),
            ).order_by("at")
        ],
    }
    data["done_on_their_behalf"] = [
        {"at": e.at.isoformat(), "verb": e.verb, "by": e.actor_label, "channel": e.channel}
        for e in audit_events_on_behalf_of(
            community_id=person.community_id, person_id=person.pk
        ).order_by("at")
    ]
    for name, entry in PERSON_DATA.items():
        if entry.export is not None:
            data[name] = entry.export(person)
    return data


def person_for_login(*, identifier: str) -> Any | None:
    """The single login behind a phone number, if exactly one person with a login has it."""
    try:
        phone, _kind = normalise_phone(identifier)
    except Exception:
        return None
    if not phone:
        return None
    user_ids = list(
        Person.objects.filter(phone=phone, user__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()[:2]
    )
    if len(user_ids) != 1:
        return None
    return User.objects.filter(pk=user_ids[0]).first()


def preferred_language_for_user(*, user: Any) -> str:
    """The language a login's resident record asks for, if there is exactly one choice."""
    languages = set(
        Person.objects.filter(user=user).values_list("preferred_language", flat=True)[:5]
    )
    return languages.pop() if len(languages) == 1 else ""


# --- organisations, memberships, keys ------------------------------------------------------------


def organisations_search(*, actor: Actor, q: str = "", kind: str = "") -> QuerySet[Organisation]:
    actor.require("organisations.view")
    qs = scoped(Organisation, actor.community)
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(slug__icontains=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def organisation_get(*, actor: Actor, organisation_id: int) -> Organisation:
    actor.require("organisations.view")
    return get_scoped(Organisation, actor.community, pk=organisation_id)


def memberships_list(*, actor: Actor, q: str = "") -> QuerySet[Membership]:
    actor.require("memberships.view")
    qs = scoped(Membership, actor.community).select_related("user", "organisation")
    if q.strip():
        qs = qs.filter(
            Q(user__username__icontains=q.strip()) | Q(organisation__name__icontains=q.strip())
        )
    return qs.order_by("user__username", "id")


def membership_get(*, actor: Actor, membership_id: int) -> Membership:
    actor.require("memberships.view")
    return get_scoped(Membership, actor.community, pk=membership_id)


def apikeys_list(*, actor: Actor) -> QuerySet[ApiKey]:
    actor.require("apikeys.manage")
    return scoped(ApiKey, actor.community).select_related("organisation")


def invitations_list(*, actor: Actor) -> QuerySet[Invitation]:
    """This community's invitations, newest first: what was typed and whether it was accepted
    (never whether a login of that name exists)."""
    actor.require("memberships.view")
    return scoped(Invitation, actor.community).select_related("organisation").order_by("-id")


def invitations_for_user(*, user: Any) -> QuerySet[Invitation]:
    """The open invitations for this login's user name, in every community."""
    if not getattr(user, "is_authenticated", False):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            kind=InvitationKind.USERNAME,
            user=user,
            accepted_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .select_related("community", "organisation")
        .order_by("-id")
    )


def invitation_by_token(*, token: str) -> Invitation | None:
    """The open e-mail invitation behind a link's token."""
    if not token:
        return None
    return (
        Invitation.objects.filter(
            kind=InvitationKind.EMAIL,
            token_hash=hash_api_key(token),
            accepted_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .select_related("community", "organisation")
        .first()
    )
