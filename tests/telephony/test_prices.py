"""The price table (seeded with the seed's Twilio prices) and call cost from real durations."""

from __future__ import annotations

import pytest
from django.utils import translation

from buurtkit.core.errors import PermissionDenied
from buurtkit.telephony import selectors, services
from buurtkit.telephony.models import Price, PriceItem


def test_seeded_prices_match_the_seed(community):
    services.ensure_prices(community=community)
    prices = {
        p.item: (p.unit_micros, p.free_per_month)
        for p in Price.objects.in_community(community).filter(table__provider="twilio")
    }
    assert prices == {
        PriceItem.VOICE_LOCAL: (60_000, 0),
        PriceItem.VOICE_MOBILE: (30_000, 0),
        PriceItem.CONFERENCE: (1_800, 0),
        PriceItem.MACHINE_DETECTION: (7_500, 0),
        PriceItem.SMS: (100_000, 0),
        PriceItem.STUDIO_EXECUTION: (1_000, 1_000),
        PriceItem.STUDIO_INVOCATION: (100, 10_000),
        PriceItem.STUDIO_ASSET: (100, 10_000),
    }
    assert all(isinstance(unit, int) for unit, _free in prices.values())


def test_ensure_prices_is_idempotent_and_keeps_edits(community, actor):
    services.ensure_prices(community=community)
    services.price_set(actor=actor, provider="twilio", item="voice_local", unit_micros=55_000)
    services.ensure_prices(community=community)
    assert Price.objects.in_community(community).filter(table__provider="twilio").count() == 8
    local = Price.objects.in_community(community).get(table__provider="twilio", item="voice_local")
    assert local.unit_micros == 55_000


@pytest.mark.parametrize(
    ("line_kind", "seconds", "conference", "amd", "expected"),
    [
        ("local", 0, "", False, 0),
        ("local", 1, "", False, 60_000),
        ("local", 60, "", False, 60_000),
        ("local", 61, "", False, 120_000),
        ("mobile", 59, "", False, 30_000),
        ("mobile", 125, "", True, 3 * 30_000 + 7_500),
        ("mobile", 300, "pair-1", False, 5 * 30_000 + 5 * 1_800),
    ],
)
def test_call_cost_from_durations(
    community, make_call, line_kind, seconds, conference, amd, expected
):
    services.ensure_prices(community=community)
    call = make_call(
        community,
        line_kind=line_kind,
        duration_seconds=seconds,
        conference=conference,
        machine_detection=amd,
    )
    prices = {
        p.item: p.unit_micros
        for p in Price.objects.in_community(community).filter(table__provider="simulator")
    }
    assert services.call_cost(call, prices) == expected


def test_completed_call_is_priced_with_the_edited_table(
    community, actor, make_call, signed_post, sim_token
):
    services.price_set(actor=actor, provider="simulator", item="voice_mobile", unit_micros=40_000)
    call = make_call(community)
    params = {"CallSid": call.provider_sid, "CallStatus": "completed", "CallDuration": "90"}
    signed_post(f"/telephony/status/{call.pk}", params, token=sim_token)
    call.refresh_from_db()
    assert call.price_micros == 80_000
    assert call.price_currency == "USD"
    # Money as people read it (issue 17 item 12): two decimals, the reader's number format.
    with translation.override("en"):
        assert services.format_money(call.price_micros) == "$ 0.08"
        assert services.format_money(9_014_100) == "$ 9.01"
        assert services.format_money(1_234_565_000) == "$ 1,234.57"
    with translation.override("nl"):
        assert services.format_money(9_014_100) == "$ 9,01"
        assert services.format_money(1_234_565_000) == "$ 1.234,57"


def test_only_coordinators_change_prices(community, make_login):
    from buurtkit.people.selectors import actor_for_user

    staff = actor_for_user(user=make_login(community, "staff"), community=community)
    with pytest.raises(PermissionDenied):
        services.price_set(actor=staff, provider="twilio", item="sms", unit_micros=1)
    assert selectors.price_tables(actor=staff).count() == 0


def test_negative_prices_are_refused(actor):
    from buurtkit.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.price_set(actor=actor, provider="twilio", item="sms", unit_micros=-1)
