"""What QR codes hold about a person: the form answers they gave while signed in.

Export: the answers stored with the person's login name. Anonymise: those answers keep
their choices, numbers, dates and ticks (statistics) but lose every typed text, phone number
and e-mail address, in the answer and in the webhook deliveries that carried it; any other
answer or delivery that names the person (their full name, number, e-mail) loses that trace.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from buurtkit.core.anonymising import force_update, scrub_rows
from buurtkit.people.hooks import PersonTraces, declare_no_personal_data, register_person_data
from buurtkit.people.models import Person
from buurtkit.qrcodes.models import Booking, Delivery, Submission, Visit

#: Answer types that describe the person in their own words; the others are statistics.
FREE_TYPES = {"text", "phone", "email"}


def _usernames(person: Person) -> tuple[str, ...]:
    return (person.user.get_username(),) if person.user_id and person.user else ()


def export(person: Person) -> list[dict[str, Any]]:
    names = _usernames(person)
    if not names:
        return []
    return [
        {"form": s.form_id, "at": s.at.isoformat(), "language": s.language, "answers": s.data}
        for s in Submission.objects.in_community(person.community_id)
        .filter(submitted_by__in=names)
        .order_by("at", "id")
    ]


def anonymise(traces: PersonTraces) -> None:
    community_id = traces.community_id
    if traces.usernames:
        theirs = (
            Submission.objects.in_community(community_id)
            .filter(submitted_by__in=traces.usernames)
            .select_related("form")
        )
        for submission in theirs:
            free = {f["key"] for f in submission.form.fields if f.get("type") in FREE_TYPES}
            cleared = {k: ("" if k in free else v) for k, v in submission.data.items()}
            # The webhook deliveries that carried these answers carry the cleared ones.
            deliveries = Delivery.objects.in_community(community_id).filter(
                event="submission", payload__at=submission.at.isoformat()
            )
            for delivery in deliveries:
                if delivery.payload.get("answers") == submission.data:
                    force_update(
                        Delivery.objects.filter(pk=delivery.pk),
                        payload={**delivery.payload, "answers": cleared},
                    )
            force_update(
                Submission.objects.filter(pk=submission.pk),
                data=cleared,
                submitted_by=traces.label,
            )
    identifiers = traces.identifiers()
    if not identifiers:
        return
    data_mentions, payload_mentions = Q(), Q()
    for needle in identifiers:
        data_mentions |= Q(data__icontains=needle)
        payload_mentions |= Q(payload__icontains=needle)
    scrub_rows(
        Submission.objects.in_community(community_id).filter(data_mentions), ["data"], identifiers
    )
    scrub_rows(
        Delivery.objects.in_community(community_id).filter(payload_mentions),
        ["payload", "last_error"],
        identifiers,
    )


def export_presence(person: Person) -> list[dict[str, Any]]:
    """The person's bookings (signed in, or with their phone or e-mail) and visits."""
    contacts = [c for c in (person.phone, person.email) if c]
    mine = Q(person_id=person.pk) | (Q(contact__in=contacts) if contacts else Q(pk__in=[]))
    rows: list[dict[str, Any]] = [
        {
            "booking": b.resource.name,
            "slot": b.slot.starts_at.isoformat(),
            "name": b.name,
            "contact": b.contact,
            "status": b.status,
        }
        for b in Booking.objects.in_community(person.community_id)
        .filter(mine)
        .select_related("slot", "resource")
        .order_by("created_at", "id")
    ]
    rows += [
        {
            "visit": v.point.name,
            "in": v.in_at.isoformat(),
            "out": v.out_at.isoformat() if v.out_at else None,
            "name": v.name,
        }
        for v in Visit.objects.in_community(person.community_id)
        .filter(person_id=person.pk)
        .select_related("point")
        .order_by("in_at", "id")
    ]
    return rows


def anonymise_presence(traces: PersonTraces) -> None:
    """Bookings and visits keep their time and status (counts), lose name and contact."""
    community_id = traces.community_id
    contacts = [*traces.phones, *traces.emails]
    bookings = Q(person_id=traces.person_id) | (
        Q(contact__in=contacts) if contacts else Q(pk__in=[])
    )
    Booking.objects.in_community(community_id).filter(bookings).update(
        name="", contact="", person=None, anonymised=True
    )
    Visit.objects.in_community(community_id).filter(person_id=traces.person_id).update(
        name="", person=None, anonymised=True
    )


def register() -> None:
    register_person_data(
        "qrcodes_presence",
        models=("qrcodes.Booking", "qrcodes.Visit"),
        export=export_presence,
        anonymise=anonymise_presence,
    )
    declare_no_personal_data(
        "qrcodes.Resource",
        "qrcodes.Slot",
        "qrcodes.CheckInPoint",
        "qrcodes.Kiosk",
        reason="bookable resources, their time slots, entrances and tablets, made by staff",
    )
    register_person_data(
        "qrcodes",
        models=("qrcodes.Submission", "qrcodes.Delivery"),
        export=export,
        anonymise=anonymise,
    )
    declare_no_personal_data(
        "qrcodes.Tag",
        "qrcodes.Batch",
        "qrcodes.Code",
        "qrcodes.Route",
        "qrcodes.CodeEvent",
        "qrcodes.Form",
        "qrcodes.Webhook",
        reason="codes, routes, forms and webhooks of organisations, made by staff",
    )
    declare_no_personal_data(
        "qrcodes.Scan",
        "qrcodes.ScanDaily",
        "qrcodes.CodeDay",
        "qrcodes.CommunityDay",
        "qrcodes.CommunityScanDaily",
        "qrcodes.OrphanScan",
        "qrcodes.DailySalt",
        "qrcodes.RolledUpDay",
        reason="scan statistics: a visitor is a daily salted hash, never a person",
    )
