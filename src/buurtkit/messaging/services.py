"""Notify a person by SMS or e-mail, in their language. Sending runs in a task after commit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record, audit_record_many
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.idempotency import fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import can_retry_later, enqueue_after_commit, retry_after_commit
from buurtkit.messaging.inbound import (
    MAIL_HANDLERS,
    PASSWORD_ENV,
    MailHandler,
    PollResult,
    mail_fetch_job,
    mail_handle,
    mailbox_poll,
    mailboxes_poll,
    plain_allowed,
    register_mail_handler,
)
from buurtkit.messaging.models import Channel, Mailbox, Message, Security, Status
from buurtkit.messaging.providers import sms_provider
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents, current_consents_of

SEND_MESSAGE = "buurtkit.messaging.tasks.send_message"  # by path: tasks.py imports this module
SEND_MESSAGES = "buurtkit.messaging.tasks.send_messages"

__all__ = [  # the inbound side, made public here (messaging/inbound.py; docs/mail.md)
    "MAIL_HANDLERS",
    "MailHandler",
    "PollResult",
    "mail_fetch_job",
    "mail_handle",
    "mailbox_poll",
    "mailboxes_poll",
    "register_mail_handler",
]

MAX_ATTEMPTS = 5
# A message claimed by a worker that died is sent again after this long.
SENDING_LEASE = timedelta(minutes=10)


def retry_delay(attempt: int) -> timedelta:
    """Back off 1, 4, 16, 64 minutes between tries."""
    return timedelta(minutes=4 ** (attempt - 1))


def _pick_channel(
    person: Person,
    channel: str,
    requested: bool = False,
    consents: dict[str, bool] | None = None,
) -> str:
    # Consent must have been given: "not asked yet" is not a yes. A message the person asked
    # for themself (``requested``: a code to confirm their number) needs only a mobile number.
    # ``consents``: the person's current consents when the caller read them already (a batch).
    mobile = bool(person.phone) and person.phone_kind == "mobile"
    if requested and mobile and channel in ("auto", Channel.SMS):
        return Channel.SMS.value  # asked for by the person themself: no consent to read
    if consents is None:
        consents = current_consents(person=person)
    sms_ok = (
        bool(person.phone)
        and person.phone_kind == "mobile"
        and (requested or consents.get("contact_sms", False))
    )
    email_ok = bool(person.email) and consents.get("contact_email", False)
    if channel == "auto":
        channel = "sms" if sms_ok else "email" if email_ok else ""
    if channel == Channel.SMS and sms_ok:
        return channel
    if channel == Channel.EMAIL and email_ok:
        return channel
    raise ValidationFailed(
        _("%(name)s cannot be reached this way (no number, no e-mail or no consent).")
        % {"name": person.full_name},
        code="unreachable",
    )


def notify(
    *,
    actor: Actor,
    person_id: int,
    template: str,
    context: dict[str, Any] | None = None,
    channel: str = "auto",
    idempotency_key: str,
    requested: bool = False,
    language: str = "",
    fresh: bool = False,
    person: Person | None = None,
) -> Message:
    """Queue a message rendered from ``messaging/<template>.txt`` in the person's language.

    ``requested``: the person asked for this very message (a code to confirm their phone
    number), so it goes by SMS to their mobile without the ``contact_sms`` consent.
    ``language`` overrides the person's preferred language (e.g. the one they chose for a
    service).

    The first line of the rendered template is the e-mail subject. The same idempotency key
    with the same request returns the message queued the first time instead of sending twice
    (also when two requests arrive at the same moment); the same key with a different request
    is refused.

    ``fresh``: the key names a row the caller made in this same transaction (a sign-up's
    confirmation, ``activities-confirm-<id>``), so no earlier message can carry it: the
    look-up and its savepoint are skipped (the unique constraint still refuses a duplicate).
    ``person``: the person's row when the caller has it (not read again).
    """
    actor.require("messages.send")
    key = idempotency_key[:100]
    request_hash = fingerprint([person_id, template, context or {}, channel])
    if person is not None and (person.pk != person_id or person.community_id != actor.community.pk):
        person = None
    if fresh:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("notify(fresh=True) must run inside the caller's transaction")
        return _notify_now(
            actor=actor,
            person_id=person_id,
            template=template,
            context=context,
            channel=channel,
            key=key,
            request_hash=request_hash,
            requested=requested,
            language=language,
            person=person,
        )
    return run_once(
        queryset=Message.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=lambda: _notify(
            actor=actor,
            person_id=person_id,
            template=template,
            context=context,
            channel=channel,
            key=key,
            request_hash=request_hash,
            requested=requested,
            language=language,
        ),
        conflict=_("This idempotency key was already used for another message."),
    )


def _render(
    *, community: Any, person: Person, template: str, context: dict[str, Any], language: str
) -> tuple[str, str]:
    """(text, subject) of ``messaging/<template>.txt`` in ``language``."""
    with translation.override(language):
        text = render_to_string(
            f"messaging/{template}.txt", {"person": person, "community": community, **context}
        ).strip()
    subject, _sep, _body = text.partition("\n")
    return text, subject.strip()


def _message(
    *,
    community: Any,
    person: Person,
    chosen: str,
    template: str,
    context: dict[str, Any],
    language: str,
    key: str,
    request_hash: str,
) -> Message:
    """An unsaved message: the text rendered, addressed by the channel chosen."""
    text, subject = _render(
        community=community, person=person, template=template, context=context, language=language
    )
    body = text.partition("\n")[2].strip()
    return Message(
        community=community,
        person=person,
        channel=chosen,
        to=person.phone if chosen == Channel.SMS else person.email,
        language=language,
        subject=subject[:200],
        body=(body or subject) if chosen == Channel.EMAIL else text,
        idempotency_key=key,
        request_hash=request_hash,
        created_at=clock.now(),
    )


@dataclass(frozen=True)
class Notice:
    """One message of a batch (:func:`notify_many`): as the arguments of :func:`notify`."""

    person_id: int
    idempotency_key: str
    context: dict[str, Any] = field(default_factory=dict)
    channel: str = "auto"
    language: str = ""


def notify_many(*, actor: Actor, template: str, notices: Sequence[Notice]) -> list[Message | None]:
    """Queue many messages from one template at once (a nightly sweep of reminders).

    Each notice is handled as :func:`notify` would: the person's consents and channel decide
    (a refusal is ``None`` in the answer, not an error for the whole batch), the text is in
    their language, and an idempotency key already used answers the message queued the first
    time (``None`` when it was used for another message). The new messages are written in one
    statement with their audit events, and sent by one background task for the whole batch
    after commit (a worker that never gets it: ``messages_requeue_stale``). Run twice, or
    after a crash halfway, every message is still queued exactly once.

    Returns, per notice in order, its message or ``None``.
    """
    actor.require("messages.send")
    if not notices:
        return []
    community = actor.community
    with transaction.atomic():
        wanted = [
            (notice, notice.idempotency_key[:100], _notice_hash(notice, template))
            for notice in notices
        ]
        messages = Message.objects.in_community(community)
        known: dict[str, Message] = {
            m.idempotency_key: m
            for m in messages.filter(idempotency_key__in={k for _n, k, _h in wanted})
        }
        person_ids = {n.person_id for n, key, _h in wanted if key not in known}
        people = {p.pk: p for p in Person.objects.in_community(community).filter(pk__in=person_ids)}
        consents = current_consents_of(set(people))
        new: dict[str, Message] = {}
        for notice, key, request_hash in wanted:
            person = people.get(notice.person_id)
            if key in known or key in new or person is None:
                continue
            try:
                chosen = _pick_channel(person, notice.channel, consents=consents[person.pk])
            except ValidationFailed:
                continue  # not reachable this way: None in the answer
            new[key] = _message(
                community=community,
                person=person,
                chosen=chosen,
                template=template,
                context=notice.context,
                language=notice.language or person.preferred_language,
                key=key,
                request_hash=request_hash,
            )
        if new:
            # A sweep running at the same moment may have written some of these keys: theirs
            # stand (ON CONFLICT DO NOTHING), and the rows are read back with their ids.
            Message.objects.bulk_create(new.values(), batch_size=500, ignore_conflicts=True)
            written = {m.idempotency_key: m for m in messages.filter(idempotency_key__in=list(new))}
            known.update(written)
            queued = [m for key, m in written.items() if new[key].request_hash == m.request_hash]
            audit_record_many(
                actor=actor,
                verb="message.queued",
                rows=[(m, {"channel": m.channel, "template": template}) for m in queued],
            )
            if queued:
                enqueue_after_commit(SEND_MESSAGES, sorted(m.pk for m in queued))
    answers: list[Message | None] = []
    for _notice, key, request_hash in wanted:
        found = known.get(key)
        answers.append(found if found is not None and found.request_hash == request_hash else None)
    return answers


def _notice_hash(notice: Notice, template: str) -> str:
    # The same fingerprint as notify's, so a key used by either one is recognised by the other.
    return fingerprint([notice.person_id, template, notice.context or {}, notice.channel])


@transaction.atomic
def _notify(**kwargs: Any) -> Message:
    return _notify_now(**kwargs)


def _notify_now(
    *,
    actor: Actor,
    person_id: int,
    template: str,
    context: dict[str, Any] | None,
    channel: str,
    key: str,
    request_hash: str,
    requested: bool = False,
    language: str = "",
    person: Person | None = None,
) -> Message:
    if person is None:
        person = get_scoped(Person, actor.community, pk=person_id)
    chosen = _pick_channel(person, channel, requested)
    message = _message(
        community=actor.community,
        person=person,
        chosen=chosen,
        template=template,
        context=context or {},
        language=language or person.preferred_language,
        key=key,
        request_hash=request_hash,
    )
    message.save(force_insert=True)
    audit_record(
        actor=actor,
        verb="message.queued",
        obj=message,
        data={"channel": chosen, "template": template},
    )
    enqueue_after_commit(SEND_MESSAGE, message.pk)
    return message


def message_send(*, message_id: int) -> Message:
    """Send a queued message once.

    A worker first claims the message (QUEUED → SENDING in one conditional update), so two
    workers never both send it. If the worker dies mid-send, :func:`messages_requeue_stale`
    puts it back after :data:`SENDING_LEASE`.
    """
    now = clock.now()
    claimed = Message.objects.filter(pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    message = Message.objects.get(pk=message_id)
    if not claimed:
        return message
    if not message.to:  # the person was anonymised after the message was queued
        return _finish(message, status=Status.FAILED, error="no address any more")
    try:
        if message.channel == Channel.SMS:
            provider_id = sms_provider().send_sms(to=message.to, body=message.body).provider_id
        else:
            _send_email(message)
            provider_id = "email"
    except Exception as exc:  # a provider failure is recorded and retried, never lost
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction.atomic():
            if message.attempts < MAX_ATTEMPTS and can_retry_later(SEND_MESSAGE):
                retry_after_commit(SEND_MESSAGE, retry_delay(message.attempts), message.pk)
                return _finish(message, status=Status.QUEUED, error=error)
            return _finish(message, status=Status.FAILED, error=error)
    return _finish(message, status=Status.SENT, provider_id=provider_id, sent_at=clock.now())


def new_message_id() -> str:
    """A fresh ``Message-ID`` header value, ``<…@domain>`` (``MAIL_MESSAGE_ID_DOMAIN``)."""
    return make_msgid(domain=settings.MAIL_MESSAGE_ID_DOMAIN or str(DNS_NAME))


def _send_email(message: Message) -> None:
    """Through Django's e-mail backend (SMTP in production), with the threading headers."""
    if not message.email_message_id:
        message.email_message_id = new_message_id()
        message.save(update_fields=["email_message_id"])
    headers = {"Message-ID": message.email_message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    ).send()


