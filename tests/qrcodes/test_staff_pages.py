"""Staff pages of the QR codes: list, create, code page, route editor, claiming, scan to edit,
batches, forms with answers, webhooks; permissions per role and per team."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people.services import membership_grant
from buurtkit.qrcodes import services
from buurtkit.qrcodes.codes import readable
from buurtkit.qrcodes.models import Batch, Code, CodeEvent, Form, Route, Webhook

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def coordinator(community: Community, login_client: Callable[..., Client]) -> Client:
    return login_client(community, "coordinator")


@pytest.fixture
def team_staff(community: Community, system: Actor, team: Any) -> Client:
    """A staff member of the team that owns ``bench_code``."""
    get_user_model().objects.create_user(username="groen", password="a-long-test-password")
    membership_grant(actor=system, username="groen", roles=["staff"], organisation_id=team.pk)
    client = Client()
    client.force_login(get_user_model().objects.get(username="groen"))
    return client


def _blank(system: Actor, **kw: Any) -> Code:
    return services.code_create(actor=system, **kw)


def _routes_post(version: int, blocks: list[dict[str, Any]], op: str = "save") -> dict[str, Any]:
    data: dict[str, Any] = {"routes": str(len(blocks)), "expected_version": str(version), "op": op}
    for i, block in enumerate(blocks):
        for key, value in block.items():
            data[f"r{i}-{key}"] = value
    return data


def _route_section(page: str, number: int) -> str:
    """The HTML of route block ``number`` (1-based) of the route editor."""
    start = page.index(f'id="r{number - 1}-h"')
    end = page.find(f'id="r{number}-h"', start)
    return page[start : end if end > 0 else None]


# --- every page renders -------------------------------------------------------------------------


def test_every_page_renders_for_staff(
    community: Community, system: Actor, bench_code: Code, coordinator: Client
) -> None:
    blank = _blank(system, title="Blank sticker")
    batch = services.batch_create(actor=system, size=3, title="Stickers")
    form = services.form_create(
        actor=system,
        title={"nl": "Melding"},
        fields=[{"key": "what", "type": "text", "label": {"nl": "Wat?"}}],
    )
    pages = [
        "/rabot/qr/",
        "/rabot/qr/new/",
        f"/rabot/qr/codes/{bench_code.pk}/",
        f"/rabot/qr/codes/{bench_code.pk}/routes/",
        f"/rabot/qr/claim/{blank.code}/",
        "/rabot/qr/scan/",
        "/rabot/qr/batches/",
        f"/rabot/qr/batches/{batch.pk}/",
        "/rabot/qr/forms/",
        "/rabot/qr/forms/new/",
        f"/rabot/qr/forms/{form.pk}/",
        f"/rabot/qr/forms/{form.pk}/answers/",
        "/rabot/qr/webhooks/",
    ]
    for url in pages:
        response = coordinator.get(url, **EN)
        assert response.status_code == 200, url
        assert "QR codes" in response.content.decode(), url  # the main menu links the list


def test_code_page_shows_the_printed_qr_and_readable_code(
    bench_code: Code, coordinator: Client, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.org"
    page = coordinator.get(f"/rabot/qr/codes/{bench_code.pk}/", **EN).content.decode()
    assert "<svg" in page and 'class="qr"' in page
    assert f"HTTPS://BUURT.EXAMPLE.ORG/Q/{bench_code.code}" in page
    assert readable(bench_code.code) in page
    assert "Bank Blaisantvest" in page and "Groendienst" in page
    assert "https://example.org/fr/banc" in page  # the routes in words
    for fmt in ("svg", "png", "pdf", "eps"):
        assert f"/rabot/qr/codes/{bench_code.pk}/download.{fmt}" in page


# --- permissions ----------------------------------------------------------------------------------


def test_resident_gets_403_everywhere(
    community: Community, bench_code: Code, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "resident")
    for url in ("/rabot/qr/", f"/rabot/qr/codes/{bench_code.pk}/", "/rabot/qr/batches/"):
        assert client.get(url).status_code == 403, url
    assert "/rabot/qr/" not in client.get("/rabot/").content.decode()  # no menu link either


def test_volunteer_can_view_but_not_change(
    community: Community, bench_code: Code, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    listing = client.get("/rabot/qr/", **EN)
    assert listing.status_code == 200
    assert 'name="code_ids"' not in listing.content.decode()  # no bulk actions
    detail = client.get(f"/rabot/qr/codes/{bench_code.pk}/", **EN)
    assert detail.status_code == 200
    assert 'name="expected_version"' not in detail.content.decode()
    assert client.get("/rabot/qr/new/").status_code == 403
    response = client.post(f"/rabot/qr/codes/{bench_code.pk}/", {"title": "Mine now"})
    assert response.status_code == 403
    response = client.post("/rabot/qr/", {"code_ids": [bench_code.pk], "operation": "pause"})
    assert response.status_code == 403
    bench_code.refresh_from_db()
    assert (bench_code.title, bench_code.status) == ("Bank Blaisantvest", "active")


def test_staff_outside_the_team_cannot_edit_the_teams_code(
    community: Community, bench_code: Code, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")  # staff, but not in Groendienst
    detail = client.get(f"/rabot/qr/codes/{bench_code.pk}/", **EN)
    assert detail.status_code == 200
    assert 'name="expected_version"' not in detail.content.decode()
    post = {"title": "Taken", "expected_version": bench_code.version}
    assert client.post(f"/rabot/qr/codes/{bench_code.pk}/", post).status_code == 403
    routes = _routes_post(bench_code.version, [{"action": "redirect", "url": "https://evil.test"}])
    assert client.post(f"/rabot/qr/codes/{bench_code.pk}/routes/", routes).status_code == 403
    status = {"status": "paused"}
    assert client.post(f"/rabot/qr/codes/{bench_code.pk}/status/", status).status_code == 403
    bench_code.refresh_from_db()
    assert (bench_code.title, bench_code.status) == ("Bank Blaisantvest", "active")
    assert Route.objects.filter(code=bench_code).count() == 3


def test_staff_in_the_team_can_edit(bench_code: Code, team_staff: Client) -> None:
    response = team_staff.post(
        f"/rabot/qr/codes/{bench_code.pk}/",
        {"title": "Bank Rabot", "tags": "bank, park", "expected_version": bench_code.version},
    )
    assert response.status_code == 302
    bench_code.refresh_from_db()
    assert bench_code.title == "Bank Rabot"
    assert sorted(t.name for t in bench_code.tags.all()) == ["bank", "park"]


def test_another_communitys_code_is_not_found(
    other_community: Community, other_system: Actor, coordinator: Client
) -> None:
    theirs = services.code_create(
        actor=other_system,
        title="Elsewhere",
        routes=[{"action": "redirect", "params": {"url": "https://example.org/x"}}],
    )
    blank = services.code_create(actor=other_system, title="Their blank")
    for url in (
        f"/rabot/qr/codes/{theirs.pk}/",
        f"/rabot/qr/codes/{theirs.pk}/routes/",
        f"/rabot/qr/claim/{blank.code}/",
    ):
        response = coordinator.get(url)
        assert response.status_code == 404, url
        assert "Elsewhere" not in response.content.decode()
    assert (
        coordinator.post(f"/rabot/qr/codes/{theirs.pk}/status/", {"status": "paused"}).status_code
        == 404
    )
    response = coordinator.get("/rabot/qr/scan/", {"code": theirs.code}, **EN)
    assert response.status_code == 200
    assert "There is no code" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "active"


# --- create and edit ------------------------------------------------------------------------------


def test_create_keeps_what_was_typed_on_error(
    system: Actor, team: Any, coordinator: Client
) -> None:
    _blank(system, slug="bench-school-rabot")
    count = Code.objects.count()
    response = coordinator.post(
        "/rabot/qr/new/",
        {
            "title": "Bench by the school",
            "description": "Green bench",
            "tags": "bench, school",
            "owner": team.pk,
            "slug": "bench-school-rabot",
            "contact": "09 123 45 67",
            "url": "https://example.org/bench",
        },
        **EN,
    )
    assert response.status_code == 422
    page = response.content.decode()
    for typed in ("Bench by the school", "Green bench", "bench, school", "09 123 45 67"):
        assert typed in page
    assert "is already taken" in response.context["form"].errors["slug"][0]
    assert Code.objects.count() == count

    response = coordinator.post(
        "/rabot/qr/new/",
        {"title": "Bench by the school", "url": "ftp://example.org/x"},
        **EN,
    )
    assert response.status_code == 422
    assert "https://" in response.context["form"].errors["url"][0]
    assert 'value="ftp://example.org/x"' in response.content.decode()


def test_create_with_a_first_address_is_active(
    team: Any, coordinator: Client, client: Client
) -> None:
    response = coordinator.post(
        "/rabot/qr/new/",
        {"title": "Poster", "tags": "poster", "owner": team.pk, "url": "https://example.org/p"},
    )
    code = Code.objects.get(title="Poster")
    assert response["Location"] == f"/rabot/qr/codes/{code.pk}/"
    assert code.status == "active"
    assert client.get(f"/q/{code.code}")["Location"] == "https://example.org/p"


def test_edit_conflict_says_so_and_keeps_the_typed_text(
    system: Actor, bench_code: Code, coordinator: Client
) -> None:
    seen = bench_code.version
    services.code_update(actor=system, code_id=bench_code.pk, title="Changed meanwhile")
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/",
        {"title": "My new title", "description": "mine", "expected_version": seen},
        **EN,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Someone else changed this code in the meantime" in page
    assert 'value="My new title"' in page
    assert "Changed meanwhile" in page  # what is saved now is shown
    bench_code.refresh_from_db()
    assert bench_code.title == "Changed meanwhile"
    # Saving again (with the version now on the page) replaces it, knowingly.
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version and int(version.group(1)) == bench_code.version
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/",
        {"title": "My new title", "expected_version": version.group(1)},
    )
    assert response.status_code == 302
    bench_code.refresh_from_db()
    assert bench_code.title == "My new title"


def test_history_says_what_changed(system: Actor, bench_code: Code, coordinator: Client) -> None:
    services.code_update(
        actor=system, code_id=bench_code.pk, title="Bank Rabot", tags=["bank", "park"]
    )
    services.code_set_status(actor=system, code_id=bench_code.pk, status="paused")
    page = coordinator.get(f"/rabot/qr/codes/{bench_code.pk}/", **EN).content.decode()
    history = page.split('class="history"', 1)[1]
    assert "“Bank Blaisantvest” → “Bank Rabot”" in history
    assert "tags added: park" in history
    assert "status: active → paused" in history
    assert history.index("paused") < history.index("Bank Rabot")  # newest first


# --- route editor -------------------------------------------------------------------------------


def test_route_editor_shows_the_routes_as_fields(bench_code: Code, coordinator: Client) -> None:
    page = coordinator.get(f"/rabot/qr/codes/{bench_code.pk}/routes/", **EN).content.decode()
    assert 'name="routes" value="3"' in page
    assert 'value="https://example.org/fr/banc"' in page
    assert re.search(r'name="r1-languages" value="fr"\s+checked', page)
    assert re.search(r'name="r0-audience" value="staff"\s+checked', page)


def test_route_editor_saves_routes(bench_code: Code, coordinator: Client, client: Client) -> None:
    blocks = [
        {
            "name": "weekend",
            "audience": "resident",
            "languages": ["fr", "en"],
            "devices": ["android"],
            "days": ["6", "7"],
            "time_from": "09:00",
            "time_to": "18:00",
            "action": "info",
            "info_title-en": "Weekend",
            "info_html-en": "Open on Saturday.\n\nBring <your> card.",
        },
        {"name": "", "action": "redirect", "url": "https://example.org/new"},
    ]
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/routes/", _routes_post(bench_code.version, blocks)
    )
    assert response.status_code == 302
    routes = list(Route.objects.filter(code=bench_code).order_by("position"))
    assert [r.action for r in routes] == ["info", "redirect"]
    assert routes[0].conditions == [
        {"type": "audience", "value": "resident"},
        {"type": "language", "values": ["fr", "en"]},
        {"type": "device", "values": ["android"]},
        {"type": "schedule", "days": [6, 7], "from": "09:00", "to": "18:00"},
    ]
    assert (
        routes[0].params["html"]["en"] == "<p>Open on Saturday.</p><p>Bring &lt;your&gt; card.</p>"
    )
    assert client.get(f"/q/{bench_code.code}")["Location"] == "https://example.org/new"
    # Shown again, the text reads as it was typed.
    page = coordinator.get(f"/rabot/qr/codes/{bench_code.pk}/routes/").content.decode()
    assert "Open on Saturday.\n\nBring &lt;your&gt; card.</textarea>" in page


def test_route_editor_menu_and_form_without_json(
    system: Actor, bench_code: Code, coordinator: Client
) -> None:
    form = services.form_create(
        actor=system, title={"nl": "Melding"}, fields=[{"type": "text", "label": {"nl": "Wat?"}}]
    )
    blocks = [
        {
            "action": "menu",
            "audience": "staff",
            "roles": ["staff", "volunteer"],
            "items": "3",
            "item0-label-nl": "Melden",
            "item0-label-fr": "Signaler",
            "item0-url": "https://example.org/meld",
            "item1-label-nl": "Info",
            "item1-url": "/rabot/",
            "item2-label-nl": "",
            "item2-url": "",
        },
        {"action": "form", "form": str(form.pk)},
    ]
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/routes/", _routes_post(bench_code.version, blocks)
    )
    assert response.status_code == 302
    menu, form_route = Route.objects.filter(code=bench_code).order_by("position")
    assert menu.conditions == [
        {"type": "audience", "value": "staff", "roles": ["staff", "volunteer"]}
    ]
    assert menu.params["items"] == [
        {"label": {"nl": "Melden", "fr": "Signaler"}, "url": "https://example.org/meld"},
        {"label": {"nl": "Info"}, "url": "/rabot/"},
    ]
    assert form_route.params == {"form": form.pk}


def test_route_editor_shows_errors_next_to_the_route_and_loses_nothing(
    bench_code: Code, coordinator: Client
) -> None:
    blocks = [
        {"name": "first", "action": "redirect", "url": "https://example.org/ok"},
        {
            "name": "second",
            "action": "redirect",
            "url": "javascript:alert(1)",
            "date_from": "2026-08-31",
            "date_to": "2026-06-01",
        },
        {"name": "third", "action": "redirect", "url": "https://example.org/third"},
    ]
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/routes/",
        _routes_post(bench_code.version, blocks),
        **EN,
    )
    assert response.status_code == 422
    page = response.content.decode()
    second = _route_section(page, 2)
    assert "The last day is before the first day." in second
    assert "first" in _route_section(page, 1) and "The last day" not in _route_section(page, 1)
    assert "The last day" not in _route_section(page, 3)
    assert 'value="javascript:alert(1)"' in second  # what was typed is still there
    assert 'value="2026-08-31"' in second
    assert 'value="https://example.org/third"' in _route_section(page, 3)
    assert list(Route.objects.filter(code=bench_code).values_list("name", flat=True)) == [
        "staff",
        "french",
        "everyone",
    ]
    # The address error is named too once the dates are right.
    blocks[1].update({"date_from": "", "date_to": ""})
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/routes/",
        _routes_post(bench_code.version, blocks),
        **EN,
    )
    second = _route_section(response.content.decode(), 2)
    assert "Only web addresses that start with https://" in second
    assert 'aria-invalid="true"' in second


def test_route_editor_add_move_remove_before_saving(bench_code: Code, coordinator: Client) -> None:
    url = f"/rabot/qr/codes/{bench_code.pk}/routes/"
    blocks = [
        {"name": "a", "action": "redirect", "url": "https://example.org/a"},
        {"name": "b", "action": "redirect", "url": "https://example.org/b"},
    ]
    page = coordinator.post(
        url, _routes_post(bench_code.version, blocks, op="add")
    ).content.decode()
    assert 'name="routes" value="3"' in page
    page = coordinator.post(
        url, _routes_post(bench_code.version, blocks, op="down-0")
    ).content.decode()
    assert page.index('value="https://example.org/b"') < page.index('value="https://example.org/a"')
    page = coordinator.post(
        url, _routes_post(bench_code.version, blocks, op="remove-0")
    ).content.decode()
    assert 'name="routes" value="1"' in page and "https://example.org/a" not in page
    assert Route.objects.filter(code=bench_code).count() == 3  # nothing saved yet


def test_route_editor_refuses_a_stale_version(
    system: Actor, bench_code: Code, coordinator: Client
) -> None:
    seen = bench_code.version
    services.code_update(actor=system, code_id=bench_code.pk, title="Meanwhile")
    blocks = [{"action": "redirect", "url": "https://example.org/mine"}]
    response = coordinator.post(
        f"/rabot/qr/codes/{bench_code.pk}/routes/", _routes_post(seen, blocks), **EN
    )
    page = response.content.decode()
    assert "Someone else changed this code" in page
    assert 'value="https://example.org/mine"' in page
    assert Route.objects.filter(code=bench_code).count() == 3


def test_preview_says_who_gets_what(bench_code: Code, coordinator: Client) -> None:
    url = f"/rabot/qr/codes/{bench_code.pk}/routes/"
    query = {
        "p_who": "resident",
        "p_device": "phone-android",
        "p_language": "fr",
        "p_date": "2026-06-13",
        "p_time": "10:00",
    }
    response = coordinator.get(url, query, HTTP_HX_REQUEST="true", **EN)
    text = response.content.decode()
    assert "<html" not in text
    assert (
        "A signed-in resident on an Android phone in French, Saturday 13 June 2026, 10:00, "
        "would get: go to https://example.org/fr/banc. (route 2 “french”)"
    ) in text
    query.update({"p_who": "staff:staff", "p_language": "nl"})
    text = coordinator.get(url, query, **EN).content.decode()
    assert "would get: go to https://intranet.example.org/bank/12." in text


# --- claiming a blank code ------------------------------------------------------------------------


def test_claim_flow_end_to_end(
    system: Actor, team: Any, team_staff: Client, client: Client
) -> None:
    blank = _blank(system, owner_id=team.pk)
    assert client.get(f"/q/{blank.code}").status_code == 200  # the public: "not in use yet"

    response = team_staff.get(f"/Q/{blank.code}")
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/qr/claim/{blank.code}/"
    page = team_staff.get(response["Location"], **EN)
    assert page.status_code == 200
    assert readable(blank.code) in page.content.decode()

    response = team_staff.post(
        f"/rabot/qr/claim/{blank.code}/",
        {"title": "Laptop 12", "owner": team.pk, "target": "url", "url": "https://example.org/l12"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/qr/codes/{blank.pk}/"
    blank.refresh_from_db()
    assert (blank.status, blank.title) == ("active", "Laptop 12")
    assert CodeEvent.objects.filter(code=blank, verb="claimed").exists()
    assert client.get(f"/q/{blank.code}")["Location"] == "https://example.org/l12"

    again = team_staff.get(f"/rabot/qr/claim/{blank.code}/", **EN)
    assert "already in use" in again.content.decode()
    assert f"/rabot/qr/codes/{blank.pk}/" in again.content.decode()


def test_staff_of_another_team_cannot_claim_a_teams_blank_code(
    community: Community, system: Actor, team: Any, login_client: Callable[..., Client]
) -> None:
    blank = _blank(system, owner_id=team.pk)
    client = login_client(community, "staff")  # not in Groendienst
    page = client.get(f"/rabot/qr/claim/{blank.code}/", **EN).content.decode()
    assert "belongs to Groendienst" in page
    client.post(f"/rabot/qr/claim/{blank.code}/", {"title": "Mine", "url": "https://x.test/"})
    blank.refresh_from_db()
    assert (blank.status, blank.title) == ("unassigned", "")


def test_claim_errors_keep_what_was_typed(system: Actor, coordinator: Client) -> None:
    blank = _blank(system)
    response = coordinator.post(
        f"/rabot/qr/claim/{blank.code}/",
        {"title": "Bench 4", "target": "url", "url": "not an address"},
        **EN,
    )
    assert response.status_code == 422
    assert 'value="Bench 4"' in response.content.decode()
    assert response.context["form"].errors["url"]
    blank.refresh_from_db()
    assert blank.status == "unassigned"


def test_claim_with_a_form(system: Actor, coordinator: Client) -> None:
    blank = _blank(system)
    form = services.form_create(
        actor=system, title={"nl": "Check-in"}, fields=[{"type": "text", "label": {"nl": "Naam"}}]
    )
    response = coordinator.post(
        f"/rabot/qr/claim/{blank.code}/",
        {"title": "Door", "target": "form", "form": form.pk},
    )
    assert response.status_code == 302
    assert list(Route.objects.filter(code=blank).values_list("action", "params")) == [
        ("form", {"form": form.pk})
    ]


# --- scan to edit -------------------------------------------------------------------------------


def test_scan_to_edit_finds_the_code(system: Actor, bench_code: Code, coordinator: Client) -> None:
    typed = readable(bench_code.code).lower()
    response = coordinator.get("/rabot/qr/scan/", {"code": typed})
    assert response["Location"] == f"/rabot/qr/codes/{bench_code.pk}/"
    scanned = f"HTTPS://BUURT.EXAMPLE.ORG/Q/{bench_code.code}"  # what the camera reads
    assert coordinator.get("/rabot/qr/scan/", {"code": scanned})["Location"] == (
        f"/rabot/qr/codes/{bench_code.pk}/"
    )
    blank = _blank(system)
    assert coordinator.get("/rabot/qr/scan/", {"code": blank.code})["Location"] == (
        f"/rabot/qr/claim/{blank.code}/"
    )
    response = coordinator.get("/rabot/qr/scan/", {"code": "ZZZ-ZZZ-ZZZ"}, **EN)
    assert response.status_code == 200
    assert "There is no code “ZZZ-ZZZ-ZZZ”" in response.content.decode()
    page = coordinator.get("/rabot/qr/scan/", **EN).content.decode()
    # The camera reader is a static script (no inline script under the CSP).
    assert "/static/qrcodes/scan.js" in page and 'name="code"' in page


# --- list, search, bulk -----------------------------------------------------------------------------


def test_list_search_and_filters(
    system: Actor, team: Any, bench_code: Code, coordinator: Client
) -> None:
    _blank(system, title="Poster library", tags=["poster"], slug="poster-library")
    response = coordinator.get("/rabot/qr/", {"q": "library"})
    assert [c.title for c in response.context["page"]] == ["Poster library"]
    response = coordinator.get("/rabot/qr/", {"q": readable(bench_code.code)})
    assert [c.pk for c in response.context["page"]] == [bench_code.pk]
    response = coordinator.get("/rabot/qr/", {"tag": "bank"})
    assert [c.pk for c in response.context["page"]] == [bench_code.pk]
    response = coordinator.get("/rabot/qr/", {"team": team.pk, "status": "active"})
    assert [c.pk for c in response.context["page"]] == [bench_code.pk]
    response = coordinator.get("/rabot/qr/", {"status": "unassigned"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()
    assert "Poster library" in response.content.decode()


def test_list_paging_keeps_the_filters(system: Actor, coordinator: Client) -> None:
    for i in range(27):
        _blank(system, title=f"Sticker {i}", tags=["sticker"])
    response = coordinator.get("/rabot/qr/", {"tag": "sticker"})
    assert response.context["page"].paginator.num_pages == 2
    assert "tag=sticker&amp;page=2" in response.content.decode()


def test_bulk_pause_and_a_clear_message(
    system: Actor, bench_code: Code, three_routes: list[dict[str, Any]], coordinator: Client
) -> None:
    other = services.code_create(actor=system, title="Other", routes=three_routes)
    response = coordinator.post(
        "/rabot/qr/?status=active",
        {"code_ids": [bench_code.pk, other.pk], "operation": "pause"},
        follow=True,
        **EN,
    )
    assert response.redirect_chain[-1][0] == "/rabot/qr/?status=active"
    assert "Paused 2 codes." in response.content.decode()
    assert set(Code.objects.values_list("status", flat=True)) == {"paused"}


def test_bulk_error_changes_nothing_and_keeps_the_choice(
    system: Actor, bench_code: Code, coordinator: Client
) -> None:
    blank = _blank(system, title="Blank")
    services.code_set_status(actor=system, code_id=bench_code.pk, status="paused")
    response = coordinator.post(
        "/rabot/qr/", {"code_ids": [bench_code.pk, blank.pk], "operation": "activate"}, **EN
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "has no route yet" in page
    assert re.search(rf'value="{blank.pk}" id="pick-{blank.pk}" form="bulk" checked', page)
    bench_code.refresh_from_db()
    assert bench_code.status == "paused"


def test_bulk_retarget_and_tag(bench_code: Code, coordinator: Client, client: Client) -> None:
    coordinator.post(
        "/rabot/qr/",
        {"code_ids": [bench_code.pk], "operation": "retarget", "bulk_url": "https://example.org/r"},
    )
    assert client.get(f"/q/{bench_code.code}")["Location"] == "https://example.org/r"
    coordinator.post(
        "/rabot/qr/", {"code_ids": [bench_code.pk], "operation": "tag", "bulk_tag": "Summer"}
    )
    assert "summer" in {t.name for t in bench_code.tags.all()}


def test_status_buttons(bench_code: Code, coordinator: Client) -> None:
    url = f"/rabot/qr/codes/{bench_code.pk}/status/"
    assert coordinator.post(url, {"status": "paused"}).status_code == 302
    bench_code.refresh_from_db()
    assert bench_code.status == "paused"
    coordinator.post(url, {"status": "active"})
    coordinator.post(url, {"status": "retired"})
    response = coordinator.post(url, {"status": "active"}, follow=True, **EN)
    assert "A retired code cannot be used again." in response.content.decode()
    bench_code.refresh_from_db()
    assert bench_code.status == "retired"
    assert coordinator.get(url).status_code == 405


# --- batches ------------------------------------------------------------------------------------


def test_batch_order_and_progress(
    team: Any, coordinator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            "/rabot/qr/batches/",
            {"size": "5", "title": "Laptops", "owner": team.pk, "tags": "laptop"},
        )
    batch = Batch.objects.get(title="Laptops")
    assert response["Location"] == f"/rabot/qr/batches/{batch.pk}/"
    assert (batch.status, batch.done) == ("done", 5)
    assert Code.objects.filter(batch=batch, status="unassigned", tags__name="laptop").count() == 5
    page = coordinator.get(response["Location"], **EN).content.decode()
    assert '<progress max="5" value="5"' in page
    assert "every 2s" not in page  # done: no more polling
    assert f"/rabot/qr/?batch={batch.pk}" in page
    assert f"/rabot/qr/batches/{batch.pk}/print/" in page
    listed = coordinator.get("/rabot/qr/", {"batch": batch.pk})
    assert listed.context["page"].paginator.count == 5


def test_running_batch_polls_for_progress(system: Actor, coordinator: Client) -> None:
    batch = services.batch_create(actor=system, size=4000, title="Big roll")  # not run: pending
    Batch.objects.filter(pk=batch.pk).update(status="running", done=2000)
    partial = coordinator.get(f"/rabot/qr/batches/{batch.pk}/", HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "<html" not in text
    assert 'hx-trigger="every 2s"' in text
    assert '<progress max="4000" value="2000"' in text
    listing = coordinator.get("/rabot/qr/batches/").content.decode()
    assert 'hx-trigger="every 2s"' in listing


def test_batch_over_the_limit_is_a_clear_error(coordinator: Client) -> None:
    response = coordinator.post("/rabot/qr/batches/", {"size": "100001"}, **EN)
    assert response.status_code == 422
    assert "at most" in response.context["form"].errors["size"][0]
    assert 'value="100001"' in response.content.decode()
    assert not Batch.objects.exists()


def test_volunteer_cannot_order_a_batch(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    assert client.get("/rabot/qr/batches/").status_code == 200
    assert client.post("/rabot/qr/batches/", {"size": "3"}).status_code == 403
    assert not Batch.objects.exists()


# --- forms and answers --------------------------------------------------------------------------


def test_form_create_answers_and_exports(
    community: Community, bench_code: Code, coordinator: Client
) -> None:
    response = coordinator.post(
        "/rabot/qr/forms/new/",
        {
            "title-nl": "Dagrapport",
            "title-en": "Daily report",
            "fields": "3",
            "f0-key": "work",
            "f0-type": "text",
            "f0-label-nl": "Wat deed je?",
            "f0-label-en": "What did you do?",
            "f0-required": "on",
            "f1-key": "ok",
            "f1-type": "choice",
            "f1-label-en": "All right?",
            "f1-choices-nl": "Ja\nNee",
            "f1-choices-en": "Yes\nNo",
            "f2-key": "",
            "f2-type": "text",
            "op": "save",
        },
    )
    form = Form.objects.get()
    assert response["Location"] == f"/rabot/qr/forms/{form.pk}/"
    assert form.title == {"nl": "Dagrapport", "en": "Daily report"}
    assert [f["key"] for f in form.fields] == ["work", "ok"]
    assert form.fields[0]["required"] is True
    assert form.fields[1]["choices"] == [{"nl": "Ja", "en": "Yes"}, {"nl": "Nee", "en": "No"}]

    for work in ("Mowed the grass", '=HYPERLINK("http://evil")'):
        services.submission_create(
            community=community,
            form_id=form.pk,
            code_id=bench_code.pk,
            data={"work": work, "ok": "0"},
            language="en",
        )
    page = coordinator.get(f"/rabot/qr/forms/{form.pk}/answers/", **EN)
    assert page.status_code == 200
    assert "Mowed the grass" in page.content.decode()

    response = coordinator.get(f"/rabot/qr/forms/{form.pk}/answers.csv", **EN)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["when", "code", "language", "What did you do?", "All right?"]
    assert sorted(r[3] for r in rows[1:]) == ['\'=HYPERLINK("http://evil")', "Mowed the grass"]
    assert {r[1] for r in rows[1:]} == {readable(bench_code.code)}
    assert {r[4] for r in rows[1:]} == {"Ja"}

    response = coordinator.get(f"/rabot/qr/forms/{form.pk}/answers.xlsx", **EN)
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["when", "code", "language", "What did you do?", "All right?"]
    # The same rule as the CSV (core.exports): a formula-like text is prefixed with ', so it stays
    # text even when the sheet is saved again as CSV or the cell is edited.
    assert sorted(v[3] for v in values[1:]) == ['\'=HYPERLINK("http://evil")', "Mowed the grass"]
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=2) for c in row)


def test_form_editor_keeps_typed_fields_on_error(coordinator: Client) -> None:
    response = coordinator.post(
        "/rabot/qr/forms/new/",
        {
            "title-nl": "Enquête",
            "fields": "1",
            "f0-key": "color",
            "f0-type": "choice",
            "f0-label-nl": "Welke kleur?",
            "f0-choices-nl": "Rood",
            "op": "save",
        },
        **EN,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "give 2 to 20 choices" in page
    assert 'value="Welke kleur?"' in page and ">Rood</textarea>" in page
    assert not Form.objects.exists()


def test_answers_need_the_submissions_permission(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    form = services.form_create(
        actor=system, title={"nl": "F"}, fields=[{"type": "text", "label": {"nl": "X"}}]
    )
    volunteer = login_client(community, "volunteer")
    for suffix in ("answers/", "answers.csv", "answers.xlsx"):
        assert volunteer.get(f"/rabot/qr/forms/{form.pk}/{suffix}").status_code == 403


# --- webhooks -----------------------------------------------------------------------------------


def test_webhook_secret_is_shown_once(coordinator: Client) -> None:
    response = coordinator.post(
        "/rabot/qr/webhooks/", {"name": "Work orders", "url": "https://93.184.216.34/hook"}, **EN
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'id="secret">([^<]+)<', response.content.decode())
    assert match
    hook = Webhook.objects.get(name="Work orders")
    assert match.group(1) == hook.secret
    assert "It will not be shown again" in response.content.decode()
    listing = coordinator.get("/rabot/qr/webhooks/").content.decode()
    assert "Work orders" in listing and hook.secret not in listing

    response = coordinator.post(f"/rabot/qr/webhooks/{hook.pk}/rotate/", **EN)
    new = re.search(r'id="secret">([^<]+)<', response.content.decode())
    hook.refresh_from_db()
    assert new and new.group(1) == hook.secret != match.group(1)

    coordinator.post(f"/rabot/qr/webhooks/{hook.pk}/active/", {"active": "0"})
    hook.refresh_from_db()
    assert hook.active is False


def test_webhook_to_a_private_address_is_refused(coordinator: Client) -> None:
    response = coordinator.post(
        "/rabot/qr/webhooks/", {"name": "Inside", "url": "http://127.0.0.1:8000/x"}, **EN
    )
    assert response.status_code == 422
    assert "inside the network" in response.context["form"].errors["url"][0]
    assert not Webhook.objects.exists()


def test_webhooks_are_for_admins_only(
    community: Community, login_client: Callable[..., Client]
) -> None:
    assert login_client(community, "staff").get("/rabot/qr/webhooks/").status_code == 403
