"""Inbound e-mail: read mailboxes over IMAP, store each mail once, hand it to a handler.

How a poll of one mailbox goes (:func:`mailbox_poll`; docs/mail.md):

1. Mails stored earlier but not handled yet (a worker stopped between storing and
   handling) are handled first.
2. Log in, ``EXAMINE`` the folder (read-only: the reader never changes flags or deletes),
   read its ``UIDVALIDITY``. A new UIDVALIDITY (the folder was rebuilt) starts again at
   UID 1; mails whose Message-ID is already stored are then kept as duplicates only.
3. ``UID SEARCH`` for UIDs above ``last_uid``; fetch them in batches (sizes first: a mail
   over ``MAIL_MAX_BYTES`` is fetched as its header only, with a note).
4. Per batch: attachments are written under ``MAIL_DIR`` (content-addressed, so writing one
   again after a crash changes nothing), then one transaction stores the mails and moves
   ``last_uid`` (store-then-mark). The mailbox row is locked in that transaction, so two
   pollers never store the same mail.
5. After that commit each stored mail goes to the handler registered for the mailbox's
   ``purpose``, in a transaction of its own that also marks the mail handled: the
   handler's work and the mark commit together, so a mail is handled once, and a mail
   whose handler did not finish is handled at the next poll. A handler that raises is
   retried at the next polls, then marked failed after :data:`MAX_HANDLE_ATTEMPTS`.
"""

from __future__ import annotations

import hashlib
import imaplib
import ipaddress
import logging
import os
import re
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.registry import Registry
from buurtkit.messaging import mailparse
from buurtkit.messaging.models import (
    InboundAttachment,
    InboundMail,
    InboundStatus,
    Mailbox,
    Security,
)

logger = logging.getLogger(__name__)

BATCH = 100
MAX_HANDLE_ATTEMPTS = 5
PASSWORD_ENV = re.compile(r"^BUURTKIT_MAIL_[A-Z0-9_]{1,80}$")
IMAP_TIMEOUT = 60


class MailHandler(Protocol):
    """What a module registers to act on the mails of the mailboxes with its purpose.

    Called inside the transaction that marks the mail handled; returns a short outcome
    (``"ticket"``, ``"reply"``, ``"quarantined"`` …) that is kept on the mail. Raising rolls
    back its work; the mail is tried again at the next poll.
    """

    def __call__(self, *, mail: InboundMail, actor: Actor) -> str | None: ...


MAIL_HANDLERS: Registry[str, MailHandler] = Registry("mail handlers")


def register_mail_handler(purpose: str, handler: MailHandler) -> MailHandler:
    """Hand every mail of mailboxes whose ``purpose`` is ``purpose`` to ``handler``."""
    return MAIL_HANDLERS.register_once(purpose, handler)


class MailboxError(Exception):
    """The mailbox cannot be read now (no password, server down, login refused)."""


@dataclass
class PollResult:
    mailbox_id: int
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    handled: int = 0
    failed: int = 0
    waiting: int = 0
    error: str = ""


# --- the IMAP side -------------------------------------------------------------------------


def plain_allowed(host: str) -> bool:
    """A password may travel unencrypted only to this machine (or when the operator allows
    it with ``MAIL_ALLOW_PLAIN_IMAP``, e.g. a server on a private network)."""
    if settings.MAIL_ALLOW_PLAIN_IMAP or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def _connect(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    password = (
        os.environ.get(mailbox.password_env, "") if PASSWORD_ENV.match(mailbox.password_env) else ""
    )
    if not password:
        raise MailboxError(f"no password in the environment variable {mailbox.password_env}")
    if mailbox.security == Security.NONE and not plain_allowed(mailbox.host):
        raise MailboxError("unencrypted IMAP is only allowed to this machine")
    try:
        imap: imaplib.IMAP4
        if mailbox.security == Security.SSL:
            imap = imaplib.IMAP4_SSL(
                mailbox.host,
                mailbox.port,
                ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT,
            )
        else:
            imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT)
            if mailbox.security == Security.STARTTLS:
                imap.starttls(ssl_context=ssl.create_default_context())
        imap.login(mailbox.username, password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"{type(exc).__name__}: {exc}") from exc
    try:
        yield imap
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _ok(answer: tuple[str, list[object]], what: str) -> list[object]:
    typ, data = answer
    if typ != "OK":
        raise MailboxError(f"{what}: {typ} {data!r}"[:500])
    return data


