"""One community never sees another: every API route, called with community A's key.

The routes are read from the NinjaAPI object, so a new endpoint without an entry in
``apispec.ENDPOINTS`` fails here until its isolation is tested too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from apispec import ENDPOINTS, Rows, api_routes, assert_error, call, endpoint_for, snapshot
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.people import services as people_services
from buurtkit.people.models import Invitation, Membership, Organisation, Person

COORDINATOR = ["coordinator"]


def _secrets_of(rows: Rows) -> list[str]:
    """Strings that only community ``rows.community`` may see."""
    staff = rows.membership.user.username
    return [
        rows.community.name,
        rows.person.first_name,
        rows.person.email,
        rows.organisation.name,
        staff,
        rows.free_username,
    ]


def _text(response: HttpResponse) -> str:
    """The response as text; a PDF's text is read out of it (its streams are compressed)."""
    if response.get("Content-Type") == "application/pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(response.content)
        try:
            return "\n".join(page.get_textpage().get_text_range() for page in doc)
        finally:
            doc.close()
    if response.get("Content-Type", "").startswith("image/"):
        # A photo's bytes, one character each: a name in its metadata would still be found.
        return response.content.decode("latin-1")
    return response.content.decode()


def _assert_no_leak(response: HttpResponse, rows: Rows) -> None:
    text = _text(response)
    for secret in _secrets_of(rows):
        assert secret not in text, f"{secret!r} of {rows.community.slug} leaked: {text}"


def _items(response: HttpResponse) -> list[dict[str, Any]]:
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def test_every_route_has_an_entry_and_no_entry_is_stale() -> None:
    routes = set(api_routes())
    assert routes, "the API lists no routes"
    assert routes - set(ENDPOINTS) == set(), "routes without isolation/permission tests"
    assert set(ENDPOINTS) - routes == set(), "ENDPOINTS lists routes the API no longer has"


