"""Security headers: a strict Content-Security-Policy on every response, per-view overrides
(``embeddable``, ``csp_override``), and HSTS by default on HTTPS requests, also behind a proxy.

The browser half (no page violates the policy in Chromium) is tests/browser/test_csp_pages.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from buurtkit.web.decorators import csp_override, embeddable
from tests.security_world import COORDINATOR, World, all_paths, build_world
from tests.worlds import reset_process_caches, rolled_back_world

# What every page must say (the header is decided in Python; one engine proves it).
pytestmark = pytest.mark.engine_independent

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response: HttpResponse) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# The pages other sites may show in an <iframe> (``web.decorators.embeddable``).
EMBEDDABLE = {"web:helpexchange_embed", "web:ledger_places_embed"}


def assert_strict(response: HttpResponse, where: str, *, framed: bool = False) -> None:
    directives = policy(response)
    if directives.get("default-src") == ["'none'"]:
        return  # a response with a stricter policy of its own (a downloaded image)
    for name, values in STRICT.items():
        if framed and name == "frame-ancestors":
            continue
        assert directives.get(name) == values, (where, name, directives)
    unsafe = [v for values in directives.values() for v in values if v.startswith("'unsafe")]
    assert not unsafe, (where, directives)


@pytest.fixture(scope="module")
def _world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world()
        yield world


@pytest.fixture
def world(db: Any, _world: World) -> Iterator[World]:
    reset_process_caches()
    yield _world
    reset_process_caches()


def test_every_response_carries_the_strict_policy(world: World, settings: Any) -> None:
    settings.QR_SCAN_RECORDING = "sync"  # scans written in the request (no flusher thread)
    coordinator = Client()
    coordinator.force_login(get_user_model().objects.get(username=COORDINATOR))
    anonymous = Client()
    seen = 0
    for name, url in all_paths(world):
        for who, client in (("coordinator", coordinator), ("anonymous", anonymous)):
            response = client.get(url)
            where = f"{who} GET {name} {url}"
            if name in EMBEDDABLE and response.status_code == 200:
                # A widget for the neighbourhood's website: only its framing is loosened.
                assert policy(response)["frame-ancestors"] == settings.EMBED_FRAME_ANCESTORS, where
                assert_strict(response, where, framed=True)
            else:
                assert_strict(response, where)
            seen += 1
    # Other kinds of answers: a POST refused by CSRF, the API (JSON, errors), its docs, a
    # static file, an unknown address.
    assert_strict(Client(enforce_csrf_checks=True).post("/accounts/login/"), "csrf")
    assert_strict(anonymous.get("/api/v1/people"), "api 401")
    assert_strict(coordinator.get(f"/api/v1/people?community={world.b.community.slug}"), "api")
    assert_strict(anonymous.get("/api/v1/docs"), "api docs")
    assert_strict(anonymous.get("/no/such/page/"), "404")
    assert seen > 200
    assert {name for name, _ in all_paths(world)} >= EMBEDDABLE  # no stale names


def _framed(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>widget</p>")


@embeddable
def _widget(request: HttpRequest) -> HttpResponse:
    return _framed(request)


@embeddable(origins=["https://wijk.example.org"])
def _widget_for_one_site(request: HttpRequest) -> HttpResponse:
    return _framed(request)


@csp_override({"img-src": ["'self'", "https://tiles.example.org"], "base-uri": None})
def _with_map(request: HttpRequest) -> HttpResponse:
    return _framed(request)


urlpatterns = [
    path("plain/", _framed),
    path("widget/", _widget),
    path("widget-one/", _widget_for_one_site),
    path("map/", _with_map),
]


@pytest.mark.urls(__name__)
def test_a_view_can_be_embedded_or_change_its_policy(client: Client, settings: Any) -> None:
    plain = client.get("/plain/")
    assert plain["X-Frame-Options"] == "DENY"
    assert policy(plain)["frame-ancestors"] == ["'none'"]

    settings.EMBED_FRAME_ANCESTORS = ["https://buurt.example.be", "https://wijk.example.org"]
    widget = client.get("/widget/")
    assert "X-Frame-Options" not in widget
    directives = policy(widget)
    assert directives["frame-ancestors"] == ["https://buurt.example.be", "https://wijk.example.org"]
    # Only framing is loosened.
    assert {k: v for k, v in directives.items() if k != "frame-ancestors"} == {
        k: v for k, v in policy(plain).items() if k != "frame-ancestors"
    }
    assert policy(client.get("/widget-one/"))["frame-ancestors"] == ["https://wijk.example.org"]

    with_map = policy(client.get("/map/"))
    assert with_map["img-src"] == ["'self'", "https://tiles.example.org"]
    assert "base-uri" not in with_map
    assert with_map["script-src"] == ["'self'"]


# --- HSTS -------------------------------------------------------------------------------------

# A production start (no DEBUG, no demo) behind a TLS-terminating proxy: the WSGI application
# as `buurtkit serve` loads it, called as the proxy and as someone else would call it.
BEHIND_PROXY = """
import io, json, sys
from buurtkit.conf.wsgi import application

def call(remote, **headers):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": remote,
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        **headers,
    }
    seen = {}
    def start_response(status, response_headers, exc_info=None):
        seen.update(status=status, headers=dict(response_headers))
    b"".join(application(environ, start_response))
    return seen

print(json.dumps({
    "proxy_https": call("127.0.0.1", HTTP_X_FORWARDED_PROTO="https"),
    "proxy_http": call("127.0.0.1", HTTP_X_FORWARDED_PROTO="http"),
    "forged": call("198.51.100.7", HTTP_X_FORWARDED_PROTO="https"),
}))
"""


def test_hsts_is_on_by_default_for_https_requests_behind_the_proxy(tmp_path: Any) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "BUURTKIT_DEMO", "BUURTKIT_HTTPS", "SECURE_HSTS_SECONDS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="buurtkit.conf.settings",
        SECRET_KEY="hsts-test-secret-key-that-is-long-enough-for-django-checks",
        BUURTKIT_DATA_DIR=str(tmp_path),
        BUURTKIT_BEHIND_PROXY="true",
        BUURTKIT_TRUSTED_PROXY="127.0.0.1",
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", BEHIND_PROXY],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    https = seen["proxy_https"]
    assert https["status"].startswith("200"), https
    hsts = https["headers"]["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 60 * 60 * 24 * 180, hsts
    assert "Content-Security-Policy" in https["headers"]
    # Plain HTTP, and a client that only claims https, get no HSTS.
    assert "Strict-Transport-Security" not in seen["proxy_http"]["headers"]
    assert "Strict-Transport-Security" not in seen["forged"]["headers"]
