"""What messaging holds about a person, for the GDPR export and anonymisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from buurtkit.core.anonymising import scrub_rows, scrub_value
from buurtkit.messaging.models import InboundAttachment, InboundMail, Message
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


# --- inbound e-mail ---------------------------------------------------------------------------

_MAIL_TEXTS = ["from_name", "to", "subject", "raw_headers", "text_body", "html_body", "notes"]


def _mails_from(community_id: int, emails: tuple[str, ...]) -> Any:
    addresses = {e.strip().lower() for e in emails if e.strip()}
    return InboundMail.objects.in_community(community_id).filter(from_address__in=addresses)


def export_inbound_mail(person: Person) -> list[dict[str, Any]]:
    """The mails the person sent to a community mailbox (from their e-mail address)."""
    if not person.email:
        return []
    return [
        {
            "from": m.from_address,
            "subject": m.subject,
            "text": m.text_body,
            "received_at": m.received_at.isoformat(),
            "attachments": [a.filename for a in m.attachments.all()],
        }
        for m in _mails_from(person.community_id, (person.email,))
        .prefetch_related("attachments")
        .order_by("received_at", "pk")
    ]


def anonymise_inbound_mail(traces: PersonTraces) -> None:
    """Mails from the person lose their sender, texts and files (that a mail came in, when
    and to which mailbox stays); other mails that name them lose those mentions."""
    community_id = traces.community_id
    own = _mails_from(community_id, traces.emails)
    own_ids = list(own.values_list("pk", flat=True))
    files = InboundAttachment.objects.in_community(community_id).filter(mail_id__in=own_ids)
    paths = set(files.exclude(path="").values_list("path", flat=True))
    files.update(filename="", path="", sha256="", content_type="")
    own.update(
        from_address="",
        message_id="",
        in_reply_to="",
        references="",
        **{name: "" for name in _MAIL_TEXTS},
    )
    identifiers = traces.identifiers()
    if identifiers:
        mentions = Q()
        for needle in identifiers:
            for name in ("from_name", "to", "subject", "text_body", "raw_headers"):
                mentions |= Q(**{f"{name}__icontains": needle})
        scrub_rows(
            InboundMail.objects.in_community(community_id).filter(mentions),
            _MAIL_TEXTS,
            identifiers,
        )
    if paths:
        transaction.on_commit(lambda: _remove_unused(paths))


def _remove_unused(paths: set[str]) -> None:
    """Delete the files no other attachment still points to (files are shared by content)."""
    still = set(InboundAttachment.objects.filter(path__in=paths).values_list("path", flat=True))
    root = Path(settings.MAIL_DIR)
    for relative in paths - still:
        (root / relative).unlink(missing_ok=True)
