"""Sending to webhooks safely: which addresses are allowed, the signature, a pinned connection.

A webhook's host name is looked up once per delivery; every address it gives must be public
(not loopback, private, link-local, multicast, reserved, shared or unspecified, also when an
IPv4 address hides inside an IPv6 one), and the request then goes to the address that was
checked. The HTTP client never looks the name up again, so a name whose DNS answer changes
between the check and the connection (DNS rebinding) cannot lead into the private network. The
``Host`` header, TLS SNI and the certificate check still use the name. Redirects are not
followed (a redirect could lead anywhere).

``QR_WEBHOOK_ALLOW_PRIVATE`` (off by default; tests and local set-ups) allows private
addresses; the connection is pinned all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.qrcodes.actions import clean_url
from buurtkit.qrcodes.services._rules import _invalid

WEBHOOK_TIMEOUT = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Looks a host name up: ``(host, port) -> addresses`` (tests pass their own).
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    """An address anyone on the internet reaches, and nothing of ours."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_private
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_reserved
        and not address.is_unspecified
    )


@dataclass(frozen=True)
class WebhookTarget:
    """Where a webhook's POST goes: the URL as written and the address it was checked at."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _private_refused() -> Exception:
    return _invalid("url", _("This address points inside the network; webhooks may not go there."))


def resolve_webhook_url(url: str, *, resolve: Resolver | None = None) -> WebhookTarget:
    """Check ``url`` and look its host up once; the :class:`WebhookTarget` says where to connect."""
    url = clean_url(url)
    if url.startswith("/"):
        raise _invalid("url", _("Give a full address (https://…)."))
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _invalid("url", _("This address has a wrong port number.")) from None
    allow_private = getattr(settings, "QR_WEBHOOK_ALLOW_PRIVATE", False)
    if not allow_private and (host == "localhost" or host.endswith((".localhost", ".local"))):
        raise _private_refused()
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = (resolve or system_resolver)(host, port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            raise _invalid(
                "url", _("This address cannot be found. Check the name after https://.")
            ) from None
    if not allow_private and not all(is_public(a) for a in addresses):
        raise _private_refused()
    return WebhookTarget(
        url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0])
    )


def check_webhook_url(url: str, *, resolve: Resolver | None = None) -> str:
    """Only http(s) to a name that resolves to public addresses (unless the install allows
    private ones); returns the URL to store."""
    return resolve_webhook_url(url, resolve=resolve).url


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``address``, with ``Host`` the name from the URL."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address``; SNI and the certificate check use the name from the URL."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.pinned_address = address
        self.tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def post_pinned(
    target: WebhookTarget,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float = WEBHOOK_TIMEOUT,
    tls_context: ssl.SSLContext | None = None,
) -> int:
    """POST ``body`` to the checked address of ``target``; returns the HTTP status."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target.host,
            target.port,
            address=target.address,
            timeout=timeout,
            context=tls_context or ssl.create_default_context(),
        )
    else:
        connection = _PinnedHTTPConnection(
            target.host, target.port, address=target.address, timeout=timeout
        )
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Buurtkit-Signature``: ``sha256=`` HMAC of ``timestamp.body`` with the webhook secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=30 * 4 ** max(attempts - 1, 0))
