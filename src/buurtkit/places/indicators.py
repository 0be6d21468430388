"""The places' indicators (``core.indicators``): digipunten open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import chain

from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.places.models import Place, PlaceKind, PlaceStatus


def _digipunten_open(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """+1 in the month a digipunt opened; -1 in the month a closed one was last changed (a
    place records no closing date of its own: its last change is when it was closed)."""
    digipunten = Place.objects.in_community(community_id).filter(
        kind=PlaceKind.DIGIPUNT, opened_at__isnull=False
    )
    where = {
        "place": "pk",
        "municipality": "municipality_id",
        "neighbourhood": "neighbourhood",
    }
    return chain(
        month_facts(digipunten, "opened_at", first, after, where=where),
        month_facts(
            digipunten.filter(status=PlaceStatus.CLOSED), "updated_at", first, after, sign=-1,
            where=where,
        ),
    )  # fmt: skip


def register() -> None:
    register_indicators(
        Indicator(
            key="places.digipunten_open",
            module="places",
            label=_("Digipunten open"),
            unit=_("digipunten"),
            measure=Measure.LEVEL,
            facts=_digipunten_open,
            description=_("Digipunten that have opened and not closed, at the end of the period."),
            switchable=False,
        )
    )
