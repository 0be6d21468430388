"""Route conditions: each kind, checked on save and evaluated on scan (Europe/Brussels time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.registry import DuplicateRegistration
from buurtkit.qrcodes.links import LINK_TYPES, register_link_type
from buurtkit.qrcodes.routing import (
    ACTIONS,
    Audience,
    ScanContext,
    clean_condition,
    compile_condition,
    needs_audience,
    register_action,
)
from buurtkit.qrcodes.useragent import classify

BXL = ZoneInfo("Europe/Brussels")


def ctx(**values: Any) -> ScanContext:
    audience = values.pop("audience", Audience())
    values.setdefault("now", dt.datetime(2026, 11, 28, 10, 0, tzinfo=BXL))  # a Saturday
    return ScanContext(audience_loader=lambda: audience, **values)


def holds(cond: dict[str, Any], context: ScanContext, orgs: set[int] | None = None) -> bool:
    return compile_condition(clean_condition(None, cond, orgs or set()))(context)  # type: ignore[arg-type]


def test_audience() -> None:
    resident = Audience(signed_in=True, resident=True)
    clerk = Audience(signed_in=True, roles=frozenset({"counter_clerk"}))
    assert holds({"type": "audience", "value": "anyone"}, ctx())
    assert not holds({"type": "audience", "value": "resident"}, ctx())
    assert holds({"type": "audience", "value": "resident"}, ctx(audience=resident))
    assert holds({"type": "audience", "value": "staff"}, ctx(audience=clerk))
    assert not holds({"type": "audience", "value": "staff"}, ctx(audience=resident))
    only_coordinators = {"type": "audience", "value": "staff", "roles": ["coordinator"]}
    assert not holds(only_coordinators, ctx(audience=clerk))


def test_organisation_member() -> None:
    member = Audience(signed_in=True, roles=frozenset({"staff"}), organisation_ids=frozenset({7}))
    cond = {"type": "organisation", "organisation": 7}
    assert holds(cond, ctx(audience=member), {7})
    assert not holds(cond, ctx(), {7})
    with pytest.raises(ValidationFailed):
        clean_condition(None, cond, {8})  # type: ignore[arg-type]


def test_language_device_and_param() -> None:
    assert holds({"type": "language", "values": ["fr"]}, ctx(language="fr"))
    assert not holds({"type": "language", "values": ["fr"]}, ctx(language="nl"))
    assert holds({"type": "device", "values": ["android"]}, ctx(os="android", device="phone"))
    assert holds({"type": "device", "values": ["desktop"]}, ctx(device="desktop"))
    assert not holds({"type": "device", "values": ["ios"]}, ctx(os="android"))
    assert holds({"type": "param", "name": "src", "value": "poster"}, ctx(params={"src": "poster"}))
    assert not holds({"type": "param", "name": "src", "value": "poster"}, ctx(params={}))
    assert holds({"type": "param", "name": "staff"}, ctx(params={"staff": ""}))


def test_date_window_uses_brussels_days() -> None:
    cond = {"type": "dates", "from": "2026-12-01", "to": "2026-12-31"}
    # 30 November 23:30 UTC is already 1 December in Brussels.
    assert holds(cond, ctx(now=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)))
    assert not holds(cond, ctx(now=dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)))
    assert holds(cond, ctx(now=dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC)))
    assert not holds(cond, ctx(now=dt.datetime(2026, 12, 31, 23, 1, tzinfo=dt.UTC)))


def test_weekly_schedule() -> None:
    weekdays = {"type": "schedule", "days": [1, 2, 3, 4, 5], "from": "08:00", "to": "17:00"}
    monday_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BXL)
    assert holds(weekdays, ctx(now=monday_9))
    assert not holds(weekdays, ctx(now=monday_9.replace(hour=17)))
    assert not holds(weekdays, ctx())  # Saturday


def test_schedule_across_midnight_belongs_to_the_day_it_started() -> None:
    friday_night = {"type": "schedule", "days": [5], "from": "22:00", "to": "02:00"}
    assert holds(friday_night, ctx(now=dt.datetime(2026, 11, 27, 23, 0, tzinfo=BXL)))
    assert holds(friday_night, ctx(now=dt.datetime(2026, 11, 28, 1, 30, tzinfo=BXL)))
    assert not holds(friday_night, ctx(now=dt.datetime(2026, 11, 29, 1, 30, tzinfo=BXL)))
    sunday_night = {"type": "schedule", "days": [7], "from": "22:00", "to": "02:00"}
    assert holds(sunday_night, ctx(now=dt.datetime(2026, 11, 30, 1, 0, tzinfo=BXL)))  # Monday 1:00


@pytest.mark.parametrize(
    "cond",
    [
        {"type": "nonsense"},
        {"type": "language", "values": ["xx"]},
        {"type": "language", "values": []},
        {"type": "device", "values": ["toaster"]},
        {"type": "dates", "from": "2026-12-31", "to": "2026-01-01"},
        {"type": "dates", "from": "31/12/2026"},
        {"type": "schedule", "days": [0], "from": "08:00", "to": "09:00"},
        {"type": "schedule", "from": "25:00", "to": "09:00"},
        {"type": "audience", "value": "resident", "roles": ["staff"]},
        {"type": "param", "name": ""},
        "not an object",
    ],
)
def test_unclear_conditions_are_refused(cond: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        clean_condition(None, cond, set())  # type: ignore[arg-type]
    assert "conditions" in err.value.fields


def test_only_audience_conditions_need_the_login() -> None:
    assert not needs_audience([{"type": "language", "values": ["nl"]}])
    assert not needs_audience([{"type": "audience", "value": "anyone"}])
    assert needs_audience([{"type": "audience", "value": "staff"}])
    assert needs_audience([{"type": "organisation", "organisation": 1}])


@given(
    day=st.sampled_from([1, 2, 3, 4, 5, 6, 7]),
    start=st.integers(0, 23 * 60),
    length=st.integers(1, 23 * 60),
    minute=st.integers(0, 7 * 24 * 60 - 1),
)
def test_schedule_matches_a_plain_minute_count(
    day: int, start: int, length: int, minute: int
) -> None:
    """Cross-check the schedule against counting minutes of the week (Monday 00:00 = 0)."""
    end = (start + length) % (24 * 60)
    if end == start:
        return
    cond = {
        "type": "schedule",
        "days": [day],
        "from": f"{start // 60:02d}:{start % 60:02d}",
        "to": f"{end // 60:02d}:{end % 60:02d}",
    }
    monday = dt.datetime(2026, 11, 23, tzinfo=BXL)  # no DST change in this week
    at = monday + dt.timedelta(minutes=minute)
    opens = (day - 1) * 24 * 60 + start
    inside = any(opens + shift <= minute < opens + shift + length for shift in (-7 * 24 * 60, 0))
    assert holds(cond, ctx(now=at)) == inside


def test_user_agents() -> None:
    assert classify("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)") == (
        "phone",
        "ios",
        False,
    )
    assert classify("Mozilla/5.0 (Linux; Android 13; SM-X200) Safari") == (
        "tablet",
        "android",
        False,
    )
    assert classify("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")[:2] == ("desktop", "windows")
    assert classify("WhatsApp/2.23")[2] is True
    assert classify("")[2] is True


def test_actions_and_link_types_refuse_a_second_entry_under_a_taken_key() -> None:
    redirect = ACTIONS["redirect"]
    register_action(redirect)  # the very same action again (a ready() that runs twice) is fine
    assert ACTIONS["redirect"] is redirect
    with pytest.raises(DuplicateRegistration, match="redirect"):
        register_action(replace(redirect, label="Another redirect"))
    organisation = LINK_TYPES["people.organisation"]
    register_link_type(organisation)
    with pytest.raises(DuplicateRegistration, match=r"people\.organisation"):
        register_link_type(replace(organisation, label="Another kind"))
    assert ACTIONS["redirect"] is redirect and LINK_TYPES["people.organisation"] is organisation
    assert "ledger.pay" in ACTIONS and "ledger.account" in LINK_TYPES  # the ledger's own
