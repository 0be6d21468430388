"""The helpdesk's e-mail channel (docs/helpdesk.md, "E-mail").

``messaging`` reads the helpdesk mailbox and hands each new mail once to :func:`mail_take_in`
(registered for the purpose ``"helpdesk"``), inside the transaction that marks the mail
handled. A mail then

- threads into its ticket when its subject carries the ticket's reference with its secret
  token (``[#123-k7q2m9]``) or its In-Reply-To/References name a mail of the ticket (one that
  came in, or an answer we sent) — if the sender takes part in the ticket; otherwise it is
  **quarantined** for staff to decide (never added silently);
- makes a new ticket that links to the old one when that ticket is closed;
- makes a new ticket otherwise (an unknown sender too: contact details only), up to
  :data:`TICKETS_PER_HOUR` new tickets per sender per hour; beyond that a mail goes into
  that sender's latest unfinished ticket, or to quarantine when there is none.

Staff answers to e-mail tickets go out through ``messaging.email_send`` with the reference
in the subject and the threading headers (``mail_threads.mail_reply_send``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.helpdesk.models import (
    UNFINISHED,
    Channel,
    MessageKind,
    QuarantinedMail,
    QuarantineReason,
    QuarantineStatus,
    Status,
    Ticket,
    TicketMail,
    TicketMessage,
)
from buurtkit.helpdesk.services.mail_threads import MSGID, thread_of
from buurtkit.helpdesk.services.tickets import Contact, message_add, ticket_create
from buurtkit.messaging.models import InboundMail
from buurtkit.people.models import Person

PURPOSE = "helpdesk"
#: New tickets one sender may open by mail per hour (``HELPDESK_MAIL_TICKETS_PER_HOUR``).
TICKETS_PER_HOUR = 5
#: "[#123-k7q2m9]" anywhere in a subject (any case: some mail programs change it).
REFERENCE = re.compile(r"\[#(\d{1,9})-([a-z0-9]{4,12})\]", re.IGNORECASE)


def tickets_per_hour() -> int:
    return int(getattr(settings, "HELPDESK_MAIL_TICKETS_PER_HOUR", TICKETS_PER_HOUR))


# --- taking a mail in ------------------------------------------------------------------------


def _message_ids(mail: InboundMail) -> list[str]:
    ids = MSGID.findall(mail.in_reply_to or "") + MSGID.findall(mail.references or "")
    return list(dict.fromkeys(ids))


def _target(mail: InboundMail) -> Ticket | None:
    """The ticket a mail answers: by the subject reference (number and token must both
    match), else by its In-Reply-To/References."""
    tickets = Ticket.objects.filter(community_id=mail.community_id)
    found = REFERENCE.search(mail.subject or "")
    if found:
        number, token = int(found.group(1)), found.group(2).lower()
        ticket = tickets.filter(number=number, mail_thread__token=token).first()
        if ticket is not None:
            return ticket
    ids = _message_ids(mail)
    if ids:
        link = (
            TicketMail.objects.filter(community_id=mail.community_id, message_id__in=ids)
            .exclude(inbound=mail)
            .select_related("ticket")
            .order_by("-created_at", "-id")
            .first()
        )
        if link is not None:
            return link.ticket
    return None


def participants(ticket: Ticket) -> set[str]:
    """The addresses that take part in a ticket: its contact address, its person's address
    and the senders of mails already in it (accepted by staff included)."""
    found = {ticket.contact_email.lower()} if ticket.contact_email else set()
    if ticket.person_id:
        email = Person.objects.filter(pk=ticket.person_id).values_list("email", flat=True).first()
        if email:
            found.add(email.lower())
    found |= set(
        TicketMail.objects.filter(ticket=ticket).exclude(sender="").values_list("sender", flat=True)
    )
    return found


def _sender(mail: InboundMail) -> str:
    address = (mail.from_address or "").strip().lower()[:254]
    local, _at, domain = address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        return ""
    return address


def _body(mail: InboundMail) -> str:
    """The mail's text for the thread: the plain text (messaging made it from the sanitised
    HTML when there was no plain part), and a line per attachment that was not kept."""
    text = (mail.text_body or "").strip() or _("(The e-mail had no text.)")
    lines = [text]
    if "only the header was read" in (mail.notes or ""):
        lines.append(_("The e-mail was too large: only its sender and subject were kept."))
    for attachment in mail.attachments.all():
        if attachment.refused:
            if attachment.refused.startswith("too large"):
                note = _("attachment too large, not kept")
            else:
                note = _("attachment not kept (too many attachments)")
            lines.append(f"[{attachment.filename or _('attachment')}: {note}]")
    return "\n\n".join(lines)


def _link(ticket: Ticket, mail: InboundMail, entry: TicketMessage | None, opened: bool) -> None:
    TicketMail.objects.create(
        community_id=ticket.community_id,
        ticket=ticket,
        entry=entry,
        inbound=mail,
        message_id=(mail.message_id or "")[:255],
        sender=_sender(mail),
        opened_ticket=opened,
        created_at=clock.now(),
    )


def _new_ticket(
    actor: Actor, mail: InboundMail, *, follows: Ticket | None = None, key_suffix: str = ""
) -> Ticket:
    sender = _sender(mail)
    people = list(
        Person.objects.in_community(actor.community)
        .filter(email__iexact=sender, anonymised_at__isnull=True)
        .values_list("pk", flat=True)[:2]
    )
    person_id = people[0] if len(people) == 1 else None
    subject = " ".join((mail.subject or "").split())[:200] or _("E-mail without a subject")
    ticket = ticket_create(
        actor=actor,
        channel=Channel.EMAIL,
        subject=subject,
        body=_body(mail),
        person_id=person_id,
        contact=Contact(name=(mail.from_name or "")[:150], email=sender),
        idempotency_key=f"mail-{mail.pk}{key_suffix}",
        received_at=mail.received_at,
    )
    thread = thread_of(ticket, mailbox_id=mail.mailbox_id)
    if follows is not None and thread.follows_id is None:
        thread.follows = follows
        thread.save(update_fields=["follows"])
    entry = ticket.messages.order_by("created_at", "id").first()
    _link(ticket, mail, entry, opened=True)
    return ticket


def _add_to(actor: Actor, ticket: Ticket, mail: InboundMail) -> TicketMessage:
    entry = message_add(
        actor=actor,
        ticket_id=ticket.pk,
        kind=MessageKind.INCOMING,
        body=_body(mail),
        author_label=(mail.from_name or _sender(mail) or actor.label)[:150],
        idempotency_key=f"mail-{mail.pk}",
    )
    _link(ticket, mail, entry, opened=False)
    return entry


def _quarantine(mail: InboundMail, ticket: Ticket | None, reason: str) -> QuarantinedMail:
    return QuarantinedMail.objects.create(
        community_id=mail.community_id,
        mail=mail,
        ticket=ticket,
        reason=reason,
        created_at=clock.now(),
    )


def _flooding(community_id: int, sender: str) -> bool:
    since = clock.now() - timedelta(hours=1)
    opened = TicketMail.objects.filter(
        community_id=community_id, sender=sender, opened_ticket=True, created_at__gte=since
    ).count()
    return opened >= tickets_per_hour()


def mail_take_in(*, mail: InboundMail, actor: Actor) -> str:
    """messaging's handler for the helpdesk mailboxes: one mail → a ticket, a message in its
    ticket, or the quarantine. Returns the outcome kept on the mail."""
    done = TicketMail.objects.filter(inbound=mail).first()
    if done is not None:
        return "ticket" if done.opened_ticket else "reply"
    if QuarantinedMail.objects.filter(mail=mail).exists():
        return "quarantined"
    sender = _sender(mail)
    target = _target(mail)
    if not sender:
        _quarantine(mail, target, QuarantineReason.NO_SENDER)
        return "quarantined"
    if target is not None:
        if sender not in participants(target):
            _quarantine(mail, target, QuarantineReason.NOT_PARTICIPANT)
            return "quarantined"
        if target.status == Status.CLOSED:
            _new_ticket(actor, mail, follows=target)
            return "follow-up"
        _add_to(actor, target, mail)
        return "reply"
    if _flooding(mail.community_id, sender):
        latest = (
            TicketMail.objects.filter(
                community_id=mail.community_id, sender=sender, ticket__status__in=UNFINISHED
            )
            .select_related("ticket")
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is not None:
            _add_to(actor, latest.ticket, mail)
            return "grouped"
        _quarantine(mail, None, QuarantineReason.FLOOD)
        return "quarantined"
    _new_ticket(actor, mail)
    return "ticket"


# --- staff decide on a quarantined mail --------------------------------------------------------

QUARANTINE_ACTIONS = ("accept", "new_ticket", "discard")


@transaction.atomic
def quarantine_decide(*, actor: Actor, quarantine_id: int, action: str) -> QuarantinedMail:
    """``accept``: into the ticket it answers (its sender then takes part in the ticket; a
    closed ticket gets a new follow-up ticket instead); ``new_ticket``: a ticket of its own;
    ``discard``: kept as discarded, in no ticket. Decided once."""
    actor.require("helpdesk.handle")
    item = (
        QuarantinedMail.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk=quarantine_id)
        .first()
    )
    if item is None:
        raise NotFound(_("There is no such e-mail in the quarantine."))
    if action not in QUARANTINE_ACTIONS:
        msg = _("Choose what to do with the e-mail.")
        raise ValidationFailed(msg, fields={"action": msg})
    if item.status != QuarantineStatus.WAITING:
        msg = _("This e-mail was already dealt with.")
        raise ValidationFailed(msg, fields={"action": msg}, code="already_decided")
    mail = get_scoped(InboundMail, actor.community, pk=item.mail_id)
    system = Actor.system(actor.community, label=actor.label)
    if action == "accept":
        if item.ticket is None:
            msg = _("This e-mail answers no ticket: make it a new ticket.")
            raise ValidationFailed(msg, fields={"action": msg})
        if not _sender(mail):
            msg = _("This e-mail has no sender address to answer: discard it.")
            raise ValidationFailed(msg, fields={"action": msg})
        ticket = Ticket.objects.select_for_update().get(pk=item.ticket_id)
        if ticket.status == Status.CLOSED:
            item.result_ticket = _new_ticket(system, mail, follows=ticket, key_suffix="-accepted")
        else:
            _add_to(system, ticket, mail)
            item.result_ticket = ticket
        item.status = QuarantineStatus.ACCEPTED
    elif action == "new_ticket":
        if not _sender(mail):
            msg = _("This e-mail has no sender address to answer: discard it.")
            raise ValidationFailed(msg, fields={"action": msg})
        item.result_ticket = _new_ticket(system, mail, key_suffix="-new")
        item.status = QuarantineStatus.NEW_TICKET
    else:
        item.status = QuarantineStatus.DISCARDED
    item.decided_at = clock.now()
    item.decided_by_id = actor.user_id
    item.save(update_fields=["status", "decided_at", "decided_by", "result_ticket"])
    audit_record(
        actor=actor,
        verb="helpdesk.quarantine_decided",
        obj=item,
        data={"action": action, "ticket": item.result_ticket_id},
    )
    return item


def register() -> None:
    """Take in the mails of every mailbox whose purpose is ``helpdesk`` (AppConfig.ready)."""
    from buurtkit.messaging.services import register_mail_handler

    register_mail_handler(PURPOSE, mail_take_in)
