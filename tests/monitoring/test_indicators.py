"""Each module's indicators counted from the roll-up, over periods and filters, on both
databases; what lies after now, other communities and cancelled sessions never count; a
recount of the last months picks up late changes; a module switched off is a clear error."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from buurtkit.activities.models import Registration, Session
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.indicators import INDICATORS, Measure
from buurtkit.core.models import Community
from buurtkit.monitoring import rollup, selectors
from buurtkit.monitoring.selectors import Filters
from buurtkit.people.models import Person
from tests.monitoring.conftest import World, at

pytestmark = pytest.mark.django_db

H1 = (date(2026, 1, 1), date(2026, 6, 30))
JAN = (date(2026, 1, 1), date(2026, 1, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))
MAR = (date(2026, 3, 1), date(2026, 3, 31))
APR = (date(2026, 4, 1), date(2026, 4, 30))


def actor(world: World) -> Actor:
    return Actor.system(Community.objects.get(pk=world.community_id), label="test")


def value(world: World, key: str, period: tuple[date, date], **filters: Any) -> int:
    where = {
        k: getattr(world, v) if isinstance(v, str) and hasattr(world, v) else v
        for k, v in filters.items()
    }
    return selectors.indicator_value(
        actor=actor(world), key=key, first=period[0], last=period[1], filters=Filters(**where)
    ).value


CASES = [
    # places: a stock at the period's end (opened +1, closed -1), another community's not here
    ("places.digipunten_open", JAN, {}, 1),
    ("places.digipunten_open", FEB, {}, 2),
    ("places.digipunten_open", MAR, {}, 2),  # Heule opened, "Oud" closed
    ("places.digipunten_open", H1, {}, 2),  # "later" opens in July
    ("places.digipunten_open", H1, {"municipality_id": "heule"}, 1),
    ("places.digipunten_open", H1, {"neighbourhood": "centrum"}, 1),
    # activities: sessions held (not cancelled, not to come), in Brussels months
    ("activities.sessions_held", JAN, {}, 1),
    ("activities.sessions_held", FEB, {}, 3),  # 23:30 UTC on 31 January is February here
    ("activities.sessions_held", H1, {"breakdown": "kind:it_cafe"}, 2),
    ("activities.sessions_held", H1, {"breakdown": "kind:course"}, 2),
    ("activities.sessions_held", H1, {"municipality_id": "heule"}, 1),
    ("activities.sessions_held", H1, {"place_id": "place_a"}, 3),
    ("activities.sessions_held", H1, {"neighbourhood": "Centrum"}, 3),
    ("activities.participations", H1, {}, 5),
    ("activities.participations", H1, {"breakdown": "kind:it_cafe"}, 3),
    ("activities.participations", FEB, {"municipality_id": "kortrijk"}, 2),
    ("activities.participants", H1, {}, 3),
    ("activities.participants", JAN, {}, 2),
    ("activities.participants", FEB, {}, 2),
    ("activities.participants", H1, {"breakdown": "kind:course"}, 2),
    ("activities.participants", H1, {"municipality_id": "heule"}, 1),
    ("activities.digibuddies_trained", H1, {}, 1),
    ("activities.digibuddies_trained", JAN, {}, 0),
    ("activities.digibuddies_active", FEB, {}, 1),
    ("activities.digibuddies_active", MAR, {}, 0),
    # lending: devices, people served once, households online
    ("lending.devices_handed_out", H1, {}, 4),
    ("lending.devices_handed_out", H1, {"breakdown": "device:laptop"}, 2),
    ("lending.devices_handed_out", H1, {"breakdown": "as:gift"}, 3),
    ("lending.devices_handed_out", H1, {"municipality_id": "heule"}, 2),  # a place, a postcode
    ("lending.devices_handed_out", H1, {"municipality_id": "kortrijk"}, 2),
    ("lending.devices_handed_out", MAR, {}, 1),
    ("lending.people_served", H1, {}, 2),
    ("lending.households_online", H1, {}, 1),
    ("lending.households_online", H1, {"breakdown": "connection:own"}, 1),
    ("lending.households_online", MAR, {}, 0),
    # ledger: issued net of a correction, redeemed, in circulation at the end, accounts active
    ("ledger.issued", H1, {}, 100),
    ("ledger.issued", MAR, {}, 0),
    ("ledger.redeemed", H1, {}, 20),
    ("ledger.in_circulation", JAN, {}, 100),
    ("ledger.in_circulation", H1, {}, 80),
    ("ledger.active_accounts", JAN, {}, 1),
    ("ledger.active_accounts", H1, {}, 2),
    ("ledger.active_accounts", H1, {"breakdown": "account:merchant"}, 1),
    # Buurbel: participants at the period's end, introductions and meetings
    ("neighbours.participants", MAR, {}, 2),
    ("neighbours.participants", APR, {}, 1),
    ("neighbours.joined", H1, {}, 2),
    ("neighbours.introductions", H1, {}, 1),
    ("neighbours.meetings", MAR, {}, 1),
    ("neighbours.meetings", H1, {"neighbourhood": "rabot"}, 1),
    ("neighbours.participants", H1, {"municipality_id": "kortrijk"}, 1),
    # QR: scans per code group (a code in two groups counts once in the total)
    ("qrcodes.scans", H1, {}, 10),
    ("qrcodes.scans", FEB, {}, 8),
    ("qrcodes.scans", H1, {"breakdown": "tag:bank"}, 7),
    ("qrcodes.scans", H1, {"breakdown": "tag:park"}, 7),
    # helpdesk: questions per channel and topic; home visits done (month they ended, Brussels)
    ("helpdesk.tickets", H1, {}, 4),
    ("helpdesk.tickets", JAN, {}, 1),
    ("helpdesk.tickets", FEB, {}, 2),
    ("helpdesk.tickets", H1, {"breakdown": "channel:phone"}, 1),
    ("helpdesk.tickets", H1, {"breakdown": "category:itsme-eid"}, 1),
    ("helpdesk.tickets", H1, {"municipality_id": "heule"}, 1),
    ("helpdesk.home_visits", H1, {}, 2),
    ("helpdesk.home_visits", MAR, {}, 1),
    ("helpdesk.home_visits", APR, {}, 1),
    ("helpdesk.home_visits", JAN, {}, 0),
    # help exchange: deals done in the month they were done, rewards paid, posts per kind
    ("helpexchange.deals_done", H1, {}, 2),  # the agreed one is not done
    ("helpexchange.deals_done", FEB, {}, 1),
    ("helpexchange.deals_done", MAR, {}, 1),
    ("helpexchange.deals_done", H1, {"municipality_id": "heule"}, 1),  # the poster's postcode
    ("helpexchange.deals_done", H1, {"breakdown": "category:moving"}, 1),
    ("helpexchange.torekes_rewarded", H1, {}, 15),
    ("helpexchange.torekes_rewarded", MAR, {}, 0),
    ("helpexchange.torekes_rewarded", H1, {"neighbourhood": "centrum"}, 15),
    ("helpexchange.torekes_rewarded", H1, {"neighbourhood": "dorp"}, 0),
    ("helpexchange.posts", H1, {}, 4),  # not the one after now, not another community's
    ("helpexchange.posts", JAN, {}, 1),  # 23:30 UTC on 31 January is February here
    ("helpexchange.posts", FEB, {}, 1),
    ("helpexchange.posts", H1, {"breakdown": "kind:offer"}, 1),
    ("helpexchange.posts", H1, {"breakdown": "kind:request"}, 3),
    ("helpexchange.posts", H1, {"neighbourhood": "centrum"}, 3),
    ("helpexchange.posts", H1, {"municipality_id": "kortrijk"}, 3),
]


@pytest.mark.parametrize(("key", "period", "filters", "expected"), CASES)
def test_indicator(world: World, key: str, period: Any, filters: Any, expected: int) -> None:
    assert value(world, key, period, **filters) == expected


def test_every_registered_indicator_is_tested() -> None:
    assert {key for key, *_rest in CASES} == set(INDICATORS.keys())


def test_months_of_a_stock_and_of_a_count(world: World) -> None:
    a = actor(world)
    stock = selectors.indicator_value(
        actor=a, key="ledger.in_circulation", first=date(2026, 1, 1), last=date(2026, 4, 30)
    )
    assert [v for _m, v in stock.months] == [100, 100, 80, 80]
    sessions = selectors.indicator_value(
        actor=a, key="activities.sessions_held", first=date(2025, 12, 1), last=date(2026, 2, 28)
    )
    assert sessions.months == [(date(2025, 12, 1), 0), (date(2026, 1, 1), 1), (date(2026, 2, 1), 3)]
    assert sessions.counted_at is not None


def test_people_reached_lists_ids_only_of_indicators_that_reach_people(world: World) -> None:
    a = actor(world)
    ids = set(
        selectors.people_reached(actor=a, key="activities.participants", first=H1[0], last=H1[1])
    )
    assert ids == {world.persons["p1"], world.persons["p2"], world.persons["p4"]}
    with pytest.raises(ValidationFailed):
        selectors.people_reached(actor=a, key="ledger.active_accounts", first=H1[0], last=H1[1])


def test_a_recount_of_the_last_months_picks_up_late_changes_and_keeps_older_ones(
    world: World,
) -> None:
    community = Community.objects.get(pk=world.community_id)
    feb_session = Session.objects.in_community(community).get(starts_at=at("2026-02-10"))
    Registration.objects.filter(session=feb_session, state="no_show").update(state="attended")
    key = INDICATORS["activities.participations"]
    rollup.recount(community=community, indicator=key, first=date(2026, 3, 1))
    assert value(world, "activities.participations", FEB) == 3  # not recounted yet
    rollup.recount(community=community, indicator=key, first=date(2026, 2, 1))
    assert value(world, "activities.participations", FEB) == 4
    assert value(world, "activities.participations", JAN) == 2  # older months kept as they were


def test_anonymising_a_person_keeps_them_in_the_counts(world: World) -> None:
    community = Community.objects.get(pk=world.community_id)
    Person.objects.filter(pk=world.persons["p2"]).update(
        first_name="", last_name="", postcode="", anonymised_at=at("2026-06-01")
    )
    rollup.recount_community(community, full=True)
    assert value(world, "activities.participants", JAN) == 2


def test_an_indicator_of_a_module_switched_off_is_a_clear_error(world: World) -> None:
    community = Community.objects.get(pk=world.community_id)
    community.enabled_modules = [m for m in community.enabled_modules if m != "lending"]
    community.save()
    with pytest.raises(ValidationFailed) as refused:
        value(world, "lending.devices_handed_out", H1)
    assert refused.value.code == "module_off"
    assert "lending.devices_handed_out" not in {
        i.key for i in selectors.indicators_list(actor=actor(world))
    }
    assert value(world, "places.digipunten_open", H1) == 2  # a foundation: always there


@pytest.mark.parametrize(
    ("key", "filters", "field"),
    [
        ("nope.nothing", {}, "indicator"),
        ("activities.sessions_held", {"breakdown": "colour:red"}, "breakdown"),
        ("places.digipunten_open", {"breakdown": "kind:x"}, "breakdown"),
    ],
)
def test_bad_questions_are_clear_errors(world: World, key: str, filters: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        value(world, key, H1, **filters)
    assert field in refused.value.fields


def test_a_period_ending_before_it_starts_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed):
        value(world, "qrcodes.scans", (date(2026, 3, 1), date(2026, 2, 1)))


def test_measures_are_declared_for_every_indicator() -> None:
    for indicator in INDICATORS.values():
        assert indicator.measure in set(Measure)
        if indicator.reaches_people:
            assert indicator.subject == "person"


def test_the_job_and_the_rebuild_command_count_communities_with_monitoring(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    from buurtkit.core import scheduler
    from buurtkit.monitoring.models import IndicatorRun

    assert scheduler.JOBS["monitoring_recount"].run == "buurtkit.monitoring.rollup.recount_all"
    other = Community.objects.get(pk=world.other_id)
    other.enabled_modules = [m for m in other.enabled_modules if m != "monitoring"]
    other.save()
    before = dict(IndicatorRun.objects.filter(community=other).values_list("pk", "counted_at"))
    assert "rows" in rollup.recount_all()
    after = dict(IndicatorRun.objects.filter(community=other).values_list("pk", "counted_at"))
    assert after == before  # monitoring switched off there: not counted
    out = StringIO()
    call_command("monitoring_rebuild", community="kortrijk", stdout=out)
    assert out.getvalue().startswith("kortrijk: ")
    assert value(world, "activities.sessions_held", H1) == 4
