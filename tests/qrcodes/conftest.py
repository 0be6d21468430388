"""Fixtures for QR codes: a team, a code with three routes, scan recording written at once."""

from __future__ import annotations

from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.people.services import organisation_create
from buurtkit.qrcodes import cache, services
from buurtkit.qrcodes.models import Code


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Any:
    settings.QR_SCAN_RECORDING = "sync"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(system: Actor) -> Any:
    return organisation_create(
        actor=system,
        name="Groendienst",
        slug="groendienst",
        kind="city_department",
        phone="+3292661010",
    )


@pytest.fixture
def three_routes() -> list[dict[str, Any]]:
    return [
        {
            "name": "staff",
            "conditions": [{"type": "audience", "value": "staff"}],
            "action": "redirect",
            "params": {"url": "https://intranet.example.org/bank/12"},
        },
        {
            "name": "french",
            "conditions": [{"type": "language", "values": ["fr"]}],
            "action": "redirect",
            "params": {"url": "https://example.org/fr/banc"},
        },
        {"name": "everyone", "action": "redirect", "params": {"url": "https://example.org/bank"}},
    ]


@pytest.fixture
def bench_code(system: Actor, team: Any, three_routes: list[dict[str, Any]]) -> Code:
    return services.code_create(
        actor=system,
        title="Bank Blaisantvest",
        owner_id=team.pk,
        tags=["bank"],
        routes=three_routes,
    )
