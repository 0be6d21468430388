"""Issue 17 item 18 on the public pages a scan opens: a way back to the menu from an info page,
phone numbers one can tap, and a favicon (no 404 on every page)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Code

NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}


@pytest.fixture
def poster(system: Actor, team: Any) -> Code:
    def info(what: str, title: str) -> dict[str, Any]:
        return {
            "name": what,
            "conditions": [{"type": "param", "name": "toon", "value": what}],
            "action": "info",
            "params": {"title": {"nl": title}, "html": {"nl": f"<p>{title}</p>"}},
        }

    return services.code_create(
        actor=system,
        title="Bib",
        owner_id=team.pk,
        slug="bib-test",
        contact="09 266 10 10",
        routes=[
            info("uren", "Openingsuren"),
            {
                "name": "menu",
                "action": "menu",
                "params": {
                    "items": [
                        {"label": {"nl": "Openingsuren"}, "url": "/q/bib-test?toon=uren"},
                        {"label": {"nl": "Elders"}, "url": "https://example.org/x"},
                    ]
                },
            },
        ],
    )


def test_an_info_page_opened_from_the_menu_leads_back_to_it(client: Client, poster: Code) -> None:
    menu = client.get("/q/bib-test", **NL).content.decode()
    links = [html.unescape(h) for h in re.findall(r'class="button big" href="([^"]+)"', menu)]
    assert links == ["/q/bib-test?toon=uren&back=%2Fq%2Fbib-test", "https://example.org/x"]
    page = client.get(links[0], **NL).content.decode()
    assert "Openingsuren" in page
    assert '<a class="button secondary" href="/q/bib-test">Terug naar het menu</a>' in page


def test_back_never_leads_to_another_site(client: Client, poster: Code) -> None:
    for back in ("https://evil.example/q/x", "//evil.example/q/x", "/rabot/people/"):
        page = client.get("/q/bib-test", {"toon": "uren", "back": back}, **NL).content.decode()
        assert "Terug naar het menu" not in page, back


def test_the_contact_phone_number_can_be_tapped(client: Client, poster: Code) -> None:
    page = client.get("/q/bib-test?toon=uren", **NL).content.decode()
    assert '<a href="tel:+3292661010">09 266 10 10</a>' in page


def test_there_is_a_favicon(client: Client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon"' in page
