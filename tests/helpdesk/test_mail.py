"""The helpdesk's e-mail channel against real servers: dovecot (IMAP, mails in) and aiosmtpd
(SMTP, answers out) — a mail becomes a ticket, replies thread in by the subject reference or
the headers, a reply from someone outside the ticket is quarantined, closed tickets get a
follow-up, bad input (HTML with scripts, a huge attachment, a flood) is handled, and the
quarantine and attachment pages keep to their permissions (docs/helpdesk.md, "E-mail")."""

from __future__ import annotations

import email
import email.policy
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.helpdesk import services
from buurtkit.helpdesk.models import (
    MailThread,
    MessageKind,
    QuarantinedMail,
    Status,
    Ticket,
    TicketMessage,
)
from buurtkit.messaging.models import InboundMail, Mailbox, Message
from buurtkit.messaging.services import mailbox_create, mailbox_poll
from buurtkit.people import services as people_services
from tests.mailservers import Dovecot, SmtpSink, dovecot_available

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group("mailservers"),
    pytest.mark.skipif(not dovecot_available(), reason="needs Debian's dovecot-imapd (.ci/run)"),
]

_seq = itertools.count(1)
HELP = "help@rabot.example"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def via_smtp(settings: Any, smtp: SmtpSink, tmp_path: Path) -> SmtpSink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = f"Helpdesk Rabot <{HELP}>"
    settings.MAIL_MESSAGE_ID_DOMAIN = "rabot.example"
    settings.MAIL_DIR = tmp_path / "mail"
    smtp.received.clear()
    return smtp


class Box:
    """A helpdesk mailbox of one community on the test dovecot, with its own IMAP user."""

    def __init__(self, server: Dovecot, mailbox: Mailbox, user: str) -> None:
        self.server, self.mailbox, self.user = server, mailbox, user

    def deliver(self, *mails: bytes) -> Any:
        self.server.append(self.user, *mails)
        return mailbox_poll(mailbox_id=self.mailbox.pk)


@pytest.fixture
def make_box(
    dovecot: Dovecot, via_smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Actor], Box]:
    def make(actor: Actor) -> Box:
        n = next(_seq)
        user = f"helpdesk{n}-{os.getpid()}"
        env = f"BUURTKIT_MAIL_HELPDESK_{n}"
        monkeypatch.setenv(env, dovecot.password)
        mailbox = mailbox_create(
            actor=actor,
            name=f"helpdesk {n}",
            purpose="helpdesk",  # the real handler, registered by the helpdesk app
            address=HELP,
            host="127.0.0.1",
            port=dovecot.port,
            security="none",
            username=user,
            password_env=env,
        )
        return Box(dovecot, mailbox, user)

    return make


@pytest.fixture
def box(system: Actor, make_box: Callable[[Actor], Box]) -> Box:
    return make_box(system)


