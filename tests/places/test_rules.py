"""Opening hours worked out: holidays, special hours, "open now" and the next opening."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from buurtkit.places import rules

BXL = ZoneInfo("Europe/Brussels")
WEEK = [
    rules.Weekly(0, time(9), time(12)),  # Monday morning
    rules.Weekly(0, time(14), time(17), drop_in=True, who="Sofie"),
    rules.Weekly(2, time(13), time(20)),  # Wednesday
]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BXL)


MONDAY = date(2026, 12, 7)


def test_open_on_a_weekly_period_until_it_closes() -> None:
    state = rules.open_state(at(MONDAY, 10), WEEK, [])
    assert state.open_now and not state.drop_in_now and state.until == time(12)


def test_drop_in_names_the_digibuddy_on_duty() -> None:
    state = rules.open_state(at(MONDAY, 15), WEEK, [])
    assert state.open_now and state.drop_in_now and state.who == "Sofie"


def test_closed_between_periods_says_when_it_opens_again() -> None:
    state = rules.open_state(at(MONDAY, 12, 30), WEEK, [])
    assert not state.open_now
    assert state.next_period is not None
    assert (state.next_period.day, state.next_period.opens) == (MONDAY, time(14))


def test_a_holiday_closes_the_day_and_the_next_opening_skips_it() -> None:
    holiday = rules.Exception_(MONDAY, MONDAY, None, None, "Feestdag")
    state = rules.open_state(at(MONDAY, 10), WEEK, [holiday])
    assert not state.open_now
    assert state.next_period is not None and state.next_period.day == date(2026, 12, 9)
    week = rules.week_table(MONDAY, WEEK, [holiday])
    assert week[0] == (MONDAY, [], "Feestdag")


def test_special_hours_replace_the_weekly_ones() -> None:
    late = rules.Exception_(MONDAY, MONDAY, time(18), time(21), "Avondopening")
    assert not rules.open_state(at(MONDAY, 10), WEEK, [late]).open_now
    evening = rules.open_state(at(MONDAY, 19), WEEK, [late])
    assert evening.open_now and evening.until == time(21)


def test_no_hours_means_no_next_opening() -> None:
    state = rules.open_state(at(MONDAY, 10), [], [])
    assert state == rules.OpenState(False, False, None, "", None)


def test_the_checklist_lists_what_is_missing() -> None:
    class Place:
        street, postcode, municipality_id, host_id, phone, email = "", "9000", 1, 2, "", ""
        checklist = {"poster_hung": True}

    missing = {item.key for item in rules.checklist_missing(Place(), hours_count=0)}
    assert missing == {
        "address",
        "contact",
        "hours",
        "equipment_tested",
        "internet_tested",
        "accessibility_checked",
        "people_arranged",
    }


@given(
    weekday=st.integers(0, 6),
    minutes=st.integers(0, 24 * 60 - 1),
    closed_days=st.sets(st.integers(0, 13), max_size=5),
)
def test_open_now_agrees_with_the_week_table(
    weekday: int, minutes: int, closed_days: set[int]
) -> None:
    """Whatever the moment and the holidays, "open now" is true exactly when the moment lies in
    one of that day's periods; and a closed place always names a later opening (or none)."""
    day = date.fromordinal(MONDAY.toordinal() + weekday)
    exceptions = [
        rules.Exception_(
            date.fromordinal(MONDAY.toordinal() + d), date.fromordinal(MONDAY.toordinal() + d),
            None, None, "",
        )
        for d in closed_days
    ]  # fmt: skip
    now = at(day, minutes // 60, minutes % 60)
    state = rules.open_state(now, WEEK, exceptions)
    periods = rules.periods_on(day, WEEK, exceptions)
    assert state.open_now == any(p.start(BXL) <= now < p.end(BXL) for p in periods)
    if not state.open_now and state.next_period is not None:
        assert state.next_period.start(BXL) > now
        assert state.next_period.day.toordinal() - MONDAY.toordinal() not in closed_days
