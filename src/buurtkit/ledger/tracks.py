"""The currency's part of a person's digital track (core.tracks): accounts opened."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from buurtkit.core.tracks import TrackEvent, register_track_provider
from buurtkit.ledger.models import Account


def _events(community_id: int, person_id: int) -> Iterator[TrackEvent]:
    rows = (
        Account.objects.in_community(community_id)
        .filter(person_id=person_id)
        .order_by("created_at")
        .values_list("created_at", "currency__code")
    )
    for at, currency in rows:
        yield TrackEvent(
            at=at, module="ledger", what=_("Currency account opened"), detail=str(currency or "")
        )


def register() -> None:
    register_track_provider("ledger.accounts", "ledger", _events)
