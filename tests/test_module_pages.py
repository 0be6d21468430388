"""Web's shared pages show a feature module only where it exists and is switched on.

The modules tell web about their pages through ``web.registry`` (web imports no feature app):
the main menu, the dashboard's tiles and "modules in use", the resident home's buttons, the
person page's sections and the log's words for their audit verbs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.web import registry as web_registry
from buurtkit.web.templatetags.buurtkit import verb


def _switch(community: Community, modules: list[str]) -> None:
    community.enabled_modules = modules
    community.save(update_fields=["enabled_modules"])


def test_dashboard_lists_only_modules_that_have_pages(
    community: Community, login_client: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every module has pages by now: pretend "monitoring" is switched on ahead of its pages.
    monkeypatch.setattr(
        web_registry, "MODULES_WITH_PAGES", web_registry.MODULES_WITH_PAGES - {"monitoring"}
    )
    _switch(community, ["monitoring", "ledger", "qrcodes"])
    client = login_client(community, "coordinator")
    response = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en")
    assert [m.key for m in response.context["modules"]] == ["ledger", "qrcodes"]
    assert "Help exchange" not in response.content.decode()
    _switch(community, ["helpexchange", "ledger", "qrcodes"])  # it has pages: listed
    response = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en")
    assert [m.key for m in response.context["modules"]] == ["helpexchange", "ledger", "qrcodes"]


def test_a_switched_off_module_leaves_the_menu_and_the_dashboard(
    community: Community, login_client: Callable[..., Client]
) -> None:
    _switch(community, ["ledger", "qrcodes"])
    client = login_client(community, "coordinator")
    page = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/rabot/qr/"' in page  # menu: QR codes
    assert 'href="/rabot/exchange/"' in page and 'href="/rabot/ledger/"' in page  # tiles
    assert 'href="/rabot/buurbel/"' not in page  # Buurbel is not on in this community

    _switch(community, ["neighbours"])
    page = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/rabot/qr/"' not in page
    assert 'href="/rabot/exchange/"' not in page and 'href="/rabot/ledger/"' not in page
    assert 'href="/rabot/buurbel/"' in page
    assert "Exchange office" not in page and "Currency overview" not in page


def test_resident_home_buttons_follow_the_switched_on_modules(
    community: Community, login_client: Callable[..., Client]
) -> None:
    _switch(community, ["ledger", "qrcodes"])
    client = login_client(community, "resident")
    page = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/rabot/pay/"' in page and "Pay and see your account" in page
    assert 'href="/rabot/buurbel/join/"' not in page

    _switch(community, ["neighbours"])
    page = client.get("/rabot/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/rabot/pay/"' not in page
    assert 'href="/rabot/buurbel/join/"' in page and "Buurbel: meet a neighbour" in page


def test_person_page_shows_the_currency_card_only_with_the_ledger_on(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    _switch(community, ["ledger", "qrcodes"])
    person: Person = people_services.person_create(actor=system, first_name="Mira")
    client = login_client(community, "coordinator")
    assert 'id="currency-card"' in client.get(f"/rabot/people/{person.pk}/").content.decode()

    _switch(community, ["qrcodes"])
    assert 'id="currency-card"' not in client.get(f"/rabot/people/{person.pk}/").content.decode()


def test_the_log_names_a_modules_audit_verbs() -> None:
    with translation.override("en"):
        assert verb("ledger.pin_set") == "payment PIN set"  # registered by the ledger's pages
        assert verb("person.created") == "person added"  # web's own
        assert verb("something.unknown") == "something.unknown"