_MSGID = re.compile(r"^<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>$")  # printable, no < > or spaces


def _clean_msgid(value: str, field_name: str) -> str:
    value = value.strip()
    if value and not _MSGID.match(value):
        raise ValidationFailed(
            _("This is not a valid e-mail message id."), fields={field_name: _("Not valid.")}
        )
    return value


def email_send(
    *,
    actor: Actor,
    to: str,
    subject: str,
    body: str,
    idempotency_key: str,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    reply_to: str = "",
    person_id: int | None = None,
    language: str = "",
) -> Message:
    """Queue one e-mail to an address (an answer to someone who wrote in), sent after commit.

    Unlike :func:`notify` it needs no consent: it answers a mail the person sent us. The
    message gets its ``Message-ID`` now (``email_message_id``), so the caller can keep it and
    recognise replies; ``in_reply_to`` and ``references`` thread it under earlier mails. The
    same idempotency key with the same request returns the first message.
    """
    actor.require("messages.send")
    key = idempotency_key[:100]
    request_hash = fingerprint(
        [to, subject, body, in_reply_to, list(references), reply_to, person_id]
    )
    return run_once(
        queryset=Message.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=lambda: _email_send(
            actor=actor,
            to=to,
            subject=subject,
            body=body,
            key=key,
            request_hash=request_hash,
            in_reply_to=in_reply_to,
            references=references,
            reply_to=reply_to,
            person_id=person_id,
            language=language,
        ),
        conflict=_("This idempotency key was already used for another message."),
    )