def mail(
    body: str = "Hallo, mijn itsme werkt niet meer.",
    *,
    subject: str = "Vraag over itsme",
    sender: str = "an@example.org",
    name: str = "An Peeters",
    html: str = "",
    attachments: tuple[tuple[str, bytes], ...] = (),
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = HELP
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<m{next(_seq)}-{os.getpid()}@example.org>")
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    for header, value in headers.items():
        msg[header.replace("_", "-")] = value
    if html:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    for filename, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return bytes(msg)


def _ticket_of(inbound: InboundMail) -> Ticket:
    return Ticket.objects.get(mails__inbound=inbound)


def _last_mail() -> InboundMail:
    return InboundMail.objects.order_by("-id").first()  # type: ignore[return-value]


def _sent(sink: SmtpSink) -> EmailMessage:
    parsed = email.message_from_bytes(sink.received[-1][2], policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _answer(system: Actor, ticket: Ticket, text: str, capture: Any) -> Message:
    with capture(execute=True):
        entry = services.message_add(actor=system, ticket_id=ticket.pk, kind="reply", body=text)
    assert entry.outbound is not None
    message = Message.objects.get(pk=entry.outbound.pk)
    assert message.status == "sent", message.error
    return message


# --- in, out, threaded --------------------------------------------------------------------------


def test_a_mail_from_an_unknown_sender_becomes_a_ticket_once(box: Box) -> None:
    first = mail()
    result = box.deliver(first)
    assert result.handled == 1 and not result.error
    inbound = _last_mail()
    assert inbound.outcome == "ticket"
    ticket = _ticket_of(inbound)
    assert ticket.channel == "email" and ticket.status == Status.NEW
    assert ticket.person is None
    assert (ticket.contact_email, ticket.contact_name) == ("an@example.org", "An Peeters")
    assert ticket.subject == "Vraag over itsme"
    assert "itsme werkt niet" in ticket.messages.get().body
    token = MailThread.objects.get(ticket=ticket).token
    assert len(token) == 6
    # Read twice: the same mail appended again (same Message-ID) and another poll.
    box.deliver(first)
    assert mailbox_poll(mailbox_id=box.mailbox.pk).handled == 0
    assert Ticket.objects.filter(channel="email").count() == 1
    # The handler itself is idempotent too (a retry after a crash half-way).
    system = Actor.system(box.mailbox.community, label="again")
    assert services.mail_take_in(mail=inbound, actor=system) == "ticket"
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1


def test_a_known_sender_is_linked_to_their_person(system: Actor, box: Box) -> None:
    person = people_services.person_create(
        actor=system, first_name="Rita", last_name="Claes", email="Rita.Claes@example.org"
    )
    box.deliver(mail(sender="rita.claes@example.org", name="Rita"))
    assert _ticket_of(_last_mail()).person_id == person.pk


def test_answers_go_out_by_smtp_and_replies_thread_by_headers_and_by_subject(
    system: Actor, box: Box, via_smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    box.deliver(mail(message_id="<first-question@example.org>"))
    ticket = _ticket_of(_last_mail())
    token = MailThread.objects.get(ticket=ticket).token
    # A contact-only ticket is answered by SMTP, with the reference and threading headers.
    answer = _answer(system, ticket, "Probeer dit eens.", django_capture_on_commit_callbacks)
    sent = _sent(via_smtp)
    assert via_smtp.received[-1][1] == ["an@example.org"]
    assert sent["Subject"] == f"Re: Vraag over itsme [#{ticket.number}-{token}]"
    assert sent["In-Reply-To"] == "<first-question@example.org>"
    assert sent["References"] == "<first-question@example.org>"
    assert sent["Reply-To"] == HELP
    assert sent["Message-ID"] == answer.email_message_id
    assert "Probeer dit eens." in sent.get_content()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None

    # The resident's mail program answers with In-Reply-To (and a subject it mangled).
    box.deliver(
        mail(
            "Dank je, het lukt!",
            subject="AW: your answer",
            in_reply_to=answer.email_message_id,
            references=f"<first-question@example.org> {answer.email_message_id}",
        )
    )
    assert _last_mail().outcome == "reply"
    # A new mail with only the reference in its subject (no headers) threads too.
    box.deliver(mail("Nog een vraag.", subject=f"Re: iets [#{ticket.number}-{token.upper()}]"))
    assert _last_mail().outcome == "reply"
    bodies = list(ticket.messages.filter(kind=MessageKind.INCOMING).values_list("body", flat=True))
    assert bodies[1:] == ["Dank je, het lukt!", "Nog een vraag."]
    assert Ticket.objects.count() == 1
    # The second answer threads under the resident's last mail and the whole thread.
    _answer(system, ticket, "Graag gedaan.", django_capture_on_commit_callbacks)
    again = _sent(via_smtp)
    last_in = _last_mail().message_id
    assert again["In-Reply-To"] == last_in
    assert "<first-question@example.org>" in again["References"]
    assert answer.email_message_id in again["References"]


@pytest.mark.engine_independent  # a subject parsed and a lookup; nothing engine-specific
def test_a_guessed_number_without_the_token_makes_a_new_ticket(box: Box) -> None:
    box.deliver(mail())
    ticket = _ticket_of(_last_mail())
    box.deliver(mail("Hallo", subject=f"Re: [#{ticket.number}-aaaaaa]"))
    other = _ticket_of(_last_mail())
    assert other.pk != ticket.pk
    assert ticket.messages.count() == 1


def test_a_reply_from_someone_outside_the_ticket_is_quarantined(
    system: Actor, box: Box, login_client: Callable[..., Client], community: Community
) -> None:
    box.deliver(mail(message_id="<an-1@example.org>"))
    ticket = _ticket_of(_last_mail())
    token = MailThread.objects.get(ticket=ticket).token
    # The right reference, but from another address (spoofed or forwarded).
    box.deliver(
        mail(
            "Stuur mij haar gegevens",
            sender="mallory@example.net",
            subject=f"[#{ticket.number}-{token}]",
        )
    )
    by_subject = QuarantinedMail.objects.get(mail=_last_mail())
    box.deliver(
        mail("Ook ik", sender="eve@example.net", subject="hi", in_reply_to="<an-1@example.org>")
    )
    by_headers = QuarantinedMail.objects.get(mail=_last_mail())
    assert _last_mail().outcome == "quarantined"
    assert by_subject.ticket_id == by_headers.ticket_id == ticket.pk
    assert by_subject.reason == "not_participant" and by_subject.status == "waiting"
    assert ticket.messages.count() == 1  # nothing added silently
    assert Ticket.objects.count() == 1

    staff = login_client(community, "staff")
    listing = staff.get("/rabot/helpdesk/quarantine/").content.decode()
    assert "mallory@example.net" in listing and "eve@example.net" in listing
    page = staff.get(f"/rabot/helpdesk/quarantine/{by_subject.pk}/").content.decode()
    assert "Stuur mij haar gegevens" in page and 'value="accept"' in page
    # Accept into the ticket: added, and the sender now takes part in it.
    response = staff.post(
        f"/rabot/helpdesk/quarantine/{by_subject.pk}/decide/", {"action": "accept"}
    )
    assert response.status_code == 302
    by_subject.refresh_from_db()
    assert by_subject.status == "accepted" and by_subject.result_ticket_id == ticket.pk
    assert "Stuur mij haar gegevens" in ticket.messages.last().body  # type: ignore[union-attr]
    assert "mallory@example.net" in services.participants(ticket)
    # Decided once.
    with pytest.raises(ValidationFailed):
        services.quarantine_decide(actor=system, quarantine_id=by_subject.pk, action="discard")
    # Make a new ticket of the other; discard is the third way.
    made = services.quarantine_decide(
        actor=system, quarantine_id=by_headers.pk, action="new_ticket"
    )
    assert made.result_ticket is not None and made.result_ticket.contact_email == "eve@example.net"
    box.deliver(mail("spam", sender="x@example.net", subject=f"[#{ticket.number}-{token}]"))
    third = QuarantinedMail.objects.get(mail=_last_mail())
    count = Ticket.objects.count()
    services.quarantine_decide(actor=system, quarantine_id=third.pk, action="discard")
    third.refresh_from_db()
    assert third.status == "discarded" and Ticket.objects.count() == count
    waiting = staff.get("/rabot/helpdesk/quarantine/").content.decode()
    assert "x@example.net" not in waiting


def test_a_reply_to_a_closed_ticket_makes_a_new_ticket_linked_to_it(
    system: Actor, box: Box, login_client: Callable[..., Client], community: Community
) -> None:
    box.deliver(mail())
    old = _ticket_of(_last_mail())
    token = MailThread.objects.get(ticket=old).token
    for status in ("resolved", "closed"):
        services.ticket_transition(actor=system, ticket_id=old.pk, status=status)
    box.deliver(
        mail("Het werkt weer niet.", subject=f"Re: Vraag over itsme [#{old.number}-{token}]")
    )
    assert _last_mail().outcome == "follow-up"
    new = _ticket_of(_last_mail())
    assert new.pk != old.pk and new.status == Status.NEW
    assert MailThread.objects.get(ticket=new).follows_id == old.pk
    old.refresh_from_db()
    assert old.status == Status.CLOSED and old.messages.count() == 1
    page = login_client(community, "staff").get(f"/rabot/helpdesk/tickets/{new.pk}/")
    assert old.reference in page.content.decode()


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.engine_independent  # text cleaning; nothing engine-specific
def test_html_with_scripts_reaches_the_ticket_as_sanitised_text(box: Box) -> None:
    box.deliver(
        mail(
            html=(
                "<p>Mijn <b>e-box</b> opent niet.</p>"
                "<script>alert('stolen')</script><img src=x onerror=alert(1)>"
                '<a href="javascript:alert(2)">klik</a>'
            )
        )
    )
    body = _ticket_of(_last_mail()).messages.get().body
    assert "e-box" in body and "opent niet" in body
    for bad in ("<script", "alert(", "onerror", "javascript:"):
        assert bad not in body


@pytest.mark.engine_independent  # files and permissions; nothing engine-specific
def test_a_huge_attachment_is_listed_as_not_kept_and_a_small_one_is_served_to_staff_only(
    settings: Any,
    box: Box,
    community: Community,
    other_community: Community,
    login_client: Callable[..., Client],
) -> None:
    settings.MAIL_ATTACHMENT_MAX_BYTES = 2000
    with translation.override("en"):  # the worker writes the note in its language
        box.deliver(mail(attachments=(("scan.pdf", b"%PDF-1.4 small"), ("huge.pdf", b"x" * 5000))))
    ticket = _ticket_of(_last_mail())
    body = ticket.messages.get().body
    assert "[huge.pdf: attachment too large, not kept]" in body
    kept = _last_mail().attachments.get(filename="scan.pdf")
    staff = login_client(community, "staff")
    page = staff.get(f"/rabot/helpdesk/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert f"/rabot/helpdesk/attachments/{kept.pk}/" in text
    assert "attachment too large, not kept" in text
    url = f"/rabot/helpdesk/attachments/{kept.pk}/"
    for role, expected in (
        ("coordinator", 200),
        ("staff", 200),
        ("counter_clerk", 200),
        ("auditor", 200),
        ("volunteer", 403),
        ("resident", 403),
    ):
        response = login_client(community, role).get(url)
        assert response.status_code == expected, role
        if expected == 200:
            assert b"".join(response.streaming_content) == b"%PDF-1.4 small"  # type: ignore[attr-defined]
            assert response["Content-Type"] == "application/octet-stream"
            assert response["Content-Disposition"].startswith("attachment;")
    # Another community's staff: not found there.
    assert (
        login_client(other_community, "staff")
        .get(f"/heuvelwijk/helpdesk/attachments/{kept.pk}/")
        .status_code
        == 404
    )
    # A refused one has no file to serve.
    refused = _last_mail().attachments.get(filename="huge.pdf")
    assert staff.get(f"/rabot/helpdesk/attachments/{refused.pk}/").status_code == 404


@pytest.mark.engine_independent  # a count in an hour with a frozen clock; nothing engine-specific
def test_a_mail_flood_from_one_sender_is_grouped_then_quarantined(
    settings: Any, system: Actor, box: Box
) -> None:
    settings.HELPDESK_MAIL_TICKETS_PER_HOUR = 2
    now = clock.now()
    with clock.frozen(now):
        box.deliver(
            *(
                mail(f"vraag {i}", subject=f"vraag {i}", sender="flood@example.org")
                for i in range(5)
            )
        )
    tickets = list(Ticket.objects.filter(contact_email="flood@example.org").order_by("number"))
    assert len(tickets) == 2  # at most 2 new tickets in an hour
    outcomes = list(
        InboundMail.objects.filter(from_address="flood@example.org")
        .order_by("uid")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["ticket", "ticket", "grouped", "grouped", "grouped"]
    assert tickets[1].messages.count() == 4  # the rest went into the latest open ticket
    # With nothing open to group into, the next ones wait in the quarantine.
    for ticket in tickets:
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status="closed")
    with clock.frozen(now + timedelta(minutes=10)):
        box.deliver(mail("nog eens", sender="flood@example.org"))
    assert QuarantinedMail.objects.get(mail=_last_mail()).reason == "flood"
    # An hour later the sender may open a ticket again.
    with clock.frozen(now + timedelta(minutes=61)):
        box.deliver(mail("een uur later", sender="flood@example.org"))
    assert _last_mail().outcome == "ticket"


# --- the quarantine's permissions and tenant isolation -------------------------------------------


def test_quarantine_pages_permission_matrix_and_tenant_isolation(
    system: Actor,
    other_system: Actor,
    make_box: Callable[[Actor], Box],
    community: Community,
    other_community: Community,
    login_client: Callable[..., Client],
) -> None:
    box = make_box(system)
    box.deliver(mail())
    ticket = _ticket_of(_last_mail())
    token = MailThread.objects.get(ticket=ticket).token
    box.deliver(mail("x", sender="mallory@example.net", subject=f"[#{ticket.number}-{token}]"))
    item = QuarantinedMail.objects.get(mail=_last_mail())
    # The other community's mailbox: its own quarantine.
    other_box = make_box(other_system)
    other_box.deliver(mail(sender="jean@example.be"))
    other_ticket = _ticket_of(_last_mail())
    other_token = MailThread.objects.get(ticket=other_ticket).token
    other_box.deliver(
        mail("y", sender="zed@example.net", subject=f"[#{other_ticket.number}-{other_token}]")
    )
    assert QuarantinedMail.objects.count() == 2

    urls = ("/rabot/helpdesk/quarantine/", f"/rabot/helpdesk/quarantine/{item.pk}/")
    for role, see in (
        ("coordinator", 200),
        ("staff", 200),
        ("counter_clerk", 200),
        ("auditor", 200),
        ("volunteer", 403),
        ("resident", 403),
    ):
        client = login_client(community, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == see, (role, url)
            if see == 200 and url.endswith("quarantine/"):
                assert "mallory@example.net" in response.content.decode()
                assert "zed@example.net" not in response.content.decode()
        decide = client.post(f"/rabot/helpdesk/quarantine/{item.pk}/decide/", {"action": "x"})
        may_decide = role in ("coordinator", "staff", "counter_clerk")
        assert (decide.status_code != 403) == may_decide, role
    assert Client().get(urls[0]).status_code in (302, 403)  # no login
    # Another community's staff: this item is not found there, and they cannot decide it.
    other_staff = login_client(other_community, "staff")
    assert other_staff.get(f"/heuvelwijk/helpdesk/quarantine/{item.pk}/").status_code == 404
    other_staff.post(f"/heuvelwijk/helpdesk/quarantine/{item.pk}/decide/", {"action": "discard"})
    item.refresh_from_db()
    assert item.status == "waiting"
