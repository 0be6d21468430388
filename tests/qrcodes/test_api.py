"""The QR code API: codes, routes, batches, forms, answers, webhooks, figures and import.

Tenant isolation and the role × route matrix of every endpoint are in tests/api (apispec.py);
this file covers what the endpoints do.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people import services as people_services
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Batch, Code, CodeEvent, Submission, Webhook

Q = "/api/v1/qr"
JSON = "application/json"
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
BRUSSELS = ZoneInfo("Europe/Brussels")


def _send(client: Client, method: str, url: str, body: Any = None, **headers: str) -> Any:
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data, content_type=JSON, headers=headers)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}, body
    assert body["error"] == code, body
    return body


@pytest.fixture
def coordinator(api: Callable[..., Client], community: Community) -> Client:
    return api(community, ["coordinator"])


@pytest.fixture
def other_team(system: Actor) -> Any:
    return people_services.organisation_create(
        actor=system, name="Bibliotheek", slug="bib", kind="library"
    )


def _team_key(community: Community, team: Any, role: str = "staff") -> Client:
    _key, raw = people_services.apikey_create(
        actor=Actor.system(community), name="team key", roles=[role], organisation_id=team.pk
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


REDIRECT = [{"action": "redirect", "params": {"url": "https://example.org/bank"}}]


# --- codes: CRUD, versions, slugs, teams ----------------------------------------------------


def test_create_get_list_and_change_a_code(coordinator: Client, team: Any) -> None:
    made = _send(
        coordinator,
        "POST",
        f"{Q}/codes",
        {"title": "Bank Blaisantvest", "tags": ["Bank", "park"], "owner_id": team.pk},
    )
    assert made.status_code == 201, made.content
    code = made.json()
    assert code["status"] == "unassigned"  # no routes yet: a blank code
    assert code["tags"] == ["bank", "park"]
    assert code["scan_path"] == f"/q/{code['code']}"
    assert code["readable"].replace("-", "") == code["code"]
    assert code["version"] == 1 and code["routes"] == []

    routes = _send(coordinator, "PUT", f"{Q}/codes/{code['id']}/routes", {"routes": REDIRECT})
    assert routes.status_code == 200, routes.content
    assert routes.json()["status"] == "active"
    assert routes.json()["routes"][0]["position"] == 1

    changed = _send(
        coordinator,
        "PATCH",
        f"{Q}/codes/{code['id']}",
        {"description": "Aan de speeltuin", "expected_version": 2},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["description"] == "Aan de speeltuin"
    assert changed.json()["title"] == "Bank Blaisantvest"  # not sent, not changed
    assert changed.json()["version"] == 3

    got = coordinator.get(f"{Q}/codes/{code['id']}").json()
    assert got["routes"][0]["params"] == {"url": "https://example.org/bank"}
    by_code = coordinator.get(f"{Q}/codes/by-code/{code['readable'].lower()}")
    assert by_code.json()["id"] == code["id"]

    listed = coordinator.get(f"{Q}/codes?tag=park&status=active&owner={team.pk}").json()
    assert [c["id"] for c in listed["items"]] == [code["id"]]
    assert coordinator.get(f"{Q}/codes?q=blaisant").json()["count"] == 1
    assert coordinator.get(f"{Q}/codes?status=paused").json()["count"] == 0

    history = coordinator.get(f"{Q}/codes/{code['id']}/history").json()
    assert [e["verb"] for e in history["items"]] == ["changed", "routes_changed", "created"]
    assert history["items"][0]["snapshot"]["description"] == "Aan de speeltuin"


def test_a_stale_version_is_a_409_and_changes_nothing(
    coordinator: Client, bench_code: Code
) -> None:
    stale = bench_code.version
    assert (
        _send(coordinator, "PATCH", f"{Q}/codes/{bench_code.pk}", {"title": "A"}).status_code == 200
    )
    for method, url, body in (
        ("PATCH", f"{Q}/codes/{bench_code.pk}", {"title": "B", "expected_version": stale}),
        (
            "PUT",
            f"{Q}/codes/{bench_code.pk}/routes",
            {"routes": REDIRECT, "expected_version": stale},
        ),
        (
            "POST",
            f"{Q}/codes/{bench_code.pk}/status",
            {"status": "paused", "expected_version": stale},
        ),
    ):
        _error(_send(coordinator, method, url, body), 409, "stale_version")
    bench_code.refresh_from_db()
    assert (bench_code.title, bench_code.status, bench_code.routes.count()) == ("A", "active", 3)


def test_a_vanity_slug_clash_is_422_on_slug_and_nothing_written(
    coordinator: Client, bench_code: Code, other_system: Actor
) -> None:
    services.code_update(
        actor=Actor.system(bench_code.community), code_id=bench_code.pk, slug="bank-1"
    )
    services.code_create(actor=other_system, slug="elders-bank")
    before = Code.objects.count()
    for slug in ("bank-1", "Bank-1", "elders-bank"):  # ours, ours in capitals, another community's
        body = _error(
            _send(coordinator, "POST", f"{Q}/codes", {"slug": slug}), 422, "validation_error"
        )
        assert "slug" in body["fields"], body
    assert Code.objects.count() == before
    bench_code.refresh_from_db()
    assert bench_code.slug == "bank-1"
    other = services.code_create(actor=Actor.system(bench_code.community), title="Other")
    body = _error(
        _send(coordinator, "PATCH", f"{Q}/codes/{other.pk}", {"slug": "bank-1"}),
        422,
        "validation_error",
    )
    assert set(body["fields"]) == {"slug"}
    assert Code.objects.get(pk=other.pk).slug is None


def test_unknown_fields_are_refused(coordinator: Client, bench_code: Code) -> None:
    body = _error(
        _send(coordinator, "POST", f"{Q}/codes", {"title": "X", "colour": "red"}),
        422,
        "validation_error",
    )
    assert "colour" in body["fields"]
    _error(
        _send(coordinator, "PATCH", f"{Q}/codes/{bench_code.pk}", {"version": 7}),
        422,
        "validation_error",
    )
    routes = [{"action": "redirect", "params": {"url": "https://x.example"}, "when": "now"}]
    _error(
        _send(coordinator, "PUT", f"{Q}/codes/{bench_code.pk}/routes", {"routes": routes}),
        422,
        "validation_error",
    )


def test_a_bad_route_is_422_naming_the_route(coordinator: Client, bench_code: Code) -> None:
    routes = [REDIRECT[0], {"action": "redirect", "params": {"url": "javascript:alert(1)"}}]
    body = _error(
        _send(coordinator, "PUT", f"{Q}/codes/{bench_code.pk}/routes", {"routes": routes}),
        422,
        "validation_error",
    )
    assert any(key.startswith("routes.2.") for key in body["fields"]), body
    assert bench_code.routes.count() == 3


def test_codes_are_retired_never_deleted(coordinator: Client, bench_code: Code) -> None:
    assert coordinator.delete(f"{Q}/codes/{bench_code.pk}").status_code == 405
    retired = _send(coordinator, "POST", f"{Q}/codes/{bench_code.pk}/status", {"status": "retired"})
    assert retired.json()["status"] == "retired"
    _error(
        _send(coordinator, "POST", f"{Q}/codes/{bench_code.pk}/status", {"status": "active"}),
        409,
        "retired",
    )
    assert Code.objects.filter(pk=bench_code.pk, status="retired").exists()


def test_a_team_key_changes_its_own_teams_codes_only(
    community: Community, system: Actor, team: Any, other_team: Any, bench_code: Code
) -> None:
    """bench_code belongs to ``team``; a staff key of the library may read it, not change it."""
    library = _team_key(community, other_team)
    groen = _team_key(community, team)
    theirs = f"{Q}/codes/{bench_code.pk}"
    before = CodeEvent.objects.count()

    assert library.get(theirs).status_code == 200
    for method, url, body in (
        ("PATCH", theirs, {"title": "Mine now"}),
        ("PUT", f"{theirs}/routes", {"routes": REDIRECT}),
        ("POST", f"{theirs}/status", {"status": "paused"}),
        ("POST", f"{Q}/codes/bulk", {"code_ids": [bench_code.pk], "operation": "pause"}),
    ):
        _error(_send(library, method, url, body), 403, "not_your_team")
    # Nor can it make codes for the other team.
    body = _error(
        _send(library, "POST", f"{Q}/codes", {"title": "X", "owner_id": team.pk}),
        422,
        "validation_error",
    )
    assert "owner" in body["fields"]
    assert CodeEvent.objects.count() == before
    bench_code.refresh_from_db()
    assert (bench_code.title, bench_code.status) == ("Bank Blaisantvest", "active")

    assert _send(groen, "PATCH", theirs, {"title": "Bank (groen)"}).status_code == 200
    own = _send(library, "POST", f"{Q}/codes", {"title": "Boekenkast", "owner_id": other_team.pk})
    assert own.status_code == 201
    assert (
        _send(library, "PATCH", f"{Q}/codes/{own.json()['id']}", {"title": "Kast"}).status_code
        == 200
    )


def test_a_staff_login_of_another_team_gets_403(
    community: Community, system: Actor, other_team: Any, bench_code: Code
) -> None:
    """The same through the pages' session: a library staff member cannot change the bench."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="bib-staff")
    people_services.membership_grant(
        actor=system, username=user.username, roles=["staff"], organisation_id=other_team.pk
    )
    client = Client()
    client.force_login(user)
    url = f"{Q}/codes/{bench_code.pk}?community={community.slug}"
    assert client.get(url).status_code == 200
    _error(_send(client, "PATCH", url, {"title": "X"}), 403, "not_your_team")
    bench_code.refresh_from_db()
    assert bench_code.title == "Bank Blaisantvest"