@transaction.atomic
def _email_send(
    *,
    actor: Actor,
    to: str,
    subject: str,
    body: str,
    key: str,
    request_hash: str,
    in_reply_to: str,
    references: Sequence[str],
    reply_to: str,
    person_id: int | None,
    language: str,
) -> Message:
    fields: dict[str, str] = {}
    for name, address in (("to", to), ("reply_to", reply_to)):
        try:
            if address or name == "to":
                validate_email(address)
        except ValidationError:
            fields[name] = _("Enter a valid e-mail address.")
    subject = " ".join(subject.split())
    if not subject or len(subject) > 200:
        fields["subject"] = _("Write a subject of at most 200 characters.")
    if not body.strip():
        fields["body"] = _("Write a text.")
    if fields:
        raise ValidationFailed(_("Some fields need attention."), fields=fields)
    in_reply_to = _clean_msgid(in_reply_to, "in_reply_to")
    refs = [_clean_msgid(r, "references") for r in references if r.strip()][-20:]
    person = get_scoped(Person, actor.community, pk=person_id) if person_id else None
    message = Message.objects.create(
        community=actor.community,
        person=person,
        channel=Channel.EMAIL,
        to=to,
        language=language or (person.preferred_language if person else ""),
        subject=subject,
        body=body,
        email_message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=" ".join(refs),
        reply_to=reply_to,
        idempotency_key=key,
        request_hash=request_hash,
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="message.queued", obj=message, data={"channel": "email"})
    enqueue_after_commit(SEND_MESSAGE, message.pk)
    return message


