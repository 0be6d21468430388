"""The cost projection: arithmetic checked by hand, the licence minimum, free tiers, bad inputs."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.neighbours import costs, selectors
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.services import TWILIO_PRICES

PRICES = {item: unit for item, (unit, _free) in TWILIO_PRICES.items()}
FREE = {item: free for item, (_unit, free) in TWILIO_PRICES.items()}

# A case simple enough to check by hand: everyone is reached at the first try, everyone agrees.
SIMPLE = {
    "inhabitants": 10_000,
    "participation_pct": "10",  # 1,000 participants
    "introductions_per_participant": "2",  # 1,000 pairs
    "no_answer_pct": "0",
    "voicemail_pct": "0",
    "max_tries": 1,
    "agree_pct": "100",
    "more_info_pct": "0",
    "happy_minutes": "1.2",  # billed 2 minutes
    "second_minutes": "1",  # billed 1 minute
    "conference_minutes": "5",  # 2 participants × 5 minutes
    "follow_up_calls": 0,
    "mobile_pct": "0",
    "machine_detection": False,
    "turnover_pct": "0",
}


def _lines(result: costs.Projection) -> dict[str, costs.Line]:
    return {line.item: line for line in result.lines}


def test_simple_case_by_hand() -> None:
    result = costs.project(costs.parse_inputs(SIMPLE), PRICES, FREE)
    lines = _lines(result)
    # 1,000 first calls × 2 min + 1,000 second calls × 1 min + 1,000 pairs × 2 × 5 min.
    assert lines["voice_local"].quantity == Decimal("13000.0")
    assert lines["voice_local"].usd_micros == 13_000 * 60_000  # $780
    assert lines["voice_mobile"].usd_micros == 0
    assert lines["conference"].quantity == Decimal("10000.0")
    assert lines["conference"].usd_micros == 10_000 * 1_800  # $18
    assert lines["machine_detection"].usd_micros == 0
    assert lines["sms"].usd_micros == 0
    assert result.total_usd_micros == 798_000_000
    assert result.total_eur_cents == 73_416  # $798 × 0.92 = €734.16
    assert result.calls == Decimal("2000.0")
    assert result.per_participant_eur_cents == Decimal("73.42")  # €0.7342 per participant
    assert result.per_inhabitant_eur_cents == Decimal("7.3416")
    # €0.30 × 10,000 = €3,000 is below the minimum: the licence is €5,000.
    assert result.licence_eur_cents == 500_000
    assert result.licence_minimum_applies
    assert result.telephony_pct_of_licence == Decimal("14.7")
    assert result.licence_plus_telephony_eur_cents == 573_416
    assert result.within_budget  # €734.16 ≤ €3,000


def test_mobile_share_amd_sms_and_more_info() -> None:
    inputs = costs.parse_inputs(
        {
            **SIMPLE,
            "mobile_pct": "50",
            "machine_detection": "on",
            "more_info_pct": "50",  # half of the first calls take 1.2 + 2 = 3.2 → 4 minutes
            "turnover_pct": "20",  # 200 new participants
            "sms_per_new_participant": "2",
        }
    )
    lines = _lines(costs.project(inputs, PRICES, FREE))
    # First calls: 500 × 2 + 500 × 4 = 3,000; second 1,000; conference 10,000 → 14,000 minutes.
    assert lines["voice_local"].quantity == Decimal("7000.0")
    assert lines["voice_mobile"].quantity == Decimal("7000.0")
    assert lines["voice_mobile"].usd_micros == 7_000 * 30_000
    # Detection once per answered call: 2,000 calls.
    assert lines["machine_detection"].usd_micros == 2_000 * 7_500
    assert lines["sms"].quantity == Decimal("400.0")
    assert lines["sms"].usd_micros == 400 * 100_000


def test_voicemail_and_tries() -> None:
    inputs = costs.parse_inputs(
        {**SIMPLE, "no_answer_pct": "20", "voicemail_pct": "30", "max_tries": 2}
    )
    result = costs.project(inputs, PRICES, FREE)
    # Half the calls miss: 1.5 calls per neighbour, 75% reached. A: 1,500 calls, 750 reached;
    # B: 750 × 1.5 = 1,125 calls, 562.5 reached (and connected).
    assert result.calls == Decimal("2625.0")
    assert result.connected_pairs == Decimal("562.5")
    # Minutes: 750 × 2 + 562.5 × 1 + voicemail (2,625 × 30% × 1) + 562.5 × 10 = 8,475.
    assert result.minutes == Decimal("8475.0")


def test_licence_above_the_minimum() -> None:
    result = costs.project(costs.parse_inputs({"inhabitants": 100_000}), PRICES, FREE)
    assert result.licence_eur_cents == 3_000_000  # €30,000
    assert not result.licence_minimum_applies


def test_studio_free_tiers_per_month() -> None:
    # 12,000 first calls a year (nobody agrees) with 1 execution each = 1,000 a month: all within the free tier.
    base = {**SIMPLE, "inhabitants": 120_000, "agree_pct": "0", "studio_executions_per_call": "1"}
    lines = _lines(costs.project(costs.parse_inputs(base), PRICES, FREE))
    assert lines["studio_execution"].quantity == 0
    assert lines["studio_execution"].free == Decimal("12000.0")
    assert lines["studio_execution"].usd_micros == 0
    # Twice as many: 1,000 a month above the free tier → 12,000 paid executions at $0.001.
    lines = _lines(
        costs.project(costs.parse_inputs({**base, "inhabitants": 240_000}), PRICES, FREE)
    )
    assert lines["studio_execution"].quantity == Decimal("12000.0")
    assert lines["studio_execution"].usd_micros == 12_000_000
    # Invocations: 10 per call = 20,000 a month, 10,000 free → 120,000 paid at $0.0001.
    lines = _lines(
        costs.project(
            costs.parse_inputs(
                {**base, "inhabitants": 240_000, "studio_invocations_per_call": "10"}
            ),
            PRICES,
            FREE,
        )
    )
    assert lines["studio_invocation"].usd_micros == 120_000 * 100


def test_money_is_integers() -> None:
    result = costs.project(costs.Inputs(), PRICES, FREE)
    assert all(isinstance(line.usd_micros, int) for line in result.lines)
    assert all(isinstance(line.eur_cents, int) for line in result.lines)
    assert result.total_eur_cents == sum(line.eur_cents for line in result.lines)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"inhabitants": 0}, "inhabitants"),
        ({"inhabitants": 10_000_001}, "inhabitants"),
        ({"inhabitants": "12.5"}, "inhabitants"),
        ({"participation_pct": "101"}, "participation_pct"),
        ({"participation_pct": "-1"}, "participation_pct"),
        ({"participation_pct": "lots"}, "participation_pct"),
        ({"participation_pct": "NaN"}, "participation_pct"),
        ({"no_answer_pct": "60", "voicemail_pct": "50"}, "voicemail_pct"),
        ({"max_tries": 0}, "max_tries"),
        ({"usd_eur": "0"}, "usd_eur"),
        ({"machine_detection": "perhaps"}, "machine_detection"),
        ({"provider": "acme"}, "provider"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_inputs_name_their_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        costs.parse_inputs(raw)
    assert field in caught.value.fields


def test_decimal_comma_and_empty_fields_are_accepted() -> None:
    inputs = costs.parse_inputs({"participation_pct": "2,5", "agree_pct": ""})
    assert inputs.participation_pct == Decimal("2.5")
    assert inputs.agree_pct == costs.Inputs().agree_pct


def test_selector_uses_the_communitys_edited_prices(system: Actor, community: Community) -> None:
    before = selectors.cost_projection(actor=system, **SIMPLE)
    telephony_services.price_set(
        actor=system, provider="twilio", item="voice_local", unit_micros=30_000
    )
    after = selectors.cost_projection(actor=system, **SIMPLE)
    assert _lines(after)["voice_local"].usd_micros == _lines(before)["voice_local"].usd_micros // 2
    with pytest.raises(ValidationFailed):
        selectors.cost_projection(actor=system, inhabitants="-3")


def test_selector_needs_neighbours_view(community: Community) -> None:
    nobody = Actor(community=community, permissions=frozenset(), label="nobody")
    with pytest.raises(PermissionDenied):
        selectors.cost_projection(actor=nobody)


# --- the page and the API ---------------------------------------------------------------------


def test_costs_page_defaults_result_and_errors(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    page = client.get("/rabot/buurbel/costs/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'value="20000"' in text and "The result for one year" in text
    assert "€ 6,000.00" in text  # the licence of 20,000 inhabitants

    page = client.get(
        "/rabot/buurbel/costs/",
        {**costs.Inputs().as_params(), "inhabitants": "abc", "agree_pct": "55"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = page.content.decode()
    assert "Give a number." in text
    assert 'value="abc"' in text and 'value="55"' in text  # what was typed is kept
    assert "The result for one year" not in text


def test_costs_api(community: Community, api: Callable[..., Client]) -> None:
    client = api(community, ["volunteer"])
    response = client.get(
        "/api/v1/buurbel/costs/projection",
        {k: str(v).lower() if isinstance(v, bool) else v for k, v in SIMPLE.items()},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_usd_micros"] == 798_000_000
    assert body["licence_eur_cents"] == 500_000
    assert body["inputs"]["inhabitants"] == 10_000
    assert body["inputs"]["machine_detection"] is False
    assert body["inputs"]["happy_minutes"] == "1.2"
    assert {line["item"] for line in body["lines"]} >= {"voice_local", "sms", "conference"}

    response = client.get("/api/v1/buurbel/costs/projection", {"inhabitants": 0})
    assert response.status_code == 422
    assert "inhabitants" in response.json()["fields"]
    assert client.get("/api/v1/buurbel/costs/projection", {"max_tries": "x"}).status_code == 422


@pytest.mark.parametrize(
    ("text", "micros"),
    [("0.0600", 60_000), ("0,0018", 1_800), ("0.000150", 150), ("1", 1_000_000), ("0", 0)],
)
def test_dollars_to_micros_is_exact(text: str, micros: int) -> None:
    assert costs.dollars_to_micros(text) == micros
    assert costs.dollars_to_micros(costs.usd(micros)) == micros  # what a form shows round-trips


@pytest.mark.parametrize("text", ["", "abc", "-0.01", "0.0000001", "NaN", "1e20"])
def test_dollars_to_micros_refuses(text: str) -> None:
    with pytest.raises(ValidationFailed):
        costs.dollars_to_micros(text)


def test_machine_detection_is_out_of_the_default_model_and_follows_the_setting(
    community: Community, login_client: Callable[..., Client]
) -> None:
    """Issue 17 item 10: off by default, so the default projection does not pay for it; a
    coordinator switches it on for the community, and the page's model follows."""
    defaults = _lines(costs.project(costs.Inputs(), PRICES, FREE))
    assert defaults["machine_detection"].usd_micros == 0
    assert selectors.call_settings(community.pk).machine_detection is False

    volunteer = login_client(community, "volunteer")
    url = "/rabot/buurbel/call-settings/"
    assert volunteer.post(url, {"machine_detection": "1"}).status_code == 403
    coordinator = login_client(community, "coordinator")
    page = coordinator.get("/rabot/buurbel/costs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Now: off" in page
    assert 'value="1" aria-describedby="c-machine_detection-help"' in page  # not checked
    response = coordinator.post(url, {"machine_detection": "1"})
    assert response.status_code == 302
    assert selectors.call_settings(community.pk).machine_detection is True
    page = coordinator.get("/rabot/buurbel/costs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Now: on" in page
    assert 'value="1" checked aria-describedby="c-machine_detection-help"' in page
