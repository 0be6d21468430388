"""Fixtures and parametrisation for the API tests; the endpoint table lives in apispec.py.

The API tests share one *world*: communities A and B with a complete set of rows each
(``make_rows``, ~400 queries) and an empty community, built once per test module (and xdist
worker) instead of once per test, in a transaction rolled back after the module
(``tests/worlds.py``), so no other test ever sees it (tests that count the rows of a whole
table, ``transactional_db`` tests that flush the database). Each test runs in a savepoint
inside it (pytest-django's ``db``), so what a test writes is rolled back before the next one,
exactly as with a world of its own.

What a committed world would leak, and how it is handled here:
- the model instances in ``Rows``: every test gets a deep copy of the world as it was built, so
  an object one test changes in memory is fresh again in the next;
- the per-process caches of QR codes and API keys: emptied around every test;
- sequences: ids of rows a test creates are not reused, but no test depends on them.
No test in tests/api may use ``transactional_db`` (it would run inside the world's transaction).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apispec import PREFIX, Rows, World, api_routes, make_rows

from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.permissions import ROLES
from buurtkit.core.services import community_create
from tests.worlds import reset_process_caches, rolled_back_world


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``route`` is every route of the API; ``role`` every role there is."""
    if "route" in metafunc.fixturenames:
        routes = api_routes()
        metafunc.parametrize("route", routes, ids=[f"{m} {p[len(PREFIX) :]}" for m, p in routes])
    if "role" in metafunc.fixturenames:
        metafunc.parametrize("role", sorted(ROLES))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents:
            continue
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction"):
            raise pytest.UsageError(
                f"{item.nodeid}: tests/api shares one world in an open transaction; "
                "a transactional_db test belongs elsewhere"
            )


@pytest.fixture(scope="module")
def _shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The world, built once per module inside a transaction that is rolled back afterwards."""
    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            # Like the ``community`` and ``other_community`` fixtures, with slugs of their own:
            # tests here that want an empty "rabot" still get one, beside the world.
            # Every module on: the matrices test permissions and isolation, and a module that
            # is off answers 404 module_off before either (tests/test_module_gating.py).
            every = list(MODULES)
            community = community_create(name="Rabot", slug="rabot-a", enabled_modules=every)
            other = community_create(
                name="Heuvelwijk", slug="heuvelwijk-b", default_language="fr", enabled_modules=every
            )
            empty = community_create(name="Leeg", slug="leeg", enabled_modules=every)
            world = World(make_rows(community), make_rows(other), empty)
        yield world


@pytest.fixture
def world(db: Any, _shared_world: World) -> Iterator[World]:
    """This test's copy of the world: the rows as built, in fresh model instances."""
    reset_process_caches()
    yield copy.deepcopy(_shared_world)
    reset_process_caches()


@pytest.fixture
def empty_community(world: World) -> Community:
    return world.empty


@pytest.fixture
def rows_a(world: World) -> Rows:
    return world.rows_a


@pytest.fixture
def rows_b(world: World) -> Rows:
    return world.rows_b
