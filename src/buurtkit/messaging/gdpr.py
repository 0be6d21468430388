"""What messaging holds about a person, for the GDPR export and anonymisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from buurtkit.core.anonymising import scrub_rows, scrub_value
from buurtkit.messaging.models import Message
from buurtkit.people.hooks import PersonTraces
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


def anonymise_messages(traces: PersonTraces) -> None:
    """Keep that a message was sent (channel, status, time) but not to whom or what it said.

    Messages to other people that name this person (a payment receipt, an introduction)
    keep their text without the person's name, number, e-mail or login name.
    """
    community_id = traces.community_id
    Message.objects.in_community(community_id).filter(person_id=traces.person_id).update(
        to="", subject="", body="", error=""
    )
    identifiers = traces.identifiers()
    if identifiers:
        mentions = Q()
        for needle in identifiers:
            mentions |= Q(to__icontains=needle) | Q(subject__icontains=needle)
            mentions |= Q(body__icontains=needle) | Q(error__icontains=needle)
        scrub_rows(
            Message.objects.in_community(community_id).filter(mentions),
            ["to", "subject", "body", "error"],
            identifiers,
        )
        transaction.on_commit(lambda: scrub_sms_file(identifiers))


def scrub_sms_file(needles: tuple[str, ...]) -> None:
    """The ``file`` SMS provider's outbox (demos, the telephony simulator) loses the traces."""
    path = Path(settings.SMS_FILE_PATH)
    if not path.exists():
        return
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = line
        lines.append(json.dumps(scrub_value(entry, needles), ensure_ascii=False))
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    tmp.replace(path)
