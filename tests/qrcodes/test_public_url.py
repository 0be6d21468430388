"""Issue 17 item 7: without BUURTKIT_PUBLIC_URL, `buurtkit serve` prints no codes and places no
calls (they would point nowhere), and says which variable to set; the demo derives it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.public_url import PublicUrlMissing
from buurtkit.qrcodes.models import Code
from buurtkit.telephony import services as telephony
from buurtkit.telephony.models import Call

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def unconfigured(settings: Any) -> Any:
    """The settings `buurtkit serve` runs with when nobody set the public address."""
    settings.PUBLIC_URL = ""
    settings.PUBLIC_URL_REQUIRED = True
    return settings


def test_serve_refuses_to_print_a_code_and_names_the_variable(
    unconfigured: Any, community: Community, bench_code: Code, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    response = client.get(f"/rabot/qr/codes/{bench_code.pk}/download.pdf", **EN)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "BUURTKIT_PUBLIC_URL" in response.content.decode()
    # The code's page still opens (routes can be edited); it says why there is no QR.
    page = client.get(f"/rabot/qr/codes/{bench_code.pk}/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "BUURTKIT_PUBLIC_URL" in html and 'class="qr"' not in html
    assert "LOCALHOST" not in html


def test_serve_prints_once_the_public_url_is_set(
    unconfigured: Any, community: Community, bench_code: Code, login_client: Callable[..., Client]
) -> None:
    unconfigured.PUBLIC_URL = "https://buurt.example.be"
    client = login_client(community, "coordinator")
    response = client.get(f"/rabot/qr/codes/{bench_code.pk}/download.svg", **EN)
    assert response.status_code == 200
    assert f"HTTPS://BUURT.EXAMPLE.BE/Q/{bench_code.code}" in response.content.decode()


def test_serve_refuses_to_place_a_call_and_writes_nothing(unconfigured: Any, system: Actor) -> None:
    with pytest.raises(PublicUrlMissing) as refused:
        telephony.call_create(actor=system, to_number="+32470123456", purpose="test")
    assert "BUURTKIT_PUBLIC_URL" in str(refused.value.detail)
    assert not Call.objects.exists()


def _setting(extra_env: dict[str, str]) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "BUURTKIT_DEMO", "BUURTKIT_PUBLIC_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="buurtkit.conf.settings", **extra_env)
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.PUBLIC_URL_REQUIRED)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_production_settings_require_it_the_demo_does_not() -> None:
    assert _setting({}) == "True"  # buurtkit serve / worker
    assert _setting({"BUURTKIT_DEMO": "1"}) == "False"  # the demo derives its own
