"""``BUURTKIT_BEHIND_PROXY``: X-Forwarded-* believed from the load balancer only."""

from __future__ import annotations

from typing import Any

from buurtkit.conf.proxy import TrustedProxyHeaders


def _seen(environ: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(env)
        return [b""]

    TrustedProxyHeaders(app, "10.0.0.2")(environ, lambda *a: None)
    return seen


FORWARDED = {
    "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "buurtkit.example.org",
}


def test_from_the_proxy_the_client_address_is_the_one_it_added_last() -> None:
    seen = _seen({"REMOTE_ADDR": "10.0.0.2", **FORWARDED})
    # The first entry is whatever the client sent; the last is what the proxy saw.
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "https"
    assert seen["HTTP_X_FORWARDED_HOST"] == "buurtkit.example.org"


def test_from_anyone_else_the_headers_are_removed() -> None:
    seen = _seen({"REMOTE_ADDR": "198.51.100.9", **FORWARDED})
    assert seen["REMOTE_ADDR"] == "198.51.100.9"
    assert not any(name in seen for name in FORWARDED)


def test_from_the_proxy_without_a_forwarded_address_nothing_changes() -> None:
    assert _seen({"REMOTE_ADDR": "10.0.0.2"})["REMOTE_ADDR"] == "10.0.0.2"
