"""The API of Buurbel's matching rules and runs (/api/v1/buurbel/rules, /runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.neighbours import services
from buurtkit.neighbours.models import MatchRun, Participant, RuleStatus, RuleVersion
from buurtkit.people.models import Person

B = "/api/v1/buurbel"


def _send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def coordinator(api: Callable[..., Client], community: Community) -> Client:
    return api(community, ["coordinator"])


@pytest.fixture
def volunteer(api: Callable[..., Client], community: Community) -> Client:
    return api(community, ["volunteer"])


def _state(community: Community) -> list[tuple[Any, ...]]:
    return list(
        RuleVersion.objects.filter(community=community)
        .order_by("number")
        .values_list("number", "status", "notes", "eligibility", "weights", "test_cases")
    )


def test_list_and_read_versions(coordinator: Client, default_rules: RuleVersion) -> None:
    listing = coordinator.get(f"{B}/rules").json()
    assert [v["number"] for v in listing["items"]] == [1]
    assert listing["items"][0]["status"] == "active"
    one = coordinator.get(f"{B}/rules/{default_rules.pk}").json()
    assert one["eligibility"][0]["name"] == "close_enough"
    assert len(one["test_cases"]) == 4


def test_create_a_draft_as_a_copy_and_change_it(
    coordinator: Client, default_rules: RuleVersion
) -> None:
    created = _send(coordinator, "POST", f"{B}/rules", {"copy_of": default_rules.pk})
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["number"], draft["status"]) == (2, "draft")
    assert draft["weights"] == default_rules.weights

    weights = [dict(w) for w in draft["weights"]]
    weights[0]["weight"] = 12
    changed = _send(
        coordinator, "PATCH", f"{B}/rules/{draft['id']}", {"weights": weights, "notes": "More"}
    )
    assert changed.status_code == 200, changed.content
    stored = RuleVersion.objects.get(pk=draft["id"])
    assert stored.weights[0]["weight"] == 12 and stored.notes == "More"
    assert stored.eligibility == default_rules.eligibility  # not given: unchanged


def test_create_with_own_rules(coordinator: Client, community: Community) -> None:
    body = {
        "eligibility": [{"name": "close", "rule": {"<=": [{"var": "distance_m"}, 800]}}],
        "weights": [{"name": "talk", "rule": {"var": "shared_interests"}, "weight": 2}],
        "notes": "Small",
    }
    response = _send(coordinator, "POST", f"{B}/rules", body)
    assert response.status_code == 201, response.content
    assert response.json()["eligibility"][0]["rule"] == {"<=": [{"var": "distance_m"}, 800]}


def test_an_invalid_rule_is_refused_with_its_field(
    coordinator: Client, default_rules: RuleVersion, system: Actor
) -> None:
    draft = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    before = _state(default_rules.community)
    response = _send(
        coordinator,
        "PATCH",
        f"{B}/rules/{draft.pk}",
        {"eligibility": [{"name": "close", "rule": {"<=": [{"var": "distanse_m"}, 800]}}]},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert "distanse_m" in body["fields"]["eligibility"]
    assert _state(default_rules.community) == before


def test_an_active_version_cannot_change(coordinator: Client, default_rules: RuleVersion) -> None:
    before = _state(default_rules.community)
    response = _send(coordinator, "PATCH", f"{B}/rules/{default_rules.pk}", {"notes": "x"})
    assert response.status_code == 409
    assert response.json()["error"] == "rules_immutable"
    assert _state(default_rules.community) == before


def test_test_cases_run_and_activation_is_refused_when_one_fails(
    coordinator: Client, default_rules: RuleVersion, system: Actor
) -> None:
    draft = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    cases = [dict(c) for c in draft.test_cases]
    cases[1]["eligible"] = True  # declined before, yet expected to match
    services.rule_version_update(actor=system, version_id=draft.pk, test_cases=cases)
    before = _state(default_rules.community)

    results = _send(coordinator, "POST", f"{B}/rules/{draft.pk}/test").json()
    assert [r["passed"] for r in results] == [True, False, True, True]
    failing = results[1]
    assert failing["eligible"] is False
    never = [c for c in failing["explanation"]["eligibility"] if c["name"] == "never_declined"]
    assert never == [{"name": "never_declined", "held": False}]

    response = _send(coordinator, "POST", f"{B}/rules/{draft.pk}/activate")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "test_cases_fail"
    assert "declined_before_never_again" in body["detail"]
    assert _state(default_rules.community) == before


def test_activation_retires_the_previous_version(
    coordinator: Client, default_rules: RuleVersion, system: Actor
) -> None:
    draft = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    response = _send(coordinator, "POST", f"{B}/rules/{draft.pk}/activate")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    default_rules.refresh_from_db()
    assert default_rules.status == RuleStatus.RETIRED


@pytest.fixture
def four(system: Actor, make_participant: Callable[..., Participant]) -> list[Participant]:
    people = [make_participant(system) for _ in range(4)]
    for participant, name in zip(people, ("Anna", "Bert", "Chantal", "Dirk"), strict=True):
        Person.objects.filter(pk=participant.person_id).update(first_name=name)
    return people


def test_run_matching_and_read_the_pairs(
    coordinator: Client, default_rules: RuleVersion, four: list[Participant]
) -> None:
    response = _send(coordinator, "POST", f"{B}/runs")
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["participants"], run["proposed_pairs"]) == (4, 2)
    assert run["rule_version_number"] == 1 and "total_s" in run["stats"]

    assert [r["id"] for r in coordinator.get(f"{B}/runs").json()["items"]] == [run["id"]]
    assert coordinator.get(f"{B}/runs/{run['id']}").json()["eligible_pairs"] == 6

    pairs = coordinator.get(f"{B}/runs/{run['id']}/pairs").json()
    assert pairs["count"] == 2
    first = pairs["items"][0]
    assert first["score"] == first["explanation"]["score"]
    assert {c["name"] for c in first["explanation"]["eligibility"]} >= {"close_enough"}
    assert all("contribution" in t for t in first["explanation"]["terms"])
    found = coordinator.get(f"{B}/runs/{run['id']}/pairs?q=chantal").json()
    assert found["count"] == 1
    assert "Chantal Peeters" in {found["items"][0]["name_a"], found["items"][0]["name_b"]}


def test_run_without_active_rules_is_a_conflict(coordinator: Client, community: Community) -> None:
    response = _send(coordinator, "POST", f"{B}/runs")
    assert response.status_code == 409
    assert response.json()["error"] == "no_active_rules"
    assert not MatchRun.objects.filter(community=community).exists()


def test_volunteer_reads_but_cannot_edit_activate_or_run(
    volunteer: Client, default_rules: RuleVersion, system: Actor, four: list[Participant]
) -> None:
    draft = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    assert volunteer.get(f"{B}/rules").status_code == 200
    assert volunteer.get(f"{B}/rules/{draft.pk}").status_code == 200
    assert _send(volunteer, "POST", f"{B}/rules/{draft.pk}/test").status_code == 200
    before = _state(default_rules.community)
    for method, url, body, permission in (
        ("POST", f"{B}/rules", {"copy_of": default_rules.pk}, "neighbours.rules"),
        ("PATCH", f"{B}/rules/{draft.pk}", {"notes": "mine"}, "neighbours.rules"),
        ("POST", f"{B}/rules/{draft.pk}/activate", None, "neighbours.rules"),
        ("POST", f"{B}/runs", None, "neighbours.match"),
    ):
        response = _send(volunteer, method, url, body)
        assert response.status_code == 403, url
        assert permission in response.json()["detail"]
    assert _state(default_rules.community) == before
    assert not MatchRun.objects.exists()
