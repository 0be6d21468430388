"""What places hold about a person: the opening hours where they are the digibuddy on duty."""

from __future__ import annotations

from typing import Any

from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person
from buurtkit.places.models import OpeningHours


def export(person: Person) -> Any:
    rows = OpeningHours.objects.in_community(person.community_id).filter(digibuddy=person)
    return [
        {
            "place": row.place.name,
            "weekday": row.weekday,
            "opens": row.opens.isoformat(),
            "closes": row.closes.isoformat(),
            "kind": row.kind,
        }
        for row in rows.select_related("place")
    ]


def anonymise(traces: PersonTraces) -> None:
    """The hours stay (the place keeps its opening times); the person is no longer named."""
    OpeningHours.objects.in_community(traces.community_id).filter(
        digibuddy_id=traces.person_id
    ).update(digibuddy=None)
