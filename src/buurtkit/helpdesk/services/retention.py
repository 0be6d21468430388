"""Retention: a closed ticket keeps who asked and what was said for the community's
``HelpdeskSettings.retention_days``; then the daily job ``helpdesk_retention`` anonymises it.

The ticket row stays (its number, channel, category, team, kind, statuses and times: the
counts and response times are the same before and after); the person link, the contact
details, the subject, the search text and every message's text and author are cleared, and
so are home visits' addresses and reports and the free text of what needed doing.
Running it again changes nothing more (``Ticket.anonymised_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.helpdesk.models import (
    HelpdeskSettings,
    HomeHelpNeed,
    HomeVisit,
    PhoneRecording,
    Status,
    Ticket,
    TicketMail,
    TicketMessage,
)

BATCH = 500


def anonymise_tickets(ticket_ids: list[int], now: datetime) -> int:
    """Clear what says who asked from these tickets and their threads (no audit)."""
    if not ticket_ids:
        return 0
    # A caller's voice says who they are: the messages left go (the audio stays behind only
    # at the provider, under its own retention; buurtkit no longer links or plays it).
    PhoneRecording.objects.filter(ticket_id__in=ticket_ids).delete()
    TicketMessage.objects.filter(ticket_id__in=ticket_ids).update(
        body="", author_label="", author_user=None, idempotency_key="", request_hash=""
    )
    # Help at home: the address and the visitor's report go; times, costs and the reasons
    # and tasks (choices from a list) stay for the figures.
    HomeVisit.objects.filter(ticket_id__in=ticket_ids).update(address="", report="")
    HomeHelpNeed.objects.filter(ticket_id__in=ticket_ids).update(tasks_other="")
    TicketMail.objects.filter(ticket_id__in=ticket_ids).update(sender="")
    return Ticket.objects.filter(pk__in=ticket_ids).update(
        person=None,
        contact_name="",
        contact_phone="",
        contact_email="",
        subject=_("(anonymised)"),
        search_text="",
        created_by_label="",
        anonymised_at=now,
    )


def retention_sweep_community(community: Community, *, now: datetime | None = None) -> int:
    """Anonymise the community's tickets closed longer ago than its retention period."""
    now = now or clock.now()
    days = (
        HelpdeskSettings.objects.filter(community=community)
        .values_list("retention_days", flat=True)
        .first()
    ) or HelpdeskSettings._meta.get_field("retention_days").default
    limit = now - timedelta(days=int(days))
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.in_community(community)
                .filter(status=Status.CLOSED, closed_at__lt=limit, anonymised_at__isnull=True)
                .select_for_update()
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return done
            done += anonymise_tickets(ids, now)
            audit_record(
                actor=Actor.system(community, label="retention"),
                verb="helpdesk.tickets_anonymised",
                obj=community,
                data={"count": len(ids), "days": int(days)},
            )


def retention_sweep() -> int:
    """Every community with the helpdesk switched on (the daily job)."""
    total = 0
    for community in Community.objects.order_by("pk"):
        if community.has_module("helpdesk"):
            total += retention_sweep_community(community)
    return total