_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch(imap: imaplib.IMAP4, uids: list[int], items: str) -> dict[int, tuple[bytes, bytes]]:
    """UID FETCH: per UID, (the response line, the literal if any).

    A server may send the UID before or after the literal (``(UID 5 BODY[] {n}`` or
    ``(BODY[] {n} … UID 5)``); imaplib then gives the part after the literal as the next item.
    """
    data = _ok(imap.uid("FETCH", ",".join(map(str, uids)), items), "FETCH")  # type: ignore[arg-type]
    return by_uid(data)


def by_uid(data: list[object]) -> dict[int, tuple[bytes, bytes]]:
    """The items of imaplib's FETCH answer, per UID: (response line, literal)."""
    found: dict[int, tuple[bytes, bytes]] = {}
    waiting: tuple[bytes, bytes] | None = None  # a literal whose UID comes after it
    for item in data:
        line, literal = (item[0], item[1]) if isinstance(item, tuple) else (item, b"")
        if not isinstance(line, bytes):
            continue
        literal = literal if isinstance(literal, bytes) else b""
        uid = _UID.search(line)
        if uid:
            if waiting is not None and not isinstance(item, tuple):
                found[int(uid.group(1))] = waiting
            else:
                found[int(uid.group(1))] = (line, literal)
            waiting = None
        elif isinstance(item, tuple):
            waiting = (line, literal)
    return found


# --- storing -------------------------------------------------------------------------------


def mail_dir() -> Path:
    return Path(settings.MAIL_DIR)


