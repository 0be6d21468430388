"""Notify a person by SMS or e-mail, in their language. Sending runs in a task after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
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
from buurtkit.messaging.models import Channel, Message, Status
from buurtkit.messaging.providers import sms_provider
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents, current_consents_of

SEND_MESSAGE = "buurtkit.messaging.tasks.send_message"  # by path: tasks.py imports this module
SEND_MESSAGES = "buurtkit.messaging.tasks.send_messages"

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
            send_mail(message.subject, message.body, None, [message.to])
            provider_id = "email"
    except Exception as exc:  # a provider failure is recorded and retried, never lost
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction.atomic():
            if message.attempts < MAX_ATTEMPTS and can_retry_later(SEND_MESSAGE):
                retry_after_commit(SEND_MESSAGE, retry_delay(message.attempts), message.pk)
                return _finish(message, status=Status.QUEUED, error=error)
            return _finish(message, status=Status.FAILED, error=error)
    return _finish(message, status=Status.SENT, provider_id=provider_id, sent_at=clock.now())


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
