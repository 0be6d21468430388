"""Issue 17 item 13: a participant is linked to the partner who registered them, partners have
their own figures, and vulnerable participants can be flagged for a staff follow-up list."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Participant
from buurtkit.people.services import organisation_create

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def ocmw(system: Actor) -> Any:
    return organisation_create(actor=system, name="OCMW Gent", slug="ocmw", kind="social_welfare")


def test_register_with_a_partner_and_flag_for_follow_up(
    system: Actor, ocmw: Any, make_participant: Callable[..., Participant], other_system: Actor
) -> None:
    p = make_participant(system, organisation_id=ocmw.pk, needs_follow_up=True)
    p.refresh_from_db()
    assert p.organisation_id == ocmw.pk and p.needs_follow_up
    make_participant(system)  # nobody's partner, not flagged
    listed = selectors.participants_search(actor=system, status="follow_up")
    assert list(listed) == [p]
    assert list(selectors.participants_search(actor=system, organisation_id=ocmw.pk)) == [p]
    figures = selectors.partner_figures(actor=system)
    assert figures == [
        {
            "id": ocmw.pk,
            "name": "OCMW Gent",
            "participants": 1,
            "callable": 1,
            "follow_up": 1,
            "introduced": 0,
            "met": 0,
        }
    ]
    other = organisation_create(
        actor=other_system, name="Elders", slug="elders", kind="association"
    )
    with pytest.raises(ValidationFailed):  # another community's organisation
        services.participant_update(actor=system, participant_id=p.pk, organisation_id=other.pk)


def test_a_resident_cannot_set_partner_or_flag_on_themself(
    system: Actor, make_participant: Callable[..., Participant]
) -> None:
    p = make_participant(system)
    resident = dataclasses.replace(
        Actor.system(system.community, label="me"), permissions=frozenset(), person_id=p.person_id
    )
    services.participant_update(actor=resident, participant_id=p.pk, neighbourhood="Rabot")
    with pytest.raises(PermissionDenied):
        services.participant_update(actor=resident, participant_id=p.pk, needs_follow_up=True)


def test_staff_pages_follow_up_list_and_per_partner_figures(
    community: Community,
    system: Actor,
    ocmw: Any,
    make_participant: Callable[..., Participant],
    login_client: Callable[..., Client],
) -> None:
    flagged = make_participant(
        system, organisation_id=ocmw.pk, needs_follow_up=True, follow_up_note="lives alone"
    )
    client = login_client(community, "staff")
    page = client.get("/rabot/buurbel/participants/?status=follow_up", **EN).content.decode()
    assert flagged.person.full_name in page and "Needs follow-up" in page
    assert "Per partner" in page and "OCMW Gent" in page
    edit = client.get(f"/rabot/buurbel/participants/{flagged.pk}/edit/", **EN).content.decode()
    assert 'name="needs_follow_up"' in edit and "checked" in edit
    assert f'<option value="{ocmw.pk}" selected>OCMW Gent</option>' in edit


def test_the_api_sets_and_filters_partner_and_follow_up(
    community: Community,
    system: Actor,
    ocmw: Any,
    make_participant: Callable[..., Participant],
    api: Callable[..., Client],
) -> None:
    p = make_participant(system)
    client = api(community, ["staff"])
    body = {"organisation_id": ocmw.pk, "needs_follow_up": True, "follow_up_note": "alone"}
    response = client.patch(
        f"/api/v1/buurbel/participants/{p.pk}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["organisation_id"], out["needs_follow_up"], out["follow_up_note"]) == (
        ocmw.pk,
        True,
        "alone",
    )
    listed = client.get("/api/v1/buurbel/participants", {"status": "follow_up"}).json()
    assert [r["id"] for r in listed["items"]] == [p.pk]
