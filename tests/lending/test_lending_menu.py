"""The lending menu, registered in one place (``lending.pages.register``): each role sees the
links it may follow; a referrer gets "Repairs", scoped to their own households."""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import pages, services
from buurtkit.people import services as people
from buurtkit.web.registry import MENU
from tests.lending.ops_world import devices, hand_over

pytestmark = pytest.mark.django_db

LENDING_MENU = {
    "coordinator": [
        "lending.devices",
        "lending.counter",
        "lending.overview",
        "lending.referrals",
        "lending.repairs",
        "lending.referral_queue",
        "lending.agreement_texts",
    ],
    "counter_clerk": ["lending.devices", "lending.counter", "lending.overview", "lending.repairs"],
    "volunteer": ["lending.devices", "lending.overview", "lending.repairs"],
    "auditor": ["lending.devices", "lending.overview"],
    "referrer": ["lending.referrals", "lending.repairs"],
    "resident": [],
}


@pytest.mark.parametrize("role", sorted(LENDING_MENU))
def test_each_role_sees_the_lending_links_it_may_follow(
    role: str, community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, role)
    menu = client.get("/rabot/").context["module_menu"]
    lending = [link.key for link in menu if link.module == "lending"]
    assert lending == LENDING_MENU[role]
    for link in menu:
        if link.module == "lending" and role != "referrer":  # this one has no partner: below
            assert client.get(f"/rabot/{_path(link.url_name)}").status_code == 200, link.key


def _path(url_name: str) -> str:
    from django.urls import reverse

    return reverse(url_name, args=["rabot"]).removeprefix("/rabot/")


def test_the_menu_is_registered_by_one_module() -> None:
    lending_links = [link for link in MENU.values() if link.module == "lending"]
    assert len(lending_links) == len(LENDING_MENU["coordinator"])
    modules = {m.name for m in pkgutil.iter_modules(pages.__path__)}
    assert not {name for name in modules if name.startswith("menu")}


def test_a_referrer_follows_repairs_of_their_own_households_from_the_menu(
    community: Community, system: Actor, make_login: Callable[..., Any]
) -> None:
    ocmw, caw = (
        people.organisation_create(actor=system, name=name, slug=name, kind="social_welfare")
        for name in ("ocmw", "caw")
    )
    ours, theirs = devices(system, 2)
    hand_over(system, [ours], organisation_id=ocmw.pk)
    hand_over(system, [theirs], organisation_id=caw.pk)
    mine = services.repair_open(actor=system, device_id=ours.pk, problem="Scherm")
    other = services.repair_open(actor=system, device_id=theirs.pk, problem="Batterij")
    user = make_login(community, "referrer")
    people.membership_grant(
        actor=system, username=user.username, roles=["referrer"], organisation_id=ocmw.pk
    )
    client = Client()
    client.force_login(user)
    menu = client.get("/rabot/").context["module_menu"]
    repairs = next(link for link in menu if link.key == "lending.repairs")
    assert repairs.url_name == "web:lending_repairs"
    page = client.get(f"/rabot/{_path(repairs.url_name)}", {"state": "all"})
    assert page.status_code == 200
    assert [t.pk for t in page.context["page"]] == [mine.pk]
    assert other.device.label not in page.content.decode()