# --- mailboxes (inbound e-mail) --------------------------------------------------------------

MAILBOX_FIELDS = (
    "name",
    "purpose",
    "address",
    "host",
    "port",
    "security",
    "username",
    "password_env",
    "folder",
    "active",
)


def _mailbox_check(mailbox: Mailbox) -> None:
    fields: dict[str, str] = {}
    if not PASSWORD_ENV.match(mailbox.password_env):
        fields["password_env"] = _(
            "Name an environment variable of the worker that starts with BUURTKIT_MAIL_ "
            "(capitals, digits and _)."
        )
    if mailbox.security not in Security.values:
        fields["security"] = _("Choose one of the options.")
    elif mailbox.security == Security.NONE and not plain_allowed(mailbox.host):
        fields["security"] = _(
            "Without encryption the password would cross the network readable: "
            "choose TLS or STARTTLS."
        )
    if not 1 <= mailbox.port <= 65535:
        fields["port"] = _("A port is a number from 1 to 65535.")
    if mailbox.purpose and mailbox.purpose not in MAIL_HANDLERS:
        fields["purpose"] = _("No module reads mail for this purpose.")
    try:
        mailbox.full_clean(exclude=["community", "created_at", "purpose"])
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            fields.setdefault(name, " ".join(errors))
    if fields:
        raise ValidationFailed(_("Some fields need attention."), fields=fields)


