"""API keys (hashing, revocation, last use), the JSON error shape for bad input, audit on
writes, pagination and search, and the OpenAPI document and docs page."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apispec import PREFIX, Rows, all_api_routes, assert_error
from django.apps import apps
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people import services as people_services
from buurtkit.people.models import ApiKey, Consent, Membership, Organisation, Person

JSON = "application/json"


def _new_key(community: Community, roles: list[str] | None = None) -> tuple[ApiKey, str]:
    return people_services.apikey_create(
        actor=Actor.system(community, label="test"),
        name="integration",
        roles=roles or ["coordinator"],
    )


def _bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Person, Consent, Organisation, Membership, AuditEvent)
    }


# --- API keys ----------------------------------------------------------------------------------


def test_only_the_sha256_of_a_key_is_stored(community: Community) -> None:
    key, raw = _new_key(community)

    key.refresh_from_db()
    assert raw.startswith(f"bk_{key.prefix}_")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.split("_", 2)[2]
    assert len(secret) >= 40  # 32 random bytes
    # Neither the key nor its secret part is in any row of any table.
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        for row in model._base_manager.values():
            text = json.dumps(row, default=str)
            assert secret not in text, f"the raw key is stored in {model._meta.label}"


def test_two_keys_differ(community: Community) -> None:
    (key1, raw1), (key2, raw2) = _new_key(community), _new_key(community)
    assert raw1 != raw2
    assert key1.prefix != key2.prefix
    assert key1.key_hash != key2.key_hash


def test_a_key_works_and_acts_in_its_community(community: Community) -> None:
    _key, raw = _new_key(community, ["volunteer"])
    response = _bearer(raw).get("/api/v1/communities")
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()] == [community.slug]


def test_a_revoked_key_is_refused_at_once(community: Community) -> None:
    key, raw = _new_key(community)
    client = _bearer(raw)
    assert client.get("/api/v1/people").status_code == 200

    people_services.apikey_revoke(actor=Actor.system(community, label="test"), apikey_id=key.pk)

    assert_error(client.get("/api/v1/people"), 401, "unauthorized")
    before = _counts()
    response = client.post("/api/v1/people", json.dumps({"first_name": "Late"}), content_type=JSON)
    assert_error(response, 401, "unauthorized")
    assert _counts() == before
    assert AuditEvent.objects.filter(verb="apikey.revoked", object_id=str(key.pk)).count() == 1


def test_revoking_one_key_leaves_the_others(community: Community) -> None:
    key1, raw1 = _new_key(community)
    _key2, raw2 = _new_key(community)
    people_services.apikey_revoke(actor=Actor.system(community, label="test"), apikey_id=key1.pk)
    assert_error(_bearer(raw1).get("/api/v1/people"), 401, "unauthorized")
    assert _bearer(raw2).get("/api/v1/people").status_code == 200


def test_last_used_is_noted_at_most_once_a_minute(community: Community) -> None:
    key, raw = _new_key(community)
    client = _bearer(raw)
    assert key.last_used_at is None
    t0 = datetime(2030, 5, 6, 10, 15, 20, tzinfo=UTC)

    with clock.frozen(t0):
        assert client.get("/api/v1/communities").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == t0

    with (
        clock.frozen(t0 + timedelta(seconds=30)),  # same minute: no write, not even a query
        CaptureQueriesContext(connection) as queries,
    ):
        assert client.get("/api/v1/communities").status_code == 200
    assert not [
        q for q in queries.captured_queries if "people_apikey" in q["sql"] and "UPDATE" in q["sql"]
    ]
    key.refresh_from_db()
    assert key.last_used_at == t0

    with clock.frozen(t0 + timedelta(minutes=2)):
        assert client.get("/api/v1/communities").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == t0 + timedelta(minutes=2)


def test_a_refused_key_is_not_noted_as_used(community: Community) -> None:
    key, raw = _new_key(community)
    tampered = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert_error(_bearer(tampered).get("/api/v1/people"), 401, "unauthorized")
    key.refresh_from_db()
    assert key.last_used_at is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer nope",
        "Bearer bk_",
        "Bearer bk__",
        "Bearer bk_deadbeef",
        "Bearer bk_deadbeef_notthesecret",
        "Bearer xx_{prefix}_{secret}",
        "Bearer bk_{prefix}_{secret}x",
        "Bearer bk_{prefix}_",
        "Bearer bk_{prefix}_{secret_upper}",
        "Basic {raw}",
        "Token {raw}",
        "{raw}",
        "Bearer bk_{prefix}_{secret}\u00e9",
    ],
)
def test_wrong_and_garbled_keys_get_401(community: Community, header: str | None) -> None:
    key, raw = _new_key(community)
    secret = raw.split("_", 2)[2]
    before = _counts()
    extra: dict[str, Any] = {}
    if header is not None:
        extra["HTTP_AUTHORIZATION"] = header.format(
            prefix=key.prefix, secret=secret, secret_upper=secret.swapcase(), raw=raw
        )
    client = Client(**extra)

    assert_error(client.get("/api/v1/people"), 401, "unauthorized")
    assert_error(
        client.post("/api/v1/people", json.dumps({"first_name": "X"}), content_type=JSON),
        401,
        "unauthorized",
    )
    assert _counts() == before
    # The good key still works: the garbling was what mattered.
    assert _bearer(raw).get("/api/v1/people").status_code == 200


def test_every_route_needs_a_key(rows_a: Rows) -> None:
    client = Client()
    for method, template in all_api_routes():
        url = template.format(**rows_a.path_values())
        response = client.generic(method, url, "{}", content_type=JSON)
        assert_error(response, 401, "unauthorized")


# --- bad input: nothing half-written --------------------------------------------------------------


def test_malformed_json_is_400_with_the_error_shape(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = _counts()
    for url, method in (
        ("/api/v1/people", "POST"),
        (f"/api/v1/people/{rows_a.person.pk}", "PATCH"),
        ("/api/v1/organisations", "POST"),
        ("/api/v1/memberships", "POST"),
    ):
        for body in ('{"first_name": "X"', "{'first_name': 'X'}", "\x00\x01", "nul"):
            response = client.generic(method, url, body, content_type=JSON)
            assert_error(response, 400, "bad_request")
    assert _counts() == before


def test_oversized_body_is_413_and_nothing_written(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["coordinator"])
    body = json.dumps({"first_name": "Groot", "neighbourhood": "Rabot"}) + " " * 5000
    before = _counts()

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        response = client.post("/api/v1/people", body, content_type=JSON)

    assert_error(response, 413, "too_large")
    assert _counts() == before
    # The same body under the normal limit is fine: the size was what mattered.
    assert client.post("/api/v1/people", body, content_type=JSON).status_code == 201


def test_invalid_phone_is_422_and_nothing_written(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = _counts()

    for phone in ("12", "0470 12 34", "+32 470 12 34 5", "call me", "+999 123"):
        response = client.post(
            "/api/v1/people",
            json.dumps({"first_name": "Jan", "phone": phone, "consents": {"contact_phone": True}}),
            content_type=JSON,
        )
        body = assert_error(response, 422, "validation_error")
        assert "phone" in body["fields"], body
    assert _counts() == before


def test_invalid_phone_on_update_changes_nothing(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = _counts()
    response = client.patch(
        f"/api/v1/people/{rows_a.person.pk}",
        json.dumps({"neighbourhood": "Elders", "phone": "0470"}),
        content_type=JSON,
    )
    body = assert_error(response, 422, "validation_error")
    assert "phone" in body["fields"]
    person = Person.objects.get(pk=rows_a.person.pk)
    assert (person.phone, person.neighbourhood) == (rows_a.person.phone, "")
    assert _counts() == before


def test_a_valid_phone_is_stored_in_e164_with_its_kind(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["coordinator"])
    mobile = client.post(
        "/api/v1/people",
        json.dumps({"first_name": "Mo", "phone": "0470 12 34 56"}),
        content_type=JSON,
    ).json()
    landline = client.post(
        "/api/v1/people",
        json.dumps({"first_name": "La", "phone": "09 225 12 34"}),
        content_type=JSON,
    ).json()
    assert (mobile["phone"], mobile["phone_kind"]) == ("+32470123456", "mobile")
    assert (landline["phone"], landline["phone_kind"]) == ("+3292251234", "landline")


def test_a_bad_consent_after_a_good_person_writes_neither(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    """The person row is saved before consents are checked: the transaction must undo it."""
    client = api(rows_a.community, ["coordinator"])
    before = _counts()
    response = client.post(
        "/api/v1/people",
        json.dumps({"first_name": "Half", "consents": {"contact_sms": True, "telepathy": True}}),
        content_type=JSON,
    )
    body = assert_error(response, 422, "validation_error")
    assert "consents" in body["fields"]
    assert _counts() == before
    assert not Person.objects.filter(first_name="Half").exists()


@pytest.mark.parametrize(
    ("method", "url", "payload", "field"),
    [
        ("POST", "/api/v1/people", {"first_name": "X", "shoe_size": 44}, "shoe_size"),
        ("POST", "/api/v1/people", {"first_name": ""}, "first_name"),
        ("POST", "/api/v1/people", {"last_name": "No first name"}, "first_name"),
        ("POST", "/api/v1/people", {"first_name": "X", "birth_year": 1800}, "birth_year"),
        ("POST", "/api/v1/people", {"first_name": "X", "birth_year": 2999}, "birth_year"),
        ("POST", "/api/v1/people", {"first_name": "X", "email": "not-an-address"}, "email"),
        ("POST", "/api/v1/people", {"first_name": "X", "preferred_language": "tlh"}, None),
        ("PATCH", "/api/v1/people/{person_id}", {"id": 1}, "id"),
        ("PATCH", "/api/v1/people/{person_id}", {"community": "heuvelwijk"}, "community"),
        ("PATCH", "/api/v1/people/{person_id}", {"birth_year": 1066}, "birth_year"),
        (
            "POST",
            "/api/v1/people/{person_id}/consents",
            {"kind": "mind_reading", "granted": True},
            "kind",  # the body's field (the schema's enum); the service said "consents"
        ),
        ("POST", "/api/v1/organisations", {"name": "O", "slug": "o", "kind": "castle"}, "kind"),
        (
            "POST",
            "/api/v1/organisations",
            {"name": "O", "slug": "Not a slug!", "kind": "school"},
            "slug",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"name": "O", "slug": "o", "kind": "school", "x": 1},
            "x",
        ),
        ("PATCH", "/api/v1/organisations/{organisation_id}", {"kind": "castle"}, "kind"),
        ("PATCH", "/api/v1/organisations/{organisation_id}", {"community_id": 2}, "community_id"),
        ("POST", "/api/v1/memberships", {"username": "{free}", "roles": ["emperor"]}, "roles"),
        ("POST", "/api/v1/memberships", {"username": "{free}", "roles": []}, "roles"),
        # Neither a user name nor an e-mail address. (A user name that does not exist is no
        # error: it is invited like any other, see tests/test_privacy_invitations.py.)
        ("POST", "/api/v1/memberships", {"roles": ["staff"]}, "username"),
        ("POST", "/api/v1/memberships", {"email": "not-an-address", "roles": ["staff"]}, "email"),
        ("PATCH", "/api/v1/memberships/{membership_id}", {"roles": ["emperor"]}, "roles"),
        ("PATCH", "/api/v1/memberships/{membership_id}", {"user_id": 1}, "user_id"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_nothing_written(
    api: Callable[..., Client],
    rows_a: Rows,
    method: str,
    url: str,
    payload: dict[str, Any],
    field: str | None,
) -> None:
    client = api(rows_a.community, ["coordinator"])
    payload = {
        k: (v.format(free=rows_a.free_username) if isinstance(v, str) else v)
        for k, v in payload.items()
    }
    before = _counts()
    before_person = Person.objects.filter(pk=rows_a.person.pk).values().get()

    response = client.generic(
        method, url.format(**rows_a.path_values()), json.dumps(payload), content_type=JSON
    )

    body = assert_error(response, 422, "validation_error")
    if field is not None:
        assert field in body["fields"], body
    else:
        assert body["fields"], body
    assert _counts() == before
    assert Person.objects.filter(pk=rows_a.person.pk).values().get() == before_person


def test_duplicate_organisation_slug_is_422_on_slug(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = _counts()
    response = client.post(
        "/api/v1/organisations",
        json.dumps({"name": "Twin", "slug": rows_a.organisation.slug, "kind": "school"}),
        content_type=JSON,
    )
    body = assert_error(response, 422, "validation_error")
    assert "slug" in body["fields"]
    assert _counts() == before


def test_inviting_a_login_that_is_already_a_member_answers_like_any_invitation(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    """Inviting answers 202 the same way for every name (issue 18, item 9); the second
    membership is refused when the invitation is accepted (tests/test_privacy_invitations.py)."""
    client = api(rows_a.community, ["coordinator"])
    memberships = Membership.objects.count()
    response = client.post(
        "/api/v1/memberships",
        json.dumps({"username": rows_a.membership.user.username, "roles": ["volunteer"]}),
        content_type=JSON,
    )
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] is False
    assert Membership.objects.count() == memberships


def test_unknown_ids_are_404_with_the_error_shape(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    for url in (
        "/api/v1/people/999999",
        "/api/v1/people/999999/export",
        "/api/v1/organisations/999999",
        "/api/v1/memberships/999999",
    ):
        assert_error(client.get(url), 404, "not_found")


# --- happy paths are audited ----------------------------------------------------------------------


def _new_events(before_ids: set[int]) -> list[AuditEvent]:
    return list(AuditEvent.objects.exclude(pk__in=before_ids))


def test_creating_a_person_writes_an_audit_event(api_key: Callable[..., str], rows_a: Rows) -> None:
    raw = api_key(rows_a.community, ["staff"])
    key = ApiKey.objects.get(prefix=raw.split("_")[1])
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    response = _bearer(raw).post(
        "/api/v1/people",
        json.dumps(
            {
                "first_name": "Fatima",
                "last_name": "El Amrani",
                "phone": "+32 470 99 88 77",
                "has_smartphone": False,
                "consents": {"data_processing": True},
            }
        ),
        content_type=JSON,
    )

    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert person.community_id == rows_a.community.pk
    assert person.phone == "+32470998877"
    assert person.preferred_language == rows_a.community.default_language
    new = _new_events(before)
    assert sorted(e.verb for e in new) == ["person.consent", "person.created"]
    created = next(e for e in new if e.verb == "person.created")
    assert (created.object_type, created.object_id) == ("people.person", str(person.pk))
    assert created.community_id == rows_a.community.pk
    assert created.actor_api_key_id == key.pk
    assert created.channel == "api"
    # The log holds ids, not the personal data itself.
    assert "Fatima" not in json.dumps(created.data)


def test_creating_an_organisation_writes_an_audit_event(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["staff"])
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post(
        "/api/v1/organisations",
        json.dumps(
            {"name": "OCMW Gent", "slug": "ocmw", "kind": "social_welfare", "phone": "09 266 99 11"}
        ),
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    org = response.json()
    assert org["phone"] == "+3292669911"
    [event] = _new_events(before)
    assert event.verb == "organisation.created"
    assert event.object_id == str(org["id"])
    assert event.community_id == rows_a.community.pk
    assert event.channel == "api"


def test_inviting_a_member_writes_an_audit_event(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post(
        "/api/v1/memberships",
        json.dumps(
            {
                "username": rows_a.free_username.upper(),
                "roles": ["volunteer", "volunteer", "referrer"],
                "organisation_id": rows_a.organisation.pk,
            }
        ),
        content_type=JSON,
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["invited_as"] == rows_a.free_username.upper() and body["kind"] == "username"
    assert body["roles"] == ["referrer", "volunteer"]
    assert body["organisation_id"] == rows_a.organisation.pk
    [event] = _new_events(before)
    assert event.verb == "membership.invited"
    assert event.object_id == str(body["id"])
    assert event.data == {"roles": ["referrer", "volunteer"]}


def test_updates_are_audited_with_the_changed_fields(
    api: Callable[..., Client], rows_a: Rows
) -> None:
    client = api(rows_a.community, ["coordinator"])
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.patch(
        f"/api/v1/people/{rows_a.person.pk}",
        json.dumps({"neighbourhood": "Rabot-Blaisantvest", "has_smartphone": True}),
        content_type=JSON,
    )
    assert response.status_code == 200
    assert response.json()["neighbourhood"] == "Rabot-Blaisantvest"
    [event] = _new_events(before)
    assert event.verb == "person.updated"
    assert sorted(event.data["fields"]) == ["has_smartphone", "neighbourhood"]


# --- lists: pagination and search ------------------------------------------------------------------


def test_pagination_with_limit_and_offset(
    api: Callable[..., Client], make_person: Callable[..., Person], system: Actor
) -> None:
    ids = {make_person(system, last_name=f"Page{i:02d}").pk for i in range(7)}
    client = api(system.community, ["volunteer"])

    first = client.get("/api/v1/people?limit=3&offset=0").json()
    assert first["count"] == 7
    assert len(first["items"]) == 3
    seen: list[int] = []
    for offset in (0, 3, 6):
        page = client.get(f"/api/v1/people?limit=3&offset={offset}").json()
        assert page["count"] == 7
        seen += [p["id"] for p in page["items"]]
    assert len(seen) == 7
    assert set(seen) == ids
    past_the_end = client.get("/api/v1/people?limit=3&offset=20").json()
    assert (past_the_end["count"], past_the_end["items"]) == (7, [])
    assert_error(client.get("/api/v1/people?limit=0"), 422, "validation_error")
    assert_error(client.get("/api/v1/people?offset=-1"), 422, "validation_error")


def test_search_people_by_name_phone_postcode_and_smartphone(
    api: Callable[..., Client], make_person: Callable[..., Person], system: Actor
) -> None:
    anna = make_person(
        system, first_name="Anna", last_name="De Smet", phone="0470 11 22 33", postcode="9000"
    )
    bram = make_person(
        system, first_name="Bram", last_name="Janssens", postcode="9050", has_smartphone=True
    )
    make_person(system, first_name="Chloé", last_name="Dubois", postcode="1000")
    client = api(system.community, ["volunteer"])

    def ids(query: str) -> set[int]:
        body = client.get(f"/api/v1/people?{query}").json()
        assert body["count"] == len(body["items"])
        return {p["id"] for p in body["items"]}

    assert ids("q=anna") == {anna.pk}
    assert ids("q=Anna%20De%20Smet") == {anna.pk}
    assert ids("q=janss") == {bram.pk}
    assert ids("q=0470%2011%2022%2033") == {anna.pk}
    assert ids("q=90") == {anna.pk, bram.pk}
    assert ids("q=nobody-like-this") == set()
    assert ids("has_smartphone=true") == {bram.pk}
    assert bram.pk not in ids("has_smartphone=false")


def test_search_organisations_and_memberships(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    client.post(
        "/api/v1/organisations",
        json.dumps({"name": "Stadsbibliotheek", "slug": "stadsbib", "kind": "library"}),
        content_type=JSON,
    )
    client.post(
        "/api/v1/organisations",
        json.dumps({"name": "Buurtschool", "slug": "buurtschool", "kind": "school"}),
        content_type=JSON,
    )

    orgs = client.get("/api/v1/organisations?q=stadsbib").json()
    assert [o["slug"] for o in orgs["items"]] == ["stadsbib"]
    schools = client.get("/api/v1/organisations?kind=school").json()
    assert [o["slug"] for o in schools["items"]] == ["buurtschool"]
    staff = rows_a.membership.user.username
    found = client.get(f"/api/v1/memberships?q={staff}").json()
    assert [m["id"] for m in found["items"]] == [rows_a.membership.pk]
    assert client.get("/api/v1/memberships?q=zzz-nobody").json() == {"items": [], "count": 0}


# --- OpenAPI and docs --------------------------------------------------------------------------------


def test_openapi_is_valid_json_listing_every_path(client: Client, db: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]
    expected = {
        "/communities",
        "/communities/{slug}",
        "/people",
        "/people/{person_id}",
        "/people/{person_id}/consents",
        "/people/{person_id}/export",
        "/people/{person_id}/anonymise",
        "/organisations",
        "/organisations/{organisation_id}",
        "/memberships",
        "/memberships/{membership_id}",
    }
    assert {PREFIX + p for p in expected} <= set(schema["paths"])
    assert {p for _m, p in all_api_routes()} == set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    # Every operation is protected.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method} {path} has no auth"


def test_docs_page_loads_nothing_from_outside(client: Client, db: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "the docs page loads no scripts or styles at all?"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"external URL in the docs page: {url}"
    # The local assets it names are really served.
    for url in urls:
        if url.endswith((".js", ".css")):
            asset = client.get(url)
            assert asset.status_code == 200, url
