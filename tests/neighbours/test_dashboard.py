"""The Buurbel dashboard (figures per week, CSV), real costs per month, and the price tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.neighbours import selectors
from buurtkit.neighbours.models import (
    Introduction,
    Match,
    MatchRun,
    Outcome,
    Participant,
    ProposedPair,
    RuleVersion,
)
from buurtkit.telephony.models import Call, Price
from buurtkit.telephony.services import ensure_prices

NOW = timezone.make_aware(dt.datetime(2026, 3, 11, 11, 0))  # a Wednesday, Brussels time
THIS_MONDAY = dt.date(2026, 3, 9)
LAST_WEEK = timezone.make_aware(dt.datetime(2026, 3, 3, 10, 0))
THIS_WEEK = timezone.make_aware(dt.datetime(2026, 3, 10, 10, 0))
LONG_AGO = timezone.make_aware(dt.datetime(2026, 1, 5, 10, 0))


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _call(community: Community, at: dt.datetime, **fields: Any) -> Call:
    values: dict[str, Any] = {
        "direction": "out",
        "from_number": "+3293000000",
        "to_number": "+32470123456",
        "line_kind": "mobile",
        "provider": "simulator",
        "purpose": "buurbel.intro",
        "status": "completed",
        "status_rank": 4,
        "created_at": at,
    }
    values.update(fields)
    return Call.objects.create(community=community, **values)


def _match(community: Community, a: Participant, b: Participant, at: dt.datetime) -> Match:
    rules = RuleVersion.objects.filter(community=community).first() or RuleVersion.objects.create(
        community=community, number=1, created_by="test"
    )
    run = MatchRun.objects.create(
        community=community, rule_version=rules, started_at=at, actor_label="test"
    )
    pair = ProposedPair.objects.create(
        community=community, run=run, participant_a=a, participant_b=b, score=1
    )
    return Match.objects.create(
        community=community,
        proposed_pair=pair,
        participant_a=a,
        participant_b=b,
        created_at=at,
        state_changed_at=at,
        actor_label="test",
    )


def _history(match: Match, outcome: str, at: dt.datetime) -> None:
    Introduction.objects.create(
        community=match.community,
        participant_a=match.participant_a,
        participant_b=match.participant_b,
        outcome=outcome,
        at=at,
        match=match,
        actor_label="test",
    )


@pytest.fixture
def figures(
    frozen: None,
    system: Actor,
    other_system: Actor,
    make_participant: Callable[..., Participant],
) -> dict[str, Any]:
    community = system.community
    old = make_participant(system)
    first = make_participant(system)
    second = make_participant(system)
    Participant.objects.filter(pk=old.pk).update(
        created_at=LONG_AGO, phone_verified_at=LONG_AGO, opted_out_at=LAST_WEEK
    )
    Participant.objects.filter(pk=first.pk).update(created_at=LAST_WEEK, phone_verified_at=None)
    Participant.objects.filter(pk=second.pk).update(
        created_at=THIS_WEEK, phone_verified_at=THIS_WEEK
    )
    # Last week: three Buurbel calls (two answered), and a call of another app (not counted).
    _call(community, LAST_WEEK, answered_at=LAST_WEEK, duration_seconds=60, price_micros=60_000)
    _call(community, LAST_WEEK, answered_at=LAST_WEEK, duration_seconds=50, price_micros=30_000)
    _call(community, LAST_WEEK, status="no-answer", price_micros=0)
    _call(community, LAST_WEEK, purpose="helpdesk", answered_at=LAST_WEEK, price_micros=500_000)
    # This week: one answered call.
    _call(community, THIS_WEEK, answered_at=THIS_WEEK, duration_seconds=150, price_micros=120_000)
    # Another community's Buurbel calls are never counted here.
    _call(other_system.community, THIS_WEEK, answered_at=THIS_WEEK, price_micros=7_000_000)
    # One introduction started last week: connected and an appointment (one pair), met this week.
    match = _match(community, first, second, LAST_WEEK)
    _history(match, Outcome.CONNECTED, LAST_WEEK)
    _history(match, Outcome.APPOINTMENT, LAST_WEEK + dt.timedelta(hours=1))
    _history(match, Outcome.MET, THIS_WEEK)
    return {"community": community}


def test_weekly_figures(figures: dict[str, Any], system: Actor) -> None:
    board = selectors.dashboard_weeks(actor=system, weeks=2)
    last, this = board.weeks
    assert (last.monday, this.monday) == (THIS_MONDAY - dt.timedelta(weeks=1), THIS_MONDAY)
    assert (last.participants_new, this.participants_new) == (1, 1)
    assert (last.participants_verified, this.participants_verified) == (0, 1)
    # Before: one (the old participant); last week one joined and the old one stopped.
    assert (last.participants_active, this.participants_active) == (1, 2)
    assert (last.calls, last.calls_answered, last.answer_rate) == (3, 2, Decimal("66.7"))
    assert (this.calls, this.calls_answered, this.answer_rate) == (1, 1, Decimal("100.0"))
    assert (last.cost_micros, this.cost_micros) == (90_000, 120_000)
    assert (last.introductions, this.introductions) == (1, 0)
    assert (last.connected, this.connected) == (1, 0)
    assert (last.met, this.met) == (0, 1)
    assert board.participants_active == 2
    assert board.totals["cost_micros"] == 210_000
    assert board.answer_rate == Decimal("75.0")


def test_a_week_without_calls_has_no_answer_rate(frozen: None, system: Actor) -> None:
    board = selectors.dashboard_weeks(actor=system, weeks=8)
    assert len(board.weeks) == 8
    assert all(w.answer_rate is None for w in board.weeks)
    assert board.answer_rate is None


def test_weeks_must_be_in_range(system: Actor) -> None:
    for weeks in (0, 105):
        with pytest.raises(ValidationFailed):
            selectors.dashboard_weeks(actor=system, weeks=weeks)


def test_match_marked_met_without_history_row_counts(
    frozen: None, system: Actor, make_participant: Callable[..., Participant]
) -> None:
    a, b = make_participant(system), make_participant(system)
    match = _match(system.community, a, b, LAST_WEEK)
    Match.objects.filter(pk=match.pk).update(met=True, state_changed_at=THIS_WEEK)
    board = selectors.dashboard_weeks(actor=system, weeks=2)
    assert [w.met for w in board.weeks] == [0, 1]


def test_other_community_sees_only_its_own(figures: dict[str, Any], other_system: Actor) -> None:
    board = selectors.dashboard_weeks(actor=other_system, weeks=2)
    assert board.totals["calls"] == 1
    assert board.totals["cost_micros"] == 7_000_000
    assert board.totals["introductions"] == 0
    assert board.participants_active == 0


def test_dashboard_page_and_csv(
    figures: dict[str, Any], community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    page = client.get("/rabot/buurbel/?weeks=8", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "75.0%" in text  # the answer rate of the period
    assert "$ 0.21 (€ 0.19)" in text  # the costs of the period, and in euro (× 0.92)
    assert "in euro at $ 1 = € 0.92" in text  # the rate used
    assert "<svg" in text and "<table>" in text
    assert 'href="/rabot/buurbel/costs/"' in text  # the other Buurbel pages that exist

    csv = client.get("/rabot/buurbel/dashboard.csv?weeks=8", HTTP_ACCEPT_LANGUAGE="en")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("week (Monday),new participants")
    assert len(lines) == 1 + 8
    assert lines[-2] == "2026-03-02,1,0,1,3,2,66.7,1,1,0,0.0900"
    assert lines[-1] == "2026-03-09,1,1,2,1,1,100.0,0,0,1,0.1200"
    for participant in Participant.objects.filter(community=community).select_related("person"):
        assert participant.person.last_name not in csv.content.decode()


def test_dashboard_needs_neighbours_view(
    community: Community, login_client: Callable[..., Client]
) -> None:
    assert login_client(community, "merchant").get("/rabot/buurbel/").status_code == 403


def test_dashboard_api(figures: dict[str, Any], api: Callable[..., Client]) -> None:
    client = api(figures["community"], ["auditor"])
    body = client.get("/api/v1/buurbel/dashboard?weeks=2").json()
    assert [w["calls"] for w in body["weeks"]] == [3, 1]
    assert body["weeks"][0]["answer_rate"] == "66.7"
    assert body["totals"]["cost_micros"] == 210_000
    assert client.get("/api/v1/buurbel/dashboard?weeks=0").status_code == 422


# --- real costs per month ---------------------------------------------------------------------


def test_actual_costs_per_month(figures: dict[str, Any], system: Actor) -> None:
    community = figures["community"]
    for n, status in enumerate(["sent", "sent", "failed"]):
        Message.objects.create(
            community=community,
            channel="sms",
            to="+32470000000",
            language="nl",
            body="code",
            status=status,
            idempotency_key=f"k{n}",
            created_at=THIS_WEEK,
        )
    months = selectors.actual_costs(actor=system, months=3)
    assert [m.month for m in months] == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    march = months[-1]
    assert march.calls == 4  # Buurbel's calls only
    assert march.minutes == 1 + 1 + 0 + 3
    assert march.call_micros == 210_000
    assert march.sms == 2
    assert march.sms_micros == 2 * 100_000  # the simulator is priced like Twilio
    assert march.total_micros == 410_000


def test_costs_page_shows_real_costs(
    figures: dict[str, Any], community: Community, login_client: Callable[..., Client]
) -> None:
    page = login_client(community, "volunteer").get(
        "/rabot/buurbel/costs/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Real costs so far" in page.content.decode()
    assert "$ 0.21 (€ 0.19)" in page.content.decode()


# --- price tables -----------------------------------------------------------------------------


def test_prices_page_read_only_without_permission(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")  # neighbours.view, not telephony.prices
    page = client.get("/rabot/buurbel/prices/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "0.0600" in text and "0.0018" in text and "0.1000" in text
    assert '<form method="post"' not in text
    assert not Price.objects.filter(community=community).exists()  # reading wrote nothing
    response = client.post(
        "/rabot/buurbel/prices/", {"provider": "twilio", "item": "sms", "unit": "0.01"}
    )
    assert response.status_code == 403
    assert not Price.objects.filter(community=community).exists()


def test_prices_page_edit_keeps_errors_and_saves(
    community: Community, other_community: Community, login_client: Callable[..., Client]
) -> None:
    ensure_prices(community=other_community)
    client = login_client(community, "coordinator")
    page = client.get("/rabot/buurbel/prices/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<form method="post"' in page.content.decode()

    post = {"provider": "twilio", "item": "sms", "unit": "0,0850x", "free_per_month": "0"}
    page = client.post("/rabot/buurbel/prices/", post, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 422
    assert 'value="0,0850x"' in page.content.decode()
    assert "Give an amount in dollars" in page.content.decode()

    post["unit"] = "0.0850"
    response = client.post("/rabot/buurbel/prices/", post, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    sms = Price.objects.get(community=community, table__provider="twilio", item="sms")
    assert sms.unit_micros == 85_000
    other = Price.objects.get(community=other_community, table__provider="twilio", item="sms")
    assert other.unit_micros == 100_000  # another community's table is untouched

    post["unit"] = "0.0000001"  # finer than a micro-dollar
    page = client.post("/rabot/buurbel/prices/", post, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 422


def test_prices_api_lists_and_changes(community: Community, api: Callable[..., Client]) -> None:
    reader = api(community, ["auditor"])
    tables = reader.get("/api/v1/buurbel/prices").json()
    assert [t["provider"] for t in tables] == ["twilio", "simulator"]
    twilio = {p["item"]: p for p in tables[0]["prices"]}
    assert twilio["studio_execution"] == {
        "id": None,
        "item": "studio_execution",
        "unit_micros": 1_000,
        "free_per_month": 1_000,
    }
    ensure_prices(community=community)
    price = Price.objects.get(
        community=community, table__provider="twilio", item="studio_execution"
    )
    url = f"/api/v1/buurbel/prices/{price.pk}"
    assert reader.put(url, {"unit_micros": 1}, content_type="application/json").status_code == 403
    writer = api(community, ["coordinator"])
    response = writer.put(url, {"unit_micros": 2_000}, content_type="application/json")
    assert response.status_code == 200, response.content
    price.refresh_from_db()
    assert (price.unit_micros, price.free_per_month) == (2_000, 1_000)  # free tier kept
    response = writer.put(url, {"unit_micros": -1}, content_type="application/json")
    assert response.status_code == 422
