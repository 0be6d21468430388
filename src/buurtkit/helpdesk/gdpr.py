"""What the helpdesk holds about a person: their tickets (and the contact details written on
tickets of someone not in the register) with the whole thread.

Anonymising keeps every ticket row (counts, channels, categories and times survive) and
clears what says who asked and what was said (``services.anonymise_tickets``), for the
person's tickets and for contact-only tickets carrying their number or e-mail address.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from buurtkit.core import clock
from buurtkit.helpdesk.models import HomeHelpNeed, HomeVisit, Ticket, TicketMessage
from buurtkit.helpdesk.services import anonymise_tickets
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person


def _theirs(
    community_id: int, person_id: int, phones: tuple[str, ...], emails: tuple[str, ...]
) -> Any:
    cond = Q(person_id=person_id)
    if phones:
        cond |= Q(person__isnull=True, contact_phone__in=phones)
    if emails:
        cond |= Q(person__isnull=True, contact_email__in=[e.lower() for e in emails])
    return Ticket.objects.in_community(community_id).filter(cond)


def export(person: Person) -> Any:
    tickets = _theirs(
        person.community_id,
        person.pk,
        (person.phone,) if person.phone else (),
        (person.email,) if person.email else (),
    ).select_related("category")
    out = []
    for ticket in tickets.order_by("created_at", "id"):
        out.append(
            {
                "number": ticket.number,
                "kind": ticket.kind,
                "channel": ticket.channel,
                "status": ticket.status,
                "subject": ticket.subject,
                "category": ticket.category.key if ticket.category else "",
                "contact_name": ticket.contact_name,
                "contact_phone": ticket.contact_phone,
                "contact_email": ticket.contact_email,
                "created_at": ticket.created_at.isoformat(),
                "messages": [
                    {
                        "kind": m.kind,
                        "via": m.via,
                        "at": m.created_at.isoformat(),
                        "text": m.body,
                    }
                    for m in TicketMessage.objects.filter(ticket=ticket).order_by(
                        "created_at", "id"
                    )
                ],
                "home_help": _home_help(ticket),
            }
        )
    return {"tickets": out}


def _home_help(ticket: Ticket) -> dict[str, Any] | None:
    need = HomeHelpNeed.objects.filter(ticket=ticket).first()
    visits = list(HomeVisit.objects.filter(ticket=ticket).order_by("scheduled_at", "id"))
    if need is None and not visits:
        return None
    return {
        "vulnerabilities": need.vulnerabilities if need else [],
        "tasks": need.tasks if need else [],
        "tasks_other": need.tasks_other if need else "",
        "visits": [
            {
                "scheduled_at": v.scheduled_at.isoformat(),
                "status": v.status,
                "address": v.address,
                "by": "digibuddy" if v.volunteer_id else v.provider,
                "report": v.report,
            }
            for v in visits
        ],
    }


def anonymise(traces: PersonTraces) -> None:
    ids = list(
        _theirs(traces.community_id, traces.person_id, traces.phones, traces.emails).values_list(
            "pk", flat=True
        )
    )
    anonymise_tickets(ids, clock.now())
