"""Staff pages for Buurbel's matching rules and runs: the editor, test cases, activation,
copies, running the matching and reading a pair's explanation; who may do what."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.neighbours import services
from buurtkit.neighbours.models import MatchRun, Participant, RuleStatus, RuleVersion
from buurtkit.neighbours.pages.jsonlogic_text import to_text
from buurtkit.people.models import Person

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PROFILE_KEYS = ("neighbourhood", "lat", "lon", "max_distance_m", "language", "wish")


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(f"web:{name}", args=["rabot", *args])


def _windows(windows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{','.join(str(d) for d in w['days'])} {w['from']}-{w['to']}" for w in windows
    )


def form_data(version: RuleVersion, **extra: Any) -> dict[str, Any]:
    """What the editor posts for ``version`` as it is (the fields the page shows)."""
    data: dict[str, Any] = {"notes": version.notes, "op": "save"}
    for i, rule in enumerate(version.eligibility):
        data[f"cond-{i}-name"] = rule["name"]
        data[f"cond-{i}-description"] = rule["description"]
        data[f"cond-{i}-rule"] = json.dumps(rule["rule"])
    for i, rule in enumerate(version.weights):
        data[f"term-{i}-name"] = rule["name"]
        data[f"term-{i}-description"] = rule["description"]
        data[f"term-{i}-rule"] = json.dumps(rule["rule"])
        data[f"term-{i}-weight"] = str(rule["weight"])
    for i, case in enumerate(version.test_cases):
        p = f"case-{i}-"
        data[p + "name"] = case["name"]
        data[p + "eligible"] = "yes" if case["eligible"] else "no"
        for bound in ("score_min", "score_max"):
            if case.get(bound) is not None:
                data[p + bound] = str(case[bound])
        for flag in ("introduced_before", "declined_before"):
            if case["history"].get(flag):
                data[p + flag] = "1"
        for side in ("a", "b"):
            values = case[side]
            for key in PROFILE_KEYS:
                data[f"{p}{side}-{key}"] = "" if values[key] is None else str(values[key])
            for key in ("interests", "can_offer", "needs"):
                data[f"{p}{side}-{key}"] = ", ".join(values[key])
            data[f"{p}{side}-activities"] = values["activities"]
            data[f"{p}{side}-call_windows"] = _windows(values["call_windows"])
    data.update(extra)
    return data


@pytest.fixture
def draft(system: Actor, default_rules: RuleVersion) -> RuleVersion:
    return services.rule_version_create(actor=system, copy_of_id=default_rules.pk, notes="Try")


@pytest.fixture
def coordinator(community: Community, login_client: Callable[..., Client]) -> Client:
    return login_client(community, "coordinator")


def _stored(version: RuleVersion) -> tuple[Any, ...]:
    version.refresh_from_db()
    return (version.status, version.notes, version.eligibility, version.weights, version.test_cases)


# --- the formatter ----------------------------------------------------------------------------


@translation.override("en")
def test_jsonlogic_reads_as_plain_text() -> None:
    assert to_text({"<=": [{"var": "distance_m"}, 800]}) == "distance_m ≤ 800"
    assert to_text({"!": [{"var": "declined_before"}]}) == "not declined_before"
    assert (
        to_text({"or": [{"var": "same_neighbourhood"}, {"var": "within_reach"}]})
        == "same_neighbourhood or within_reach"
    )
    assert to_text({"if": [{"var": "language_match"}, 1, 0]}) == "if language_match then 1 else 0"
    assert to_text({"min": [{"var": "shared_interests"}, 5]}) == "smallest of (shared_interests, 5)"
    assert to_text({"weird": [1, 2]}) == "weird(1, 2)"


# --- versions and their detail ---------------------------------------------------------------


def test_versions_list_shows_status_and_passing_cases(
    coordinator: Client, draft: RuleVersion
) -> None:
    response = coordinator.get(_url("buurbel_rules"), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Version 2" in text and "Version 1" in text
    assert "4 of 4" in text
    assert "New version from this one" in text


def test_detail_shows_rules_in_words_results_and_facts(
    coordinator: Client, default_rules: RuleVersion
) -> None:
    response = coordinator.get(_url("buurbel_rule", default_rules.pk), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "window_overlap_minutes ≥ 60" in text  # the condition, readable
    assert "At least an hour a week when both can be called." in text
    assert "&quot;var&quot;: &quot;window_overlap_minutes&quot;" in text  # the raw JSON
    assert "close_neighbours_with_shared_interests" in text
    assert "All test cases pass." in text
    assert "metres between the two" in text  # the facts one may use


# --- the draft editor ------------------------------------------------------------------------


def test_editing_a_draft_saves_rules_notes_and_cases(
    coordinator: Client, draft: RuleVersion
) -> None:
    data = form_data(draft, notes="Shorter walks")
    data["term-0-weight"] = "12"
    data["cond-0-rule"] = json.dumps(
        {"or": [{"var": "same_neighbourhood"}, {"<=": [{"var": "distance_m"}, 800]}]}
    )
    data["case-1-name"] = "never_after_a_no"

    response = coordinator.post(_url("buurbel_rule_edit", draft.pk), data, **EN)

    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.notes == "Shorter walks"
    assert draft.weights[0]["weight"] == 12
    assert draft.eligibility[0]["rule"]["or"][1] == {"<=": [{"var": "distance_m"}, 800]}
    assert [c["name"] for c in draft.test_cases][1] == "never_after_a_no"
    assert draft.test_cases[1]["history"]["declined_before"] is True
    assert draft.test_cases[0]["a"]["call_windows"] == [
        {"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}
    ]


def test_adding_and_removing_rows_keeps_what_was_typed(
    coordinator: Client, draft: RuleVersion
) -> None:
    before = _stored(draft)
    data = form_data(draft, op="add_cond", notes="half typed")
    data["term-1-weight"] = "not yet"
    response = coordinator.post(_url("buurbel_rule_edit", draft.pk), data, **EN)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'name="cond-5-name"' in text  # the new, empty row
    assert "half typed" in text and 'value="not yet"' in text
    assert "Give a weight" not in text  # no errors while rows are only added

    data = form_data(draft, op="remove_cond-4")
    response = coordinator.post(_url("buurbel_rule_edit", draft.pk), data, **EN)
    text = response.content.decode()
    assert 'name="cond-4-name"' not in text and "something_in_common" not in text
    assert _stored(draft) == before  # nothing saved until "Save"


def test_invalid_rule_is_kept_with_its_error_and_nothing_saved(
    coordinator: Client, draft: RuleVersion
) -> None:
    before = _stored(draft)
    data = form_data(draft)
    typo = '{"<=": [{"var": "distanse_m"}, 800]}'
    data["cond-0-rule"] = typo
    data["term-2-rule"] = '{"var": "shared_interests"'  # not JSON
    data["case-0-a-lat"] = "north"

    response = coordinator.post(_url("buurbel_rule_edit", draft.pk), data, **EN)

    assert response.status_code == 422
    text = response.content.decode()
    assert "unknown facts: distanse_m" in text
    assert "This is not valid JSON" in text
    assert "Give a number" in text
    assert "distanse_m" in text and "&quot;distanse_m&quot;" in text  # typed text kept
    assert _stored(draft) == before


def test_duplicate_and_bad_names_are_shown_on_the_row(
    coordinator: Client, draft: RuleVersion
) -> None:
    data = form_data(draft)
    data["cond-1-name"] = data["cond-0-name"]
    data["term-0-name"] = "Shared Interests!"
    response = coordinator.post(_url("buurbel_rule_edit", draft.pk), data, **EN)
    assert response.status_code == 422
    text = response.content.decode()
    assert "Another rule already has this name." in text
    assert "lower-case letters, digits and _" in text


def test_try_the_test_cases_shows_results_of_what_was_typed_without_saving(
    coordinator: Client, draft: RuleVersion
) -> None:
    before = _stored(draft)
    data = form_data(draft)
    data["case-1-eligible"] = "yes"  # declined before, yet expected to match: fails

    response = coordinator.post(_url("buurbel_rule_test", draft.pk), data, **EN)

    assert response.status_code == 200
    text = response.content.decode()
    assert "1 test case fails." in text
    assert "declined_before_never_again" in text
    assert "does not hold" in text  # the explanation: never_declined did not hold
    assert _stored(draft) == before


# --- activation and copies --------------------------------------------------------------------


def test_activation_is_refused_while_a_test_case_fails(
    coordinator: Client, system: Actor, default_rules: RuleVersion, draft: RuleVersion
) -> None:
    cases = [dict(c) for c in draft.test_cases]
    cases[0]["score_min"] = 500  # far above what these neighbours score
    services.rule_version_update(actor=system, version_id=draft.pk, test_cases=cases)
    before = _stored(draft)

    response = coordinator.post(_url("buurbel_rule_activate", draft.pk), follow=True, **EN)

    text = response.content.decode()
    assert "cannot be activated" in text
    assert "close_neighbours_with_shared_interests" in text
    assert _stored(draft) == before
    default_rules.refresh_from_db()
    assert default_rules.status == RuleStatus.ACTIVE


def test_activating_a_passing_draft_retires_the_active_version(
    coordinator: Client, default_rules: RuleVersion, draft: RuleVersion
) -> None:
    response = coordinator.post(_url("buurbel_rule_activate", draft.pk), follow=True, **EN)
    assert "Version 2 is now used for matching." in response.content.decode()
    draft.refresh_from_db()
    default_rules.refresh_from_db()
    assert (draft.status, default_rules.status) == (RuleStatus.ACTIVE, RuleStatus.RETIRED)


def test_copy_of_the_active_version_is_a_new_draft_to_edit(
    coordinator: Client, default_rules: RuleVersion
) -> None:
    response = coordinator.post(_url("buurbel_rule_copy", default_rules.pk), **EN)
    copy = RuleVersion.objects.get(community=default_rules.community, number=2)
    assert response.status_code == 302
    assert response["Location"] == _url("buurbel_rule_edit", copy.pk)
    assert copy.status == RuleStatus.DRAFT
    assert (copy.eligibility, copy.weights, copy.test_cases) == (
        default_rules.eligibility,
        default_rules.weights,
        default_rules.test_cases,
    )
    page = coordinator.get(response["Location"], **EN)
    assert page.status_code == 200
    assert "Try the test cases" in page.content.decode()


def test_an_active_version_cannot_be_edited(
    coordinator: Client, default_rules: RuleVersion
) -> None:
    before = _stored(default_rules)
    get = coordinator.get(_url("buurbel_rule_edit", default_rules.pk), **EN)
    assert get.status_code == 302
    assert get["Location"] == _url("buurbel_rule", default_rules.pk)
    post = coordinator.post(
        _url("buurbel_rule_edit", default_rules.pk), form_data(default_rules, notes="x"), **EN
    )
    assert post.status_code == 409
    assert _stored(default_rules) == before


def test_start_with_the_suggested_rules(coordinator: Client, community: Community) -> None:
    page = coordinator.get(_url("buurbel_rules"), **EN)
    assert "Start with the suggested rules" in page.content.decode()
    response = coordinator.post(_url("buurbel_rule_new"), **EN)
    version = RuleVersion.objects.get(community=community)
    assert response["Location"] == _url("buurbel_rule_edit", version.pk)
    assert version.status == RuleStatus.DRAFT and len(version.test_cases) == 4


# --- matching runs ----------------------------------------------------------------------------


@pytest.fixture
def four(system: Actor, make_participant: Callable[..., Participant]) -> list[Participant]:
    people = [make_participant(system) for _ in range(4)]
    for participant, name in zip(people, ("Anna", "Bert", "Chantal", "Dirk"), strict=True):
        Person.objects.filter(pk=participant.person_id).update(first_name=name)
    return people


def test_run_matching_from_the_page_and_read_the_explanation(
    coordinator: Client, default_rules: RuleVersion, four: list[Participant]
) -> None:
    listing = coordinator.get(_url("buurbel_runs"), **EN)
    assert "Run matching now" in listing.content.decode()

    response = coordinator.post(_url("buurbel_run_start"), **EN)

    run = MatchRun.objects.get(community=default_rules.community)
    assert response["Location"] == _url("buurbel_run", run.pk)
    assert run.proposed_pairs == 2
    page = coordinator.get(response["Location"], **EN)
    text = page.content.decode()
    assert page.status_code == 200
    for name in ("Anna", "Bert", "Chantal", "Dirk"):
        assert name in text
    assert "close_enough" in text and "holds" in text  # conditions that held
    assert "same_language" in text and "× 30" in text  # a term: value × weight
    assert "Checking the rules and scoring pairs" in text  # the timings
    listing = coordinator.get(_url("buurbel_runs"), **EN)
    assert "version 1" in listing.content.decode()


def test_run_detail_searches_pairs_by_name(
    coordinator: Client, system: Actor, default_rules: RuleVersion, four: list[Participant]
) -> None:
    run = services.matching_run(actor=system)
    response = coordinator.get(_url("buurbel_run", run.pk), {"q": "chantal"}, **EN)
    pairs = list(response.context["page"])
    assert len(pairs) == 1
    names = {pairs[0].participant_a.person.first_name, pairs[0].participant_b.person.first_name}
    assert "Chantal" in names
    response = coordinator.get(_url("buurbel_run", run.pk), {"q": "nobody"}, **EN)
    assert "No pairs with this name." in response.content.decode()


def test_run_without_active_rules_says_so(coordinator: Client, community: Community) -> None:
    response = coordinator.post(_url("buurbel_run_start"), follow=True, **EN)
    assert "There is no active rule version yet." in response.content.decode()
    assert not MatchRun.objects.filter(community=community).exists()


# --- permissions ------------------------------------------------------------------------------


def test_volunteer_can_read_but_not_edit_activate_or_run(
    community: Community,
    login_client: Callable[..., Client],
    system: Actor,
    default_rules: RuleVersion,
    draft: RuleVersion,
    four: list[Participant],
) -> None:
    run = services.matching_run(actor=system)
    client = login_client(community, "volunteer")
    for url in (
        _url("buurbel_rules"),
        _url("buurbel_rule", draft.pk),
        _url("buurbel_runs"),
        _url("buurbel_run", run.pk),
    ):
        assert client.get(url, **EN).status_code == 200, url
    listing = client.get(_url("buurbel_rules"), **EN).content.decode()
    assert "New version from this one" not in listing
    assert "Run matching now" not in client.get(_url("buurbel_runs"), **EN).content.decode()

    before = (_stored(draft), _stored(default_rules), RuleVersion.objects.count())
    assert client.get(_url("buurbel_rule_edit", draft.pk), **EN).status_code == 403
    for url, data in (
        (_url("buurbel_rule_edit", draft.pk), form_data(draft, notes="volunteer")),
        (_url("buurbel_rule_test", draft.pk), form_data(draft)),
        (_url("buurbel_rule_copy", default_rules.pk), {}),
        (_url("buurbel_rule_activate", draft.pk), {}),
        (_url("buurbel_rule_new"), {}),
        (_url("buurbel_run_start"), {}),
    ):
        assert client.post(url, data, **EN).status_code == 403, url
    assert (_stored(draft), _stored(default_rules), RuleVersion.objects.count()) == before
    assert MatchRun.objects.count() == 1
