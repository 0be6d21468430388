"""Signing up on the public portal, without a login: name, a phone number or an e-mail
address, consent. The person is found again when they signed up before (same name and the
same number or address), so a resident never ends up twice in the register."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.activities.models import Channel, Registration, Session
from buurtkit.activities.services.registrations import registration_create
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.public_url import public_url
from buurtkit.core.ratelimit import Limit, over_limits
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify
from buurtkit.people.models import Person
from buurtkit.people.phones import normalise_phone
from buurtkit.people.services import person_create

#: Sign-ups per IP address and per phone number or e-mail address per hour.
PER_ADDRESS_PER_HOUR = 20
PER_CONTACT_PER_HOUR = 5


class TooManySignUps(ServiceError):
    code = "too_many_sign_ups"
    status = 429


def _clean(
    first_name: str, last_name: str, phone: str, email: str, consent: bool
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    first, last = first_name.strip()[:100], last_name.strip()[:100]
    if not first:
        errors["first_name"] = _("Write your first name.")
    number, kind = "", ""
    try:
        number, kind = normalise_phone(phone, field="phone")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    address = email.strip().lower()[:254]
    if address and ("@" not in address or "." not in address.rsplit("@", 1)[-1]):
        errors["email"] = _("This is not an e-mail address. Example: an.peeters@example.org")
    if not number and not address and "phone" not in errors and "email" not in errors:
        errors["phone"] = _("Give a phone number or an e-mail address, so we can confirm.")
    if not consent:
        errors["consent"] = _("Tick the box to agree, or sign up by phone or at a digipunt.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    return {"first": first, "last": last, "phone": number, "kind": kind, "email": address}


def _find_or_create(system: Actor, c: dict[str, Any], language: str) -> Person:
    same_contact = Q()
    if c["phone"]:
        same_contact |= Q(phone=c["phone"])
    if c["email"]:
        same_contact |= Q(email__iexact=c["email"])
    found = (
        Person.objects.in_community(system.community)
        .filter(same_contact, first_name__iexact=c["first"], last_name__iexact=c["last"])
        .filter(anonymised_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if found is not None:
        return found
    return person_create(
        actor=system,
        first_name=c["first"],
        last_name=c["last"],
        phone=c["phone"],
        email=c["email"],
        preferred_language=language,
        consents={
            "data_processing": True,
            "contact_sms": c["kind"] == "mobile",
            "contact_email": bool(c["email"]),
        },
        allow_duplicate=True,
    )


def public_sign_up(
    *,
    community: Community,
    session_id: int,
    first_name: str,
    last_name: str = "",
    phone: str = "",
    email: str = "",
    language: str = "nl",
    consent: bool = False,
    address: str = "",
    idempotency_key: str = "",
    base_url: str = "http://localhost:8000",
    loaded_session: Session | None = None,
) -> tuple[list[Registration], str]:
    """Sign up from the portal. Returns the registrations and the cancel link's secret.

    Refused with a clear message: no name, a number that is not a number, no way to confirm,
    no consent, a session that is full-and-closed or started; too many sign-ups from one
    address or for one number in an hour (429). ``loaded_session``: the session with its
    activity and place, when the page read it already (it is not read again).

    A sign-up rush runs through here, so it asks the database little: the person is looked up
    (or added with their consents), the session locked once, the registration written with
    the idempotency check folded into the same look under the lock, the confirmation queued
    with the rows in hand; both rate limits are one Redis round trip.
    """
    session = loaded_session
    if session is None or session.pk != session_id or session.community_id != community.pk:
        session = (
            Session.objects.in_community(community)
            .select_related("series", "place")
            .filter(pk=session_id)
            .first()
        )
    if session is None or not session.series.published:
        get_scoped(Session, community, pk=0)  # not found (an unpublished activity neither)
    assert session is not None
    cleaned = _clean(first_name, last_name, phone, email, consent)
    contact = cleaned["phone"] or cleaned["email"]
    checks = [Limit("activities-signup-contact", contact, PER_CONTACT_PER_HOUR, 3600)]
    if address:
        checks.insert(0, Limit("activities-signup-ip", address, PER_ADDRESS_PER_HOUR, 3600))
    over = over_limits(checks)
    if address and over[0]:
        raise TooManySignUps(_("Too many sign-ups from this connection. Try again in an hour."))
    if over[-1]:
        raise TooManySignUps(_("Too many sign-ups for this number. Try again in an hour."))
    system = Actor.system(community, label="portal")
    with transaction.atomic():
        person = _find_or_create(system, cleaned, language)
        made, token = registration_create(
            actor=system,
            session_id=session.pk,
            person_id=person.pk,
            channel=Channel.WEB,
            language=language,
            idempotency_key=idempotency_key,
            loaded_session=session,
            loaded_person=person,
        )
        if token:  # not on a retry: the first answer sent it
            _confirm(system, made[0], token, language, base_url, person=person)
        else:
            # A retry (or a double click that waited for the first): nothing new is kept — not
            # even a person the second click added before it saw the first one's sign-up.
            transaction.set_rollback(True)
        return made, token


def cancel_path(community: Community, registration: Registration, token: str) -> str:
    return f"/{community.slug}/activities/cancel/{registration.pk}/{token}/"


def confirm_sign_up(system: Actor, registration: Registration, token: str, language: str) -> None:
    """The confirmation message of a sign-up made by staff or a partner (act-ops)."""
    _confirm(system, registration, token, language, "http://localhost:8000")


@transaction.atomic
def sign_up_and_confirm(
    *,
    actor: Actor,
    session_id: int,
    person_id: int,
    channel: str = Channel.WEB,
    referred_by_id: int | None = None,
    language: str = "",
    join_waiting_list: bool = True,
    idempotency_key: str | None = None,
) -> tuple[list[Registration], str]:
    """A sign-up through the API (staff, a volunteer or a partner for someone; a resident for
    themself): :func:`registration_create`, and then the person gets the same confirmation as
    a web sign-up — SMS to a mobile, else e-mail — with the cancel link and the "my sign-up"
    page (the QR code for the door). A retry with the same idempotency key sends nothing
    again; someone without a mobile or an e-mail address gets no message (staff tell them)."""
    made, token = registration_create(
        actor=actor,
        session_id=session_id,
        person_id=person_id,
        channel=channel,
        referred_by_id=referred_by_id,
        language=language,
        join_waiting_list=join_waiting_list,
        idempotency_key=idempotency_key,
    )
    if token:
        system = Actor.system(actor.community, label=actor.label)
        confirm_sign_up(system, made[0], token, made[0].language)
    return made, token


def my_path(community: Community, registration: Registration, token: str) -> str:
    """The person's "my sign-up" page (the QR code to show at the door): the same secret."""
    return f"/{community.slug}/activities/my/{registration.pk}/{token}/"


def _confirm(
    system: Actor,
    registration: Registration,
    token: str,
    language: str,
    base_url: str,
    *,
    person: Person | None = None,
) -> None:
    """The confirmation (or "you are on the waiting list") by SMS or e-mail, with the cancel
    link, in the language of the form. Someone we cannot reach this way still sees the page."""
    session = registration.session
    base = public_url(fallback=base_url)
    url = base + cancel_path(system.community, registration, token)
    with contextlib.suppress(ValidationFailed):  # unreachable this way: the page says it all
        notify(
            actor=system,
            person_id=registration.person_id,
            template="activities_confirmation",
            context={
                "title": translated(session.series.title, language),
                "starts_at": session.starts_at,
                "place": session.place,
                "waiting": registration.state == "waiting",
                "cancel_url": url,
                "my_url": base + my_path(system.community, registration, token),
            },
            idempotency_key=f"activities-confirm-{registration.pk}",
            requested=True,
            language=language,
            # The key names a sign-up made in this very transaction: no earlier message can
            # carry it, so notify skips its look-up (the unique constraint still guards).
            fresh=True,
            person=person if person is not None and person.pk == registration.person_id else None,
        )
