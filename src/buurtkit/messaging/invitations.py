"""The e-mail that carries an invitation's link (registered in people.hooks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.messaging.models import Channel, Message
from buurtkit.people.models import Invitation

SEND_MESSAGE = "buurtkit.messaging.tasks.send_message"


def send_invitation(actor: Any, invitation: Invitation, token: str) -> Message:
    """Queue the e-mail with the link that accepts ``invitation`` (in the service's
    transaction; it leaves after commit like every message)."""
    community = invitation.community
    path = reverse("web:invitation_token", kwargs={"token": token})
    link = f"{settings.PUBLIC_URL}{path}" if settings.PUBLIC_URL else path
    language = community.default_language
    days = max((invitation.expires_at - invitation.created_at).days, 1)
    with translation.override(language):
        text = render_to_string(
            "messaging/invitation.txt", {"community": community, "link": link, "days": days}
        ).strip()
    subject, _sep, body = text.partition("\n")
    message = Message.objects.create(
        community=community,
        person=None,
        channel=Channel.EMAIL,
        to=invitation.invited_as,
        language=language,
        subject=subject.strip()[:200],
        body=body.strip(),
        idempotency_key=f"invitation:{invitation.pk}",
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="message.queued",
        obj=message,
        data={"channel": "email", "template": "invitation"},
    )
    enqueue_after_commit(SEND_MESSAGE, message.pk)
    return message
