"""The activities' indicators (``core.indicators``): sessions held per kind and category,
participations and unique participants, digibuddies trained and active."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from buurtkit.activities import rules
from buurtkit.activities.models import (
    ActivityKind,
    Category,
    Duty,
    DutyState,
    Registration,
    Session,
    TrainingTrack,
    Volunteer,
)
from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.core.texts import translated

#: Where a session happens: its place, the place's municipality and neighbourhood.
AT_SESSION = {
    "place": "session__place_id",
    "municipality": "session__place__municipality_id",
    "neighbourhood": "session__place__neighbourhood",
}


def _sessions(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        Session.objects.in_community(community_id).filter(cancelled_at__isnull=True),
        "starts_at",
        first,
        after,
        place="place_id",
        municipality="place__municipality_id",
        neighbourhood="place__neighbourhood",
        dims={"kind": "series__kind", "category": "series__category_id"},
    )


def _came(community_id: int) -> QuerySet[Registration]:
    return Registration.objects.in_community(community_id).filter(
        state=rules.ATTENDED, session__cancelled_at__isnull=True
    )


def _participations(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        _came(community_id),
        "session__starts_at",
        first,
        after,
        dims={"kind": "session__series__kind", "category": "session__series__category_id"},
        where=AT_SESSION,
    )


def _participants(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        _came(community_id),
        "session__starts_at",
        first,
        after,
        subject="person_id",
        dims={"kind": "session__series__kind"},
        where=AT_SESSION,
    )


def _trained(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        Volunteer.objects.in_community(community_id).filter(
            track=TrainingTrack.CERTIFIED, certified_on__isnull=False
        ),
        "certified_on",
        first,
        after,
        postcode="person__postcode",
    )


def _active(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        Duty.objects.in_community(community_id)
        .exclude(state=DutyState.CANCELLED)
        .filter(starts_at__isnull=False),
        "starts_at",
        first,
        after,
        place="place_id",
        municipality="place__municipality_id",
        neighbourhood="place__neighbourhood",
        subject="volunteer__person_id",
    )


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    if dimension == "kind":
        return {value: str(label) for value, label in ActivityKind.choices}
    return {
        str(c.pk): translated(c.name, "nl") or c.key
        for c in Category.objects.in_community(community_id)
    }


KIND = ("kind", _("kind of activity"))
CATEGORY = ("category", _("topic"))


def register() -> None:
    register_indicators(
        Indicator(
            key="activities.sessions_held",
            module="activities",
            label=_("Sessions held"),
            unit=_("sessions"),
            measure=Measure.COUNT,
            facts=_sessions,
            description=_("Sessions that took place (not cancelled), per kind and topic."),
            dimensions=(KIND, CATEGORY),
            labels=_labels,
        ),
        Indicator(
            key="activities.participations",
            module="activities",
            label=_("Participations"),
            unit=_("participations"),
            measure=Measure.COUNT,
            facts=_participations,
            description=_("Times someone came to a session (marked as came)."),
            dimensions=(KIND, CATEGORY),
            labels=_labels,
        ),
        Indicator(
            key="activities.participants",
            module="activities",
            label=_("Participants"),
            unit=_("people"),
            measure=Measure.UNIQUE,
            facts=_participants,
            description=_("People who came to at least one session, each counted once."),
            dimensions=(KIND,),
            labels=_labels,
            subject="person",
            reaches_people=True,
        ),
        Indicator(
            key="activities.digibuddies_trained",
            module="activities",
            label=_("Digibuddies trained"),
            unit=_("digibuddies"),
            measure=Measure.COUNT,
            facts=_trained,
            description=_("Volunteers who finished the digibuddy training (certified)."),
        ),
        Indicator(
            key="activities.digibuddies_active",
            module="activities",
            label=_("Digibuddies active"),
            unit=_("digibuddies"),
            measure=Measure.UNIQUE,
            facts=_active,
            description=_("Digibuddies with at least one duty, each counted once."),
            subject="person",
        ),
    )
    from buurtkit.activities import tracks

    tracks.register()
