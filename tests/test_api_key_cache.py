"""A web process trusts an API key it checked for API_KEY_CACHE_SECONDS; revoking is at once in
the revoking process and within that time in the others."""

from __future__ import annotations

from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.people import selectors, services
from buurtkit.people.models import ApiKey


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    selectors.forget_api_keys()
    yield
    selectors.forget_api_keys()


@pytest.fixture
def key(community: Any) -> tuple[ApiKey, str]:
    system = Actor.system(community, label="test")
    return services.apikey_create(actor=system, name="script", roles=["staff"])


def test_a_checked_key_is_not_read_again_within_the_cache_time(key, django_assert_num_queries):
    _row, raw = key
    assert selectors.actor_for_api_key(raw) is not None
    with django_assert_num_queries(0):
        actor = selectors.actor_for_api_key(raw)
    assert actor is not None and actor.channel == "api"
    # a wrong key with the same prefix is never served from the cache
    assert selectors.actor_for_api_key(raw[:-1] + ("x" if raw[-1] != "x" else "y")) is None


def test_revoking_refuses_the_key_at_once_in_this_process(key, community):
    row, raw = key
    assert selectors.actor_for_api_key(raw) is not None
    services.apikey_revoke(actor=Actor.system(community, label="test"), apikey_id=row.pk)
    assert selectors.actor_for_api_key(raw) is None


def test_another_process_revoking_is_seen_within_the_cache_time(key, monkeypatch, settings):
    row, raw = key
    settings.API_KEY_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    assert selectors.actor_for_api_key(raw) is not None
    ApiKey.objects.filter(pk=row.pk).update(revoked_at="2026-11-24T10:00:00Z")  # elsewhere
    clock[0] += 4.9
    assert selectors.actor_for_api_key(raw) is not None
    clock[0] += 0.2
    assert selectors.actor_for_api_key(raw) is None


def test_no_cache_when_the_time_is_zero(key, settings, django_assert_num_queries):
    _row, raw = key
    settings.API_KEY_CACHE_SECONDS = 0
    selectors.actor_for_api_key(raw)
    with django_assert_num_queries(1):
        assert selectors.actor_for_api_key(raw) is not None
