"""Signing in (user name or phone), throttling, password reset, session/CSRF and SECRET_KEY."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied
from buurtkit.people import selectors, services

User = get_user_model()
PASSWORD = "a-long-test-password"
LOGIN = "/accounts/login/"


@pytest.fixture
def resident(system: Actor) -> Any:
    """A resident with a mobile number, an e-mail address and a login."""
    person = services.person_create(
        actor=system,
        first_name="Marie",
        last_name="Claes",
        phone="0470 12 34 56",
        email="marie@example.org",
    )
    return services.person_give_login(
        actor=system, person_id=person.pk, username="marie", password=PASSWORD
    )


def _signed_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- sign in ------------------------------------------------------------------------------------


def test_login_page_is_shown(client: Client, db: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_login_with_user_name(client: Client, resident: Any) -> None:
    response = client.post(LOGIN, {"username": "marie", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in_as(client) == resident.pk


def test_login_with_user_name_is_case_insensitive(client: Client, resident: Any) -> None:
    client.post(LOGIN, {"username": "MARIE", "password": PASSWORD})
    assert _signed_in_as(client) == resident.pk


@pytest.mark.parametrize("typed", ["0470 12 34 56", "0470123456", "+32 470 12 34 56"])
def test_login_with_phone_number(client: Client, resident: Any, typed: str) -> None:
    response = client.post(LOGIN, {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in_as(client) == resident.pk


def test_login_with_phone_number_and_wrong_password_fails(client: Client, resident: Any) -> None:
    response = client.post(LOGIN, {"username": "0470123456", "password": "wrong-password"})
    assert response.status_code == 200
    assert _signed_in_as(client) is None
    with translation.override("nl"):
        error = gettext("The user name, phone number or password is not right. Try again.")
    assert escape(error) in response.content.decode()


def test_phone_shared_by_two_logins_signs_in_neither(
    client: Client, system: Actor, resident: Any
) -> None:
    other = services.person_create(actor=system, first_name="Jef", phone="0470123456")
    services.person_give_login(actor=system, person_id=other.pk, username="jef", password=PASSWORD)
    client.post(LOGIN, {"username": "0470123456", "password": PASSWORD})
    assert _signed_in_as(client) is None
    client.post(LOGIN, {"username": "jef", "password": PASSWORD})  # the user name still works
    assert _signed_in_as(client) is not None


def test_anonymised_login_cannot_sign_in(client: Client, system: Actor, resident: Any) -> None:
    person = resident.people.get()
    services.person_anonymise(actor=system, person_id=person.pk)
    client.post(LOGIN, {"username": "0470123456", "password": PASSWORD})
    assert _signed_in_as(client) is None


# --- throttling (django-axes, the real settings) -------------------------------------------------


def test_login_is_locked_after_too_many_failures(client: Client, resident: Any) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit >= 3
    for _ in range(limit - 1):
        response = client.post(LOGIN, {"username": "marie", "password": "guess"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"username": "marie", "password": "guess"})
    assert response.status_code == 429

    response = client.post(LOGIN, {"username": "marie", "password": PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert 'role="alert"' in page
    with translation.override("nl"):
        assert escape(gettext("Too many attempts")) in page
    assert _signed_in_as(client) is None


def test_typing_the_login_differently_does_not_reset_the_budget(
    client: Client, resident: Any
) -> None:
    """User name in other case, phone in other formats: all count against one account."""
    spellings = [
        "marie",
        "MARIE",
        "0470123456",
        "0470 12 34 56",
        "+32 470 12 34 56",
        "0032470123456",
    ]
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": spellings[i % len(spellings)], "password": "guess"})
    response = client.post(LOGIN, {"username": "Marie", "password": PASSWORD})
    assert response.status_code == 429
    assert _signed_in_as(client) is None


def test_failures_below_the_limit_do_not_lock(client: Client, resident: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(LOGIN, {"username": "marie", "password": "guess"})
    response = client.post(LOGIN, {"username": "marie", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in_as(client) == resident.pk


def test_lockout_of_one_login_leaves_another_alone(
    client: Client, system: Actor, resident: Any
) -> None:
    other = services.person_create(actor=system, first_name="Jos")
    services.person_give_login(actor=system, person_id=other.pk, username="jos", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "marie", "password": "guess"})
    response = client.post(LOGIN, {"username": "jos", "password": PASSWORD})
    assert response.status_code == 302


# --- password reset by e-mail --------------------------------------------------------------------


def test_password_reset_by_email(client: Client, resident: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "marie@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marie@example.org"]
    match = re.search(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body

    response = client.get(match.group(1))
    assert response.status_code == 302  # Django swaps the token for a session marker
    set_url = response["Location"]
    response = client.get(set_url)
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()
    response = client.post(
        set_url, {"new_password1": "fresh-words-2025", "new_password2": "fresh-words-2025"}
    )
    assert response.status_code == 302

    resident.refresh_from_db()
    assert resident.check_password("fresh-words-2025")
    fresh = Client()
    fresh.post(LOGIN, {"username": "marie", "password": "fresh-words-2025"})
    assert _signed_in_as(fresh) == resident.pk
    # The link works once.
    assert client.get(match.group(1)).status_code == 200
    assert "new_password1" not in client.get(match.group(1)).content.decode()


def test_password_reset_for_unknown_email_sends_nothing(client: Client, resident: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer: no way to probe addresses
    assert mail.outbox == []


# --- password set by staff ----------------------------------------------------------------------


def test_staff_sets_password_through_the_page(
    resident: Any, system: Actor, login_client: Callable[..., Client]
) -> None:
    staff = login_client(system.community, "staff")
    person = resident.people.get()
    response = staff.post(
        f"/rabot/people/{person.pk}/password/", {"password": "counter-given-9876"}
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password("counter-given-9876")
    event = AuditEvent.objects.get(verb="login.password_reset")
    assert event.object_id == str(resident.pk)
    assert event.data == {}  # never the password


def test_staff_of_another_community_cannot_reset(
    resident: Any, other_system: Actor, make_login: Callable[..., Any]
) -> None:
    outsider_user = make_login(other_system.community, "staff")
    outsider = selectors.actor_for_user(user=outsider_user, community=other_system.community)
    assert outsider is not None
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(
            actor=outsider, user_id=resident.pk, password="stolen-account-123"
        )
    resident.refresh_from_db()
    assert not resident.check_password("stolen-account-123")
    assert resident.check_password(PASSWORD)


def test_staff_of_another_community_cannot_reset_through_the_page(
    resident: Any, other_system: Actor, login_client: Callable[..., Client]
) -> None:
    outsider = login_client(other_system.community, "staff")
    person = resident.people.get()
    for url in (
        f"/rabot/people/{person.pk}/password/",
        f"/heuvelwijk/people/{person.pk}/password/",
    ):
        response = outsider.post(url, {"password": "stolen-account-123"})
        assert response.status_code in (403, 404)
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


def test_volunteer_cannot_reset_passwords(
    resident: Any, system: Actor, login_client: Callable[..., Client]
) -> None:
    volunteer = login_client(system.community, "volunteer")
    person = resident.people.get()
    response = volunteer.post(
        f"/rabot/people/{person.pk}/password/", {"password": "volunteer-set-123"}
    )
    assert response.status_code == 403
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


# --- session and CSRF -----------------------------------------------------------------------------


def test_login_form_requires_csrf_token(resident: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "marie", "password": PASSWORD})
    assert response.status_code == 403
    assert _signed_in_as(strict) is None
    page = strict.get(LOGIN)
    token = page.cookies["csrftoken"].value
    response = strict.post(
        LOGIN, {"username": "marie", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_session_cookie_is_http_only_and_same_site(client: Client, resident: Any) -> None:
    client.post(LOGIN, {"username": "marie", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_logout_needs_post_and_ends_the_session(client: Client, resident: Any) -> None:
    client.post(LOGIN, {"username": "marie", "password": PASSWORD})
    assert client.get("/accounts/logout/").status_code == 405
    assert _signed_in_as(client) == resident.pk
    client.post("/accounts/logout/")
    assert _signed_in_as(client) is None


def _settings_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "BUURTKIT_DEMO",
            "BUURTKIT_HTTPS",
            "DJANGO_SETTINGS_MODULE",
            "DATABASE_URL",
        }
    }
    env["BUURTKIT_DATA_DIR"] = str(tmp_path)
    env.update(extra)
    return env


PRINT_SECURITY = (
    "import buurtkit.conf.settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
    "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, bool(s.SECRET_KEY))"
)


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_secret_key_is_required_outside_demo_and_debug(tmp_path: Path) -> None:
    result = _run("import buurtkit.conf.settings", _settings_env(tmp_path))
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_demo_and_debug_run_without_secret_key(tmp_path: Path) -> None:
    demo = _run(PRINT_SECURITY, _settings_env(tmp_path, BUURTKIT_DEMO="1"))
    assert demo.returncode == 0, demo.stderr
    # Demo runs over plain http on localhost, so cookies are not secure-only there.
    assert demo.stdout.split() == ["False", "False", "True", "Lax", "Lax", "True"]
    debug = _run("import buurtkit.conf.settings", _settings_env(tmp_path, DEBUG="1"))
    assert debug.returncode == 0, debug.stderr


def test_production_settings_use_secure_cookies(tmp_path: Path) -> None:
    result = _run(PRINT_SECURITY, _settings_env(tmp_path, SECRET_KEY="x" * 50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "Lax", "Lax", "True"]


def test_malformed_boolean_setting_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(
        "import buurtkit.conf.settings", _settings_env(tmp_path, SECRET_KEY="x" * 50, DEBUG="maybe")
    )
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
