"""Buurbel's part of a person's digital track (core.tracks): joined, and when they left."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from buurtkit.core.tracks import TrackEvent, register_track_provider
from buurtkit.neighbours.models import Participant


def _events(community_id: int, person_id: int) -> Iterator[TrackEvent]:
    rows = (
        Participant.objects.in_community(community_id)
        .filter(person_id=person_id)
        .values_list("consent_at", "opted_out_at")
    )
    for joined, left in rows:
        yield TrackEvent(at=joined, module="neighbours", what=_("Joined Buurbel"))
        if left:
            yield TrackEvent(at=left, module="neighbours", what=_("Left Buurbel"))


def register() -> None:
    register_track_provider("neighbours.participant", "neighbours", _events)
