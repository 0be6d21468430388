"""Notify a person by SMS or e-mail, in their language. Sending runs in a task after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.idempotency import fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import can_retry_later, enqueue_after_commit, retry_after_commit
from buurtkit.messaging.models import Channel, Message, Status
from buurtkit.messaging.providers import sms_provider
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents

SEND_MESSAGE = "buurtkit.messaging.tasks.send_message"  # by path: tasks.py imports this module

MAX_ATTEMPTS = 5
# A message claimed by a worker that died is sent again after this long.
SENDING_LEASE = timedelta(minutes=10)


def retry_delay(attempt: int) -> timedelta:
    """Back off 1, 4, 16, 64 minutes between tries."""
    return timedelta(minutes=4 ** (attempt - 1))


def _pick_channel(person: Person, channel: str, requested: bool = False) -> str:
    # Consent must have been given: "not asked yet" is not a yes. A message the person asked
    # for themself (``requested``: a code to confirm their number) needs only a mobile number.
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
    """
    actor.require("messages.send")
    key = idempotency_key[:100]
    request_hash = fingerprint([person_id, template, context or {}, channel])
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


@transaction.atomic
def _notify(
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
) -> Message:
    person = get_scoped(Person, actor.community, pk=person_id)
    chosen = _pick_channel(person, channel, requested)
    language = language or person.preferred_language
    with translation.override(language):
        text = render_to_string(
            f"messaging/{template}.txt",
            {"person": person, "community": actor.community, **(context or {})},
        ).strip()
    subject, _sep, body = text.partition("\n")
    message = Message.objects.create(
        community=actor.community,
        person=person,
        channel=chosen,
        to=person.phone if chosen == Channel.SMS else person.email,
        language=language,
        subject=subject.strip()[:200],
        body=(body.strip() or subject.strip()) if chosen == Channel.EMAIL else text,
        idempotency_key=key,
        request_hash=request_hash,
        created_at=clock.now(),
    )
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
