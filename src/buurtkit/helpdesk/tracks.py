"""The helpdesk's part of a person's digital track (core.tracks): questions asked."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from buurtkit.core.texts import translated
from buurtkit.core.tracks import TrackEvent, register_track_provider
from buurtkit.helpdesk.models import Ticket


def _events(community_id: int, person_id: int) -> Iterator[TrackEvent]:
    language = get_language() or "nl"
    rows = (
        Ticket.objects.in_community(community_id)
        .filter(person_id=person_id)
        .order_by("created_at")
        .values_list("created_at", "category__name")
    )
    for at, category in rows:
        yield TrackEvent(
            at=at, module="helpdesk", what=_("Asked the helpdesk a question"),
            detail=translated(category, language) if category else "",
        )  # fmt: skip


def register() -> None:
    register_track_provider("helpdesk.tickets", "helpdesk", _events)
