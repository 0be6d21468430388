"""Registering residents for Buurbel: phone, consent, profile checks, opt-out, GDPR, tenancy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.neighbours import services
from buurtkit.neighbours.models import Participant
from buurtkit.people.models import Person
from buurtkit.people.services import person_anonymise, person_gdpr_export
from tests.neighbours.conftest import profile


def test_register_keeps_profile_and_rounds_location(
    system: Actor, make_person: Callable[..., Any]
) -> None:
    person = make_person(system, phone="0470 12 34 56")
    p = services.participant_register(
        actor=system,
        person_id=person.pk,
        consent=True,
        **profile(lat=51.061234, lon=3.712345, interests=["Cards", "cards", "music"]),
    )
    assert p.consent_at is not None and p.phone_verified_at is None and p.active
    assert p.lat == 51.061
    assert abs(p.lon - 3.712345) < 0.0016 and p.lon != 3.712345  # about 100 m east-west
    assert p.interests == ["cards", "music"]
    assert p.call_windows == [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}]


def test_invalid_phone_number_is_refused(system: Actor) -> None:
    # A number stored before validation existed (or imported): registration checks it again.
    person = Person.objects.create(community=system.community, first_name="Jan", phone="+32 12")
    with pytest.raises(ValidationFailed) as err:
        services.participant_register(actor=system, person_id=person.pk, consent=True, **profile())
    assert "phone" in err.value.fields
    assert not Participant.objects.exists()


def test_no_phone_is_refused(system: Actor, make_person: Callable[..., Any]) -> None:
    person = make_person(system)
    with pytest.raises(ValidationFailed) as err:
        services.participant_register(actor=system, person_id=person.pk, consent=True, **profile())
    assert "phone" in err.value.fields


def test_consent_is_required(system: Actor, make_person: Callable[..., Any]) -> None:
    person = make_person(system, phone="0470123456")
    with pytest.raises(ValidationFailed) as err, translation.override("en"):
        services.participant_register(actor=system, person_id=person.pk, consent=False, **profile())
    assert "consent" in err.value.fields
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"call_windows": [{"days": [8], "from": "09:00", "to": "12:00"}]},
        {"call_windows": [{"days": [1], "from": "12:00", "to": "09:00"}]},
        {"call_windows": [{"days": [1], "from": "9h", "to": "12:00"}]},
        {"activities": ["bingo"]},
        {"wish": "money"},
        {"max_distance_m": -5},
        {"lat": 51.0, "lon": None},
        {"language": "de"},
    ],
)
def test_bad_profile_is_refused(
    system: Actor, make_person: Callable[..., Any], bad: dict[str, Any]
) -> None:
    person = make_person(system, phone="0470123456")
    with pytest.raises(ValidationFailed):
        services.participant_register(
            actor=system, person_id=person.pk, consent=True, **profile(**bad)
        )


def test_registered_once(system: Actor, make_participant: Callable[..., Participant]) -> None:
    p = make_participant(system)
    with pytest.raises(Conflict):
        services.participant_register(
            actor=system, person_id=p.person_id, consent=True, **profile()
        )


def test_opt_out_is_immediate(system: Actor, make_participant: Callable[..., Participant]) -> None:
    p = make_participant(system)
    p = services.participant_opt_out(actor=system, participant_id=p.pk)
    assert p.opted_out_at is not None


def test_volunteer_cannot_register(
    community: Any, make_login: Callable[..., Any], system: Actor, make_person: Callable[..., Any]
) -> None:
    from buurtkit.people.selectors import actor_for_user

    volunteer = actor_for_user(user=make_login(community, "volunteer"), community=community)
    assert volunteer is not None
    person = make_person(system, phone="0470123456")
    with pytest.raises(PermissionDenied):
        services.participant_register(
            actor=volunteer, person_id=person.pk, consent=True, **profile()
        )


def test_other_community_cannot_register_or_see(
    system: Actor,
    other_system: Actor,
    make_person: Callable[..., Any],
    make_participant: Callable[..., Participant],
) -> None:
    person = make_person(system, phone="0470123456")
    with pytest.raises(NotFound):
        services.participant_register(
            actor=other_system, person_id=person.pk, consent=True, **profile()
        )
    p = make_participant(system)
    with pytest.raises(NotFound):
        services.participant_mark_verified(actor=other_system, participant_id=p.pk)


def test_gdpr_export_and_anonymise(
    system: Actor, make_participant: Callable[..., Participant]
) -> None:
    p = make_participant(system)
    data = person_gdpr_export(actor=system, person_id=p.person_id)
    assert "buurbel" in str(data)
    person_anonymise(actor=system, person_id=p.person_id)
    p.refresh_from_db()
    assert p.lat is None and p.interests == [] and not p.active and p.opted_out_at
