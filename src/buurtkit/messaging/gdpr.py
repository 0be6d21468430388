"""What messaging holds about a person, for the GDPR export and anonymisation."""

from __future__ import annotations

from typing import Any

from buurtkit.messaging.models import Message
from buurtkit.people.models import Person


def export_messages(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "channel": m.channel,
            "to": m.to,
            "language": m.language,
            "subject": m.subject,
            "body": m.body,
            "status": m.status,
            "created_at": m.created_at.isoformat(),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        }
        for m in Message.objects.in_community(person.community_id)
        .filter(person=person)
        .order_by("created_at", "id")
    ]


def anonymise_messages(person: Person) -> None:
    """Keep that a message was sent (channel, status, time) but not to whom or what it said."""
    Message.objects.in_community(person.community_id).filter(person=person).update(
        to="", subject="", body="", error=""
    )
