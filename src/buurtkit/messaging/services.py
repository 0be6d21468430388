"""Notify a person by SMS or e-mail, in their language. Sending runs in a task after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import can_retry_later, enqueue_after_commit, retry_after_commit
from buurtkit.messaging.models import Channel, Message, Status
from buurtkit.messaging.providers import sms_provider
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents

MAX_ATTEMPTS = 5


def retry_delay(attempt: int) -> timedelta:
    """Back off 1, 4, 16, 64 minutes between tries."""
    return timedelta(minutes=4 ** (attempt - 1))


def _pick_channel(person: Person, channel: str) -> str:
    consents = current_consents(person=person)
    sms_ok = (
        bool(person.phone) and person.phone_kind == "mobile" and consents.get("contact_sms", True)
    )
    email_ok = bool(person.email) and consents.get("contact_email", True)
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
) -> Message:
    """Queue a message rendered from ``messaging/<template>.txt`` in the person's language.

    The first line of the rendered template is the e-mail subject. The same idempotency key
    returns the message queued the first time instead of sending twice, also when two
    requests with that key arrive at the same moment.
    """
    actor.require("messages.send")
    key = idempotency_key[:100]
    try:
        return _notify(
            actor=actor,
            person_id=person_id,
            template=template,
            context=context,
            channel=channel,
            key=key,
        )
    except IntegrityError:
        existing = Message.objects.in_community(actor.community).filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _notify(
    *,
    actor: Actor,
    person_id: int,
    template: str,
    context: dict[str, Any] | None,
    channel: str,
    key: str,
) -> Message:
    existing = Message.objects.in_community(actor.community).filter(idempotency_key=key).first()
    if existing:
        return existing
    person = get_scoped(Person, actor.community, pk=person_id)
    chosen = _pick_channel(person, channel)
    with translation.override(person.preferred_language):
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
        language=person.preferred_language,
        subject=subject.strip()[:200],
        body=(body.strip() or subject.strip()) if chosen == Channel.EMAIL else text,
        idempotency_key=key,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="message.queued",
        obj=message,
        data={"channel": chosen, "template": template},
    )
    from buurtkit.messaging.tasks import send_message

    enqueue_after_commit(send_message, message.pk)
    return message


def message_send(*, message_id: int) -> Message:
    """Send a queued message once. Safe to run twice: a sent message is left alone."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != Status.QUEUED:
            return message
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        if message.channel == Channel.SMS:
            provider_id = sms_provider().send_sms(to=message.to, body=message.body).provider_id
        else:
            send_mail(message.subject, message.body, None, [message.to])
            provider_id = "email"
    except Exception as exc:  # a provider failure is recorded and retried, never lost
        from buurtkit.messaging.tasks import send_message

        with transaction.atomic():
            message.error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts < MAX_ATTEMPTS and can_retry_later(send_message):
                retry_after_commit(send_message, retry_delay(message.attempts), message.pk)
            else:
                message.status = Status.FAILED
            message.save(update_fields=["error", "status"])
        return message
    with transaction.atomic():
        message.status = Status.SENT
        message.provider_id = provider_id[:100]
        message.sent_at = clock.now()
        message.save(update_fields=["status", "provider_id", "sent_at"])
    return message
