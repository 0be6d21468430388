"""The activities' part of a person's digital track (core.tracks): sessions they came to."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from buurtkit.activities import rules
from buurtkit.activities.models import Registration
from buurtkit.core.texts import translated
from buurtkit.core.tracks import TrackEvent, register_track_provider


def _events(community_id: int, person_id: int) -> Iterator[TrackEvent]:
    language = get_language() or "nl"
    rows = (
        Registration.objects.in_community(community_id)
        .filter(person_id=person_id, state=rules.ATTENDED, session__cancelled_at__isnull=True)
        .order_by("session__starts_at")
        .values_list("session__starts_at", "session__series__title")
    )
    for at, title in rows:
        yield TrackEvent(
            at=at, module="activities", what=_("Came to a session"),
            detail=translated(title, language),
        )  # fmt: skip


def register() -> None:
    register_track_provider("activities.attended", "activities", _events)
