from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from buurtkit.core.models import Community
from buurtkit.people.models import ApiKey, Membership
from buurtkit.people.services import hash_api_key


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_community_create_grant_and_list() -> None:
    run(
        "community",
        "create",
        "--name",
        "Heuvelpoort",
        "--slug",
        "heuvelpoort",
        "--modules",
        "ledger",
    )
    community = Community.objects.get(slug="heuvelpoort")
    assert community.enabled_modules == ["ledger"]
    get_user_model().objects.create_user(username="anna", password="x-long-password")
    run(
        "community", "grant", "--slug", "heuvelpoort", "--username", "anna", "--role", "coordinator"
    )
    assert Membership.objects.get(user__username="anna").roles == ["coordinator"]
    assert "heuvelpoort" in run("community", "list")


@pytest.mark.django_db
def test_community_create_refuses_bad_input_clearly() -> None:
    with pytest.raises(CommandError, match="casino"):
        run("community", "create", "--name", "X", "--slug", "x", "--modules", "casino")
    with pytest.raises(CommandError) as reserved:
        run("community", "create", "--name", "X", "--slug", "api")
    assert "slug" not in str(reserved.value)  # said once, not repeated per field
    assert not Community.objects.exists()


def test_apikey_command_prints_a_working_key_once(community: Any, client: Any) -> None:
    raw = run("apikey", "--community", "rabot", "--role", "staff").strip()
    key = ApiKey.objects.get()
    assert key.key_hash == hash_api_key(raw) and raw not in key.key_hash
    response = client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_apikey_command_unknown_community() -> None:
    with pytest.raises(CommandError, match="nope"):
        run("apikey", "--community", "nope", "--role", "staff")
