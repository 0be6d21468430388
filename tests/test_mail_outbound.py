"""Outbound e-mail through a real SMTP server (aiosmtpd, started here) with the threading
headers, and the answer to it read back over IMAP from a real dovecot (docs/mail.md)."""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.messaging.models import InboundMail, Message, Status
from buurtkit.messaging.services import (
    MAIL_HANDLERS,
    email_send,
    mailbox_create,
    mailbox_poll,
)
from tests.mailservers import Dovecot, SmtpSink, dovecot_available

pytestmark = pytest.mark.xdist_group("mailservers")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def via_smtp(settings: Any, smtp: SmtpSink) -> SmtpSink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Helpdesk Rabot <help@rabot.example>"
    settings.MAIL_MESSAGE_ID_DOMAIN = "rabot.example"
    smtp.received.clear()
    return smtp


def _received(sink: SmtpSink) -> EmailMessage:
    assert len(sink.received) == 1
    parsed = email.message_from_bytes(sink.received[0][2], policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_an_answer_goes_out_by_smtp_with_its_threading_headers(
    system: Actor, via_smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = email_send(
            actor=system,
            to="an@example.org",
            subject="Re: [#12] Question about itsme",
            body="Hello, here is how it works.",
            idempotency_key="answer-1",
            in_reply_to="<q1@example.org>",
            references=["<q0@example.org>", "<q1@example.org>"],
            reply_to="help@rabot.example",
        )
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.email_message_id.endswith("@rabot.example>")
    sent = _received(via_smtp)
    assert via_smtp.received[0][1] == ["an@example.org"]
    assert sent["Message-ID"] == message.email_message_id
    assert sent["In-Reply-To"] == "<q1@example.org>"
    assert sent["References"] == "<q0@example.org> <q1@example.org>"
    assert sent["Reply-To"] == "help@rabot.example"
    assert sent["Subject"] == "Re: [#12] Question about itsme"
    assert sent.get_content().strip() == "Hello, here is how it works."

    # The same key again: the first message, nothing sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = email_send(
            actor=system,
            to="an@example.org",
            subject="Re: [#12] Question about itsme",
            body="Hello, here is how it works.",
            idempotency_key="answer-1",
            in_reply_to="<q1@example.org>",
            references=["<q0@example.org>", "<q1@example.org>"],
            reply_to="help@rabot.example",
        )
    assert again.pk == message.pk and len(via_smtp.received) == 1


def test_headers_cannot_be_injected(system: Actor) -> None:
    for bad in (
        {"to": "an@example.org\r\nBcc: all@example.org"},
        {"in_reply_to": "<a@b>\r\nBcc: all@example.org"},
        {"references": ["not an id"]},
        {"subject": ""},
    ):
        values: dict[str, Any] = {
            "to": "an@example.org",
            "subject": "Hi",
            "body": "text",
            "idempotency_key": f"bad-{sorted(bad)}",
            **bad,
        }
        with pytest.raises(ValidationFailed):
            email_send(actor=system, **values)
    assert not Message.objects.exists()
    # A subject with a line break is folded to one line, not a second header.
    message = email_send(
        actor=system, to="an@example.org", subject="Hi\r\nBcc: x@y.z", body="t", idempotency_key="k"
    )
    assert message.subject == "Hi Bcc: x@y.z"


@pytest.mark.skipif(not dovecot_available(), reason="needs Debian's dovecot-imapd (.ci/run)")
def test_a_reply_to_our_answer_comes_back_threaded_over_imap(
    system: Actor,
    via_smtp: SmtpSink,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MAIL_DIR = tmp_path / "mail"
    server = Dovecot().start()
    try:
        monkeypatch.setenv("BUURTKIT_MAIL_HELP", server.password)
        with django_capture_on_commit_callbacks(execute=True):
            answer = email_send(
                actor=system,
                to="an@example.org",
                subject="Re: [#7] My e-box",
                body="Try this.",
                idempotency_key="answer-7",
            )
        answer.refresh_from_db()
        # The resident's mail program answers: the sent mail, quoted, with the headers a
        # mail program puts on a reply.
        sent = _received(via_smtp)
        reply = EmailMessage()
        reply["From"] = "an@example.org"
        reply["To"] = "help@rabot.example"
        reply["Subject"] = "Re: " + str(sent["Subject"])
        reply["Message-ID"] = f"<reply-{os.getpid()}@example.org>"
        reply["In-Reply-To"] = sent["Message-ID"]
        reply["References"] = sent["Message-ID"]
        reply.set_content("Thanks, it works.\n\n> Try this.")
        server.append("help", bytes(reply))

        seen: list[InboundMail] = []

        def handler(*, mail: InboundMail, actor: Actor) -> str:
            seen.append(mail)
            return "reply"

        with MAIL_HANDLERS.override("helpdesk-test", handler):
            box = mailbox_create(
                actor=system,
                name="help",
                purpose="helpdesk-test",
                host="127.0.0.1",
                port=server.port,
                security="none",
                username="help",
                password_env="BUURTKIT_MAIL_HELP",
            )
            assert mailbox_poll(mailbox_id=box.pk).handled == 1
        (got,) = seen
        assert got.in_reply_to == answer.email_message_id
        assert answer.email_message_id in got.references
        assert got.subject == "Re: Re: [#7] My e-box"
    finally:
        server.cleanup()
