from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings


def test_healthz_answers_without_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok_when_database_reachable(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_503_when_database_fails(client: Client, monkeypatch: Any) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_503_when_redis_unreachable(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.mark.django_db
def test_readyz_checks_real_redis(client: Client, redis_url: str) -> None:
    with override_settings(REDIS_URL=redis_url):
        response = client.get("/readyz")
    assert response.json()["checks"]["redis"] == "ok"
    assert response.status_code == 200


@pytest.mark.django_db
def test_api_errors_outside_endpoints_are_json(client: Client) -> None:
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    wrong_method = client.delete("/api/v1/people")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]
