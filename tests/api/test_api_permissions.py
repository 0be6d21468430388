"""The permission matrix: every role × every API route.

Which role may do what comes from ``ROLE_PERMISSIONS`` (the single source); which permission a
route needs comes from ``apispec.ENDPOINTS``. A key with only ``role`` either gets the route's
success status, or a 403 ``permission_denied`` with nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from apispec import ENDPOINTS, Rows, World, assert_error, call, endpoint_for, snapshot
from django.test import Client

from buurtkit.core.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES


def test_the_matrix_is_built_on_known_roles_and_permissions() -> None:
    assert set(ROLE_PERMISSIONS) == ROLES
    for role, permissions in ROLE_PERMISSIONS.items():
        assert permissions <= set(PERMISSIONS), role
    for route, spec in ENDPOINTS.items():
        assert spec.permission in PERMISSIONS, route
    # The matrix has both outcomes: otherwise it would prove nothing.
    assert ROLE_PERMISSIONS["resident"].isdisjoint({s.permission for s in ENDPOINTS.values()})
    assert {s.permission for s in ENDPOINTS.values()} <= ROLE_PERMISSIONS["coordinator"]


# Engine-independent: which role may call which route is decided in Python (ROLE_PERMISSIONS,
# the routers' permission checks) before any query that could differ between SQLite and
# PostgreSQL. Every route's SQL, isolation and writes run on both engines in
# test_api_isolation.py (a coordinator's calls, scoped lookups, lists, creates). So this
# matrix runs on SQLite only (see the ``engine_independent`` marker in tests/conftest.py).
@pytest.mark.engine_independent
def test_role_on_route(
    route: tuple[str, str], role: str, api: Callable[..., Client], world: World
) -> None:
    spec = endpoint_for(route)
    rows_a = world.rows_a

    without = spec.without
    if spec.own_with is not None and spec.own_with in ROLE_PERMISSIONS[role]:
        without = 200  # the route serves this role its own rows too: a key has none
    refused = spec.permission not in ROLE_PERMISSIONS[role] and without is None
    if refused and "{" not in route[1] and not spec.body_looked_up:
        # A list or a create, refused before any lookup: the key belongs to an empty community
        # (ids in the body, if any, are A's). A route with an id in its path (or a body whose
        # rows it looks up first, ``body_looked_up``) answers 404 for a row the key's community
        # has not, which tells nothing; so it is refused against A's rows below.
        client = api(world.empty, [role])
        before_empty, before_a = snapshot(world.empty), snapshot(rows_a.community)
        response = call(client, route, rows_a)
        body = assert_error(response, 403, "permission_denied")
        assert spec.permission in body["detail"]
        assert snapshot(world.empty) == before_empty, "a refused call wrote something"
        assert snapshot(rows_a.community) == before_a, "a refused call wrote something in A"
        return

    client = api(rows_a.community, [role])
    before = snapshot(rows_a.community)

    response = call(client, route, rows_a)

    if spec.permission in ROLE_PERMISSIONS[role] and (
        spec.organisation_bound and spec.unbound_by not in ROLE_PERMISSIONS[role]
    ):
        # Allowed for one's own organisation only, and the key has none.
        assert_error(response, 403, "permission_denied")
        assert snapshot(rows_a.community) == before, "a refused call wrote something"
    elif spec.permission in ROLE_PERMISSIONS[role]:
        assert response.status_code == spec.ok, (role, response.content)
        if spec.writes:
            assert snapshot(rows_a.community) != before, "a permitted write wrote nothing"
    elif without is None:
        body = assert_error(response, 403, "permission_denied")
        assert spec.permission in body["detail"]
        assert snapshot(rows_a.community) == before, "a refused call wrote something"
    else:
        # The route serves this role too, but only with what is its own: a key has no person
        # or organisation, so it lists nothing, finds no account and pays from none.
        assert response.status_code == without, (role, response.content)
        if without >= 400:
            assert_error(response, without, {403: "permission_denied"}.get(without, "not_found"))
        elif spec.lists is not None:
            listed = response.json()
            assert (listed["items"] if isinstance(listed, dict) else listed) == [], (
                role,
                response.content,
            )
        assert snapshot(rows_a.community) == before, "a refused call wrote something"


def test_roles_of_one_key_add_up(api: Callable[..., Client], rows_a: Rows) -> None:
    """A key with two roles may do what either may: here an auditor's and a clerk's rights."""
    both = api(rows_a.community, ["counter_clerk", "auditor"])
    clerk = api(rows_a.community, ["counter_clerk"])

    assert both.get("/api/v1/organisations").status_code == 200
    assert both.get("/api/v1/memberships").status_code == 200
    assert_error(clerk.get("/api/v1/organisations"), 403, "permission_denied")
    assert_error(
        both.post(
            "/api/v1/people", json.dumps({"first_name": "X"}), content_type="application/json"
        ),
        403,
        "permission_denied",
    )


def test_permission_is_checked_before_the_phone_number(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    """A volunteer sending a bad phone number learns only that it may not create people."""
    client = api(rows_a.community, ["volunteer"])
    response = client.post(
        "/api/v1/people",
        json.dumps({"first_name": "X", "phone": "12"}),
        content_type="application/json",
    )
    assert_error(response, 403, "permission_denied")
