"""Page-only middleware (``web.middleware.pages_only``): an API call signed with a key goes past
sessions, messages, ``X-Frame-Options`` and slash redirects; pages and browser calls keep them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.test import Client
from django.urls import reverse

from buurtkit.core.models import Community


def test_an_api_call_with_a_key_has_no_session_and_no_page_headers(
    community: Community, api: Callable[..., Client]
) -> None:
    client = api(community, ["coordinator"])
    response = client.get("/api/v1/people")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert "messages" not in response.cookies
    assert "X-Frame-Options" not in response
    # Without a slash the API answers itself (CommonMiddleware would redirect a page).
    assert response.json()["items"] is not None


def test_a_wrong_key_is_refused_without_a_session(community: Community) -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer bk_nothing_here").get("/api/v1/people")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_pages_and_browser_calls_keep_sessions_and_headers(
    community: Community, login_client: Callable[..., Client]
) -> None:
    page = Client().get(reverse("web:login"))
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    # A signed-in browser calling the API is still recognised through its session.
    browser = login_client(community, "coordinator")
    response = browser.get(f"/api/v1/people?community={community.slug}")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    # A bearer header outside /api/ does not switch anything off.
    page = Client(HTTP_AUTHORIZATION="Bearer bk_x").get(reverse("web:login"))
    assert page["X-Frame-Options"] == "DENY"
