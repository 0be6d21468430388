"""A module a community has switched off: no permissions, no API, no pages there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.permissions import PERMISSION_MODULES, permissions_for_roles
from buurtkit.people import selectors


def _switch(community: Community, *modules: str) -> None:
    community.enabled_modules = list(modules)
    community.save(update_fields=["enabled_modules"])
    selectors.forget_api_keys()


def test_every_feature_permission_belongs_to_a_known_module() -> None:
    assert {"ledger.view", "qrcodes.view", "neighbours.view"} <= set(PERMISSION_MODULES)
    assert set(PERMISSION_MODULES.values()) <= set(MODULES)
    # Infrastructure and foundations are not switchable.
    assert "people.view" not in PERMISSION_MODULES
    assert "telephony.call" not in PERMISSION_MODULES


def test_roles_grant_nothing_of_a_switched_off_module() -> None:
    everything = permissions_for_roles({"coordinator"})
    only_ledger = permissions_for_roles({"coordinator"}, ["ledger"])
    assert "ledger.manage" in only_ledger and "people.manage" in only_ledger
    assert "qrcodes.view" in everything and "qrcodes.view" not in only_ledger
    assert not any(p.startswith("neighbours.") for p in only_ledger)
    assert "ledger.view" not in permissions_for_roles({"staff"}, [])


def test_a_login_in_a_community_without_the_module_lacks_its_permissions(
    community: Community, make_login: Callable[..., Any]
) -> None:
    user = make_login(community, "coordinator")
    assert selectors.actor_for_user(user=user, community=community).has("qrcodes.view")
    _switch(community, "ledger")
    actor = selectors.actor_for_user(user=user, community=community)
    assert actor.has("ledger.view") and not actor.has("qrcodes.view")
    assert actor.has("people.manage")


def test_the_api_of_a_switched_off_module_is_not_found(
    community: Community, api: Callable[..., Client]
) -> None:
    client = api(community, ["coordinator"])
    assert client.get("/api/v1/qr/codes").status_code == 200
    _switch(community, "ledger")
    response = client.get("/api/v1/qr/codes")
    assert response.status_code == 404
    assert response.json()["error"] == "module_off"
    assert client.get("/api/v1/buurbel/participants").json()["error"] == "module_off"
    # The rest of the API still answers.
    assert client.get("/api/v1/people").status_code == 200
    assert client.get("/api/v1/ledger/currency").status_code in (200, 404)


def test_a_session_call_to_a_switched_off_module_is_not_found(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    _switch(community, "ledger")
    response = client.get(f"/api/v1/qr/codes?community={community.slug}")
    assert response.status_code == 404 and response.json()["error"] == "module_off"


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("qr/", "qrcodes"),
        ("buurbel/", "neighbours"),
        ("buurbel/flows/", "neighbours"),  # telephony's pages, shown as part of Buurbel
        ("buurbel/recordings/", "neighbours"),
        ("ledger/", "ledger"),
        ("pay/", "ledger"),
    ],
)
def test_the_pages_of_a_switched_off_module_are_not_found(
    community: Community, login_client: Callable[..., Client], path: str, module: str
) -> None:
    client = login_client(community, "coordinator")
    url = f"/{community.slug}/{path}"
    assert client.get(url).status_code in (200, 302)
    _switch(community, *(m for m in MODULES if m != module))
    response = client.get(url)
    assert response.status_code == 404
    with translation.override("nl"):  # the page speaks the community's language
        message = gettext("This service is not switched on in this community.")
    assert message != "This service is not switched on in this community."
    assert escape(message) in response.content.decode()


def test_the_system_actor_is_not_gated(community: Community) -> None:
    """Background work (a task finishing a call, a nightly roll-up) is not a login."""
    _switch(community)
    assert Actor.system(community).has("neighbours.view")
