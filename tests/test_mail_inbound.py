"""Inbound e-mail against a real IMAP server (dovecot, started here): fetch once, no
duplicates, no loss after a crash half-way, bounded attachments outside the web root,
sanitised HTML, broken encodings, tenant isolation (docs/mail.md)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from buurtkit.core import scheduler
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.messaging import selectors
from buurtkit.messaging.inbound import by_uid
from buurtkit.messaging.models import InboundAttachment, InboundMail, InboundStatus, Mailbox
from buurtkit.messaging.services import (
    MAIL_HANDLERS,
    mailbox_create,
    mailbox_poll,
    mailbox_update,
    mailboxes_poll,
)
from buurtkit.people.services import person_anonymise, person_gdpr_export
from tests.mailservers import Dovecot, dovecot_available

pytestmark = [
    pytest.mark.xdist_group("mailservers"),
    pytest.mark.skipif(not dovecot_available(), reason="needs Debian's dovecot-imapd (.ci/run)"),
]

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def handled() -> Iterator[list[int]]:
    """A test handler for purpose "test": records the ids it was given."""
    seen: list[int] = []

    def handler(*, mail: InboundMail, actor: Actor) -> str:
        assert actor.community.pk == mail.community_id
        seen.append(mail.pk)
        return "test"

    with MAIL_HANDLERS.override("test", handler):
        yield seen


@pytest.fixture
def mail_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MAIL_DIR = tmp_path / "data" / "mail"
    return settings.MAIL_DIR


@pytest.fixture
def make_mailbox(
    dovecot: Dovecot, handled: list[int], mail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[Mailbox, str]]:
    def make(actor: Actor, **values: Any) -> tuple[Mailbox, str]:
        n = next(_seq)
        user = f"box{n}-{os.getpid()}"
        password = dovecot.password
        env = f"BUURTKIT_MAIL_TEST_{n}"
        monkeypatch.setenv(env, password)
        box = mailbox_create(
            actor=actor,
            name=values.pop("name", f"helpdesk {n}"),
            purpose="test",
            host="127.0.0.1",
            port=dovecot.port,
            security="none",
            username=user,
            password_env=env,
            **values,
        )
        return box, user

    return make


def mail(n: int, *, subject: str = "", sender: str = "an@example.org", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Resident {n} <{sender}>"
    msg["To"] = "help@rabot.example"
    msg["Subject"] = subject or f"Question {n}"
    msg["Message-ID"] = headers.pop("message_id", f"<q{n}-{os.getpid()}@example.org>")
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(f"Hello, this is question {n}.")
    return bytes(msg)


def test_new_mails_are_stored_once_and_handed_to_the_handler(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], handled: list[int]
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, *(mail(i) for i in range(3)))

    first = mailbox_poll(mailbox_id=box.pk)
    assert (first.fetched, first.stored, first.handled, first.error) == (3, 3, 3, "")
    mails = list(InboundMail.objects.filter(mailbox=box).order_by("uid"))
    assert [m.subject for m in mails] == ["Question 0", "Question 1", "Question 2"]
    assert all(m.status == InboundStatus.HANDLED and m.outcome == "test" for m in mails)
    assert mails[0].from_address == "an@example.org"
    assert mails[0].from_name == "Resident 0"
    assert mails[0].text_body.startswith("Hello, this is question 0.")
    assert sorted(handled) == sorted(m.pk for m in mails)

    second = mailbox_poll(mailbox_id=box.pk)
    assert (second.fetched, second.stored, second.handled) == (0, 0, 0)
    assert InboundMail.objects.filter(mailbox=box).count() == 3

    dovecot.append(user, mail(3))
    third = mailbox_poll(mailbox_id=box.pk)
    assert (third.fetched, third.handled) == (1, 1)
    assert len(handled) == 4
    # The reader only EXAMINEs: the mails on the server are not even marked as read.
    with dovecot.client(user) as imap:
        imap.select("INBOX", readonly=True)
        assert imap.search(None, "UNSEEN")[1][0].split() == [b"1", b"2", b"3", b"4"]


class Killed(BaseException):
    """Stands for the worker being killed: nothing after it runs, nothing catches it."""


def test_a_worker_stopped_half_way_loses_nothing_and_handles_nothing_twice(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], settings: Any
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, *(mail(100 + i) for i in range(7)))
    done: list[int] = []

    def dies_at_the_fifth(*, mail: InboundMail, actor: Actor) -> str:
        if len(done) == 4:
            raise Killed
        done.append(mail.pk)
        return "ok"

    with MAIL_HANDLERS.override("test", dies_at_the_fifth), pytest.raises(Killed):
        mailbox_poll(mailbox_id=box.pk)
    stored = InboundMail.objects.filter(mailbox=box)
    assert stored.count() == 7  # all were stored before any handling
    assert stored.filter(status=InboundStatus.HANDLED).count() == 4

    def survives(*, mail: InboundMail, actor: Actor) -> str:
        done.append(mail.pk)
        return "ok"

    with MAIL_HANDLERS.override("test", survives):
        again = mailbox_poll(mailbox_id=box.pk)
    assert (again.fetched, again.handled) == (0, 3)
    assert len(done) == len(set(done)) == 7
    assert stored.filter(status=InboundStatus.HANDLED).count() == 7


def test_a_failing_handler_is_tried_again_then_marked_failed(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any]
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, mail(200))

    def broken(*, mail: InboundMail, actor: Actor) -> str:
        InboundMail.objects.filter(pk=mail.pk).update(subject="half-done work")
        raise RuntimeError("the ticket service is down")

    with MAIL_HANDLERS.override("test", broken):
        results = [mailbox_poll(mailbox_id=box.pk) for _ in range(5)]
    row = InboundMail.objects.get(mailbox=box)
    assert row.subject == "Question 200"  # the handler's half-done work was rolled back
    assert row.status == InboundStatus.FAILED
    assert row.handle_attempts == 5
    assert "the ticket service is down" in row.handler_error
    assert [r.failed for r in results] == [0, 0, 0, 0, 1]


def test_the_same_message_id_twice_is_kept_as_a_duplicate_and_not_handled(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], handled: list[int]
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, mail(300), mail(300))
    result = mailbox_poll(mailbox_id=box.pk)
    assert (result.stored, result.duplicates, result.handled) == (2, 1, 1)
    statuses = list(
        InboundMail.objects.filter(mailbox=box).order_by("uid").values_list("status", flat=True)
    )
    assert statuses == [InboundStatus.HANDLED, InboundStatus.DUPLICATE]


def test_a_huge_attachment_is_refused_with_a_record_and_files_stay_outside_the_web_root(
    system: Actor,
    dovecot: Dovecot,
    make_mailbox: Callable[..., Any],
    settings: Any,
    mail_dir: Path,
) -> None:
    settings.MAIL_ATTACHMENT_MAX_BYTES = 100_000
    box, user = make_mailbox(system)
    msg = EmailMessage()
    msg["From"] = "an@example.org"
    msg["Subject"] = "My scans"
    msg["Message-ID"] = f"<scans-{os.getpid()}@example.org>"
    msg.set_content("See the attachments.")
    msg.add_attachment(b"%PDF small", maintype="application", subtype="pdf", filename="id.pdf")
    msg.add_attachment(
        os.urandom(300_000),
        maintype="application",
        subtype="octet-stream",
        filename="../../huge.bin",
    )
    dovecot.append(user, bytes(msg))

    assert mailbox_poll(mailbox_id=box.pk).handled == 1
    row = InboundMail.objects.get(mailbox=box)
    small, huge = InboundAttachment.objects.filter(mail=row).order_by("pk")
    assert (small.filename, small.size, small.refused) == ("id.pdf", 10, "")
    assert (mail_dir / small.path).read_bytes() == b"%PDF small"
    assert huge.filename == "huge.bin"  # no path in a file name
    assert huge.size == 300_000 and huge.path == "" and "too large" in huge.refused
    assert "huge.bin" in row.notes
    stored = (mail_dir / small.path).resolve()
    for web_root in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not stored.is_relative_to(Path(web_root).resolve())


def test_a_mail_over_the_size_limit_keeps_only_its_header(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], settings: Any
) -> None:
    settings.MAIL_MAX_BYTES = 50_000
    box, user = make_mailbox(system)
    msg = EmailMessage()
    msg["From"] = "big@example.org"
    msg["Subject"] = "Huge"
    msg.set_content("x" * 80_000)
    dovecot.append(user, bytes(msg), mail(400))
    result = mailbox_poll(mailbox_id=box.pk)
    assert (result.stored, result.handled) == (2, 2)
    big, small = InboundMail.objects.filter(mailbox=box).order_by("uid")
    assert big.subject == "Huge" and big.text_body == "" and big.raw_size > 80_000
    assert "only the header was read" in big.notes
    assert small.text_body.startswith("Hello")


def test_html_is_sanitised_and_a_broken_encoding_is_still_stored(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any]
) -> None:
    box, user = make_mailbox(system)
    html = EmailMessage()
    html["From"] = "x@example.org"
    html["Subject"] = "Look"
    html.set_content("plain version")
    html.add_alternative(
        '<p onclick="steal()">Hi <a href="javascript:alert(1)">me</a></p>'
        "<script>alert('x')</script><iframe src='https://evil.example'></iframe>",
        subtype="html",
    )
    broken = (
        b"From: =?x-unknown?B?Pz8=?= <old@example.org>\r\n"
        b"Subject: caf\xe9 \xff\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xe9 cr\xe8me \xff\xfe\r\n"
    )
    latin = (
        b"From: latin@example.org\r\nSubject: utf-8 that is not\r\n"
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        b"Caf\xe9\r\n"
    )
    dovecot.append(user, bytes(html), broken, latin)
    assert mailbox_poll(mailbox_id=box.pk).handled == 3
    first, second, third = InboundMail.objects.filter(mailbox=box).order_by("uid")
    assert "<p>Hi" in first.html_body
    for bad in ("script", "onclick", "javascript:", "iframe", "alert"):
        assert bad not in first.html_body
    assert first.text_body == "plain version"
    assert second.from_address == "old@example.org"
    assert second.text_body.startswith("Caf") and "cr" in second.text_body
    assert third.text_body.startswith("Caf")


def test_one_communitys_mailbox_never_shows_in_another(
    system: Actor,
    other_system: Actor,
    dovecot: Dovecot,
    make_mailbox: Callable[..., Any],
) -> None:
    mine, my_user = make_mailbox(system, name="helpdesk")
    theirs, their_user = make_mailbox(other_system, name="helpdesk")
    dovecot.append(my_user, mail(500, subject="for Rabot"))
    dovecot.append(their_user, mail(501, subject="for Heuvelwijk"))
    results = {r.mailbox_id: r for r in mailboxes_poll()}
    assert results[mine.pk].stored == results[theirs.pk].stored == 1
    assert [m.subject for m in selectors.inbound_mails(actor=system)] == ["for Rabot"]
    assert [m.subject for m in selectors.inbound_mails(actor=other_system)] == ["for Heuvelwijk"]
    assert list(selectors.mailboxes(actor=system)) == [mine]
    assert all(
        m.community_id == other_system.community.pk
        for m in InboundMail.objects.filter(mailbox=theirs)
    )
    with pytest.raises(NotFound):  # another community's mailbox is not found
        selectors.inbound_mails(actor=system, mailbox_id=theirs.pk)


def test_a_wrong_password_is_recorded_and_nothing_is_stored(
    system: Actor, make_mailbox: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, _user = make_mailbox(system)
    monkeypatch.setenv(box.password_env, "wrong")
    result = mailbox_poll(mailbox_id=box.pk)
    assert result.error and result.stored == 0
    box.refresh_from_db()
    assert box.last_error == result.error and box.last_polled_at is not None


def test_mailbox_settings_are_checked(
    system: Actor, make_mailbox: Callable[..., Any], make_person: Callable[..., Any]
) -> None:
    base = {
        "name": "x",
        "purpose": "test",
        "host": "imap.example.org",
        "port": 993,
        "username": "help",
        "password_env": "BUURTKIT_MAIL_X",
    }
    with pytest.raises(ValidationFailed) as plain:
        mailbox_create(actor=system, **{**base, "security": "none"})
    assert "security" in plain.value.fields
    with pytest.raises(ValidationFailed) as secret:
        mailbox_create(actor=system, **{**base, "password_env": "SECRET_KEY"})
    assert "password_env" in secret.value.fields
    with pytest.raises(ValidationFailed) as purpose:
        mailbox_create(actor=system, **{**base, "purpose": "nobody"})
    assert "purpose" in purpose.value.fields
    box = mailbox_create(actor=system, **base)
    with pytest.raises(ValidationFailed):
        mailbox_update(actor=system, mailbox_id=box.pk, host="other.example.org")
    assert (
        mailbox_update(actor=system, mailbox_id=box.pk, port=143, security="starttls").port == 143
    )
    clerk = Actor(
        community=system.community, label="clerk", permissions=frozenset({"messages.send"})
    )
    with pytest.raises(PermissionDenied):
        mailbox_create(actor=clerk, **{**base, "name": "y"})


def test_a_persons_mails_are_exported_and_anonymised_with_their_files(
    system: Actor,
    dovecot: Dovecot,
    make_mailbox: Callable[..., Any],
    make_person: Callable[..., Any],
    mail_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = make_person(
        system, first_name="Godelieve", last_name="Claeys", email="god@example.org"
    )
    box, user = make_mailbox(system)
    own = EmailMessage()
    own["From"] = "Godelieve Claeys <GOD@example.org>"
    own["Subject"] = "My itsme does not work"
    own.set_content("Kind regards, Godelieve Claeys")
    own.add_attachment(b"my id card", maintype="image", subtype="png", filename="id.png")
    other = mail(600, subject="About Godelieve Claeys", sender="neighbour@example.org")
    dovecot.append(user, bytes(own), other)
    assert mailbox_poll(mailbox_id=box.pk).handled == 2

    exported = person_gdpr_export(actor=system, person_id=person.pk)["inbound_mail"]
    assert [m["subject"] for m in exported] == ["My itsme does not work"]
    assert exported[0]["attachments"] == ["id.png"]
    (attachment,) = InboundAttachment.objects.filter(mail__mailbox=box)
    file = mail_dir / attachment.path

    with django_capture_on_commit_callbacks(execute=True):
        person_anonymise(actor=system, person_id=person.pk)
    mine, theirs = InboundMail.objects.filter(mailbox=box).order_by("uid")
    for row in (mine, theirs):
        text = " ".join(str(getattr(row, f.attname)) for f in InboundMail._meta.fields)
        assert "god@example.org" not in text.lower() and "Claeys" not in text
    assert mine.status == InboundStatus.HANDLED and mine.received_at is not None
    assert theirs.from_address == "neighbour@example.org"
    attachment.refresh_from_db()
    assert attachment.path == "" and attachment.filename == ""
    assert not file.exists()


def test_the_command_and_the_worker_job_run_the_same_poll(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], handled: list[int]
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, mail(700), mail(701))
    out = StringIO()
    call_command("mail_fetch", mailbox=box.pk, stdout=out)
    assert out.getvalue().strip() == (
        f"mailbox {box.pk}: 2 fetched, 2 stored (0 duplicates), 2 handled, 0 failed, 0 waiting"
    )
    dovecot.append(user, mail(702))
    run = scheduler.run_now("mail_fetch")
    assert (run.outcome, run.result) == (
        "ok",
        "1 mailbox(es): 1 stored, 1 handled, 0 could not be read",
    )
    assert len(handled) == 3


def test_the_uid_is_found_before_or_after_the_literal() -> None:
    # As imaplib hands over a FETCH answer: dovecot sends the UID first, other servers after
    # the literal (then it is the next item).
    first = [(b"1 (UID 7 BODY[] {3}", b"abc"), b")"]
    after = [(b"1 (BODY[] {3}", b"abc"), b" UID 7)", (b"2 (BODY[] {2}", b"de"), b" UID 9)"]
    sizes = [b"1 (UID 7 RFC822.SIZE 3)", b"2 (RFC822.SIZE 2 UID 9)"]
    assert by_uid(first) == {7: (b"1 (UID 7 BODY[] {3}", b"abc")}
    assert by_uid(after) == {7: (b"1 (BODY[] {3}", b"abc"), 9: (b"2 (BODY[] {2}", b"de")}
    assert set(by_uid(sizes)) == {7, 9}


def test_mails_the_server_numbers_again_are_kept_as_duplicates_not_handled_twice(
    system: Actor, dovecot: Dovecot, make_mailbox: Callable[..., Any], handled: list[int]
) -> None:
    box, user = make_mailbox(system)
    dovecot.append(user, mail(800), mail(801))
    assert mailbox_poll(mailbox_id=box.pk).handled == 2
    box.refresh_from_db()
    # Dovecot loses the folder's UID list (as after a restore of the maildir): the mails it
    # had get new UIDs, above the ones we read.
    (dovecot.dir / "mail" / user / "Maildir" / "dovecot-uidlist").unlink()
    dovecot.append(user, mail(802))
    again = mailbox_poll(mailbox_id=box.pk)
    assert (again.fetched, again.duplicates, again.handled) == (3, 2, 1)
    assert len(handled) == 3
    statuses = InboundMail.objects.filter(mailbox=box).values_list("status", flat=True)
    assert sorted(statuses) == ["duplicate", "duplicate", "handled", "handled", "handled"]
