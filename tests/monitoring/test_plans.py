"""Plans, targets, budget and milestones: their errors, the progress of a target against the
time gone by (frozen clock), the dashboard and its forms, the API, permissions and isolation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.monitoring import rules, selectors, services
from buurtkit.monitoring.models import Plan, Spending, Target
from buurtkit.places.models import Municipality
from tests.monitoring.conftest import NOW, World

pytestmark = pytest.mark.django_db
START, END = date(2026, 1, 1), date(2027, 12, 31)


def system(world: World) -> Actor:
    return Actor.system(Community.objects.get(pk=world.community_id), label="test")


def make_plan(world: World, **kw: Any) -> Plan:
    kw.setdefault("name", "Digibank")
    return services.plan_create(
        actor=system(world), starts_on=START, ends_on=END,
        municipality_ids=[world.kortrijk, world.heule], **kw,
    )  # fmt: skip


# --- progress against the time gone by -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "today", "status", "expected"),
    [
        (0, date(2025, 12, 31), rules.NOT_STARTED, 0),
        (50, date(2026, 12, 31), rules.ON_TRACK, 50),  # half the time, half the target
        (45, date(2026, 12, 31), rules.ON_TRACK, 50),  # 90% of what the time asks
        (44, date(2026, 12, 31), rules.BEHIND, 50),
        (100, date(2026, 3, 1), rules.MET, 8),
        (99, date(2028, 1, 1), rules.MISSED, 100),
        (0, date(2026, 1, 3), rules.ON_TRACK, 0),  # less than one expected: not behind yet
    ],
)
def test_progress_against_the_time_gone_by(
    value: int, today: date, status: str, expected: int
) -> None:
    p = rules.progress(value=value, target=100, first=START, last=END, today=today)
    assert (p.status, p.expected) == (status, expected)


def test_a_target_without_an_indicator_is_not_measured() -> None:
    p = rules.progress(value=None, target=200, first=START, last=END, today=date(2026, 6, 1))
    assert p.status == rules.NO_INDICATOR


def test_the_dashboard_measures_each_target_with_the_frozen_clock(world: World) -> None:
    plan = make_plan(world)
    actor = system(world)
    on_track = services.target_create(
        actor=actor, plan_id=plan.pk, indicator="places.digipunten_open", value=4,
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
    )  # fmt: skip
    behind = services.target_create(
        actor=actor, plan_id=plan.pk, indicator="activities.sessions_held",
        breakdown="kind:it_cafe", value=100,
    )  # fmt: skip
    home = services.target_create(
        actor=actor, plan_id=plan.pk, title="Home visits", value=200, note="helpdesk, later"
    )
    d = selectors.plan_dashboard(actor=actor, plan_id=plan.pk)
    by_id = {t.target.pk: t for t in d["targets"]}
    assert by_id[on_track.pk].progress.value == 2  # 2 of 4 in mid-June: on track
    assert by_id[on_track.pk].progress.status == rules.ON_TRACK
    assert by_id[behind.pk].progress.value == 2  # 2 IT cafés of 100 after a quarter: behind
    assert by_id[behind.pk].progress.status == rules.BEHIND
    assert by_id[home.pk].progress.status == rules.NO_INDICATOR
    assert dict(by_id[behind.pk].per_municipality) == {"Heule": 1, "Kortrijk": 1}
    assert [v for _m, v in by_id[behind.pk].months][:3] == [1, 1, 0]
    with clock.frozen(datetime(2028, 2, 1, tzinfo=UTC)):
        later = selectors.plan_dashboard(actor=actor, plan_id=plan.pk)
    assert {t.target.pk: t.progress.status for t in later["targets"]}[behind.pk] == rules.MISSED


# --- clear errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"starts_on": date(2026, 1, 2)}, "starts_on"),
        ({"ends_on": date(2027, 12, 30)}, "ends_on"),
        ({"ends_on": date(2025, 12, 31)}, "ends_on"),
        ({"ends_on": date(2036, 12, 31)}, "ends_on"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_plan_with_bad_dates_or_no_name_is_refused(world: World, kw: Any, field: str) -> None:
    data = {"name": "Plan", "starts_on": START, "ends_on": END, **kw}
    with pytest.raises(ValidationFailed) as refused:
        services.plan_create(actor=system(world), **data)
    assert field in refused.value.fields
    assert not Plan.objects.filter(name=data["name"]).exists()


def test_a_plan_spanning_communities_is_refused(world: World) -> None:
    theirs = Municipality.objects.create(community_id=world.other_id, name="Elders")
    assert make_plan(world, name="Samen").municipalities.count() == 2  # both of this community
    with pytest.raises(ValidationFailed) as refused:
        services.plan_create(
            actor=system(world), name="Twee steden", starts_on=START, ends_on=END,
            municipality_ids=[world.kortrijk, theirs.pk],
        )  # fmt: skip
    assert refused.value.code == "other_community"
    assert not Plan.objects.filter(name="Twee steden").exists()


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"starts_on": date(2025, 6, 1)}, "starts_on", None),
        ({"ends_on": date(2028, 1, 31)}, "ends_on", None),
        ({"indicator": "nope.nothing"}, "indicator", "unknown_indicator"),
        ({"indicator": "qrcodes.scans", "breakdown": "kind:x"}, "breakdown", None),
        ({"indicator": "", "note": ""}, "note", None),
        ({"value": 0}, "value", None),
    ],
)
def test_a_bad_target_is_refused(world: World, kw: Any, field: str, code: str | None) -> None:
    plan = make_plan(world)
    data = {"indicator": "activities.sessions_held", "value": 10, **kw}
    with pytest.raises(ValidationFailed) as refused:
        services.target_create(actor=system(world), plan_id=plan.pk, **data)
    assert field in refused.value.fields
    if code:
        assert refused.value.code == code
    assert not Target.objects.filter(plan=plan).exists()


def test_a_target_of_a_module_switched_off_is_refused(world: World) -> None:
    plan = make_plan(world)
    community = Community.objects.get(pk=world.community_id)
    community.enabled_modules = [m for m in community.enabled_modules if m != "ledger"]
    community.save()
    with pytest.raises(ValidationFailed) as refused:
        services.target_create(
            actor=system(world), plan_id=plan.pk, indicator="ledger.issued", value=1000
        )
    assert refused.value.code == "module_off"


def test_spending_is_added_never_changed_and_corrected_by_a_negative_entry(world: World) -> None:
    plan = make_plan(world)
    actor = system(world)
    line = services.budget_line_create(
        actor=actor, plan_id=plan.pk, category="wages", title="Coördinator", planned_cents=100_00
    )
    for cents in (60_00, -10_00):
        services.spending_add(
            actor=actor, plan_id=plan.pk, line_id=line.pk, spent_on=date(2026, 3, 1),
            amount_cents=cents,
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.spending_add(
            actor=actor, plan_id=plan.pk, line_id=line.pk, spent_on=date(2026, 7, 1),
            amount_cents=5,
        )  # fmt: skip
    budget = selectors.budget(actor=actor, plan=plan)
    assert (budget["planned"], budget["spent"], budget["share"]) == (100_00, 50_00, 50)
    assert Spending.objects.filter(line=line).count() == 2


def test_staff_see_plans_but_only_coordinators_make_them(world: World) -> None:
    community = Community.objects.get(pk=world.community_id)
    from buurtkit.core.permissions import permissions_for_roles

    staff = Actor(
        community=community, label="staff",
        permissions=permissions_for_roles({"staff"}, community.enabled_modules),
    )  # fmt: skip
    plan = make_plan(world)
    assert selectors.plan_get(actor=staff, plan_id=plan.pk) == plan
    with pytest.raises(PermissionDenied):
        services.target_create(actor=staff, plan_id=plan.pk, title="x", value=1, note="x")
    other = Actor.system(Community.objects.get(pk=world.other_id))
    with pytest.raises(NotFound):
        selectors.plan_get(actor=other, plan_id=plan.pk)


# --- pages and API -----------------------------------------------------------------------------


def _client(world: World, role: str, make_login: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_login(Community.objects.get(pk=world.community_id), role))
    return client


def test_the_dashboard_page_shows_targets_status_budget_and_months(
    world: World, make_login: Callable[..., Any]
) -> None:
    plan = make_plan(world)
    services.target_create(
        actor=system(world), plan_id=plan.pk, title="Zestien IT-cafés",
        indicator="activities.sessions_held", breakdown="kind:it_cafe", value=16,
    )  # fmt: skip
    client = _client(world, "staff", make_login)
    with translation.override("nl"):
        page = client.get(f"/kortrijk/monitoring/plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Zestien IT-cafés" in text and "<svg" in text
    assert "Heule" in text and "Kortrijk" in text  # per municipality
    volunteer = _client(world, "volunteer", make_login)
    assert volunteer.get(f"/kortrijk/monitoring/plans/{plan.pk}/").status_code == 403


def test_the_target_form_keeps_what_was_typed_on_error(
    world: World, make_login: Callable[..., Any]
) -> None:
    plan = make_plan(world)
    client = _client(world, "coordinator", make_login)
    with translation.override("en"):
        response = client.post(
            f"/kortrijk/monitoring/plans/{plan.pk}/targets/new/",
            {"title": "Bijna goed", "indicator": "qrcodes.scans", "breakdown": "kleur:rood",
             "value": "77", "ends_on": "2027-12-31"},
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="Bijna goed"' in text and 'value="kleur:rood"' in text and 'value="77"' in text
    assert "not a breakdown of this indicator" in text
    assert not Target.objects.filter(plan=plan).exists()


def test_the_api_answers_values_plans_and_progress(
    world: World, api: Callable[..., Client]
) -> None:
    community = Community.objects.get(pk=world.community_id)
    client = api(community, ["coordinator"])
    values = client.get(
        "/api/v1/monitoring/values?indicator=activities.sessions_held&start=2026-01&end=2026-06"
        f"&municipality_id={world.heule}"
    )
    assert values.status_code == 200, values.content
    assert values.json()[0]["value"] == 1
    assert [m["value"] for m in values.json()[0]["months"]] == [0, 1, 0, 0, 0, 0]
    everything = client.get("/api/v1/monitoring/values?start=2026-01&end=2026-06").json()
    assert {v["indicator"]["key"] for v in everything} >= {"qrcodes.scans", "ledger.issued"}
    refused = client.get("/api/v1/monitoring/values?breakdown=kind:it_cafe")
    assert refused.status_code == 422 and "breakdown" in refused.json()["fields"]
    body = {"name": "API-plan", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    made = client.post(
        "/api/v1/monitoring/plans", json.dumps(body), content_type="application/json",
        headers={"Idempotency-Key": "plan-1"},
    )  # fmt: skip
    again = client.post(
        "/api/v1/monitoring/plans", json.dumps(body), content_type="application/json",
        headers={"Idempotency-Key": "plan-1"},
    )  # fmt: skip
    assert (made.status_code, again.status_code) == (201, 200)
    assert made.json()["id"] == again.json()["id"]
    plan_id = made.json()["id"]
    target = client.post(
        f"/api/v1/monitoring/plans/{plan_id}/targets",
        json.dumps({"value": 4, "indicator": "places.digipunten_open"}),
        content_type="application/json",
    )
    assert target.status_code == 201, target.content
    progress = client.get(f"/api/v1/monitoring/plans/{plan_id}/targets").json()
    assert (progress[0]["measured"], progress[0]["status"]) == (2, "on_track")
    outside = client.post(
        f"/api/v1/monitoring/plans/{plan_id}/targets",
        json.dumps({"value": 4, "indicator": "places.digipunten_open", "ends_on": "2027-06-30"}),
        content_type="application/json",
    )
    assert outside.status_code == 422 and "ends_on" in outside.json()["fields"]
    theirs = api(Community.objects.get(pk=world.other_id), ["coordinator"])
    assert theirs.get(f"/api/v1/monitoring/plans/{plan_id}").status_code == 404
    staff = api(community, ["staff"])
    assert staff.post(
        "/api/v1/monitoring/plans", json.dumps({**body, "name": "x"}),
        content_type="application/json",
    ).status_code == 403  # fmt: skip


def test_now_is_the_worlds_frozen_now(world: World) -> None:
    assert clock.now() == NOW
