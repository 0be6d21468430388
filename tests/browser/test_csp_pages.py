"""Every page renders under the Content-Security-Policy without a violation, in a real Chromium.

Chromium asks for ``http://testserver/...`` and every request (the page, its static files,
htmx's requests) is answered in this process by Django's test client, with the real
middleware and headers: the world built here is seen by the pages whatever the database, and
no server starts. The browser reports each blocked inline script, style or event handler as a
``securitypolicyviolation`` event and a console error; either fails the test.

Pages come from ``tests/page_routes.txt`` (tests/security_world.py fills in real ids): all as a
coordinator, the pay pages as a resident, and every page that answers without a login as an
anonymous visitor, plus the public pages a QR scan shows (info, menu, form), the API docs, the
admin's login and the "not found" page.
"""

from __future__ import annotations

import contextvars
import mimetypes
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client

from tests.security_world import COORDINATOR, RESIDENT, World, build_world, page_paths
from tests.worlds import reset_process_caches, rolled_back_world

# The header and the templates are decided in Python: one engine proves it.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

ORIGIN = "http://testserver"
# Collects violations from the first moment of every document (Playwright's init scripts are
# not subject to the page's policy).
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || location.pathname}:${e.lineNumber} ${e.sample || ""}`);
});
"""
# Request headers that Django's test client sets itself.
OWN_HEADERS = {"cookie", "host", "content-length", "content-type"}


REDIRECTS = (301, 302, 303, 307, 308)


def shows_a_page(response: Any) -> bool:
    """An HTML page to look at: not a POST-only action's 405, a download or a redirect."""
    return (
        response.status_code not in (405, *REDIRECTS)
        and response.get("Content-Type", "").startswith("text/html")
        and "attachment" not in response.get("Content-Disposition", "")
    )


def followed(client: Client, response: Any) -> Any:
    """The answer after this site's redirects (not the login page's), as a browser follows them."""
    for _ in range(5):
        location = response.get("Location", "") if response.status_code in REDIRECTS else ""
        if not location.startswith("/") or location.startswith(("//", "/accounts/login/")):
            return response
        response = client.get(location)
    raise AssertionError("too many redirects")


class DjangoRoutes:
    """Answers the browser's requests with Django's test client of the current visitor.

    A page's redirects are followed here (Chromium does not follow a redirect that a route
    handler answers); an address that shows no page (a POST-only action, a download, the way to
    the login page) gets an empty page without a policy and is counted in ``skipped``.
    """

    def __init__(self) -> None:
        self.client = Client()
        self.skipped: list[str] = []
        # Playwright calls each handler in a greenlet of its own, with a context of its own,
        # where Django would open another database connection: the handler runs in the test's.
        self.context = contextvars.copy_context()

    def handle(self, route: Any) -> None:
        self.context.copy().run(self._handle, route)  # handlers may interleave

    def _handle(self, route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        if f"{url.scheme}://{url.netloc}" != ORIGIN:
            route.abort()  # nothing leaves the machine (an external link or redirect)
            return
        if url.path.startswith(settings.STATIC_URL):
            self._static(route, url.path[len(settings.STATIC_URL) :])
            return
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in request.headers.items()
            if name.lower() not in OWN_HEADERS
        }
        target = url.path + (f"?{url.query}" if url.query else "")
        response = self.client.generic(
            request.method,
            target,
            data=request.post_data_buffer or b"",
            content_type=request.headers.get("content-type", "application/octet-stream"),
            **meta,
        )
        if request.is_navigation_request():
            response = followed(self.client, response)
            if not shows_a_page(response):
                self.skipped.append(target)
                route.fulfill(status=200, content_type="text/html", body="")
                return
        body = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            if response.streaming
            else response.content
        )
        route.fulfill(status=response.status_code, headers=dict(response.items()), body=body)

    def _static(self, route: Any, name: str) -> None:
        found = finders.find(name)
        if not found:
            route.fulfill(status=404, body=b"")
            return
        with open(found, "rb") as handle:
            body = handle.read()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        route.fulfill(status=200, headers={"Content-Type": kind}, body=body)


@pytest.fixture(scope="module", autouse=True)
def _database_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread, so Django refuses database
    calls here unless told that they are safe: they are, every request is answered
    synchronously in this thread while Playwright waits."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def _world(browser: Any, django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    # Built once Playwright runs (``browser`` first): opened before it, the world's
    # transaction is not the one this thread's later database calls see.
    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world()
        yield world


@pytest.fixture
def world(_world: World, db: Any) -> Iterator[World]:
    reset_process_caches()
    yield _world
    reset_process_caches()


@pytest.fixture
def browse(browser: Any) -> Iterator[tuple[Any, DjangoRoutes, list[str]]]:
    """One context and one page for the whole walk; console errors about the policy kept."""
    routes = DjangoRoutes()
    context = browser.new_context(base_url=ORIGIN, locale="nl-BE")
    context.set_default_timeout(15_000)
    context.add_init_script(COLLECT)
    context.route("**/*", routes.handle)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    try:
        yield page, routes, console
    finally:
        context.close()


def visit(page: Any, console: list[str], url: str) -> list[str]:
    """Open ``url``; return the violations it caused (in-page events and console errors)."""
    console.clear()
    page.goto(url, wait_until="load")
    found = list(page.evaluate("window.__csp || []"))
    return found + [f"console: {text}" for text in console]


def test_the_walk_notices_a_violation(browse: tuple[Any, DjangoRoutes, list[str]]) -> None:
    """The check itself: an inline script and a style attribute under the policy are reported."""
    page, _routes, console = browse
    page.route(
        f"{ORIGIN}/bad/",
        lambda route: route.fulfill(
            status=200,
            headers={
                "Content-Type": "text/html",
                "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                "style-src 'self'",
            },
            body='<p style="color:red" onclick="x()">x</p><script>var a = 1;</script>',
        ),
    )
    found = visit(page, console, "/bad/")
    assert any("script-src" in v and "inline" in v for v in found), found
    assert any("style-src" in v for v in found), found


def test_every_page_renders_without_a_policy_violation(
    world: World, browse: tuple[Any, DjangoRoutes, list[str]], settings: Any
) -> None:
    page, routes, console = browse
    settings.QR_SCAN_RECORDING = "sync"  # scans written in the request, inside the world
    users = get_user_model().objects
    coordinator, resident, anonymous = Client(), Client(), Client()
    coordinator.force_login(users.get(username=COORDINATOR))
    resident.force_login(users.get(username=RESIDENT))
    slug = world.b.community.slug

    def is_a_page(client: Client, url: str) -> bool:
        """Worth a look as this visitor (the walk skips what shows no page anyway)."""
        return shows_a_page(followed(client, client.get(url)))

    visits: list[tuple[str, Client, str]] = []
    for _name, url in page_paths(world):
        visits.append(("coordinator", coordinator, url))
        # Most pages send a visitor without a login to the login page: only look at the others.
        if is_a_page(anonymous, url):
            visits.append(("anonymous", anonymous, url))
        if url.startswith((f"/{slug}/pay/", f"/{slug}/me/")):
            visits.append(("resident", resident, url))
    for code in world.scan_codes.values():
        visits.append(("anonymous", anonymous, f"/q/{code}"))
    for url in ("/api/v1/docs", "/admin/login/", "/no/such/page/"):
        visits.append(("anonymous", anonymous, url))

    problems: dict[str, list[str]] = {}
    for who, client, url in visits:
        routes.client = client
        found = visit(page, console, url)
        if found:
            problems[f"{who} {url}"] = found
    assert not problems, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())
    assert len(visits) - len(routes.skipped) > 100, routes.skipped
