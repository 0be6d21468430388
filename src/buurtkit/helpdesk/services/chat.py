"""The portal's chat box: a visitor chats live with the staff on chat duty; when nobody is on
duty the box is a form whose question becomes a ticket with the visitor's contact details.

A live chat is a ticket with channel ``chat`` (made with :func:`ticket_create`, each line
added with :func:`message_add`, both with idempotency keys, so a double submit makes one
line) plus a :class:`ChatSession` whose random token the visitor's signed cookie carries.
Staff answer with ``message_add(via="chat")``: nothing is sent outside, the line shows in the
visitor's panel. Per-chat and per-address rate limits (``core.ratelimit``, Redis when
configured) stop a flood with a clear message; a line that was accepted is never lost.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ServiceError, ValidationFailed
from buurtkit.core.idempotency import clean_key
from buurtkit.core.models import Community
from buurtkit.core.ratelimit import Limit, over_limits
from buurtkit.helpdesk.models import (
    Channel,
    ChatDuty,
    ChatSession,
    MessageKind,
    Status,
    Ticket,
    TicketMessage,
)
from buurtkit.helpdesk.services.tickets import Contact, message_add, ticket_create
from buurtkit.people.models import Person

#: The longest chat line a visitor may send (longer is refused, not cut).
MAX_LINE = 1000
#: Lines one chat may send per minute, and lines (of any chat) from one address per minute.
LINES_PER_CHAT_PER_MINUTE = 12
LINES_PER_ADDRESS_PER_MINUTE = 40
#: Chats started or questions left from one address per hour.
STARTS_PER_ADDRESS_PER_HOUR = 6
#: How long going on chat duty lasts unless ended earlier.
DUTY_HOURS = 4


class ChatFlood(ServiceError):
    """Too many lines or chats in a short time: wait a little (nothing accepted is lost)."""

    code = "too_many_messages"
    status = 429


def _check(limits: list[Limit], message: str) -> None:
    if any(over_limits(limits)):
        raise ChatFlood(message)


def _line(body: str, field: str = "body") -> str:
    text = (body or "").strip()
    if not text:
        msg = _("Write your message.")
        raise ValidationFailed(msg, fields={field: msg})
    if len(text) > MAX_LINE:
        msg = _(
            "Your message is too long: at most %(max)d characters. Split it in shorter messages."
        ) % {"max": MAX_LINE}
        raise ValidationFailed(msg, fields={field: msg})
    return text


def _visitor(community: Community, name: str, person: Person | None) -> Actor:
    label = (person.full_name if person else name.strip()) or _("chat visitor")
    return Actor.system(community, label=label[:150])


def _person(community: Community, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return (
        Person.objects.in_community(community)
        .filter(pk=person_id, anonymised_at__isnull=True)
        .first()
    )


# --- duty ------------------------------------------------------------------------------------


def on_duty(community: Community) -> bool:
    """Whether someone is on chat duty now (the chat box is live)."""
    return ChatDuty.objects.in_community(community).filter(until__gt=clock.now()).exists()


@transaction.atomic
def chat_duty_set(*, actor: Actor, on: bool, hours: int = DUTY_HOURS) -> ChatDuty | None:
    """Go on chat duty for ``hours`` (1 to 12) from now, or end it (``on=False``)."""
    actor.require("helpdesk.handle")
    if actor.user_id is None:
        msg = _("Only a staff login goes on chat duty.")
        raise ValidationFailed(msg, fields={"on": msg})
    if not 1 <= hours <= 12:
        msg = _("Choose between 1 and 12 hours.")
        raise ValidationFailed(msg, fields={"hours": msg})
    rows = ChatDuty.objects.in_community(actor.community).filter(user_id=actor.user_id)
    now = clock.now()
    duty = None
    if on:
        duty, _made = ChatDuty.objects.update_or_create(
            community=actor.community,
            user_id=actor.user_id,
            defaults={"until": now + timedelta(hours=hours)},
        )
    else:
        rows.update(until=now)
    from buurtkit.audit.services import audit_record

    audit_record(
        actor=actor,
        verb="helpdesk.chat_duty",
        obj=duty,
        data={"on": on, "until": duty.until.isoformat() if duty else None},
    )
    return duty


# --- the visitor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitorContact:
    name: str = ""
    phone: str = ""
    email: str = ""


@transaction.atomic
def chat_start(
    *,
    community: Community,
    body: str,
    contact: VisitorContact,
    person_id: int | None = None,
    language: str = "",
    client_ip: str = "",
    idempotency_key: str = "",
) -> ChatSession:
    """Start a live chat: a ticket with channel ``chat`` whose first line is ``body``, and
    the session the visitor's cookie points at. A signed-in resident (``person_id``) is
    linked to the ticket. The same key again (a double submit) returns the same chat."""
    key = clean_key(idempotency_key, required=False)
    person = _person(community, person_id)
    text = _line(body)
    if person is None and not contact.name.strip():
        msg = _("Write your first name.")
        raise ValidationFailed(msg, fields={"name": msg})
    if key:
        first = (
            ChatSession.objects.in_community(community)
            .filter(ticket__idempotency_key=f"chat-{key}")
            .select_related("ticket")
            .first()
        )
        if first is not None:
            return first
    if not on_duty(community):
        msg = _("Nobody is on the chat now. Leave your question and how we can reach you.")
        raise ValidationFailed(msg, fields={"on_duty": msg}, code="nobody_on_duty")
    if client_ip:
        _check(
            [Limit("helpdesk-chat-start", client_ip, STARTS_PER_ADDRESS_PER_HOUR, 3600)],
            _("Many chats were started from this connection. Try again in an hour."),
        )
    ticket = ticket_create(
        actor=_visitor(community, contact.name, person),
        channel=Channel.CHAT,
        subject="",
        body=text,
        person_id=person.pk if person else None,
        contact=Contact(name=contact.name, phone=contact.phone, email=contact.email),
        language=language,
        idempotency_key=f"chat-{key}" if key else "",
    )
    # Two submits racing with one key share the ticket (``ticket_create``), and so the chat.
    session, _made = ChatSession.objects.get_or_create(
        ticket=ticket,
        defaults={
            "community": community,
            "token": secrets.token_urlsafe(32),
            "started_at": ticket.created_at,
        },
    )
    return session


@transaction.atomic
def chat_leave_question(
    *,
    community: Community,
    body: str,
    contact: VisitorContact,
    person_id: int | None = None,
    language: str = "",
    client_ip: str = "",
    idempotency_key: str = "",
) -> Ticket:
    """Nobody on duty: the question becomes a ticket (channel ``chat``) with the contact
    details to call or mail the visitor back; a phone number or an e-mail address is needed."""
    key = clean_key(idempotency_key, required=False)
    person = _person(community, person_id)
    text = _line(body)
    errors: dict[str, str] = {}
    if person is None and not contact.name.strip():
        errors["name"] = _("Write your first name.")
    if not contact.phone.strip() and not contact.email.strip():
        errors["phone"] = _("Write a phone number or an e-mail address, so we can answer you.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    if key:
        first = Ticket.objects.in_community(community).filter(idempotency_key=f"ask-{key}").first()
        if first is not None:
            return first
    if client_ip:
        _check(
            [Limit("helpdesk-chat-start", client_ip, STARTS_PER_ADDRESS_PER_HOUR, 3600)],
            _("Many questions were sent from this connection. Try again in an hour."),
        )
    return ticket_create(
        actor=_visitor(community, contact.name, person),
        channel=Channel.CHAT,
        subject="",
        body=text,
        person_id=person.pk if person else None,
        contact=Contact(name=contact.name, phone=contact.phone, email=contact.email),
        language=language,
        idempotency_key=f"ask-{key}" if key else "",
    )


def chat_say(
    *,
    community: Community,
    session: ChatSession,
    body: str,
    client_ip: str = "",
    idempotency_key: str = "",
) -> TicketMessage:
    """The visitor's next line (``session`` from :func:`selectors.visitor_chat`). A repeat of
    the same key (a double submit) is the same line; too many lines is a :class:`ChatFlood`."""
    if session.community_id != community.pk:
        raise NotFound(_("There is no such chat."))
    text = _line(body)
    key = clean_key(idempotency_key, required=False)
    scoped_key = f"chat-{session.pk}-{key}" if key else ""
    if scoped_key:
        first = (
            TicketMessage.objects.in_community(community)
            .filter(ticket_id=session.ticket_id, idempotency_key=scoped_key)
            .first()
        )
        if first is not None:
            return first
    ticket = session.ticket
    if session.ended_at is not None or ticket.status == Status.CLOSED:
        msg = _("This chat has ended. Start a new chat to ask something else.")
        raise ValidationFailed(msg, fields={"body": msg}, code="chat_ended")
    limits = [Limit("helpdesk-chat-line", session.token, LINES_PER_CHAT_PER_MINUTE, 60)]
    if client_ip:
        limits.append(Limit("helpdesk-chat-ip", client_ip, LINES_PER_ADDRESS_PER_MINUTE, 60))
    _check(limits, _("You are sending many messages at once. Wait a minute and try again."))
    return message_add(
        actor=_visitor(community, ticket.contact_name, None),
        ticket_id=ticket.pk,
        kind=MessageKind.INCOMING,
        body=text,
        author_label=ticket.contact_name or (ticket.person.full_name if ticket.person else ""),
        idempotency_key=scoped_key,
    )


@transaction.atomic
def chat_end(*, community: Community, session: ChatSession, actor: Actor | None = None) -> None:
    """The visitor (or staff, ``actor``) ends the chat; the ticket stays in the queue."""
    if actor is not None:
        actor.require("helpdesk.handle")
    if session.community_id != community.pk:
        raise NotFound(_("There is no such chat."))
    if session.ended_at is None:
        session.ended_at = clock.now()
        session.save(update_fields=["ended_at"])


# --- staff -----------------------------------------------------------------------------------


def chat_reply(
    *, actor: Actor, ticket_id: int, body: str, idempotency_key: str = ""
) -> TicketMessage:
    """Staff answer a live chat: the line shows in the visitor's panel, nothing is sent."""
    actor.require("helpdesk.handle")
    ticket = Ticket.objects.in_community(actor.community).filter(pk=ticket_id).first()
    if ticket is None or ticket.channel != Channel.CHAT:
        raise NotFound(_("There is no such chat."))
    return message_add(
        actor=actor,
        ticket_id=ticket_id,
        kind=MessageKind.REPLY,
        body=_line(body),
        via="chat",
        idempotency_key=idempotency_key,
    )


__all__ = [
    "DUTY_HOURS",
    "LINES_PER_ADDRESS_PER_MINUTE",
    "LINES_PER_CHAT_PER_MINUTE",
    "MAX_LINE",
    "STARTS_PER_ADDRESS_PER_HOUR",
    "ChatFlood",
    "VisitorContact",
    "chat_duty_set",
    "chat_end",
    "chat_leave_question",
    "chat_reply",
    "chat_say",
    "chat_start",
    "on_duty",
]
