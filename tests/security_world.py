"""Every page of ``page_routes.txt`` with real objects, for the security-header tests.

The world is test_pages' community B (every module switched on, one of each object) plus a
coordinator login and QR codes whose scans show the public pages (info, menu, form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from buurtkit.core.actor import Actor
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create
from buurtkit.people import services as people_services
from buurtkit.qrcodes import services as qr_services
from tests.test_pages import PASSWORD, OtherCommunity, _make_b

ROUTES = Path(__file__).with_name("page_routes.txt")
COORDINATOR = "csp-coordinator"
RESIDENT, RESIDENT_PASSWORD = "quaxresident", "b-password-123"  # B's resident (test_pages)
# Answers that are not pages a browser renders: files, exports, Twilio's webhooks.
NOT_A_PAGE = re.compile(r"\.(csv|pdf|json|xlsx|<str:fmt>)$|^telephony/|^(healthz|readyz)$")


@dataclass
class World:
    b: OtherCommunity
    scan_codes: dict[str, str] = field(default_factory=dict)  # route action -> code to scan

    def values(self) -> dict[str, Any]:
        return {
            **self.b.ids(),
            "slug": self.b.community.slug,
            "uidb64": "MQ",  # a password-reset link that is not valid (any more)
            "call_id": 1,
            "step": "start",
            "recording_id": 1,
        }


def build_world() -> World:
    """Call with the database unblocked (inside ``rolled_back_world``)."""
    community = community_create(
        name="Heuvelwijk", slug="heuvelwijk", default_language="nl", enabled_modules=list(MODULES)
    )
    b = _make_b(community)
    actor = Actor.system(community, label="csp")
    get_user_model().objects.create_user(username=COORDINATOR, password=PASSWORD)
    people_services.membership_grant(actor=actor, username=COORDINATOR, roles=["coordinator"])
    routes = {
        "info": {"html": {"nl": "<p>Welkom in de <strong>buurt</strong>.</p>"}},
        "menu": {"items": [{"label": {"nl": "Website"}, "url": "https://example.org/"}]},
        "form": {"form": b.qr_form_id},
    }
    codes = {
        action: qr_services.code_create(
            actor=actor, title=f"csp {action}", routes=[{"action": action, "params": params}]
        ).code
        for action, params in routes.items()
    }
    return World(b, codes)


def routes() -> list[tuple[str, str]]:
    """(name, route) of every page, as in ``page_routes.txt``."""
    lines = ROUTES.read_text().splitlines()
    return [(name, route) for name, route in (line.split("\t") for line in lines if line)]


def fill(route: str, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"security_world does not know how to fill <{name}>: add it"
        return str(values[name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def page_paths(world: World) -> list[tuple[str, str]]:
    """(name, path) of every route that answers with a page, filled with the world's ids."""
    values = world.values()
    return [(name, fill(route, values)) for name, route in routes() if not NOT_A_PAGE.search(route)]


def all_paths(world: World) -> list[tuple[str, str]]:
    """(name, path) of every route, files and webhooks included."""
    values = world.values()
    return [(name, fill(route, values)) for name, route in routes()]
