"""Reach per target group: unique people across the modules (the roll-up's subject table),
consented profiles only, anonymised people still counted, small counts suppressed, the
population figures and ambition; the digital track; pages, API, permissions and isolation.

The world (conftest): p1 came to sessions in January and February AND received devices in
January and April; p2 came in January; p4 came on 31 January 23:30 UTC (1 February in
Brussels); p5 received a device in March. p3 did not come (no-show) and only joined Buurbel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.monitoring import reach
from buurtkit.monitoring.models import IndicatorSubject, Profile
from buurtkit.people import services as people_services
from buurtkit.people.models import ConsentKind, Person
from tests.monitoring.conftest import World

pytestmark = pytest.mark.django_db
JAN, JUN = date(2026, 1, 1), date(2026, 6, 1)


def community(world: World) -> Community:
    return Community.objects.get(pk=world.community_id)


def system(world: World) -> Actor:
    return Actor.system(community(world), label="test")


def groups(r: reach.Reach) -> dict[str, int]:
    return {g.group: g.people for g in r.groups}


def profile(world: World, name: str, **kw: Any) -> Profile:
    kw.setdefault("consent", True)
    return reach.profile_save(actor=system(world), person_id=world.persons[name], **kw)


# --- unique reach ----------------------------------------------------------------------------


def test_a_person_in_two_modules_counts_once(world: World) -> None:
    r = reach.reach(actor=system(world), first=JAN, last=JUN)
    # p1 (sessions and devices), p2, p4 (sessions), p5 (device): four people, not five.
    assert r.people == 4
    assert set(r.indicators) >= {"activities.participants", "lending.people_served"}
    january = reach.reach(actor=system(world), first=JAN, last=JAN)
    assert january.people == 2  # p1 and p2; p4's session was on 1 February in Brussels
    assert reach.reach(actor=system(world), first=date(2026, 3, 1), last=JUN).people == 2
    # The other community's session is never counted here, and theirs sees none of ours.
    theirs = Actor.system(Community.objects.get(pk=world.other_id), label="test")
    assert reach.reach(actor=theirs, first=JAN, last=JUN).people == 0


def test_a_module_switched_off_stops_counting_its_people(world: World) -> None:
    c = community(world)
    c.enabled_modules = [m for m in c.enabled_modules if m != "lending"]
    c.save(update_fields=["enabled_modules"])
    r = reach.reach(actor=Actor.system(c, label="test"), first=JAN, last=JUN)
    assert r.people == 3  # p5 was reached only by the device bank
    assert "lending.people_served" not in r.indicators


# --- profiles and consent --------------------------------------------------------------------


def test_reach_per_target_group_counts_consented_profiles(world: World) -> None:
    profile(world, "p1", age_band="65_74", groups=["low_income", "living_alone"])
    profile(world, "p2", age_band="30_49", job_seeking="gt2", groups=["low_income"])
    profile(world, "p3", age_band="75p", groups=["low_income"])  # not reached in the period
    r = reach.reach(actor=system(world), first=JAN, last=JUN)
    assert r.profiled == 2
    counted = groups(r)
    assert counted["seniors"] == 1 and counted["low_income"] == 2
    assert counted["job_seeker_gt2"] == 1 and counted["job_seeker_lt1"] == 0
    assert counted["living_alone"] == 1 and counted["migration"] == 0


def test_no_profile_is_stored_without_consent(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        profile(world, "p1", consent=False, groups=["low_income"])
    assert "consent" in refused.value.fields
    assert not Profile.objects.filter(person_id=world.persons["p1"]).exists()
    # Saving with consent records the consent (the person's newest), once.
    profile(world, "p1", groups=["low_income"])
    person = Person.objects.get(pk=world.persons["p1"])
    assert reach.has_profile_consent(person=person)
    profile(world, "p1", consent=False, groups=["migration"])  # consent given before: fine
    assert person.consents.filter(kind=ConsentKind.PROFILE_STATISTICS).count() == 1


def test_consent_withdrawn_stops_the_counting_and_removes_the_profile(world: World) -> None:
    profile(world, "p1", groups=["low_income"])
    profile(world, "p2", groups=["low_income"])
    # Withdrawn on the people pages (not through monitoring): the profile no longer counts
    # and is not shown.
    people_services.person_record_consent(
        actor=system(world), person_id=world.persons["p2"],
        kind=ConsentKind.PROFILE_STATISTICS, granted=False,
    )  # fmt: skip
    r = reach.reach(actor=system(world), first=JAN, last=JUN)
    assert (r.profiled, groups(r)["low_income"]) == (1, 1)
    assert reach.profile_get(actor=system(world), person_id=world.persons["p2"]).profile is None
    # Withdrawn through monitoring: the profile is removed too.
    reach.profile_withdraw(actor=system(world), person_id=world.persons["p1"])
    assert not Profile.objects.filter(person_id=world.persons["p1"]).exists()
    assert reach.reach(actor=system(world), first=JAN, last=JUN).profiled == 0


def test_an_anonymised_person_stays_in_the_counts(world: World) -> None:
    profile(world, "p1", age_band="65_74", postcode="8500", groups=["low_income"])
    people_services.person_anonymise(actor=system(world), person_id=world.persons["p1"])
    r = reach.reach(actor=system(world), first=JAN, last=JUN)
    assert r.people == 4 and groups(r)["low_income"] == 1 and groups(r)["seniors"] == 1
    kept = Profile.objects.get(person_id=world.persons["p1"])
    assert kept.postcode == "85"  # cut like the person's own postcode
    with pytest.raises(ValidationFailed):
        profile(world, "p1", groups=[])  # an anonymised person's profile is not changed


def test_the_age_band_comes_from_the_birth_year(world: World) -> None:
    person = Person.objects.get(pk=world.persons["p4"])
    person.birth_year = 1950  # 76 in 2026
    person.save(update_fields=["birth_year"])
    saved = profile(world, "p4", age_band="18_29", groups=[])
    assert saved.age_band == "75p"
    with pytest.raises(ValidationFailed):
        profile(world, "p2", age_band="eighty", groups=[])
    with pytest.raises(ValidationFailed):
        profile(world, "p2", groups=["vip"])


# --- suppression, figures and ambition -------------------------------------------------------


def _five_more_reached_in_may(world: World) -> list[int]:
    """Five more people the activities reached in May, each with a profile (low income)."""
    c = community(world)
    ids = []
    for n in range(5):
        person = people_services.person_create(
            actor=system(world), first_name=f"Extra{n}", last_name="Test"
        )
        IndicatorSubject.objects.create(
            community=c, indicator="activities.participants", month=date(2026, 5, 1),
            subject_id=person.pk,
        )  # fmt: skip
        reach.profile_save(
            actor=system(world), person_id=person.pk, consent=True, groups=["low_income"]
        )
        ids.append(person.pk)
    return ids


def test_small_counts_are_suppressed_and_figures_give_the_ambition(world: World) -> None:
    profile(world, "p1", groups=["migration"])
    _five_more_reached_in_may(world)
    reach.group_figures_save(
        actor=system(world), figures={"low_income": (100, 10), "migration": (5982, 10)}
    )
    r = reach.reach(actor=system(world), first=JAN, last=JUN)
    by = {g.group: g for g in r.groups}
    assert r.people == 9
    low = by["low_income"]
    assert (low.people, low.shown, low.suppressed) == (5, "5", False)
    assert (low.ambition_people, low.share_of_population, low.share_of_ambition) == (10, 5.0, 50)
    mig = by["migration"]
    assert (mig.shown, mig.suppressed, mig.share_of_ambition) == ("< 5", True, None)
    assert mig.ambition_people == 599  # 10 % of 5,982, rounded up
    assert by["seniors"].shown == "0" and by["seniors"].population is None


@pytest.mark.engine_independent  # validation of typed figures: no query of interest
def test_figures_are_checked_and_need_manage(world: World) -> None:
    with pytest.raises(ValidationFailed):
        reach.group_figures_save(actor=system(world), figures={"nobody": (10, 10)})
    with pytest.raises(ValidationFailed):
        reach.group_figures_save(actor=system(world), figures={"seniors": (10, 101)})
    staff = Actor(community=community(world), label="s", permissions=frozenset({"monitoring.view"}))
    with pytest.raises(PermissionDenied):
        reach.group_figures_save(actor=staff, figures={"seniors": (10, 10)})


# --- the digital track -----------------------------------------------------------------------


def test_the_digital_track_lists_each_modules_events_in_order(world: World) -> None:
    _person, lines = reach.track(actor=system(world), person_id=world.persons["p1"])
    assert [
        (line.module, line.at.date().isoformat()) for line in lines if line.module != "ledger"
    ] == [
        ("helpdesk", "2026-01-10"),  # a question by phone (tests/monitoring/conftest.py)
        ("lending", "2026-01-15"),
        ("activities", "2026-01-20"),
        ("activities", "2026-02-10"),
        ("activities", "2026-02-12"),
        ("lending", "2026-04-04"),
    ]
    assert [line.module for line in lines].count("ledger") == 1  # the account opened
    received = next(line for line in lines if line.module == "lending")
    assert "laptop" in received.detail.lower() and "tablet" in received.detail.lower()
    times = [line.at for line in lines]
    assert times == sorted(times)
    # Buurbel: p3 joined and left.
    _p3, three = reach.track(actor=system(world), person_id=world.persons["p3"])
    assert [line.module for line in three] == ["neighbours", "neighbours"]


def test_the_track_needs_its_permission_and_stays_in_the_community(world: World) -> None:
    viewer = Actor(
        community=community(world), label="a", permissions=frozenset({"monitoring.view"})
    )
    with pytest.raises(PermissionDenied):
        reach.track(actor=viewer, person_id=world.persons["p1"])
    theirs = Actor.system(Community.objects.get(pk=world.other_id), label="test")
    from buurtkit.core.errors import NotFound

    with pytest.raises(NotFound):
        reach.track(actor=theirs, person_id=world.persons["p1"])


# --- pages and API ---------------------------------------------------------------------------


def _client(world: World, role: str, make_login: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_login(community(world), role))
    return client


def test_the_reach_page_shows_the_table_with_suppression(
    world: World, make_login: Callable[..., Any]
) -> None:
    profile(world, "p1", groups=["low_income"])
    page = _client(world, "staff", make_login).get(
        "/kortrijk/monitoring/reach/?from=2026-01&to=2026-06", HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="reach-table"' in text and "&lt; 5" in text
    assert "Test" not in text  # no names
    assert (
        _client(world, "volunteer", make_login).get("/kortrijk/monitoring/reach/").status_code
        == 403
    )


def test_the_figures_page_saves_population_and_ambition(
    world: World, make_login: Callable[..., Any]
) -> None:
    url = "/kortrijk/monitoring/reach/figures/"
    assert _client(world, "staff", make_login).get(url).status_code == 403
    client = _client(world, "coordinator", make_login)
    data = {f"{g}_ambition": 10 for g in reach.TargetGroup.values}
    data.update({"seniors_population": 5200, "seniors_ambition": 15})
    assert client.post(url, data).status_code == 302
    figures = reach.group_figures(actor=system(world))
    assert (figures["seniors"].population, figures["seniors"].ambition_percent) == (5200, 15)


def test_the_profile_page_and_the_person_card(world: World, make_login: Callable[..., Any]) -> None:
    p2 = world.persons["p2"]
    client = _client(world, "staff", make_login)
    card = client.get(f"/kortrijk/people/{p2}/").content.decode()
    assert 'id="monitoring-card"' in card and f"/monitoring/people/{p2}/track/" in card
    url = f"/kortrijk/monitoring/people/{p2}/profile/"
    refused = client.post(url, {"age_band": "30_49", "groups": ["migration"]})
    assert refused.status_code == 200 and not Profile.objects.filter(person_id=p2).exists()
    saved = client.post(url, {"consent": "on", "age_band": "30_49", "groups": ["migration"]})
    assert saved.status_code == 302
    assert Profile.objects.get(person_id=p2).migration is True
    assert client.get(f"/kortrijk/monitoring/people/{p2}/track/").status_code == 200
    auditor = _client(world, "auditor", make_login)
    assert auditor.get(url).status_code == 403
    assert auditor.get(f"/kortrijk/monitoring/people/{p2}/track/").status_code == 403
    withdrawn = client.post(url, {"withdraw": "1"})
    assert withdrawn.status_code == 302 and not Profile.objects.filter(person_id=p2).exists()


def test_the_reach_api_is_scoped_and_suppressed(world: World, api: Callable[..., Client]) -> None:
    profile(world, "p1", groups=["low_income"])
    client = api(community(world), ["auditor"])
    got = client.get("/api/v1/monitoring/reach?from=2026-01&to=2026-06")
    assert got.status_code == 200, got.content
    body = got.json()
    assert (body["start"], body["end"], body["people"], body["profiled"]) == (
        "2026-01", "2026-06", None, None,
    )  # fmt: skip
    low = next(g for g in body["groups"] if g["group"] == "low_income")
    assert (low["people"], low["shown"]) == (None, "< 5")
    assert client.get("/api/v1/monitoring/reach?from=2026-13").status_code == 422
    too_long = client.get("/api/v1/monitoring/reach?from=1900-01")
    assert too_long.status_code == 422 and set(too_long.json()["fields"]) == {"to"}
    theirs = api(Community.objects.get(pk=world.other_id), ["coordinator"])
    assert theirs.get("/api/v1/monitoring/reach?from=2026-01&to=2026-06").json()["people"] == 0
    assert api(community(world), ["volunteer"]).get("/api/v1/monitoring/reach").status_code == 403
    track = api(community(world), ["staff"]).get(
        f"/api/v1/monitoring/people/{world.persons['p1']}/track"
    )
    assert track.status_code == 200 and len(track.json()) >= 5
    assert client.get(f"/api/v1/monitoring/people/{world.persons['p1']}/track").status_code == 403
    assert theirs.get(f"/api/v1/monitoring/people/{world.persons['p1']}/track").status_code == 404
