"""Fixtures for Buurbel: verified participants with a profile, and the default rules."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.neighbours import services
from buurtkit.neighbours.models import Participant, RuleVersion

_phones = itertools.count(1000)

WEEKDAY_MORNINGS = [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}]


def profile(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "language": "nl",
        "call_windows": WEEKDAY_MORNINGS,
        "interests": ["gardening", "cards"],
        "activities": ["coffee"],
        "max_distance_m": 1000,
        "wish": "social",
        "neighbourhood": "rabot",
        "lat": 51.060,
        "lon": 3.710,
    }
    values.update(overrides)
    return values


@pytest.fixture
def make_participant(make_person: Callable[..., Any]) -> Callable[..., Participant]:
    def make(actor: Actor, *, verified: bool = True, **overrides: Any) -> Participant:
        person = make_person(actor, phone=f"+32470{next(_phones):06d}")
        participant = services.participant_register(
            actor=actor, person_id=person.pk, consent=True, **profile(**overrides)
        )
        if verified:
            participant = services.participant_mark_verified(
                actor=actor, participant_id=participant.pk
            )
        return participant

    return make


@pytest.fixture
def default_rules(system: Actor) -> RuleVersion:
    return services.rules_create_default(actor=system)
