"""E-mail tickets' threads: the secret token of the subject reference and the staff answers
sent by SMTP with the threading headers (docs/helpdesk.md, "E-mail"). Used by the tickets'
reply path and by the mail intake (``services.mail``); imports neither."""

from __future__ import annotations

import re
import secrets

from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.helpdesk.models import MailThread, Ticket, TicketMail, TicketMessage
from buurtkit.messaging.models import Message
from buurtkit.messaging.services import email_send
from buurtkit.people.models import Person

TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - no 0/o, 1/l/i: read aloud
TOKEN_LENGTH = 6
#: A Message-ID as messaging accepts it for In-Reply-To/References.
MSGID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _i in range(TOKEN_LENGTH))


def reference_of(thread: MailThread) -> str:
    """The subject reference of an e-mail ticket: ``[#123-k7q2m9]``."""
    return f"[#{thread.ticket.number}-{thread.token}]"


def thread_of(ticket: Ticket, *, mailbox_id: int | None = None) -> MailThread:
    """The ticket's mail thread, made on first use (a ticket filed by phone answered by
    e-mail gets its token then)."""
    thread = MailThread.objects.filter(ticket=ticket).first()
    if thread is None:
        thread = MailThread.objects.create(
            community_id=ticket.community_id,
            ticket=ticket,
            token=new_token(),
            mailbox_id=mailbox_id,
        )
    thread.ticket = ticket
    return thread


# --- answering by e-mail -------------------------------------------------------------------------


def _answer_address(ticket: Ticket) -> str:
    if ticket.contact_email:
        return ticket.contact_email
    if ticket.person_id:
        email = Person.objects.filter(pk=ticket.person_id).values_list("email", flat=True).first()
        if email:
            return str(email)
    last = (
        TicketMail.objects.filter(ticket=ticket, inbound__isnull=False)
        .exclude(sender="")
        .order_by("-created_at", "-id")
        .values_list("sender", flat=True)
        .first()
    )
    return str(last or "")


def mail_reply_send(*, actor: Actor, ticket: Ticket, entry: TicketMessage) -> Message:
    """Send a staff answer on an e-mail ticket by SMTP (``messaging.email_send``, after
    commit): to the ticket's address (contact-only tickets too), the subject with the
    reference ``[#123-k7q2m9]``, In-Reply-To the resident's last mail and References the
    whole thread, Reply-To the helpdesk mailbox. Called inside the reply's transaction."""
    to = _answer_address(ticket)
    if not to:
        msg = _(
            "This ticket has no e-mail address to answer. Answer by phone and choose "
            "'I told them', or send it another way."
        )
        raise ValidationFailed(msg, fields={"via": msg})
    thread = thread_of(ticket)
    mails = list(
        TicketMail.objects.filter(ticket=ticket).exclude(message_id="").order_by("created_at", "id")
    )
    ids = [m.message_id for m in mails if MSGID.fullmatch(m.message_id)]
    last_in = next(
        (m.message_id for m in reversed(mails) if m.inbound_id and MSGID.fullmatch(m.message_id)),
        ids[-1] if ids else "",
    )
    reference = reference_of(thread)
    subject = f"Re: {ticket.subject}"[: 199 - len(reference)] + " " + reference
    with translation.override(ticket.language or "nl"):
        footer = _("Reply to this e-mail to add to your question %(ref)s.") % {"ref": reference}
    mailbox_address = thread.mailbox.address if thread.mailbox_id and thread.mailbox else ""
    message = email_send(
        actor=Actor.system(actor.community, label=actor.label),
        to=to,
        subject=subject,
        body=f"{entry.body}\n\n-- \n{footer}\n",
        idempotency_key=f"helpdesk-reply-{entry.pk}",
        in_reply_to=last_in,
        references=ids[-20:],
        reply_to=mailbox_address,
        person_id=ticket.person_id,
        language=ticket.language,
    )
    TicketMail.objects.create(
        community_id=ticket.community_id,
        ticket=ticket,
        entry=entry,
        outbound=message,
        message_id=message.email_message_id,
        created_at=clock.now(),
    )
    return message
