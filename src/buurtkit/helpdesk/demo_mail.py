"""The demo's helpdesk mailbox and e-mail tickets, without an IMAP server: the mailbox is
configured but switched off (docs/helpdesk.md, "E-mail": how to point it at a real account),
and a few mails are stored as the reader would store them, then handed to the real handler
(``messaging.services.mail_handle``): two e-mail tickets with threaded replies (one by the
headers, one by the subject reference), a staff answer sent by e-mail, and one reply from a
stranger in the quarantine. Some closed tickets get satisfaction answers."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.helpdesk import services
from buurtkit.helpdesk.models import MailThread, Status, Survey, SurveyWay, Ticket
from buurtkit.messaging.models import InboundMail, Mailbox
from buurtkit.messaging.services import mail_handle, mailbox_create

ADDRESS = "helpdesk@rabot.example"
_uid = itertools.count(1)


def _mail(box: Mailbox, at: Any, **fields: Any) -> InboundMail:
    """A mail as the reader stores it (UIDVALIDITY 0: no real server uses it, so a real
    account configured later never clashes with these)."""
    uid = next(_uid) + InboundMail.objects.filter(mailbox=box).count()
    mail = InboundMail.objects.create(
        community_id=box.community_id,
        mailbox=box,
        uidvalidity=0,
        uid=uid,
        to=ADDRESS,
        received_at=at,
        sent_at=at,
        message_id=f"<demo-{box.community_id}-{uid}@example.org>",
        raw_size=len(fields.get("text_body", "")),
        **fields,
    )
    mail_handle(mail_id=mail.pk)
    mail.refresh_from_db()
    return mail


def _ticket(mail: InboundMail) -> Ticket:
    return Ticket.objects.get(mails__inbound=mail)


def load(community: Any) -> None:
    system = Actor.system(community, label="demo")
    if Mailbox.objects.in_community(community).filter(purpose="helpdesk").exists():
        return
    box = mailbox_create(
        actor=system,
        name="Helpdesk",
        purpose="helpdesk",
        address=ADDRESS,
        host="imap.rabot.example",
        port=993,
        security="ssl",
        username=ADDRESS,
        password_env="BUURTKIT_MAIL_RABOT_HELPDESK",  # noqa: S106 - the variable's name
    )
    Mailbox.objects.filter(pk=box.pk).update(active=False)  # no server in the demo
    now = clock.now()
    at = now - timedelta(days=2, hours=3)
    with clock.frozen(at):
        first = _mail(
            box,
            at,
            from_address="sofie.janssens@example.org",
            from_name="Sofie Janssens",
            subject="Brief van de stad niet in mijn e-Box",
            text_body=(
                "Goedendag,\n\nDe stad zegt dat ze een brief in mijn e-Box heeft gezet, "
                "maar ik vind hem niet. Kunt u helpen?\n\nSofie"
            ),
        )
    ticket = _ticket(first)
    with clock.frozen(at + timedelta(hours=2)):
        answer = services.message_add(
            actor=system,
            ticket_id=ticket.pk,
            kind="reply",
            body=(
                "Dag Sofie, log in op het burgerprofiel met itsme en kies 'e-Box'. "
                "Ziet u de brief niet? Antwoord dan op deze mail."
            ),
            author_label="medewerker",
        )
    assert answer.outbound is not None
    with clock.frozen(at + timedelta(hours=20)):
        _mail(
            box,
            at + timedelta(hours=20),
            from_address="sofie.janssens@example.org",
            from_name="Sofie Janssens",
            subject="Re: Brief van de stad niet in mijn e-Box",
            in_reply_to=answer.outbound.email_message_id,
            references=f"{first.message_id} {answer.outbound.email_message_id}",
            text_body="Gevonden, dank u wel!",
        )
    token = MailThread.objects.get(ticket=ticket).token
    # Someone else answers with the right reference: quarantined, not added.
    with clock.frozen(at + timedelta(hours=22)):
        _mail(
            box,
            at + timedelta(hours=22),
            from_address="info@prijzen-winnen.example",
            from_name="Prijzen",
            subject=f"Re: [#{ticket.number}-{token}] U hebt gewonnen",
            text_body="Klik hier om uw prijs te ontvangen.",
        )
    # A second ticket, its reply threaded by the subject reference only.
    at2 = now - timedelta(hours=6)
    with clock.frozen(at2):
        second = _mail(
            box,
            at2,
            from_address="marc.aerts@example.org",
            from_name="Marc Aerts",
            subject="Tax-on-web: aangifte lukt niet",
            html_body="<p>Ik kan niet inloggen op <b>MyMinfin</b>.</p>",
            text_body="Ik kan niet inloggen op MyMinfin.",
        )
    other = _ticket(second)
    other_token = MailThread.objects.get(ticket=other).token
    with clock.frozen(at2 + timedelta(hours=1)):
        _mail(
            box,
            at2 + timedelta(hours=1),
            from_address="marc.aerts@example.org",
            from_name="Marc Aerts",
            subject=f"Nog iets [#{other.number}-{other_token}]",
            text_body="Ik krijg de foutmelding 'sessie verlopen'.",
        )
    _satisfaction(community)


def _satisfaction(community: Any) -> None:
    """Answers for part of the demo's closed tickets, so the satisfaction table has figures
    (no SMS or call goes out: the demo's history is in the past)."""
    rng = random.Random(1414)
    closed = Ticket.objects.in_community(community).filter(
        status=Status.CLOSED, person__isnull=False
    )
    rows = []
    for ticket in closed.order_by("pk")[:60]:
        assert ticket.closed_at is not None
        answered = rng.random() < 0.6
        rows.append(
            Survey(
                community=community,
                ticket=ticket,
                way=SurveyWay.SMS,
                created_at=ticket.closed_at,
                expires_at=ticket.closed_at + timedelta(days=14),
                score=rng.choice((3, 4, 4, 5, 5, 2)) if answered else None,
                answered_at=ticket.closed_at + timedelta(hours=5) if answered else None,
                answered_by="link" if answered else "",
            )
        )
    Survey.objects.bulk_create(rows, ignore_conflicts=True)
