"""Tickets: one way in for every channel, and everything staff and digibuddies do with them.

The channels (phone menu, mailbox, chat, counter, QR form, Buurbel) all call
:func:`ticket_create` and :func:`message_add`; nothing here knows how a channel works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.activities.models import Registration, Volunteer
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.helpdesk import access
from buurtkit.helpdesk.deadlines import deadlines
from buurtkit.helpdesk.models import (
    TRANSITIONS,
    Category,
    Channel,
    ChatSession,
    HandoverTo,
    HelpdeskSettings,
    Kind,
    MessageKind,
    Status,
    Ticket,
    TicketMessage,
)
from buurtkit.helpdesk.services.mail_threads import mail_reply_send
from buurtkit.helpdesk.services.survey import survey_start
from buurtkit.lending.models import Device
from buurtkit.messaging.services import notify
from buurtkit.people.models import Membership, Person
from buurtkit.people.phones import normalise_phone
from buurtkit.people.services import person_create, person_record_consent
from buurtkit.places.models import Place

MAX_BODY = 10_000
#: How a reply reaches the resident: the ticket's channel ("auto"), a text message, an
#: e-mail, or it was told to them (by phone, at the counter) and is only recorded; ``chat``
#: shows it in the visitor's chat panel (a live chat only; nothing is sent outside).
REPLY_VIA = ("auto", "sms", "email", "told", "chat")


def _search_text(ticket: Ticket, body: str) -> str:
    person = ticket.person
    parts = [
        f"#{ticket.number}",
        ticket.subject,
        ticket.contact_name,
        ticket.contact_phone,
        ticket.contact_email,
        person.full_name if person else "",
        body[:500],
    ]
    return " ".join(p for p in parts if p).lower()


def _next_number(community_id: int) -> int:
    HelpdeskSettings.objects.get_or_create(community_id=community_id)
    row = HelpdeskSettings.objects.select_for_update().get(community_id=community_id)
    number = row.next_number
    row.next_number = number + 1
    row.save(update_fields=["next_number"])
    return number


def _volunteer_of(actor: Actor) -> Volunteer | None:
    if not actor.person_id:
        return None
    return (
        Volunteer.objects.in_community(actor.community)
        .filter(person_id=actor.person_id, active=True)
        .first()
    )


def _text(value: str, field: str, *, limit: int, required: bool, message: str) -> str:
    text = (value or "").strip()[:limit]
    if required and not text:
        raise ValidationFailed(message, fields={field: message})
    return text


@dataclass(frozen=True)
class Contact:
    """Who asked, when they are not (yet) a person in the register."""

    name: str = ""
    phone: str = ""
    email: str = ""


def _clean_contact(contact: Contact) -> dict[str, str]:
    errors: dict[str, str] = {}
    number = ""
    try:
        number, _kind = normalise_phone(contact.phone, field="contact_phone")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    address = contact.email.strip().lower()[:254]
    if address and ("@" not in address or "." not in address.rsplit("@", 1)[-1]):
        errors["contact_email"] = _(
            "This is not an e-mail address. Example: an.peeters@example.org"
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    return {"name": contact.name.strip()[:150], "phone": number, "email": address}


@transaction.atomic
def ticket_create(
    *,
    actor: Actor,
    channel: str,
    subject: str,
    body: str = "",
    category_id: int | None = None,
    person_id: int | None = None,
    contact: Contact | None = None,
    language: str = "",
    kind: str = Kind.QUESTION,
    parent_id: int | None = None,
    device_id: int | None = None,
    registration_id: int | None = None,
    place_id: int | None = None,
    idempotency_key: str = "",
    received_at: datetime | None = None,
) -> Ticket:
    """A new ticket from any channel, with the question as the first entry of its thread.

    ``person_id`` links a person of the register; ``contact`` holds a name, number or address
    of someone who is not in it (at least one of the two is needed). The category routes it
    to its team and sets the deadlines. A digibuddy's ticket is assigned to the digibuddy.
    ``received_at`` (the system's channels only): when it reached us, if earlier than now.
    The same ``idempotency_key`` with the same request returns the first ticket.
    """
    if not access.may_file(actor):
        raise PermissionDenied(_("You may not file helpdesk tickets."))
    key = clean_key(idempotency_key, required=False)
    request = {
        "channel": channel,
        "subject": subject,
        "body": body,
        "category": category_id,
        "person": person_id,
        "contact": contact.__dict__ if contact else None,
        "kind": kind,
        "parent": parent_id,
        "device": device_id,
        "registration": registration_id,
        "place": place_id,
        "language": language,
    }

    def create() -> Ticket:
        return _ticket_create(
            actor=actor,
            channel=channel,
            subject=subject,
            body=body,
            category_id=category_id,
            person_id=person_id,
            contact=contact or Contact(),
            language=language,
            kind=kind,
            parent_id=parent_id,
            device_id=device_id,
            registration_id=registration_id,
            place_id=place_id,
            key=key,
            request_hash=fingerprint(request) if key else "",
            received_at=received_at,
        )

    if not key:
        return create()
    return run_once(
        queryset=Ticket.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(fingerprint(request)),
        create=create,
        conflict=_("This idempotency key was already used for another ticket."),
    )


def _ticket_create(
    *,
    actor: Actor,
    channel: str,
    subject: str,
    body: str,
    category_id: int | None,
    person_id: int | None,
    contact: Contact,
    language: str,
    kind: str,
    parent_id: int | None,
    device_id: int | None,
    registration_id: int | None,
    place_id: int | None,
    key: str,
    request_hash: str,
    received_at: datetime | None,
) -> Ticket:
    community = actor.community
    errors: dict[str, str] = {}
    if channel not in Channel.values:
        errors["channel"] = _("Say how the question came in.")
    if kind not in Kind.values:
        errors["kind"] = _("Choose a question or help at home.")
    subject = (subject or "").strip()[:200]
    body = (body or "").strip()[:MAX_BODY]
    if not subject:
        subject = body.splitlines()[0][:200] if body else ""
    if not subject:
        errors["subject"] = _("Write in a few words what the question is about.")
    try:
        cleaned = _clean_contact(contact)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        cleaned = {"name": "", "phone": "", "email": ""}
    if person_id is None and not any(cleaned.values()):
        errors["person"] = _(
            "Choose the person, or write a name, phone number or e-mail address to answer."
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    person = get_scoped(Person, community, pk=person_id) if person_id else None
    if person is not None and person.anonymised_at is not None:
        raise ValidationFailed(_("There is no such person."), fields={"person": "gone"})
    category = get_scoped(Category, community, pk=category_id) if category_id else None
    parent = get_scoped(Ticket, community, pk=parent_id) if parent_id else None
    device = get_scoped(Device, community, pk=device_id) if device_id else None
    registration = (
        get_scoped(Registration, community, pk=registration_id) if registration_id else None
    )
    place = get_scoped(Place, community, pk=place_id) if place_id else None
    now = clock.now()
    received = min(received_at, now) if received_at else now
    language = language if language in ("nl", "fr", "en") else ""
    ticket = Ticket(
        community=community,
        number=_next_number(community.pk),
        kind=kind,
        channel=channel,
        subject=subject,
        category=category,
        team=category.team if category else None,
        person=person,
        contact_name=cleaned["name"],
        contact_phone=cleaned["phone"],
        contact_email=cleaned["email"],
        language=language
        or (person.preferred_language if person else "")
        or community.default_language,
        parent=parent,
        device=device,
        registration=registration,
        place=place,
        created_at=received,
        updated_at=received,
        created_by_label=actor.label[:150],
        idempotency_key=key,
        request_hash=request_hash,
        **deadlines(category, received),
    )
    if not actor.has("helpdesk.handle"):
        ticket.assigned_volunteer = _volunteer_of(actor)  # a digibuddy keeps what they file
    ticket.search_text = _search_text(ticket, body)
    ticket.save()
    if body:
        TicketMessage.objects.create(
            community=community,
            ticket=ticket,
            kind=MessageKind.INCOMING,
            body=body,
            via=channel,
            author_label=actor.label[:150],
            created_at=received,
        )
    audit_record(
        actor=actor,
        verb="helpdesk.ticket_created",
        obj=ticket,
        data={
            "number": ticket.number,
            "channel": channel,
            "kind": kind,
            "category": category.key if category else "",
            "person": person_id,
        },
    )
    return ticket


@dataclass(frozen=True)
class NewPerson:
    first_name: str
    last_name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


def _find_or_add(actor: Actor, new: NewPerson, consent_aloud: bool) -> Person:
    """The person with this name and number (or e-mail), or a new record — which may have
    neither a mobile number nor an e-mail address."""
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
    if not consent_aloud:
        errors["consent"] = _(
            "Ask the person whether we may keep their name and number to answer their "
            "question, and tick the box when they say yes."
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    system = Actor.system(actor.community, label=actor.label)
    same = Q()
    if number:
        same |= Q(phone=number)
    if address:
        same |= Q(email__iexact=address)
    found = None
    if same:
        found = (
            Person.objects.in_community(actor.community)
            .filter(same, first_name__iexact=first, last_name__iexact=last)
            .filter(anonymised_at__isnull=True)
            .order_by("pk")
            .first()
        )
    if found is not None:
        person_record_consent(
            actor=system, person_id=found.pk, kind="data_processing", granted=True
        )
        return found
    return person_create(
        actor=system,
        first_name=first,
        last_name=last,
        phone=number,
        email=address,
        preferred_language=new.language or actor.community.default_language,
        consents={
            "data_processing": True,
            "contact_sms": kind == "mobile",
            "contact_email": bool(address),
        },
        allow_duplicate=True,
    )


@transaction.atomic
def ticket_file(
    *,
    actor: Actor,
    subject: str,
    body: str = "",
    channel: str = Channel.COUNTER,
    person_id: int | None = None,
    new_person: NewPerson | None = None,
    consent_aloud: bool = False,
    category_id: int | None = None,
    place_id: int | None = None,
    device_id: int | None = None,
    registration_id: int | None = None,
    idempotency_key: str = "",
) -> Ticket:
    """Staff or a digibuddy file a ticket for someone at the counter, a digipunt or on the
    phone: an existing person, or one found or added by name and number (no smartphone or
    e-mail needed). One transaction: the person and the ticket, or nothing."""
    if not access.may_file(actor):
        raise PermissionDenied(_("You may not file helpdesk tickets."))
    key = clean_key(idempotency_key, required=False)
    if key:
        first = Ticket.objects.in_community(actor.community).filter(idempotency_key=key).first()
        if first is not None:
            first.replayed = True  # type: ignore[attr-defined]
            return first
    if channel not in (Channel.COUNTER, Channel.PHONE):
        msg = _("Say how the question came in: at the counter or by phone.")
        raise ValidationFailed(msg, fields={"channel": msg})
    if person_id is None and new_person is None:
        msg = _("Choose the person, or write the name of a new person.")
        raise ValidationFailed(msg, fields={"first_name": msg})
    if person_id is None:
        assert new_person is not None
        person_id = _find_or_add(actor, new_person, consent_aloud).pk
    return ticket_create(
        actor=actor,
        channel=channel,
        subject=subject,
        body=body,
        category_id=category_id,
        person_id=person_id,
        place_id=place_id,
        device_id=device_id,
        registration_id=registration_id,
        idempotency_key=key,
    )


def _locked(actor: Actor, ticket_id: int) -> Ticket:
    ticket = access.workable(actor).select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("There is no such ticket."))
    return ticket


def _refuse_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise ValidationFailed(
            _("Ticket %(ref)s is closed. File a new ticket.") % {"ref": ticket.reference},
            fields={"status": "closed"},
        )


def _reply_channel(ticket: Ticket, via: str) -> str:
    if via != "auto":
        return via
    return "email" if ticket.channel == Channel.EMAIL else "sms"


def _send_reply(actor: Actor, ticket: Ticket, entry: TicketMessage, via: str) -> None:
    """Send the reply through messaging, in the ticket's language; record how it went."""
    chosen = _reply_channel(ticket, via)
    if chosen == "told":
        entry.via, entry.delivery = "told", "told"
        return
    if chosen == "email" and ticket.channel == Channel.EMAIL:
        # By SMTP with the reference and threading headers; contact-only tickets too.
        entry.via, entry.delivery = "email", "queued"
        entry.outbound = mail_reply_send(actor=actor, ticket=ticket, entry=entry)
        return
    if chosen == "chat":
        if not ChatSession.objects.filter(ticket_id=ticket.pk).exists():
            msg = _("This question did not come in by live chat. Answer it another way.")
            raise ValidationFailed(msg, fields={"via": msg})
        entry.via, entry.delivery = "chat", "live"
        return
    if ticket.person_id is None:
        msg = _(
            "This ticket has no person to send the answer to. Link the person, or answer by "
            "phone and choose 'I told them'."
        )
        raise ValidationFailed(msg, fields={"via": msg})
    system = Actor.system(actor.community, label=actor.label)
    try:
        message = notify(
            actor=system,
            person_id=ticket.person_id,
            template="helpdesk_reply",
            context={"reference": ticket.reference, "subject": ticket.subject, "text": entry.body},
            channel=chosen,
            idempotency_key=f"helpdesk-reply-{entry.pk}",
            language=ticket.language,
        )
    except ValidationFailed as exc:
        msg = _("%(detail)s Answer by phone and choose 'I told them', or send it another way.") % {
            "detail": exc.detail
        }
        raise ValidationFailed(msg, fields={"via": msg}) from exc
    entry.via, entry.delivery, entry.outbound = chosen, "queued", message


@transaction.atomic
def message_add(
    *,
    actor: Actor,
    ticket_id: int,
    kind: str,
    body: str,
    via: str = "auto",
    author_label: str = "",
    idempotency_key: str = "",
) -> TicketMessage:
    """Add to a ticket's thread: a ``reply`` (sent to the resident by the channel the ticket
    came in on, by SMS or e-mail, or recorded as told), an internal ``note``, or what the
    resident wrote or said (``incoming``, from a channel or typed by staff).

    The first reply is the ticket's first answer; a reply to a new ticket opens it, and a
    message from the resident to a ticket waiting for them opens it again.
    """
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint([ticket_id, kind, body, via]) if key else ""

    def create() -> TicketMessage:
        return _message_add(
            actor=actor,
            ticket_id=ticket_id,
            kind=kind,
            body=body,
            via=via,
            author_label=author_label,
            key=key,
            request_hash=request_hash,
        )

    if not key:
        return create()
    return run_once(
        queryset=TicketMessage.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was already used for another message."),
    )


def _message_add(
    *,
    actor: Actor,
    ticket_id: int,
    kind: str,
    body: str,
    via: str,
    author_label: str,
    key: str,
    request_hash: str,
) -> TicketMessage:
    ticket = _locked(actor, ticket_id)
    _refuse_closed(ticket)
    errors: dict[str, str] = {}
    if kind not in MessageKind.values:
        errors["kind"] = _("Choose an answer, a note or the resident's message.")
    if kind == MessageKind.REPLY and via not in REPLY_VIA:
        errors["via"] = _("Choose how the answer reaches the resident.")
    text = (body or "").strip()[:MAX_BODY]
    if not text:
        errors["body"] = _("Write the text.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    now = clock.now()
    entry = TicketMessage.objects.create(
        community=actor.community,
        ticket=ticket,
        kind=kind,
        body=text,
        via=ticket.channel if kind == MessageKind.INCOMING else "",
        author_user_id=actor.user_id,
        author_label=(author_label or actor.label)[:150],
        created_at=now,
        idempotency_key=key,
        request_hash=request_hash,
    )
    changed = ["updated_at"]
    if kind == MessageKind.REPLY:
        _send_reply(actor, ticket, entry, via)
        entry.save(update_fields=["via", "delivery", "outbound"])
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            changed.append("status")
    elif kind == MessageKind.INCOMING and ticket.status in (Status.WAITING, Status.RESOLVED):
        ticket.status = Status.OPEN
        ticket.resolved_at = None
        changed += ["status", "resolved_at"]
    ticket.updated_at = now
    ticket.save(update_fields=changed)
    audit_record(
        actor=actor,
        verb=f"helpdesk.{kind}_added",
        obj=ticket,
        data={"message": entry.pk, "via": entry.via, "status": ticket.status},
    )
    return entry


@transaction.atomic
def ticket_transition(
    *,
    actor: Actor,
    ticket_id: int,
    status: str,
    handover_to: str = "",
    volunteer_id: int | None = None,
    note: str = "",
    ask_survey: bool = True,
) -> Ticket:
    """Move a ticket to ``status`` along the allowed transitions (models.TRANSITIONS).

    Handing over says to whom (``handover_to``); to a digibuddy it names the digibuddy
    (``volunteer_id``), who then sees the ticket on their phone. An optional ``note`` goes
    into the thread as an internal note. Closing asks the resident the satisfaction question
    once (``services.survey``; ``ask_survey=False``: not, e.g. for demo history).
    """
    ticket = _locked(actor, ticket_id)
    if status not in Status.values:
        msg = _("There is no such status.")
        raise ValidationFailed(msg, fields={"status": msg})
    if status not in TRANSITIONS[ticket.status]:
        msg = _("A ticket that is %(now)s cannot become %(next)s.") % {
            "now": Status(ticket.status).label,
            "next": Status(status).label,
        }
        raise ValidationFailed(msg, fields={"status": msg}, code="transition_not_allowed")
    now = clock.now()
    previous = ticket.status
    ticket.status = status
    if status == Status.HANDED_OVER:
        if handover_to not in HandoverTo.values:
            msg = _("Say to whom the ticket is handed over.")
            raise ValidationFailed(msg, fields={"handover_to": msg})
        ticket.handover_to = handover_to
        if handover_to == HandoverTo.DIGIBUDDY:
            if not actor.has("helpdesk.handle"):
                raise PermissionDenied(_("Only the helpdesk hands tickets to a digibuddy."))
            if volunteer_id is None:
                msg = _("Choose the digibuddy.")
                raise ValidationFailed(msg, fields={"volunteer_id": msg})
            ticket.assigned_volunteer = _active_volunteer(actor, volunteer_id)
    elif status == Status.OPEN:
        ticket.handover_to = ""
        ticket.resolved_at = None
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    if status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    ticket.updated_at = now
    ticket.save()
    if status == Status.CLOSED and ask_survey:
        survey_start(ticket=ticket)  # the one satisfaction question, once
    if note.strip():
        TicketMessage.objects.create(
            community=actor.community,
            ticket=ticket,
            kind=MessageKind.NOTE,
            body=note.strip()[:MAX_BODY],
            author_user_id=actor.user_id,
            author_label=actor.label[:150],
            created_at=now,
        )
    audit_record(
        actor=actor,
        verb="helpdesk.status_changed",
        obj=ticket,
        data={
            "from": previous,
            "to": status,
            "handover_to": ticket.handover_to,
            "volunteer": ticket.assigned_volunteer_id,
        },
    )
    return ticket


def _active_volunteer(actor: Actor, volunteer_id: int) -> Volunteer:
    volunteer = get_scoped(Volunteer, actor.community, pk=volunteer_id)
    if not volunteer.active:
        msg = _("This digibuddy is no longer active.")
        raise ValidationFailed(msg, fields={"volunteer_id": msg})
    return volunteer


@transaction.atomic
def ticket_assign(
    *,
    actor: Actor,
    ticket_id: int,
    user_id: int | None = None,
    volunteer_id: int | None = None,
) -> Ticket:
    """Give the ticket to a staff login (with a role here that handles tickets) and/or a
    digibuddy; ``None`` for both takes it off everyone."""
    actor.require("helpdesk.handle")
    ticket = _locked(actor, ticket_id)
    _refuse_closed(ticket)
    if user_id is not None:
        member = Membership.objects.in_community(actor.community).filter(
            user_id=user_id, active=True
        )
        from buurtkit.core.permissions import permissions_for_roles

        allowed = any(
            "helpdesk.handle"
            in permissions_for_roles(set(m.roles), actor.community.enabled_modules)
            for m in member
        )
        if not allowed:
            msg = _("This login does not work on the helpdesk here.")
            raise ValidationFailed(msg, fields={"user_id": msg})
        ticket.assigned_user = get_user_model().objects.get(pk=user_id)
    else:
        ticket.assigned_user = None
    ticket.assigned_volunteer = (
        _active_volunteer(actor, volunteer_id) if volunteer_id is not None else None
    )
    ticket.updated_at = clock.now()
    ticket.save(update_fields=["assigned_user", "assigned_volunteer", "updated_at"])
    audit_record(
        actor=actor,
        verb="helpdesk.assigned",
        obj=ticket,
        data={"user": user_id, "volunteer": volunteer_id},
    )
    return ticket


_UNSET: Any = object()


@transaction.atomic
def ticket_update(
    *,
    actor: Actor,
    ticket_id: int,
    subject: str | None = None,
    category_id: int | None = _UNSET,
    person_id: int | None = _UNSET,
    device_id: int | None = _UNSET,
    registration_id: int | None = _UNSET,
) -> Ticket:
    """Change what a ticket is about and what it is linked to. A new category routes it to
    that category's team and sets its deadlines anew, from when the ticket came in."""
    actor.require("helpdesk.handle")
    ticket = _locked(actor, ticket_id)
    _refuse_closed(ticket)
    community = actor.community
    changed: dict[str, Any] = {}
    if subject is not None:
        text = subject.strip()[:200]
        if not text:
            msg = _("Write in a few words what the question is about.")
            raise ValidationFailed(msg, fields={"subject": msg})
        ticket.subject = changed["subject"] = text
    if category_id is not _UNSET:
        category = get_scoped(Category, community, pk=category_id) if category_id else None
        ticket.category = category
        ticket.team = category.team if category else None
        for field, value in deadlines(category, ticket.created_at).items():
            setattr(ticket, field, value)
        changed["category"] = category.key if category else ""
    if person_id is not _UNSET:
        person = get_scoped(Person, community, pk=person_id) if person_id else None
        ticket.person = person
        if person is not None:
            ticket.language = person.preferred_language or ticket.language
        changed["person"] = person_id
    if device_id is not _UNSET:
        ticket.device = get_scoped(Device, community, pk=device_id) if device_id else None
        changed["device"] = device_id
    if registration_id is not _UNSET:
        ticket.registration = (
            get_scoped(Registration, community, pk=registration_id) if registration_id else None
        )
        changed["registration"] = registration_id
    first = ticket.messages.filter(kind=MessageKind.INCOMING).order_by("created_at").first()
    ticket.search_text = _search_text(ticket, first.body if first else "")
    ticket.updated_at = clock.now()
    ticket.save()
    audit_record(
        actor=actor,
        verb="helpdesk.ticket_changed",
        obj=ticket,
        data={k: v for k, v in changed.items() if k != "subject"}
        | {"subject": "subject" in changed},
    )
    return ticket


@transaction.atomic
def home_help_request(
    *, actor: Actor, parent_id: int, body: str, idempotency_key: str = ""
) -> Ticket:
    """A child ticket for help at home, made from a question: the same person and contact,
    the same category. (Planning the visit comes with the home-visit module.)"""
    actor.require("helpdesk.handle")
    parent = _locked(actor, parent_id)
    if parent.kind != Kind.QUESTION:
        msg = _("Help at home is asked from a question, not from another home-help ticket.")
        raise ValidationFailed(msg, fields={"parent_id": msg})
    return ticket_create(
        actor=actor,
        channel=parent.channel,
        subject=_("Help at home: %(subject)s") % {"subject": parent.subject},
        body=body,
        category_id=parent.category_id,
        person_id=parent.person_id,
        contact=Contact(parent.contact_name, parent.contact_phone, parent.contact_email),
        language=parent.language,
        kind=Kind.HOME_HELP,
        parent_id=parent.pk,
        idempotency_key=idempotency_key,
    )
