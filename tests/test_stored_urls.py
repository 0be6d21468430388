"""Stored web addresses (issue 18, item 7): no control characters, no protocol-relative forms.

A route address ``"/\\t/evil.example/"`` looked like a path on this site, but browsers drop the
tab and follow ``//evil.example/``. One rule in ``core.urls`` refuses such addresses; these tests
check the rule, that every URL-like model field and route action uses it, and every field that
takes an address, through the API and through the staff pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.utils import translation

from buurtkit.conf.api import api as ninja_api
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.urls import SafeURLValidator, clean_stored_url, is_safe_stored_url
from buurtkit.qrcodes import cache as qr_cache
from buurtkit.qrcodes import routing
from buurtkit.qrcodes import services as qr
from buurtkit.qrcodes.models import Code, Route, Webhook

# Each of these is read by some browser as another site, or hides something from the reader.
UNSAFE = [
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r/evil.example/",
    "/\x00/evil.example/",
    "/\x0b/evil.example/",
    "/\x1f/evil.example/",
    "/\x7f/evil.example/",  # DEL
    "/\x85/evil.example/",  # C1: next line
    "/\x9b/evil.example/",  # C1: control sequence introducer
    "/ /evil.example/",
    "/\u00a0/evil.example/",  # no-break space
    "/\u2028/evil.example/",  # line separator
    "/\u200b/evil.example/",  # zero-width space
    "/\u202e/evil.example/",  # right-to-left override
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "https://evil.example\\@good.example/",
    "https://good.example/a\tb",
    "https://good .example/",
    "javascript:alert(1)",
    "https:evil.example",
    "http://",
    "ftp://example.org/",
]
SAFE = ["/rabot/pay/", "/", "https://example.org/bank?x=1#top", "http://example.org"]
# The ones the API and page tests send (one of each kind).
SENT = ["/\t/evil.example/", "//evil.example/", "/\\evil.example/", "/\u200b/x"]

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
Q = "/api/v1/qr"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.engine_independent  # no database
@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_addresses_are_refused(url: str) -> None:
    assert not is_safe_stored_url(url)
    with pytest.raises(ValidationFailed) as refused:
        clean_stored_url(url, field="target")
    assert set(refused.value.fields) == {"target"}


@pytest.mark.engine_independent  # no database
@pytest.mark.parametrize("url", SAFE)
def test_safe_addresses_are_kept(url: str) -> None:
    assert clean_stored_url(f"  {url}\n") == url  # spaces around what was typed are dropped


@pytest.mark.engine_independent  # no database
def test_paths_only_where_allowed() -> None:
    with pytest.raises(ValidationFailed):
        clean_stored_url("/rabot/", allow_path=False)
    assert clean_stored_url("https://example.org/", allow_path=False) == "https://example.org/"


# --- the rule is used everywhere an address is stored -------------------------------------------

#: Route actions -> params with the address to check in it (``None``: the action stores no
#: address). A new action fails ``test_every_route_action_checks_its_addresses`` until listed.
ACTION_ADDRESSES: dict[str, Callable[[str, Any], dict[str, Any]] | None] = {
    "redirect": lambda url, w: {"url": url},
    "menu": lambda url, w: {"items": [{"label": {"nl": "Ga"}, "url": url}]},
    "webhook": lambda url, w: {"webhook": w.pk, "url": url},
    "info": None,  # HTML: its links are cleaned, see test_info_page_links_are_cleaned
    "form": None,
    "ledger.pay": None,
    # Settings that name rows of the community (a resource, an entrance, a device), no address.
    "reserve": None,
    "checkin": None,
    "lending.device": None,
}


@pytest.mark.engine_independent  # which fields exist is decided in Python
def test_every_url_model_field_has_the_validator() -> None:
    checked = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field):
                continue
            if isinstance(field, models.URLField) or "url" in field.name.lower():
                label = f"{model._meta.label}.{field.name}"
                assert any(isinstance(v, SafeURLValidator) for v in field.validators), label
                checked.append(label)
    assert "qrcodes.Webhook.url" in checked


@pytest.mark.engine_independent  # reads the OpenAPI document
def test_every_url_field_in_the_api_is_covered_here() -> None:
    """Request schemas with an address field: each one has a test below (API_URL_FIELDS)."""
    schema = ninja_api.get_openapi_schema()
    components = schema["components"]["schemas"]
    found = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                props = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                found |= {f"{method.upper()} {path} {name}" for name in props if "url" in name}
    assert found == API_URL_FIELDS


API_URL_FIELDS = {
    f"POST {Q}/codes/bulk url",  # test_api_refuses_unsafe_addresses (retarget)
    f"POST {Q}/webhooks url",  # test_api_refuses_unsafe_addresses (webhook)
}


@pytest.fixture
def hook(system: Actor, settings: Any) -> Webhook:
    hook, _secret = qr.webhook_create(actor=system, name="Werkbon", url="https://93.184.215.14/in")
    return hook


def test_every_route_action_checks_its_addresses(community: Community, hook: Webhook) -> None:
    assert set(routing.ACTIONS.keys()) == set(ACTION_ADDRESSES), "list the new action here"
    for name, place in ACTION_ADDRESSES.items():
        if place is None:
            continue
        action = routing.ACTIONS.get(name)
        assert action is not None
        action.clean(community, place("https://example.org/ok", hook))  # a good one passes
        for url in UNSAFE:
            with pytest.raises(ValidationFailed):
                action.clean(community, place(url, hook))


def test_info_page_links_are_cleaned(community: Community) -> None:
    html = (
        '<p><a href="/&#9;/evil.example/">a</a> <a href="//evil.example/">b</a> '
        '<a href="/\\evil.example/">c</a> <a href="/rabot/">d</a> '
        '<a href="tel:09 123 45 67">e</a> <a href="https://example.org/">f</a></p>'
    )
    params = routing.ACTIONS.get("info").clean(community, {"html": {"nl": html}})  # type: ignore[union-attr]
    cleaned = params["html"]["nl"]
    assert "evil" not in cleaned
    for kept in ('href="/rabot/"', 'href="tel:09 123 45 67"', 'href="https://example.org/"'):
        assert kept in cleaned


# --- every field, through the API ---------------------------------------------------------------


def _send(client: Client, method: str, url: str, body: Any) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json", **EN)


def _refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_error" and body["fields"], body
    return body


@pytest.mark.parametrize("url", SENT)
def test_api_refuses_unsafe_addresses(
    url: str, community: Community, system: Actor, api: Callable[..., Client], hook: Webhook
) -> None:
    client = api(community, ["coordinator"])
    good = [{"action": "redirect", "params": {"url": "https://example.org/"}}]
    code = qr.code_create(actor=system, title="Bank", routes=good)
    before = Route.objects.filter(code=code).values_list("params", flat=True)
    before = list(before)
    routes_url = f"{Q}/codes/{code.pk}/routes"
    for routes in (
        [{"action": "redirect", "params": {"url": url}}],
        [{"action": "menu", "params": {"items": [{"label": {"nl": "Ga"}, "url": url}]}}],
        [{"action": "webhook", "params": {"webhook": hook.pk, "url": url}}],
    ):
        _refused(_send(client, "POST", f"{Q}/codes", {"title": "Nieuw", "routes": routes}))
        _refused(_send(client, "PUT", routes_url, {"routes": routes}))
    bulk = {"code_ids": [code.pk], "operation": "retarget", "url": url}
    _refused(_send(client, "POST", f"{Q}/codes/bulk", bulk))
    _refused(_send(client, "POST", f"{Q}/webhooks", {"name": "x", "url": url}))
    imported = client.post(
        f"{Q}/import",
        {"file": SimpleUploadedFile("codes.csv", f'slug;url\npaal-1;"{url}"\n'.encode())},
        **EN,
    )
    assert imported.status_code == 200, imported.content
    assert [r["ok"] for r in imported.json()["rows"]] == [False]
    assert list(Route.objects.filter(code=code).values_list("params", flat=True)) == before
    assert Code.objects.count() == 1 and Webhook.objects.count() == 1


# --- every field, through the staff pages -------------------------------------------------------


def _routes_post(version: int, block: dict[str, Any]) -> dict[str, Any]:
    return {
        "routes": "1",
        "expected_version": str(version),
        "op": "save",
        **{f"r0-{k}": v for k, v in block.items()},
    }


@pytest.mark.parametrize("url", SENT)
def test_pages_refuse_unsafe_addresses(
    url: str,
    community: Community,
    system: Actor,
    login_client: Callable[..., Client],
    hook: Webhook,
) -> None:
    staff = login_client(community, "coordinator")
    good = [{"action": "redirect", "params": {"url": "https://example.org/"}}]
    code = qr.code_create(actor=system, title="Bank", routes=good)
    blank = qr.code_create(actor=system)

    made = staff.post("/rabot/qr/new/", {"title": "Nieuw", "url": url}, **EN)
    assert made.status_code == 422 and made.context["form"].errors["url"]
    claimed = staff.post(
        f"/rabot/qr/claim/{blank.code}/", {"title": "Mijn", "target": "url", "url": url}, **EN
    )
    assert claimed.status_code == 422 and claimed.context["form"].errors["url"]
    for block in (
        {"action": "redirect", "url": url},
        {"action": "menu", "items": "1", "item0-label-nl": "Ga", "item0-url": url},
        {"action": "webhook", "webhook": str(hook.pk), "webhook_url": url},
    ):
        saved = staff.post(
            f"/rabot/qr/codes/{code.pk}/routes/", _routes_post(code.version, block), **EN
        )
        assert saved.status_code == 422, block
    hooked = staff.post("/rabot/qr/webhooks/", {"name": "Werkbon 2", "url": url}, **EN)
    assert hooked.status_code == 422
    checked = staff.post(
        "/rabot/qr/import/",
        {
            "step": "check",
            "file": SimpleUploadedFile("c.csv", f'slug;url\npaal;"{url}"\n'.encode()),
        },
        **EN,
    )
    assert [r["ok"] for r in checked.context["results"]] == [False]
    code.refresh_from_db()
    assert [r.params for r in Route.objects.filter(code=code)] == [{"url": "https://example.org/"}]
    assert Code.objects.count() == 2 and Webhook.objects.count() == 1


# --- addresses saved before the rule are not followed --------------------------------------------


def test_old_unsafe_addresses_are_not_followed(
    settings: Any, client: Client, system: Actor
) -> None:
    settings.QR_SCAN_RECORDING = "sync"
    good = [{"action": "redirect", "params": {"url": "https://example.org/"}}]
    redirect = qr.code_create(actor=system, title="Oud", routes=good)
    menu = qr.code_create(
        actor=system,
        title="Menu",
        routes=[
            {
                "action": "menu",
                "params": {"items": [{"label": {"nl": "Goed"}, "url": "/rabot/"}]},
            }
        ],
    )
    # As a row saved before the rule existed (services refuse it now).
    Route.objects.filter(code=redirect).update(params={"url": "/\t/evil.example/"})
    Route.objects.filter(code=menu).update(
        params={
            "items": [
                {"label": {"nl": "Goed"}, "url": "/rabot/"},
                {"label": {"nl": "Kwaad"}, "url": "/\t/evil.example/"},
            ]
        }
    )
    qr_cache.clear()
    answer = client.get(f"/q/{redirect.code}")
    assert answer.status_code != 302 and "evil.example" not in answer.content.decode()
    page = client.get(f"/q/{menu.code}").content.decode()
    assert 'href="/rabot/"' in page and "evil.example" not in page and "Kwaad" not in page
