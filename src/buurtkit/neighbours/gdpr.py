"""What Buurbel holds about a person, for the GDPR export and anonymisation."""

from __future__ import annotations

from typing import Any

from buurtkit.core import clock
from buurtkit.neighbours.models import Participant, PhoneVerification
from buurtkit.people.models import Person

EXPORTED = (
    "language",
    "call_windows",
    "interests",
    "activities",
    "max_distance_m",
    "wish",
    "can_offer",
    "needs",
    "neighbourhood",
    "lat",
    "lon",
    "consent_at",
    "phone_verified_at",
    "opted_out_at",
    "active",
)


def export(person: Person) -> Any:
    rows = Participant.objects.in_community(person.community_id).filter(person=person)
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in rows.values(*EXPORTED)
    ]


def anonymise(person: Person) -> None:
    """Keep the row for statistics, drop what describes the person, never match again."""
    Participant.objects.in_community(person.community_id).filter(person=person).update(
        call_windows=[],
        interests=[],
        can_offer=[],
        needs=[],
        lat=None,
        lon=None,
        active=False,
        opted_out_at=clock.now(),
    )
    # The numbers codes were sent to (or checked in person) go too; the dates stay.
    PhoneVerification.objects.filter(
        community_id=person.community_id, participant__person=person
    ).update(phone="", code_hash="")