# --- batch create with per-item results -------------------------------------------------------


def test_batch_create_keeps_good_items_and_reports_the_bad_one(
    coordinator: Client, bench_code: Code, other_team: Any
) -> None:
    services.code_update(
        actor=Actor.system(bench_code.community), code_id=bench_code.pk, slug="bank-1"
    )
    before = Code.objects.count()
    items = [
        {"title": "Paal 1", "slug": "paal-1", "routes": REDIRECT},
        {"title": "Paal 2", "slug": "bank-1"},  # taken
        {"title": "Paal 3", "owner_id": other_team.pk, "tags": ["paal"]},
        {"title": "Paal 4", "routes": [{"action": "redirect", "params": {"url": "ftp://x"}}]},
    ]
    response = _send(coordinator, "POST", f"{Q}/codes/batch", {"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 2)
    ok = [r["ok"] for r in body["items"]]
    assert ok == [True, False, True, False]
    assert body["items"][1]["error"] == "validation_error"
    assert "slug" in body["items"][1]["fields"]
    assert any(k.startswith("routes.1.") for k in body["items"][3]["fields"])
    assert Code.objects.count() == before + 2
    made = Code.objects.get(pk=body["items"][0]["id"])
    assert (made.code, made.slug, made.status) == (body["items"][0]["code"], "paal-1", "active")
    assert not Code.objects.filter(title__in=["Paal 2", "Paal 4"]).exists()


def test_batch_create_refuses_more_than_1000_items_as_a_whole(coordinator: Client, db: Any) -> None:
    items = [{"title": f"Paal {i}"} for i in range(1001)]
    body = _error(
        _send(coordinator, "POST", f"{Q}/codes/batch", {"items": items}), 422, "validation_error"
    )
    assert "items" in body["fields"]
    assert Code.objects.count() == 0


# --- blank batches ------------------------------------------------------------------------------


def test_blank_batch_up_to_the_limit_and_progress(coordinator: Client, team: Any) -> None:
    _error(_send(coordinator, "POST", f"{Q}/batches", {"size": 101_000}), 422, "validation_error")
    body = _error(
        _send(coordinator, "POST", f"{Q}/batches", {"size": 100_001}), 422, "validation_error"
    )
    assert "size" in body["fields"]
    _error(_send(coordinator, "POST", f"{Q}/batches", {"size": 0}), 422, "validation_error")
    assert Batch.objects.count() == 0 and Code.objects.count() == 0

    big = _send(coordinator, "POST", f"{Q}/batches", {"size": 100_000})
    assert big.status_code == 202, big.content
    assert (big.json()["size"], big.json()["done"], big.json()["status"]) == (100_000, 0, "pending")

    small = _send(
        coordinator, "POST", f"{Q}/batches", {"size": 5, "owner_id": team.pk, "tags": ["sticker"]}
    ).json()
    services.batch_run(batch_id=small["id"])  # what the worker does
    got = coordinator.get(f"{Q}/batches/{small['id']}").json()
    assert (got["done"], got["size"], got["status"]) == (5, 5, "done")
    codes = coordinator.get(f"{Q}/codes?batch={small['id']}").json()
    assert codes["count"] == 5
    assert {c["status"] for c in codes["items"]} == {"unassigned"}
    assert all(c["tags"] == ["sticker"] and c["owner_id"] == team.pk for c in codes["items"])
    listed = coordinator.get(f"{Q}/batches").json()
    assert [b["id"] for b in listed["items"]] == [small["id"], big.json()["id"]]


def test_a_retried_batch_with_the_same_idempotency_key_is_made_once(
    coordinator: Client, db: Any
) -> None:
    first = _send(coordinator, "POST", f"{Q}/batches", {"size": 40}, **{"Idempotency-Key": "k-1"})
    again = _send(coordinator, "POST", f"{Q}/batches", {"size": 40}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    other = _send(coordinator, "POST", f"{Q}/batches", {"size": 41}, **{"Idempotency-Key": "k-1"})
    _error(other, 409, "idempotency_conflict")
    assert Batch.objects.count() == 1


# --- forms and answers --------------------------------------------------------------------------


def test_forms_and_their_answers(
    coordinator: Client, api: Callable[..., Client], community: Community, bench_code: Code
) -> None:
    fields = [
        {"key": "wat", "type": "text", "label": {"nl": "Wat is er?"}, "required": True},
        {"key": "aantal", "type": "number", "label": {"nl": "Hoeveel?"}, "min": 0},
    ]
    made = _send(coordinator, "POST", f"{Q}/forms", {"title": {"nl": "Melding"}, "fields": fields})
    assert made.status_code == 201, made.content
    form = made.json()
    assert form["answers"] == 0 and form["fields"][0]["required"] is True
    bad = _send(
        coordinator, "POST", f"{Q}/forms", {"title": {"nl": "X"}, "fields": [{"type": "colour"}]}
    )
    assert "fields" in _error(bad, 422, "validation_error")["fields"]

    changed = _send(coordinator, "PATCH", f"{Q}/forms/{form['id']}", {"thanks": {"nl": "Merci!"}})
    assert changed.json()["thanks"] == {"nl": "Merci!"}
    assert changed.json()["title"] == {"nl": "Melding"}

    for what in ("Bank kapot", "Graffiti"):
        services.submission_create(
            community=community,
            form_id=form["id"],
            data={"wat": what, "aantal": "2"},
            code_id=bench_code.pk,
            language="nl",
        )
    answers = coordinator.get(f"{Q}/forms/{form['id']}/submissions?limit=1").json()
    assert answers["count"] == 2
    assert answers["items"][0]["data"] == {"wat": "Graffiti", "aantal": 2}
    assert answers["items"][0]["code"] == bench_code.code
    assert coordinator.get(f"{Q}/forms/{form['id']}").json()["answers"] == 2
    assert coordinator.get(f"{Q}/forms").json()["items"][0]["answers"] == 2

    volunteer = api(community, ["volunteer"])  # sees forms, not what people answered
    assert volunteer.get(f"{Q}/forms/{form['id']}").status_code == 200
    _error(volunteer.get(f"{Q}/forms/{form['id']}/submissions"), 403, "permission_denied")
    assert Submission.objects.count() == 2


# --- webhooks --------------------------------------------------------------------------------


def test_a_webhook_secret_is_shown_once(
    coordinator: Client, api: Callable[..., Client], community: Community
) -> None:
    made = _send(
        coordinator,
        "POST",
        f"{Q}/webhooks",
        {"name": "Werkbonnen", "url": "https://93.184.215.14/in"},
    )
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert Webhook.objects.get(pk=made.json()["id"]).secret == secret

    listed = coordinator.get(f"{Q}/webhooks").json()["items"]
    assert [h["name"] for h in listed] == ["Werkbonnen"]
    assert "secret" not in listed[0]
    assert secret not in coordinator.get(f"{Q}/webhooks").content.decode()

    rotated = _send(coordinator, "POST", f"{Q}/webhooks/{made.json()['id']}/rotate")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (secret, "")
    assert Webhook.objects.get().secret == rotated.json()["secret"]

    private = _send(coordinator, "POST", f"{Q}/webhooks", {"name": "x", "url": "http://127.0.0.1/"})
    assert "url" in _error(private, 422, "validation_error")["fields"]
    _error(
        _send(
            api(community, ["staff"]),
            "POST",
            f"{Q}/webhooks",
            {"name": "x", "url": "https://93.184.215.14/"},
        ),
        403,
        "permission_denied",
    )
    assert Webhook.objects.count() == 1


# --- statistics ------------------------------------------------------------------------------


def _scan(client: Client, path: str, ua: str = PHONE, language: str = "nl") -> None:
    response = client.get(path, HTTP_USER_AGENT=ua, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code in (200, 302), response.content


def test_stats_count_the_scans_made(
    coordinator: Client, system: Actor, bench_code: Code, team: Any
) -> None:
    poster = services.code_create(actor=system, title="Affiche", tags=["bib"], routes=REDIRECT)
    day1 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BRUSSELS)
    day2 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=BRUSSELS)
    scanner = Client()
    with clock.frozen(day1):
        _scan(scanner, f"/Q/{bench_code.code}")  # printed code, Dutch Android: route 3
        _scan(scanner, f"/Q/{bench_code.code}")  # same visitor again
        _scan(scanner, f"/q/{bench_code.code}?src=poster", ua=IPHONE, language="fr")  # route 2
        _scan(scanner, f"/q/{poster.code}")
        _scan(scanner, f"/q/{poster.code}", ua="facebookexternalhit/1.1")  # a bot: left out
    services.rollup_day(community_id=system.community.pk, day=day1.date())  # day 1 from the sums
    with clock.frozen(day2):
        _scan(scanner, f"/Q/{bench_code.code}", ua=IPHONE)  # day 2 from the single scans
        stats = coordinator.get(f"{Q}/stats?start=2026-03-01&end=2026-03-03").json()
        only_bench = coordinator.get(
            f"{Q}/stats?start=2026-03-02&end=2026-03-03&code_id={bench_code.pk}"
        ).json()
        by_tag = coordinator.get(f"{Q}/stats?start=2026-03-01&end=2026-03-03&tag=bib").json()
        by_team = coordinator.get(f"{Q}/stats?end=2026-03-03&owner={team.pk}").json()

    assert [(d["day"], d["scans"], d["visitors"]) for d in stats["days"]] == [
        ("2026-03-01", 0, 0),
        ("2026-03-02", 4, 3),
        ("2026-03-03", 1, 1),
    ]
    assert (stats["scans"], stats["visitors"], stats["bots"]) == (5, 4, 1)
    shares = {
        by: {s["key"]: s["scans"] for s in stats[f"by_{by}"]}
        for by in ("route", "source", "device", "language")
    }
    assert shares["route"] == {"3": 3, "2": 1, "1": 1}  # the poster's only route is its route 1
    assert shares["source"] == {"print": 3, "poster": 1, "link": 1}
    assert shares["device"] == {"phone": 5}
    assert shares["language"] == {"nl": 4, "fr": 1}
    assert [(t["code"], t["scans"]) for t in stats["top_codes"]] == [
        (bench_code.code, 4),
        (poster.code, 1),
    ]
    assert only_bench["scans"] == 4 and [t["scans"] for t in only_bench["top_codes"]] == [4, 1]
    assert by_tag["scans"] == 1 and [t["code"] for t in by_tag["top_codes"]] == [poster.code]
    assert by_team["scans"] == 4 and len(by_team["days"]) == 30
    assert by_team["start"] == "2026-02-02"


def test_stats_refuse_a_period_that_is_backwards_or_too_long(coordinator: Client, db: Any) -> None:
    for query in ("start=2026-03-05&end=2026-03-01", "start=2025-01-01&end=2026-03-01"):
        body = _error(coordinator.get(f"{Q}/stats?{query}"), 422, "validation_error")
        assert "start" in body["fields"]


# --- import ------------------------------------------------------------------------------------


def _upload(client: Client, name: str, content: bytes, query: str = "") -> Any:
    return client.post(
        f"{Q}/import{query}",
        {"file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_csv_creates_updates_and_reports_bad_rows(
    coordinator: Client, system: Actor, team: Any, other_system: Actor
) -> None:
    existing = services.code_create(
        actor=system, slug="bank-1", title="Bank", routes=REDIRECT, tags=["bank"]
    )
    same = services.code_create(actor=system, slug="bank-2", title="Bank 2", routes=REDIRECT)
    services.code_create(actor=other_system, slug="elders")
    routes = json.dumps([{"action": "info", "params": {"html": {"nl": "<p>Hallo</p>"}}}])
    csv = (
        "\ufeffslug;title;tags;team;url;route_json;status\n"
        "paal-1;Paal één;paal, zomer;groendienst;https://example.org/paal;;\n"
        "bank-1;Bank Blaisantvest;;;;;paused\n"
        "bank-2;Bank 2;;;https://example.org/bank;;\n"
        "elders;Niet van ons;;;;;\n"
        "kapot;Kapot;;;javascript:alert(1);;\n"
        "info-1;Info;;onbekend;;;\n"
        ";Geen slug;;;;;\n"
        f'info-2;Info;;;;"{routes.replace(chr(34), chr(34) * 2)}";\n'
    )
    before = CodeEvent.objects.count()
    response = _upload(coordinator, "codes.csv", csv.encode())
    assert response.status_code == 200, response.content
    body = response.json()
    results = {r["row"]: r for r in body["rows"]}
    assert [(r["row"], r["ok"], r["action"]) for r in body["rows"]] == [
        (2, True, "created"),
        (3, True, "updated"),
        (4, True, "unchanged"),
        (5, False, None),
        (6, False, None),
        (7, False, None),
        (8, False, None),
        (9, True, "created"),
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (2, 1, 1, 4)
    assert "slug" in results[5]["fields"] and "taken" in results[5]["detail"]
    assert any(k.startswith("routes.1.") for k in results[6]["fields"])
    assert "team" in results[7]["fields"]
    assert "slug" in results[8]["fields"]

    paal = Code.objects.get(slug="paal-1")
    assert paal.code == results[2]["code"]
    assert (paal.title, paal.owner_id, paal.status) == ("Paal één", team.pk, "active")
    assert sorted(t.name for t in paal.tags.all()) == ["paal", "zomer"]
    assert paal.routes.get().params == {"url": "https://example.org/paal"}
    existing.refresh_from_db()
    assert (existing.title, existing.status) == ("Bank Blaisantvest", "paused")
    assert [t.name for t in existing.tags.all()] == ["bank"]  # an empty cell changes nothing
    same.refresh_from_db()
    assert same.version == 1  # unchanged: no new version, no history
    assert Code.objects.get(slug="info-2").routes.get().action == "info"
    assert not Code.objects.filter(slug__in=["kapot", "info-1"]).exists()
    assert Code.objects.get(slug="elders").community_id == other_system.community.pk
    # two codes made, bank-1 renamed and paused; nothing for bad or unchanged rows
    assert CodeEvent.objects.count() == before + 4


def test_import_xlsx_and_a_malformed_row_writes_nothing(coordinator: Client, system: Actor) -> None:
    services.code_create(actor=system, slug="bank-1", title="Bank", routes=REDIRECT)
    content = _xlsx(
        [
            ["slug", "title", "url", "tags"],
            ["paal-7", "Paal 7", "https://example.org/7", "paal"],
            [None, None, None, None],  # an empty row is skipped (but counted)
            ["bank-1", "Bank nieuw", "https://example.org/nieuw", None],
            ["paal-8", "Paal 8", "https://example.org/8", "x" * 45, "extra cell"],
            [12345, "Te kort", None, None],
        ]
    )
    before = {c.slug: (c.title, c.version) for c in Code.objects.all()}
    response = _upload(coordinator, "codes.xlsx", content)
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    assert [(r["row"], r["ok"], r["action"]) for r in rows] == [
        (2, True, "created"),
        (4, True, "updated"),
        (5, False, None),
        (6, True, "created"),
    ]
    assert "row" in rows[2]["fields"]
    assert Code.objects.get(slug="bank-1").routes.get().params["url"] == "https://example.org/nieuw"
    assert not Code.objects.filter(slug="paal-8").exists()
    assert Code.objects.get(slug="12345").title == "Te kort"
    assert set(Code.objects.values_list("slug", flat=True)) == set(before) | {"paal-7", "12345"}


def test_import_all_or_nothing_and_dry_run(coordinator: Client, system: Actor) -> None:
    csv = b"slug,title\nrij-1,Een\nrij-2,Twee\n-fout-,Drie\n"
    before = (Code.objects.count(), CodeEvent.objects.count())

    atomic = _upload(coordinator, "codes.csv", csv, "?atomic=true").json()
    assert [(r["ok"], r["error"]) for r in atomic["rows"]] == [
        (False, "not_saved"),
        (False, "not_saved"),
        (False, "validation_error"),
    ]
    dry = _upload(coordinator, "codes.csv", b"slug,title\nrij-1,Een\n", "?dry_run=true").json()
    assert dry["dry_run"] is True
    assert [(r["ok"], r["action"], r["code"]) for r in dry["rows"]] == [(True, "created", None)]
    assert (Code.objects.count(), CodeEvent.objects.count()) == before

    good = _upload(coordinator, "codes.csv", b"slug,title\nrij-1,Een\nrij-2,Twee\n", "?atomic=true")
    assert good.json()["created"] == 2
    assert Code.objects.count() == before[0] + 2


def test_import_refuses_unreadable_or_too_large_files(
    coordinator: Client, api: Callable[..., Client], community: Community
) -> None:
    too_many = "slug\n" + "".join(f"code-{i}\n" for i in range(10_001))
    cases = [
        (too_many.encode(), "10,000"),
        (b"slug,titel\nx-1,Y\n", "titel"),
        (b"title\nNo slug column\n", "slug"),
        ("slug\nbank\n".encode("utf-16"), "UTF-8"),
        (b"PK\x03\x04 not really a workbook", "XLSX"),
        (b"", "empty"),
    ]
    for content, word in cases:
        body = _error(_upload(coordinator, "codes.csv", content), 422, "validation_error")
        assert word in body["fields"]["file"], body
    assert Code.objects.count() == 0
    # A volunteer learns only that it may not import, whatever the file.
    _error(
        _upload(api(community, ["volunteer"]), "codes.csv", b"nonsense"), 403, "permission_denied"
    )


def test_pages_are_capped_at_200(coordinator: Client, db: Any) -> None:
    assert coordinator.get(f"{Q}/codes?limit=200").status_code == 200
    _error(coordinator.get(f"{Q}/codes?limit=201"), 422, "validation_error")


def test_stats_sum_finished_days_first(
    coordinator: Client, system: Actor, bench_code: Code
) -> None:
    from buurtkit.qrcodes.models import RolledUpDay

    scanner = Client()
    with clock.frozen(dt.datetime(2026, 3, 2, 10, 0, tzinfo=BRUSSELS)):
        _scan(scanner, f"/Q/{bench_code.code}")
    assert not RolledUpDay.objects.exists()
    with clock.frozen(dt.datetime(2026, 3, 4, 10, 0, tzinfo=BRUSSELS)):
        stats = coordinator.get(f"{Q}/stats?start=2026-03-01&end=2026-03-04").json()
    assert stats["scans"] == 1
    assert RolledUpDay.objects.filter(day=dt.date(2026, 3, 2)).exists()
