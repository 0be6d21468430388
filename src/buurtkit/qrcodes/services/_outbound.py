"""Sending to webhooks safely: which addresses are allowed, the signature, an opener without redirects."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.qrcodes.actions import clean_url
from buurtkit.qrcodes.services._rules import _invalid

WEBHOOK_TIMEOUT = 5.0


def check_webhook_url(url: str) -> str:
    """Only http(s); no private, loopback or link-local addresses unless the install allows them."""
    url = clean_url(url)
    if url.startswith("/"):
        raise _invalid("url", _("Give a full address (https://…)."))
    host = urlsplit(url).hostname or ""
    if getattr(settings, "QR_WEBHOOK_ALLOW_PRIVATE", False):
        return url
    for address in _addresses(host):
        if not address.is_global or address.is_multicast:
            raise _invalid(
                "url", _("This address points inside the network; webhooks may not go there.")
            )
    return url


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []  # checked again when delivering
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Buurtkit-Signature``: ``sha256=`` HMAC of ``timestamp.body`` with the webhook secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=30 * 4 ** max(attempts - 1, 0))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead into the private network


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)
