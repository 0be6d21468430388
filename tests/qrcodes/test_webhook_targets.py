"""Webhook targets (issue 18, item 6): names must resolve to public addresses, and a delivery
connects to the address it checked, so DNS rebinding cannot reach the private network.

The look-up is injected (``resolve=``); the HTTP requests are real, to real local listeners.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Delivery, Webhook
from buurtkit.qrcodes.services._outbound import WebhookTarget, post_pinned
from buurtkit.qrcodes.services.webhooks import _delivery

PUBLIC = "93.184.215.14"
NAME = "hooks.example.test"


class Resolver:
    """Answers from a script, one answer per call (the last one repeats); counts the calls."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class Listener:
    address: str
    port: int
    requests: list[dict[str, str]] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)


@pytest.fixture
def listen() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> Listener:
        state = Listener(address, port)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                state.requests.append(dict(self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((address, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: state.server_names.append(name)
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        state.port = server.server_address[1]
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _create(system: Actor, url: str, resolver: Resolver) -> Webhook:
    hook, _secret = services.webhook_create(actor=system, name="Werkbon", url=url, resolve=resolver)
    return hook


# --- checking the address -------------------------------------------------------------------------


def test_private_addresses_are_allowed_only_when_switched_on() -> None:
    assert django_settings.QR_WEBHOOK_ALLOW_PRIVATE is False  # the default, also in tests


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost./",
        "https://LOCALHOST/",
        "https://api.localhost/",
        "https://printer.local/",
    ],
)
def test_local_names_are_refused(system: Actor, url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(system, url, Resolver([PUBLIC]))
    assert "url" in refused.value.fields


def test_a_name_that_does_not_resolve_is_refused(system: Actor) -> None:
    for answer in (socket.gaierror(socket.EAI_NONAME, "not known"), []):
        with pytest.raises(ValidationFailed) as refused:
            _create(system, f"https://{NAME}/in", Resolver(answer))
        assert "cannot be found" in refused.value.fields["url"]
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",  # noqa: S104 - an answer to refuse, nothing binds to it
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped IPv6
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "2001:db8::1",
    ],
)
@pytest.mark.engine_independent  # no database: the check alone
def test_names_resolving_to_a_non_public_address_are_refused(address: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.check_webhook_url(f"https://{NAME}/in", resolve=Resolver([PUBLIC, address]))
    assert "inside the network" in refused.value.fields["url"]
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(ValidationFailed):
        services.check_webhook_url(
            f"https://{literal}/in", resolve=Resolver(AssertionError("no look-up"))
        )


def test_a_refused_webhook_is_not_saved(system: Actor) -> None:
    with pytest.raises(ValidationFailed):
        _create(system, f"https://{NAME}/in", Resolver(["::ffff:127.0.0.1"]))
    assert Webhook.objects.count() == 0


def test_a_name_resolving_to_public_addresses_is_kept(system: Actor) -> None:
    resolver = Resolver([PUBLIC, "2606:4700:4700::1111"])
    hook = _create(system, f"https://{NAME}/in?x=1", resolver)
    assert hook.url == f"https://{NAME}/in?x=1" and resolver.calls == [NAME]


# --- delivering: one look-up, the connection pinned to the checked address ------------------------


def test_delivery_connects_to_the_address_it_checked(
    system: Actor, listen: Any, settings: Any
) -> None:
    """The name answers 127.0.0.1 once and 127.0.0.2 afterwards: the POST reaches the first."""
    settings.QR_WEBHOOK_ALLOW_PRIVATE = True  # both listeners are on loopback
    first = listen("127.0.0.1")
    second = listen("127.0.0.2", first.port)
    hook = _create(system, f"http://{NAME}:{first.port}/in", Resolver(["127.0.0.1"]))
    delivery = _delivery(system.community, hook, "scan", {"code": "X"})
    resolver = Resolver(["127.0.0.1"], ["127.0.0.2"])
    delivery = services.delivery_attempt(delivery_id=delivery.pk, resolve=resolver)
    assert delivery.status == "delivered", delivery.last_error
    assert resolver.calls == [NAME]  # looked up once; the HTTP client never asks again
    assert len(first.requests) == 1 and second.requests == []
    assert first.requests[0]["Host"] == f"{NAME}:{first.port}"  # the name, not the address


def test_a_name_rebound_to_a_private_address_is_not_delivered(system: Actor, listen: Any) -> None:
    """Public when the webhook was saved, 127.0.0.1 when delivering: nothing is sent."""
    inside = listen("127.0.0.1")
    hook = _create(system, f"http://{NAME}:{inside.port}/in", Resolver([PUBLIC]))
    delivery = _delivery(system.community, hook, "scan", {"code": "X"})
    resolver = Resolver(["127.0.0.1"])
    delivery = services.delivery_attempt(delivery_id=delivery.pk, resolve=resolver)
    assert delivery.status == "pending" and delivery.response_status is None
    assert "inside the network" in delivery.last_error
    assert inside.requests == [] and resolver.calls == [NAME]
    assert Delivery.objects.get().attempts == 1


# --- HTTPS: SNI and the certificate are checked for the name, not the address ---------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for NAME, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={NAME}",
            "-addext",
            f"subjectAltName=DNS:{NAME}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_is_pinned_and_verified_for_the_name(
    listen: Any, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server = listen("127.0.0.1", tls=server_tls)
    client_tls = ssl.create_default_context(cafile=str(cert))
    url = f"https://{NAME}:{server.port}/in"
    target = WebhookTarget(
        url=url, scheme="https", host=NAME, port=server.port, address="127.0.0.1"
    )
    status = post_pinned(
        target, b"{}", {"Content-Type": "application/json"}, tls_context=client_tls
    )
    assert status == 204
    assert server.server_names == [NAME]  # SNI carries the name
    assert server.requests[0]["Host"] == f"{NAME}:{server.port}"
    # The same address under another name: the certificate does not match, nothing is sent.
    other = WebhookTarget(
        url=url, scheme="https", host="other.example.test", port=server.port, address="127.0.0.1"
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        post_pinned(other, b"{}", {}, tls_context=client_tls)
    assert len(server.requests) == 1
