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
from buurtkit.qrcodes.models import Delivery, Submission

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


def register() -> None:
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
