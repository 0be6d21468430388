"""Matching runs: pre-filter, who takes part, declined pairs, optimal pairing, explanations."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound
from buurtkit.neighbours import matching, rules, selectors, services
from buurtkit.neighbours.facts import Profile
from buurtkit.neighbours.models import MatchRun, Participant, ProposedPair, RuleVersion
from tests.neighbours.conftest import profile


def _brute_force(n: int, edges: dict[tuple[int, int], float]) -> float:
    """The best total weight over every matching of ``n`` nodes."""

    def best(free: tuple[int, ...]) -> float:
        if len(free) < 2:
            return 0.0
        first, rest = free[0], free[1:]
        result = best(rest)  # ``first`` stays single
        for k, other in enumerate(rest):
            w = edges.get((first, other))
            if w is not None and w > 0:
                result = max(result, w + best(rest[:k] + rest[k + 1 :]))
        return result

    return best(tuple(range(n)))


def _check_matching(
    n: int, edges: dict[tuple[int, int], float], pairs: list[tuple[int, int]]
) -> float:
    used = [x for pair in pairs for x in pair]
    assert len(used) == len(set(used)), "someone is in two pairs"
    assert all(pair in edges for pair in pairs)
    return sum(edges[pair] for pair in pairs)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=2, max_value=8).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.dictionaries(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(
                    lambda p: p[0] < p[1]
                ),
                st.one_of(st.integers(1, 100).map(float), st.floats(0.001, 100.0)),
                max_size=n * (n - 1) // 2,
            ),
        )
    )
)
def test_pairing_is_optimal_against_brute_force(
    case: tuple[int, dict[tuple[int, int], float]],
) -> None:
    n, edges = case
    pairs = matching.best_pairing(edges)
    total = _check_matching(n, edges, pairs)
    assert total == pytest.approx(_brute_force(n, edges), abs=0.01)


def test_large_component_is_split_by_neighbourhood_and_stays_a_matching() -> None:
    rnd = random.Random(5)
    n = 60
    edges = {
        (i, j): float(rnd.randint(1, 50))
        for i, j in itertools.combinations(range(n), 2)
        if rnd.random() < 0.2
    }
    stats: dict[str, int] = {}
    pairs = matching.best_pairing(edges, max_exact=20, group_of=lambda k: str(k % 3), stats=stats)
    assert stats["split_components"] == 1 and stats["parts"] >= 3
    split_total = _check_matching(n, edges, pairs)
    exact_total = _check_matching(n, edges, matching.best_pairing(edges))
    assert 0.5 * exact_total <= split_total <= exact_total


def _profiles(values: list[dict[str, Any]]) -> list[Profile]:
    return [Profile.from_values(services.clean_profile(v), pk=k) for k, v in enumerate(values)]


def test_prefilter_keeps_neighbours_and_drops_far_people() -> None:
    profiles = _profiles(
        [
            profile(),  # 0
            profile(lat=51.062),  # 1: about 220 m north
            profile(lat=51.100, neighbourhood="far"),  # 2: 4.4 km away
            profile(lat=None, lon=None),  # 3: same neighbourhood, no location
            profile(
                lat=51.069, neighbourhood="other", max_distance_m=2000
            ),  # 4: 1 km, beyond 0's reach
        ]
    )
    pairs = matching.candidate_pairs(profiles)
    assert (0, 1) in pairs
    assert (0, 3) in pairs and (1, 3) in pairs
    assert not any(2 in pair for pair in pairs)
    assert (0, 4) not in pairs  # other neighbourhood, further than 0's 1000 m
    assert (1, 4) in pairs  # 780 m: within both people's distance


def test_prefilter_never_takes_all_pairs() -> None:
    rnd = random.Random(1)
    values = [
        profile(
            lat=51.05 + rnd.random() * 0.02, lon=3.70 + rnd.random() * 0.03, max_distance_m=5000
        )
        for _ in range(400)
    ]
    pairs = matching.candidate_pairs(_profiles(values), per_person=10)
    assert len(pairs) <= 400 * 10
    assert len(pairs) < 400 * 399 // 2 // 10
    # Each person's candidates are their nearest: nobody is left without any.
    assert {x for pair in pairs for x in pair} == set(range(400))


def test_run_proposes_pairs_with_explanations(
    system: Actor, default_rules: RuleVersion, make_participant: Callable[..., Participant]
) -> None:
    a = make_participant(system)
    b = make_participant(system, lat=51.061, interests=["gardening", "cards", "music"])
    c = make_participant(system, lat=51.062, interests=["chess"])
    d = make_participant(system, lat=51.0605, interests=["chess"], activities=["coffee", "walk"])
    run = services.matching_run(actor=system)
    assert run.rule_version == default_rules and run.participants == 4
    pairs = list(selectors.proposed_pairs(actor=system, run_id=run.pk))
    assert {(p.participant_a_id, p.participant_b_id) for p in pairs} == {(a.pk, b.pk), (c.pk, d.pk)}
    for pair in pairs:
        ex = pair.explanation
        assert ex["score"] == pytest.approx(pair.score)
        assert [e["name"] for e in ex["eligibility"]] == [
            e["name"] for e in default_rules.eligibility
        ]
        assert all(e["held"] for e in ex["eligibility"])
        assert {t["name"] for t in ex["terms"]} == {w["name"] for w in default_rules.weights}
        assert sum(t["contribution"] for t in ex["terms"]) == pytest.approx(pair.score)
        assert ex["facts"]["same_neighbourhood"] is True
    assert run.stats["total_s"] >= 0 and run.proposed_pairs == 2
    assert run.total_score == pytest.approx(sum(p.score for p in pairs))


def test_run_is_optimal_on_small_random_communities(
    system: Actor, default_rules: RuleVersion, make_participant: Callable[..., Participant]
) -> None:
    rnd = random.Random(11)
    interests = ["cards", "music", "chess", "gardening", "cooking"]
    people = [
        make_participant(
            system,
            lat=51.06 + rnd.random() * 0.004,
            interests=rnd.sample(interests, rnd.randint(1, 4)),
            activities=rnd.sample(["coffee", "walk", "small_help"], rnd.randint(1, 2)),
            language=rnd.choice(["nl", "nl", "fr"]),
        )
        for _ in range(8)
    ]
    run = services.matching_run(actor=system)
    compiled = rules.CompiledRules(default_rules.eligibility, default_rules.weights)
    from buurtkit.neighbours.facts import pair_facts

    profs = [
        Profile.from_values(
            {k: getattr(p, k) for k in services.ELIGIBLE_FIELDS if k != "id"},
            pk=p.pk,
            ref_lat=51.06,
        )
        for p in people
    ]
    edges = {}
    for i, j in itertools.combinations(range(8), 2):
        verdict = compiled.evaluate(pair_facts(profs[i], profs[j]))
        if verdict.eligible:
            edges[(i, j)] = verdict.score
    assert run.total_score == pytest.approx(_brute_force(8, edges), abs=0.05)


def test_only_verified_consenting_present_people_are_matched(
    system: Actor, default_rules: RuleVersion, make_participant: Callable[..., Participant]
) -> None:
    a = make_participant(system)
    make_participant(system, verified=False)
    opted = make_participant(system)
    services.participant_opt_out(actor=system, participant_id=opted.pk)
    inactive = make_participant(system)
    Participant.objects.filter(pk=inactive.pk).update(active=False)
    run = services.matching_run(actor=system)
    assert run.participants == 1 and run.proposed_pairs == 0
    b = make_participant(system)
    run = services.matching_run(actor=system)
    assert [(p.participant_a_id, p.participant_b_id) for p in run.pairs.all()] == [(a.pk, b.pk)]


def test_declined_before_is_never_proposed_again(
    system: Actor, default_rules: RuleVersion, make_participant: Callable[..., Participant]
) -> None:
    a = make_participant(system)
    b = make_participant(system)
    services.introduction_record(
        actor=system,
        participant_a_id=b.pk,
        participant_b_id=a.pk,
        outcome="declined",
        declined_by_id=b.pk,
    )
    # Even rules that forget to forbid it do not bring the pair back.
    lax = services.rule_version_create(
        actor=system,
        eligibility=[],
        weights=[{"name": "one", "rule": 1, "weight": 1}],
        test_cases=[{"name": "anyone", "a": profile(), "b": profile(), "eligible": True}],
    )
    services.rule_version_activate(actor=system, version_id=lax.pk)
    run = services.matching_run(actor=system)
    assert run.proposed_pairs == 0 and run.stats["declined_skipped"] == 1
    c = make_participant(system)
    run = services.matching_run(actor=system)
    assert run.proposed_pairs == 1
    assert ProposedPair.objects.filter(run=run, participant_b=c).exists()


def test_introduced_before_is_a_fact_for_the_rules(
    system: Actor, default_rules: RuleVersion, make_participant: Callable[..., Participant]
) -> None:
    a = make_participant(system)
    b = make_participant(system)
    services.introduction_record(
        actor=system, participant_a_id=a.pk, participant_b_id=b.pk, outcome="met"
    )
    assert services.matching_run(actor=system).proposed_pairs == 0  # default rules: not again


def test_no_active_rules(system: Actor, make_participant: Callable[..., Participant]) -> None:
    with pytest.raises(Conflict):
        services.matching_run(actor=system)


def test_runs_are_per_community(
    system: Actor,
    other_system: Actor,
    default_rules: RuleVersion,
    make_participant: Callable[..., Participant],
) -> None:
    a = make_participant(system)
    make_participant(other_system)  # would be a perfect match, but lives in another community
    services.rules_create_default(actor=other_system)
    run = services.matching_run(actor=system)
    assert run.participants == 1 and run.proposed_pairs == 0
    other_run = services.matching_run(actor=other_system)
    assert other_run.participants == 1
    with pytest.raises(NotFound):
        selectors.match_run_get(actor=other_system, run_id=run.pk)
    with pytest.raises(NotFound):
        list(selectors.proposed_pairs(actor=other_system, run_id=run.pk))
    with pytest.raises(NotFound):
        services.matching_run(actor=other_system, rule_version=default_rules)
    with pytest.raises(NotFound):
        services.introduction_record(
            actor=other_system, participant_a_id=a.pk, participant_b_id=a.pk + 1, outcome="met"
        )
    assert MatchRun.objects.count() == 2