def _keep_file(community_id: int, data: bytes) -> tuple[str, str]:
    """Write ``data`` once under MAIL_DIR/<community>/<sha[:2]>/<sha>; (relative path, sha)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{community_id}/{sha[:2]}/{sha}"
    target = mail_dir() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    return relative, sha


@dataclass
class _Fetched:
    uid: int
    size: int
    parsed: mailparse.ParsedMail
    files: list[tuple[mailparse.Attachment, str, str]]  # (attachment, path, sha)


def _store_batch(
    mailbox: Mailbox, uidvalidity: int, batch: list[_Fetched]
) -> tuple[list[int], int]:
    """One transaction: the new mails, their attachments, ``last_uid``. Returns the ids of
    the mails to handle and the number kept as duplicates."""
    now = clock.now()
    with transaction.atomic():
        box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if box.uidvalidity != uidvalidity:
            return [], 0  # another poller saw the folder rebuilt meanwhile: next poll
        fresh = [f for f in batch if f.uid > box.last_uid]
        if not fresh:
            return [], 0
        ids = {f.parsed.message_id for f in fresh if f.parsed.message_id}
        known = set(
            InboundMail.objects.filter(mailbox=box, message_id__in=ids).values_list(
                "message_id", flat=True
            )
        )
        rows: list[InboundMail] = []
        for f in fresh:
            p = f.parsed
            duplicate = bool(p.message_id) and p.message_id in known
            if p.message_id:
                known.add(p.message_id)
            rows.append(
                InboundMail(
                    community_id=box.community_id,
                    mailbox=box,
                    uidvalidity=uidvalidity,
                    uid=f.uid,
                    message_id=p.message_id,
                    in_reply_to=p.in_reply_to,
                    references=p.references,
                    from_address=p.from_address,
                    from_name=p.from_name,
                    to=p.to,
                    subject=p.subject,
                    sent_at=p.sent_at,
                    received_at=now,
                    raw_size=min(f.size, 2**31 - 1),
                    raw_headers=p.raw_headers,
                    text_body="" if duplicate else p.text_body,
                    html_body="" if duplicate else p.html_body,
                    notes="\n".join(p.notes),
                    status=InboundStatus.DUPLICATE if duplicate else InboundStatus.RECEIVED,
                )
            )
        InboundMail.objects.bulk_create(rows, batch_size=BATCH)
        stored = {
            m.uid: m
            for m in InboundMail.objects.filter(
                mailbox=box, uidvalidity=uidvalidity, uid__in=[f.uid for f in fresh]
            ).only("pk", "uid", "status")
        }
        attachments = [
            InboundAttachment(
                community_id=box.community_id,
                mail_id=stored[f.uid].pk,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                sha256=sha,
                path=path,
                refused=a.refused,
            )
            for f in fresh
            if stored[f.uid].status == InboundStatus.RECEIVED
            for a, path, sha in f.files
        ]
        InboundAttachment.objects.bulk_create(attachments, batch_size=BATCH)
        Mailbox.objects.filter(pk=box.pk).update(last_uid=max(f.uid for f in fresh))
    pending = [m.pk for m in stored.values() if m.status == InboundStatus.RECEIVED]
    duplicates = sum(1 for m in stored.values() if m.status == InboundStatus.DUPLICATE)
    return sorted(pending), duplicates


def _prepare(mailbox: Mailbox, uid: int, size: int, raw: bytes, headers_only: bool) -> _Fetched:
    parsed = mailparse.parse(
        raw,
        attachment_max_bytes=settings.MAIL_ATTACHMENT_MAX_BYTES,
        attachments_max=settings.MAIL_ATTACHMENTS_MAX,
        headers_only=headers_only,
    )
    if headers_only:
        parsed.notes.append(
            f"too large ({size} bytes, the limit is {settings.MAIL_MAX_BYTES}): "
            "only the header was read; the text and attachments were not fetched"
        )
    files = []
    for attachment in parsed.attachments:
        if attachment.data is None:
            files.append((attachment, "", ""))
        else:
            path, sha = _keep_file(mailbox.community_id, attachment.data)
            files.append((attachment, path, sha))
            attachment.data = None  # the bytes are on disk now
    return _Fetched(uid=uid, size=size, parsed=parsed, files=files)


# --- handling ------------------------------------------------------------------------------


def mail_handle(*, mail_id: int) -> str:
    """Hand one stored mail to its handler, once. Returns the mail's status afterwards."""
    try:
        with transaction.atomic():
            # Locked, so a second worker waits here and then finds the mail handled.
            mail = (
                InboundMail.objects.select_for_update(of=("self",))
                .select_related("mailbox", "community")
                .get(pk=mail_id)
            )
            if mail.status != InboundStatus.RECEIVED:
                return mail.status
            handler = MAIL_HANDLERS.get(mail.mailbox.purpose)
            if handler is None:
                return mail.status  # waits until a module registers a handler for its purpose
            actor = Actor.system(mail.community, label=f"mailbox {mail.mailbox.name}")
            outcome = handler(mail=mail, actor=actor) or ""
            InboundMail.objects.filter(pk=mail_id).update(
                status=InboundStatus.HANDLED,
                handled_at=clock.now(),
                outcome=str(outcome)[:40],
                handle_attempts=mail.handle_attempts + 1,
                handler_error="",
            )
            return InboundStatus.HANDLED
    except Exception as exc:  # the handler's work rolled back; recorded, tried again later
        logger.exception("mail %s: the handler failed", mail_id)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction.atomic():
            current = InboundMail.objects.select_for_update().get(pk=mail_id)
            if current.status != InboundStatus.RECEIVED:
                return current.status
            current.handle_attempts += 1
            current.handler_error = error
            if current.handle_attempts >= MAX_HANDLE_ATTEMPTS:
                current.status = InboundStatus.FAILED
            current.save(update_fields=["handle_attempts", "handler_error", "status"])
            return current.status


def _handle(ids: list[int], result: PollResult) -> None:
    for mail_id in ids:
        status = mail_handle(mail_id=mail_id)
        if status == InboundStatus.HANDLED:
            result.handled += 1
        elif status == InboundStatus.FAILED:
            result.failed += 1
        elif status == InboundStatus.RECEIVED:
            result.waiting += 1


def _pending(mailbox: Mailbox) -> list[int]:
    return list(
        InboundMail.objects.filter(mailbox=mailbox, status=InboundStatus.RECEIVED)
        .order_by("uidvalidity", "uid")
        .values_list("pk", flat=True)
    )


# --- one poll ------------------------------------------------------------------------------