@transaction.atomic
def mailbox_create(
    *,
    actor: Actor,
    name: str,
    purpose: str,
    host: str,
    port: int,
    username: str,
    password_env: str,
    security: str = Security.SSL,
    address: str = "",
    folder: str = "INBOX",
    active: bool = True,
) -> Mailbox:
    """A mailbox the worker reads every minute. The password stays in the worker's
    environment (``password_env``); only the variable's name is stored."""
    actor.require("community.manage")
    mailbox = Mailbox(
        community=actor.community,
        name=name.strip(),
        purpose=purpose,
        address=address.strip().lower(),
        host=host.strip(),
        port=port,
        security=security,
        username=username.strip(),
        password_env=password_env.strip(),
        folder=folder.strip() or "INBOX",
        active=active,
        created_at=clock.now(),
    )
    _mailbox_check(mailbox)
    if Mailbox.objects.in_community(actor.community).filter(name=mailbox.name).exists():
        raise ValidationFailed(
            _("Some fields need attention."), fields={"name": _("This name is taken.")}
        )
    mailbox.save(force_insert=True)
    audit_record(actor=actor, verb="mailbox.created", obj=mailbox, data={"host": mailbox.host})
    return mailbox


# What a mailbox reads is fixed: mails are unique on (mailbox, UIDVALIDITY, UID), which only
# holds for one folder of one account. To read another one, make another mailbox.
MAILBOX_FIXED = ("host", "username", "folder")


@transaction.atomic
def mailbox_update(*, actor: Actor, mailbox_id: int, **changes: Any) -> Mailbox:
    """Change a mailbox's settings (any of :data:`MAILBOX_FIELDS` but the server, the user
    and the folder: :data:`MAILBOX_FIXED`)."""
    actor.require("community.manage")
    unknown = set(changes) - (set(MAILBOX_FIELDS) - set(MAILBOX_FIXED))
    if unknown:
        raise ValidationFailed(
            _("Some fields need attention."), fields={f: _("Unknown field.") for f in unknown}
        )
    mailbox = get_scoped(Mailbox, actor.community, pk=mailbox_id, for_update=True)
    for name, value in changes.items():
        setattr(mailbox, name, value.strip() if isinstance(value, str) else value)
    _mailbox_check(mailbox)
    taken = Mailbox.objects.in_community(actor.community).filter(name=mailbox.name)
    if taken.exclude(pk=mailbox.pk).exists():
        raise ValidationFailed(
            _("Some fields need attention."), fields={"name": _("This name is taken.")}
        )
    mailbox.save(update_fields=sorted(changes))
    audit_record(actor=actor, verb="mailbox.changed", obj=mailbox, data={"fields": sorted(changes)})
    return mailbox


def _finish(message: Message, **fields: Any) -> Message:
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=list(fields))
    return message


def messages_requeue_stale() -> int:
    """Put messages whose worker died back in the queue; returns how many. Run it periodically."""

    cutoff = clock.now() - SENDING_LEASE
    stale = Message.objects.filter(
        Q(status=Status.SENDING, claimed_at__lt=cutoff)
        | Q(status=Status.QUEUED, claimed_at__isnull=True, created_at__lt=cutoff)
    ).values_list("pk", flat=True)
    ids = list(stale)
    for pk in ids:
        with transaction.atomic():
            Message.objects.filter(pk=pk, status=Status.SENDING).update(status=Status.QUEUED)
            enqueue_after_commit(SEND_MESSAGE, pk)
    return len(ids)
