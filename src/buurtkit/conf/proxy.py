"""X-Forwarded-* headers believed only from the load balancer (``BUURTKIT_BEHIND_PROXY``).

Behind a reverse proxy every request comes from the proxy's address. The proxy says who the
client was in ``X-Forwarded-For`` (it appends the address it saw, so the last entry is the one
to trust), and how and where it was reached in ``X-Forwarded-Proto`` and ``X-Forwarded-Host``
(Django reads those two, see ``SECURE_PROXY_SSL_HEADER`` and ``USE_X_FORWARDED_HOST``). From
any other address these headers are made up by the client: they are removed, so the login
lock-out counts real addresses and nobody can pose as https.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


class TrustedProxyHeaders:
    """WSGI middleware: the client's address from a trusted proxy, no forged headers."""

    def __init__(self, app: Callable[..., Iterable[bytes]], trusted: str) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REMOTE_ADDR") == self.trusted:
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
            client = forwarded_for.rsplit(",", 1)[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
        else:
            for name in FORWARDED:
                environ.pop(name, None)
        return self.app(environ, start_response)