def mailbox_poll(*, mailbox_id: int, limit: int | None = None) -> PollResult:
    """Read the new mails of one mailbox, store them and hand them to the handler.

    ``limit``: at most this many new mails in this poll (the rest at the next one).
    A mailbox that cannot be read records why in ``last_error`` and raises nothing.
    """
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    result = PollResult(mailbox_id=mailbox.pk)
    _handle(_pending(mailbox), result)
    try:
        with _connect(mailbox) as imap:
            _read_new(imap, mailbox, result, limit)
    except MailboxError as exc:
        result.error = str(exc)[:2000]
    except (OSError, imaplib.IMAP4.error) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=clock.now(), last_error=result.error
    )
    if result.error:
        logger.warning("mailbox %s: %s", mailbox.pk, result.error)
    return result


def _read_new(imap: imaplib.IMAP4, mailbox: Mailbox, result: PollResult, limit: int | None) -> None:
    _ok(imap.select(_quoted(mailbox.folder), readonly=True), "EXAMINE")
    validity = imap.untagged_responses.get("UIDVALIDITY", [b"0"])[-1]
    uidvalidity = int(validity if isinstance(validity, (bytes, str)) else 0)
    if mailbox.uidvalidity != uidvalidity:
        with transaction.atomic():
            box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
            if box.uidvalidity != uidvalidity:
                Mailbox.objects.filter(pk=box.pk).update(uidvalidity=uidvalidity, last_uid=0)
        mailbox.refresh_from_db()
    start = mailbox.last_uid + 1
    data = _ok(imap.uid("SEARCH", "UID", f"{start}:*"), "SEARCH")  # type: ignore[arg-type]
    found = b" ".join(d for d in data if isinstance(d, bytes)).split()
    # "n:*" always matches the highest UID, even below n: keep only the new ones.
    uids = sorted(u for u in {int(x) for x in found} if u >= start)
    if limit is not None:
        uids = uids[:limit]
    for i in range(0, len(uids), BATCH):
        chunk = uids[i : i + BATCH]
        sizes = {
            uid: int(m.group(1)) if (m := _SIZE.search(line)) else 0
            for uid, (line, _lit) in _fetch(imap, chunk, "(RFC822.SIZE)").items()
        }
        small = [u for u in chunk if sizes.get(u, 0) <= settings.MAIL_MAX_BYTES]
        large = [u for u in chunk if u not in small]
        bodies = _fetch(imap, small, "(BODY.PEEK[])") if small else {}
        heads = _fetch(imap, large, "(BODY.PEEK[HEADER])") if large else {}
        prepared = []
        for uid in chunk:
            if uid in bodies:
                prepared.append(_prepare(mailbox, uid, sizes[uid], bodies[uid][1], False))
            elif uid in heads:
                prepared.append(_prepare(mailbox, uid, sizes[uid], heads[uid][1], True))
            # a UID that vanished between SEARCH and FETCH (expunged) is skipped
        result.fetched += len(prepared)
        if not prepared:
            continue
        pending, duplicates = _store_batch(mailbox, uidvalidity, prepared)
        result.stored += len(pending) + duplicates
        result.duplicates += duplicates
        _handle(pending, result)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailboxes_poll() -> list[PollResult]:
    """Poll every active mailbox of every community (the ``mail_fetch`` job, every minute)."""
    results = []
    for pk in Mailbox.objects.filter(active=True).order_by("pk").values_list("pk", flat=True):
        results.append(mailbox_poll(mailbox_id=pk))
    return results


def mail_fetch_job() -> str:
    """The ``mail_fetch`` job: poll every mailbox; a one-line summary for ``buurtkit jobs``
    (a mailbox that cannot be read keeps its reason in ``Mailbox.last_error``)."""
    results = mailboxes_poll()
    stored = sum(r.stored for r in results)
    handled = sum(r.handled for r in results)
    errors = sum(1 for r in results if r.error)
    return (
        f"{len(results)} mailbox(es): {stored} stored, {handled} handled, "
        f"{errors} could not be read"
    )


def describe(result: PollResult) -> str:
    """One line for the command's output and the logs."""
    r = result
    text = (
        f"mailbox {r.mailbox_id}: {r.fetched} fetched, {r.stored} stored "
        f"({r.duplicates} duplicates), {r.handled} handled, {r.failed} failed, "
        f"{r.waiting} waiting"
    )
    return text + (f"; error: {r.error}" if r.error else "")
