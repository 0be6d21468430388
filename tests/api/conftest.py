"""Fixtures and parametrisation for the API tests; the endpoint table lives in apispec.py."""

from __future__ import annotations

import pytest
from apispec import PREFIX, Rows, api_routes, make_rows

from buurtkit.core.models import Community
from buurtkit.core.permissions import ROLES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``route`` is every route of the API; ``role`` every role there is."""
    if "route" in metafunc.fixturenames:
        routes = api_routes()
        metafunc.parametrize("route", routes, ids=[f"{m} {p[len(PREFIX) :]}" for m, p in routes])
    if "role" in metafunc.fixturenames:
        metafunc.parametrize("role", sorted(ROLES))


@pytest.fixture
def rows_a(community: Community) -> Rows:
    return make_rows(community)


@pytest.fixture
def rows_b(other_community: Community) -> Rows:
    return make_rows(other_community)
