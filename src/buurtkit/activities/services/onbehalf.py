"""act-ops (issue 13): signing someone up on their behalf — staff or a digipunt volunteer on
the phone or at the desk, or a partner organisation referring a person they help.

One transaction: the person (found or added), the consent they gave aloud, the sign-up (or
the waiting list) and the confirmation message either all happen or none does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.activities.models import Channel, Registration
from buurtkit.activities.services.public import confirm_sign_up
from buurtkit.activities.services.registrations import registration_create
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.people.models import Organisation, Person
from buurtkit.people.phones import normalise_phone
from buurtkit.people.services import person_create, person_record_consent

#: How the person hears that they are signed up.
CONFIRM_MESSAGE = "message"  # an SMS to their mobile, or an e-mail, with the cancel link
CONFIRM_SLIP = "slip"  # told in person, with a printed slip
CONFIRMATIONS = (CONFIRM_MESSAGE, CONFIRM_SLIP)
STAFF_CHANNELS = (Channel.PHONE, Channel.DESK)


class ExistingPerson(Conflict):
    """Someone with this name and number (or e-mail) is already known: sign them up instead
    (``fields["duplicate_of"]`` is their id). Nothing has been written."""

    code = "duplicate_person"


@dataclass(frozen=True)
class NewPerson:
    first_name: str
    last_name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


def _clean_new(new: NewPerson, confirm: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    first, last = new.first_name.strip()[:100], new.last_name.strip()[:100]
    if not first:
        errors["first_name"] = _("Write the first name.")
    number, kind = "", ""
    try:
        number, kind = normalise_phone(new.phone, field="phone")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    address = new.email.strip().lower()[:254]
    if address and ("@" not in address or "." not in address.rsplit("@", 1)[-1]):
        errors["email"] = _("This is not an e-mail address. Example: an.peeters@example.org")
    if confirm == CONFIRM_MESSAGE and kind != "mobile" and not address and not errors:
        errors["confirm"] = _(
            "A message needs a mobile number or an e-mail address. Choose the printed slip."
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    return {"first": first, "last": last, "phone": number, "kind": kind, "email": address}


def _existing(actor: Actor, c: dict[str, Any]) -> Person | None:
    same = Q()
    if c["phone"]:
        same |= Q(phone=c["phone"])
    if c["email"]:
        same |= Q(email__iexact=c["email"])
    if not same:
        return None
    return (
        Person.objects.in_community(actor.community)
        .filter(same, first_name__iexact=c["first"], last_name__iexact=c["last"])
        .filter(anonymised_at__isnull=True)
        .order_by("pk")
        .first()
    )


def _replayed(actor: Actor, session_id: int, key: str) -> list[Registration]:
    """A second click on the same form (its idempotency key): the first sign-up's rows."""
    first = (
        Registration.objects.in_community(actor.community)
        .filter(idempotency_key=key[:100])
        .select_related("person")
        .order_by("pk")
        .first()
    )
    if first is None:
        return []
    if first.session_id != session_id and not first.group:
        raise Conflict(_("This idempotency key was used for another sign-up."), code="conflict")
    if not first.group:
        return [first]
    return list(
        Registration.objects.filter(community_id=first.community_id, group=first.group)
        .select_related("person")
        .order_by("session__starts_at", "pk")
    )


def _reachable(person: Person) -> bool:
    return bool(person.email) or (bool(person.phone) and person.phone_kind == "mobile")


@transaction.atomic
def sign_up_on_behalf(
    *,
    actor: Actor,
    session_id: int,
    channel: str,
    consent_aloud: bool,
    confirm: str,
    person_id: int | None = None,
    new_person: NewPerson | None = None,
    language: str = "",
    idempotency_key: str = "",
    partner_id: int | None = None,
) -> tuple[list[Registration], str, Person]:
    """Sign up an existing person (``person_id``) or a new one (``new_person``) for a session,
    on the waiting list when it is full. Returns the registrations, the cancel secret (empty
    on a retry) and the person.

    A new person with the name and number of someone already known is refused with
    :class:`ExistingPerson` so staff pick the existing record — except for a partner
    (``channel`` partner), who never learns who else is known: the same person is found
    again silently, as on the public portal.
    """
    actor.require("activities.register")
    if idempotency_key:
        replay = _replayed(actor, session_id, idempotency_key)
        if replay:
            return replay, "", replay[0].person
    errors: dict[str, str] = {}
    if channel == Channel.PARTNER:
        if partner_id is None or partner_id not in actor.organisation_ids:
            raise PermissionDenied(_("You can only refer people for your own organisation."))
        get_scoped(Organisation, actor.community, pk=partner_id)
        if person_id is not None:
            raise PermissionDenied(_("A partner signs up a person by name and number."))
    elif channel not in STAFF_CHANNELS:
        errors["channel"] = _("Say how the person signed up: by phone or at the desk.")
    if confirm not in CONFIRMATIONS:
        errors["confirm"] = _("Say how the person hears they are signed up.")
    if not consent_aloud:
        errors["consent"] = _(
            "Ask the person whether we may keep their name and number for this activity, "
            "and tick the box when they say yes."
        )
    if person_id is None and new_person is None:
        errors["first_name"] = _("Choose the person, or write the name of a new person.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    system = Actor.system(actor.community, label=actor.label)
    if person_id is not None:
        person = get_scoped(Person, actor.community, pk=person_id)
        if person.anonymised_at is not None:
            raise ValidationFailed(_("There is no such person."), fields={"person": "gone"})
        if confirm == CONFIRM_MESSAGE and not _reachable(person):
            msg = _("%(name)s has no mobile number or e-mail address. Choose the printed slip.") % {
                "name": person.full_name
            }
            raise ValidationFailed(msg, fields={"confirm": msg})
        person_record_consent(
            actor=system, person_id=person.pk, kind="data_processing", granted=True
        )
    else:
        assert new_person is not None
        cleaned = _clean_new(new_person, confirm)
        person = _existing(actor, cleaned)  # type: ignore[assignment]
        if person is not None and channel != Channel.PARTNER:
            raise ExistingPerson(
                _("%(name)s is already known with this number or e-mail address. "
                  "Sign up this person, so they are not in the register twice.")
                % {"name": person.full_name},
                fields={"duplicate_of": person.pk},
            )  # fmt: skip
        if person is None:
            person = person_create(
                actor=system,
                first_name=cleaned["first"],
                last_name=cleaned["last"],
                phone=cleaned["phone"],
                email=cleaned["email"],
                preferred_language=new_person.language or actor.community.default_language,
                consents={
                    "data_processing": True,
                    "contact_sms": confirm == CONFIRM_MESSAGE and cleaned["kind"] == "mobile",
                    "contact_email": confirm == CONFIRM_MESSAGE and bool(cleaned["email"]),
                },
                allow_duplicate=True,
            )
        else:
            person_record_consent(
                actor=system, person_id=person.pk, kind="data_processing", granted=True
            )
    language = language or person.preferred_language
    made, token = registration_create(
        actor=actor,
        session_id=session_id,
        person_id=person.pk,
        channel=channel,
        referred_by_id=partner_id if channel == Channel.PARTNER else None,
        language=language,
        idempotency_key=idempotency_key,
    )
    if token and confirm == CONFIRM_MESSAGE:
        confirm_sign_up(system, made[0], token, language)
    return made, token, person
