"""Rule versions: JsonLogic over named facts, test cases gate activation, immutability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.neighbours import rules, services
from buurtkit.neighbours.facts import FACTS, Profile, pair_facts
from buurtkit.neighbours.models import RuleStatus, RuleVersion
from tests.neighbours.conftest import profile

GOOD_CASE = {
    "name": "neighbours",
    "a": profile(),
    "b": profile(lat=51.061),
    "eligible": True,
    "score_min": 1,
    "score_max": 1000,
}


def test_default_rules_pass_their_cases_and_are_active(default_rules: RuleVersion) -> None:
    assert default_rules.number == 1 and default_rules.status == RuleStatus.ACTIVE
    assert default_rules.activated_at is not None
    assert len(default_rules.test_cases) >= 3
    assert all(r["passed"] for r in services.rule_version_results(default_rules))


def test_failing_case_blocks_activation(system: Actor) -> None:
    failing = {
        **GOOD_CASE,
        "name": "far_apart_should_match",
        "b": profile(lat=51.2, neighbourhood="x"),
    }
    version = services.rule_version_create(
        actor=system,
        eligibility=rules.DEFAULT_ELIGIBILITY,
        weights=rules.DEFAULT_WEIGHTS,
        test_cases=[GOOD_CASE, failing],
    )
    with pytest.raises(ValidationFailed) as err, translation.override("en"):
        services.rule_version_activate(actor=system, version_id=version.pk)
    assert err.value.code == "test_cases_fail"
    assert "far_apart_should_match" in str(err.value.detail)
    assert "neighbours" not in str(err.value.detail).split(":", 1)[1].replace("far_apart", "")
    version.refresh_from_db()
    assert version.status == RuleStatus.DRAFT and version.activated_at is None


def test_score_band_is_checked(system: Actor) -> None:
    version = services.rule_version_create(
        actor=system,
        eligibility=rules.DEFAULT_ELIGIBILITY,
        weights=rules.DEFAULT_WEIGHTS,
        test_cases=[{**GOOD_CASE, "score_min": 5000, "score_max": 6000}],
    )
    with pytest.raises(ValidationFailed, match="neighbours"):
        services.rule_version_activate(actor=system, version_id=version.pk)


def test_version_without_cases_cannot_be_activated(system: Actor) -> None:
    version = services.rule_version_create(actor=system, eligibility=rules.DEFAULT_ELIGIBILITY)
    with pytest.raises(ValidationFailed):
        services.rule_version_activate(actor=system, version_id=version.pk)


def test_activation_retires_previous(system: Actor, default_rules: RuleVersion) -> None:
    copy = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    assert copy.number == 2 and copy.status == RuleStatus.DRAFT
    assert copy.eligibility == default_rules.eligibility and copy.weights == default_rules.weights
    services.rule_version_activate(actor=system, version_id=copy.pk)
    default_rules.refresh_from_db()
    copy.refresh_from_db()
    assert default_rules.status == RuleStatus.RETIRED and default_rules.retired_at is not None
    assert copy.status == RuleStatus.ACTIVE
    assert RuleVersion.objects.filter(status=RuleStatus.ACTIVE).count() == 1
    assert AuditEvent.objects.filter(verb="neighbours.rules_activated").count() == 2


def test_active_and_retired_versions_cannot_be_edited(
    system: Actor, default_rules: RuleVersion
) -> None:
    with pytest.raises(Conflict) as err:
        services.rule_version_update(actor=system, version_id=default_rules.pk, weights=[])
    assert err.value.code == "rules_immutable"
    copy = services.rule_version_create(actor=system, copy_of_id=default_rules.pk)
    services.rule_version_activate(actor=system, version_id=copy.pk)
    with pytest.raises(Conflict):
        services.rule_version_update(actor=system, version_id=default_rules.pk, notes="x")
    with pytest.raises(Conflict):
        services.rule_version_activate(actor=system, version_id=default_rules.pk)
    default_rules.refresh_from_db()
    assert (
        default_rules.weights
        == rules.clean_rules(rules.DEFAULT_ELIGIBILITY, rules.DEFAULT_WEIGHTS)[1]
    )


def test_draft_can_be_edited(system: Actor) -> None:
    version = services.rule_version_create(actor=system, eligibility=rules.DEFAULT_ELIGIBILITY)
    version = services.rule_version_update(
        actor=system,
        version_id=version.pk,
        weights=[{"name": "interests", "rule": {"var": "shared_interests"}, "weight": 2}],
    )
    assert version.weights[0]["name"] == "interests"


@pytest.mark.parametrize(
    ("eligibility", "weights"),
    [
        ([{"name": "x", "rule": {"var": "salary"}}], []),  # unknown fact
        ([{"name": "x", "rule": {"frobnicate": [1]}}], []),  # unknown operator
        ([{"name": "Bad Name", "rule": True}], []),
        ([{"name": "x", "rule": True}, {"name": "x", "rule": True}], []),  # same name twice
        ([], [{"name": "w", "rule": 1, "weight": "ten"}]),
        ([{"rule": True}], []),
    ],
)
def test_bad_rules_are_refused(system: Actor, eligibility: Any, weights: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.rule_version_create(actor=system, eligibility=eligibility, weights=weights)


def test_only_rule_writers_write_rules(
    community: Any, make_login: Callable[..., Any], default_rules: RuleVersion
) -> None:
    from buurtkit.people.selectors import actor_for_user

    clerk = actor_for_user(user=make_login(community, "counter_clerk"), community=community)
    assert clerk is not None
    with pytest.raises(PermissionDenied):
        services.rule_version_create(actor=clerk, copy_of_id=default_rules.pk)


def test_rules_of_another_community_are_not_found(
    other_system: Actor, default_rules: RuleVersion
) -> None:
    with pytest.raises(NotFound):
        services.rule_version_create(actor=other_system, copy_of_id=default_rules.pk)
    with pytest.raises(NotFound):
        services.rule_version_activate(actor=other_system, version_id=default_rules.pk)


# --- every fact through JsonLogic --------------------------------------------------------

A = profile(
    interests=["cards", "gardening", "music"],
    activities=["coffee", "walk"],
    can_offer=["shopping"],
    needs=[],
    max_distance_m=800,
)
FACT_CASES: list[tuple[str, dict[str, Any], dict[str, Any], Any]] = [
    ("distance_m", {}, {"lat": 51.063}, 334),
    ("distance_m", {}, {"lat": None, "lon": None}, None),
    ("within_reach", {}, {"lat": 51.063}, True),
    ("within_reach", {}, {"lat": 51.063, "max_distance_m": 300}, False),
    ("same_neighbourhood", {}, {}, True),
    ("same_neighbourhood", {}, {"neighbourhood": "sluizeken"}, False),
    ("shared_interests", {}, {"interests": ["music", "cards", "chess"]}, 2),
    ("shared_activities", {}, {"activities": ["walk", "coffee", "small_help"]}, 2),
    ("shared_activity_names", {}, {"activities": ["walk"]}, ["walk"]),
    ("language_match", {}, {"language": "fr"}, False),
    ("language_match", {}, {}, True),
    (
        "window_overlap_minutes",
        {},
        {"call_windows": [{"days": [1, 3, 6], "from": "11:00", "to": "13:30"}]},
        120,
    ),
    ("introduced_before", {"introduced_before": True}, {}, True),
    ("declined_before", {"declined_before": True}, {}, True),
    ("declined_before", {}, {}, False),
    ("both_social", {}, {"wish": "both"}, True),
    ("both_social", {}, {"wish": "practical"}, False),
    ("one_offers_what_other_needs", {}, {"needs": ["shopping"]}, True),
    ("one_offers_what_other_needs", {}, {"needs": ["paperwork"]}, False),
    ("max_distance_m", {}, {"max_distance_m": 500}, 500),
]


def test_every_fact_has_a_case() -> None:
    assert {name for name, *_rest in FACT_CASES} == set(FACTS)


@pytest.mark.parametrize(("fact", "history", "b", "expected"), FACT_CASES)
def test_fact_through_jsonlogic(
    fact: str, history: dict[str, bool], b: dict[str, Any], expected: Any
) -> None:
    clean_a = services.clean_profile(A)
    clean_b = services.clean_profile({**A, **b})
    facts = pair_facts(Profile.from_values(clean_a), Profile.from_values(clean_b), **history)
    if fact == "distance_m" and expected is not None:
        assert abs(facts[fact] - expected) <= 2
    else:
        assert facts[fact] == expected
    # The same value seen by a rule, as eligibility and as a scoring term.
    if isinstance(expected, bool):
        compiled = rules.CompiledRules([{"name": "c", "rule": {"var": fact}}], [])
        assert compiled.evaluate(facts).eligible is expected
    elif isinstance(expected, int):
        compiled = rules.CompiledRules([], [{"name": "t", "rule": {"var": fact}, "weight": 2}])
        assert abs(compiled.evaluate(facts).score - 2 * facts[fact]) < 1e-9
    elif isinstance(expected, list):
        compiled = rules.CompiledRules([{"name": "c", "rule": {"in": ["walk", {"var": fact}]}}], [])
        assert compiled.evaluate(facts).eligible is True
    else:
        compiled = rules.CompiledRules([{"name": "c", "rule": {"==": [{"var": fact}, None]}}], [])
        assert compiled.evaluate(facts).eligible is True


def test_facts_are_symmetric() -> None:
    a = Profile.from_values(services.clean_profile(A))
    b = Profile.from_values(
        services.clean_profile({**A, "needs": ["shopping"], "lat": 51.062, "can_offer": []})
    )
    assert pair_facts(a, b) == pair_facts(b, a)


def test_explanation_lists_conditions_and_contributions(default_rules: RuleVersion) -> None:
    result = services.rule_version_results(default_rules)[0]
    explanation = result["explanation"]
    assert [e["name"] for e in explanation["eligibility"]] == [
        e["name"] for e in default_rules.eligibility
    ]
    assert all(e["held"] for e in explanation["eligibility"])
    total = sum(t["contribution"] for t in explanation["terms"])
    assert abs(total - explanation["score"]) < 1e-6
    for term in explanation["terms"]:
        assert abs(term["contribution"] - term["value"] * term["weight"]) < 1e-6


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "distance_m": st.one_of(st.none(), st.integers(0, 5000)),
            "within_reach": st.booleans(),
            "same_neighbourhood": st.booleans(),
            "shared_interests": st.integers(0, 6),
            "shared_activities": st.integers(0, 3),
            "shared_activity_names": st.lists(st.sampled_from(["coffee", "walk"]), unique=True),
            "language_match": st.booleans(),
            "window_overlap_minutes": st.integers(0, 3000),
            "introduced_before": st.booleans(),
            "declined_before": st.booleans(),
            "both_social": st.booleans(),
            "one_offers_what_other_needs": st.booleans(),
            "max_distance_m": st.integers(0, 5000),
        }
    )
)
def test_fast_score_equals_explained_score(facts: dict[str, Any]) -> None:
    extra = [
        {"name": "raw_bool", "rule": {"var": "language_match"}, "weight": 3},
        {"name": "a_list", "rule": {"var": "shared_activity_names"}, "weight": 2},
    ]
    for weights in (rules.DEFAULT_WEIGHTS, rules.DEFAULT_WEIGHTS + extra[:1], extra):
        compiled = rules.CompiledRules(*rules.clean_rules(rules.DEFAULT_ELIGIBILITY, weights))
        verdict = compiled.evaluate(facts)
        fast = compiled.score(facts)
        if verdict.eligible:
            assert fast == pytest.approx(verdict.score)
            assert compiled.explain(facts, verdict)["score"] == pytest.approx(fast, abs=1e-5)
        else:
            assert fast is None


def test_activated_version_cannot_be_changed_even_through_the_orm(
    default_rules: RuleVersion,
) -> None:
    from buurtkit.neighbours.models import RuleVersionImmutable

    default_rules.weights = []
    with pytest.raises(RuleVersionImmutable):
        default_rules.save()
    with pytest.raises(RuleVersionImmutable):
        default_rules.save(update_fields=["weights"])
    default_rules.refresh_from_db()
    assert default_rules.weights
