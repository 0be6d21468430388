"""Buurbel's indicators (``core.indicators``): participants, introductions and meetings.
Where: the participant's neighbourhood (a sector code) and the municipality of their postcode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import chain

from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import (
    Fact,
    FactsFn,
    Indicator,
    Measure,
    month_facts,
    register_indicators,
)
from buurtkit.neighbours.models import Introduction, Outcome, Participant

WHERE = {"neighbourhood": "neighbourhood", "postcode": "person__postcode"}
PAIR_WHERE = {
    "neighbourhood": "participant_a__neighbourhood",
    "postcode": "participant_a__person__postcode",
}


def _participants(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """+1 in the month someone joined (gave consent), -1 in the month they opted out."""
    participants = Participant.objects.in_community(community_id)
    return chain(
        month_facts(participants, "consent_at", first, after, where=WHERE),
        month_facts(
            participants.filter(opted_out_at__isnull=False), "opted_out_at", first, after,
            sign=-1, where=WHERE,
        ),
    )  # fmt: skip


def _joined(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        Participant.objects.in_community(community_id), "consent_at", first, after, where=WHERE
    )


def _outcome(outcome: str) -> FactsFn:
    def facts(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
        return month_facts(
            Introduction.objects.in_community(community_id).filter(outcome=outcome),
            "at",
            first,
            after,
            where=PAIR_WHERE,
        )

    return facts


def register() -> None:
    register_indicators(
        Indicator(
            key="neighbours.participants",
            module="neighbours",
            label=_("Buurbel participants"),
            unit=_("participants"),
            measure=Measure.LEVEL,
            facts=_participants,
            description=_("Residents taking part (joined and not opted out), at the period's end."),
        ),
        Indicator(
            key="neighbours.joined",
            module="neighbours",
            label=_("New Buurbel participants"),
            unit=_("participants"),
            measure=Measure.COUNT,
            facts=_joined,
            description=_("Residents who joined Buurbel in the period."),
        ),
        Indicator(
            key="neighbours.introductions",
            module="neighbours",
            label=_("Introductions by phone"),
            unit=_("introductions"),
            measure=Measure.COUNT,
            facts=_outcome(Outcome.CONNECTED),
            description=_("Pairs of neighbours connected by phone."),
        ),
        Indicator(
            key="neighbours.meetings",
            module="neighbours",
            label=_("Meetings"),
            unit=_("meetings"),
            measure=Measure.COUNT,
            facts=_outcome(Outcome.MET),
            description=_("Introduced neighbours who met, as the follow-up call heard."),
        ),
    )
    from buurtkit.neighbours import tracks

    tracks.register()