def test_route_works_for_its_own_community(
    route: tuple[str, str], api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    """The control for the tests below: with A's key and A's rows the call succeeds."""
    response = call(api(rows_a.community, COORDINATOR), route, rows_a)
    assert response.status_code == endpoint_for(route).ok, response.content
    _assert_no_leak(response, rows_b)


def test_other_communitys_rows_are_not_found_or_listed(
    route: tuple[str, str], api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    spec = endpoint_for(route)
    client = api(rows_a.community, COORDINATOR)
    before_a, before_b = snapshot(rows_a.community), snapshot(rows_b.community)

    if "{" in route[1]:
        # An id or slug of community B, asked for with A's key: as if it did not exist.
        response = call(client, route, rows_a, path_rows=rows_b)
        assert_error(response, 404, "not_found")
        assert snapshot(rows_a.community) == before_a, "a refused call wrote something"
    elif spec.lists is not None:
        response = call(client, route, rows_a)
        assert response.status_code == 200, response.content
        listed = {item.get("id", item.get("slug")) for item in _items(response)}
        assert listed == spec.lists(rows_a)
        assert not listed & spec.lists(rows_b) - spec.lists(rows_a)
    elif route[0] == "GET":
        # A read about the key's community as a whole (its currency, its totals): only A's.
        response = call(client, route, rows_a)
        assert response.status_code == spec.ok, response.content
        assert snapshot(rows_a.community) == before_a, "a read wrote something"
    else:
        # A create: the new row lands in A, whatever else exists in B.
        response = call(client, route, rows_a)
        assert response.status_code == spec.ok, response.content
        assert snapshot(rows_a.community) != before_a, "the create wrote nothing in A"

    _assert_no_leak(response, rows_b)
    assert snapshot(rows_b.community) == before_b, "community B was changed"


def test_asking_for_another_community_with_a_key_is_not_found(
    route: tuple[str, str], api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    client = api(rows_a.community, COORDINATOR)
    before_a, before_b = snapshot(rows_a.community), snapshot(rows_b.community)

    response = call(client, route, rows_a, query=f"?community={rows_b.community.slug}")

    assert_error(response, 404, "not_found")
    _assert_no_leak(response, rows_b)
    assert snapshot(rows_a.community) == before_a
    assert snapshot(rows_b.community) == before_b


def test_naming_the_own_community_is_fine(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    client = api(rows_a.community, COORDINATOR)
    response = client.get(f"/api/v1/people?community={rows_a.community.slug}&limit=100")
    assert response.status_code == 200
    ours = set(Person.objects.filter(community=rows_a.community).values_list("id", flat=True))
    assert rows_a.person.pk in ours
    assert {p["id"] for p in _items(response)} == ours


def test_unknown_community_slug_is_not_found(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, COORDINATOR)
    assert_error(client.get("/api/v1/communities/nowhere"), 404, "not_found")
    assert_error(client.get("/api/v1/people?community=nowhere"), 404, "not_found")


def test_other_communitys_key_reads_nothing_of_ours(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    """The same isolation the other way round, on the reads of a person."""
    client = api(rows_b.community, COORDINATOR)
    pid = rows_a.person.pk
    for url in (f"/api/v1/people/{pid}", f"/api/v1/people/{pid}/export"):
        response = client.get(url)
        assert_error(response, 404, "not_found")
        _assert_no_leak(response, rows_a)
    assert [p["id"] for p in _items(client.get("/api/v1/people?q=Mira"))] == [rows_b.person.pk]


def test_membership_cannot_point_at_another_communitys_organisation(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    client = api(rows_a.community, COORDINATOR)
    before_a, before_b = snapshot(rows_a.community), snapshot(rows_b.community)

    response = client.post(
        "/api/v1/memberships",
        json.dumps(
            {
                "username": rows_a.free_username,
                "roles": ["volunteer"],
                "organisation_id": rows_b.organisation.pk,
            }
        ),
        content_type="application/json",
    )

    assert_error(response, 404, "not_found")
    assert snapshot(rows_a.community) == before_a
    assert snapshot(rows_b.community) == before_b


def test_creates_land_in_the_keys_community(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    client = api(rows_a.community, COORDINATOR)
    person = client.post(
        "/api/v1/people", json.dumps({"first_name": "Nieuw"}), content_type="application/json"
    ).json()
    org = client.post(
        "/api/v1/organisations",
        # The same short name as B's organisation: slugs are unique per community only.
        json.dumps({"name": "Zelfde", "slug": rows_b.organisation.slug, "kind": "school"}),
        content_type="application/json",
    )
    assert org.status_code == 201, org.content
    membership = client.post(
        "/api/v1/memberships",
        json.dumps({"username": rows_b.membership.user.username, "roles": ["volunteer"]}),
        content_type="application/json",
    ).json()

    assert Person.objects.get(pk=person["id"]).community_id == rows_a.community.pk
    assert Organisation.objects.get(pk=org.json()["id"]).community_id == rows_a.community.pk
    # An invitation (item 9 of issue 18): in A, whatever login B has.
    assert Invitation.objects.get(pk=membership["id"]).community_id == rows_a.community.pk
    # B's membership of that login is untouched.
    assert Membership.objects.get(pk=rows_b.membership.pk).roles == ["staff"]


def test_export_holds_nothing_of_another_community(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    """A login that works in both communities: A's export shows only A's side of it."""
    system_a = Actor.system(rows_a.community, label="test")
    system_b = Actor.system(rows_b.community, label="test")
    login = people_services.person_give_login(
        actor=system_a,
        person_id=rows_a.person.pk,
        username="shared-login",
        password="x-Long-pw-123",
    )
    people_services.membership_grant(actor=system_a, username=login.username, roles=["volunteer"])
    people_services.membership_grant(
        actor=system_b,
        username=login.username,
        roles=["referrer"],
        organisation_id=rows_b.organisation.pk,
    )
    people_services.person_update(actor=system_b, person_id=rows_b.person.pk, postcode="1000")

    response = api(rows_a.community, COORDINATOR).get(f"/api/v1/people/{rows_a.person.pk}/export")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["community"]["slug"] == rows_a.community.slug
    assert data["person"]["id"] == rows_a.person.pk
    assert [m["roles"] for m in data["memberships"]] == [["volunteer"]]
    assert {e["verb"] for e in data["activity"]} == {
        "person.created",
        "person.consent",
        "person.login_created",
    }
    _assert_no_leak(response, rows_b)
    assert rows_b.community.slug not in response.content.decode()


def test_session_login_cannot_name_another_community(
    login_client: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    """Pages' session auth on the API: a login of A naming B gets nothing."""
    client = login_client(rows_a.community, "coordinator")

    own = client.get(f"/api/v1/people?community={rows_a.community.slug}&limit=100")
    assert own.status_code == 200
    ours = set(Person.objects.filter(community=rows_a.community).values_list("id", flat=True))
    assert rows_a.person.pk in ours
    assert {p["id"] for p in _items(own)} == ours

    for url in (
        f"/api/v1/people?community={rows_b.community.slug}",
        f"/api/v1/people/{rows_b.person.pk}?community={rows_b.community.slug}",
        f"/api/v1/people/{rows_b.person.pk}?community={rows_a.community.slug}",
    ):
        response = client.get(url)
        assert response.status_code in (401, 404), (url, response.content)
        assert set(response.json()) == {"error", "detail", "fields"}
        _assert_no_leak(response, rows_b)


def test_users_are_not_listed_across_communities(
    api: Callable[..., Client], rows_a: Rows, rows_b: Rows
) -> None:
    """Searching memberships by a login name of B finds nothing in A."""
    client = api(rows_a.community, COORDINATOR)
    response = client.get(f"/api/v1/memberships?q={rows_b.membership.user.username}")
    assert response.status_code == 200
    assert _items(response) == []
    assert get_user_model().objects.filter(username=rows_b.membership.user.username).exists()
