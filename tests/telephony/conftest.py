"""Telephony fixtures: signed webhook posts, a recording Twilio HTTP client, scripted residents."""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from twilio.http import HttpClient
from twilio.http.response import Response

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call, CallStatus, Direction
from buurtkit.telephony.simulator import sign, simulator_token


@pytest.fixture(autouse=True)
def _telephony_settings(settings: Any) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = ""
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "twilio-test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    saved = dict(simulator.RESIDENTS)
    yield
    simulator.RESIDENTS.clear()
    simulator.RESIDENTS.update(saved)


@pytest.fixture
def make_call(db: Any) -> Callable[..., Call]:
    """A call row as ``call_create`` leaves it (no dialling: tests drive the webhooks)."""

    def make(community: Community, **fields: Any) -> Call:
        from buurtkit.core import clock

        values: dict[str, Any] = {
            "direction": Direction.OUT,
            "from_number": "+3293001122",
            "to_number": "+32470123456",
            "line_kind": "mobile",
            "language": "en",
            "provider": "simulator",
            "provider_sid": "CA" + "a" * 32,
            "purpose": "test",
            "status": CallStatus.INITIATED,
            "status_rank": 1,
            "flow_state": {"seq": 0},
            "created_at": clock.now(),
        }
        values.update(fields)
        return Call.objects.create(community=community, **values)

    return make


@pytest.fixture
def signed_post() -> Callable[..., Any]:
    """POST ``params`` to ``path`` signed like Twilio signs (on ``base`` + path + query)."""

    def post(
        path: str,
        params: dict[str, str],
        *,
        token: str | None = None,
        base: str = "http://testserver",
        signature: str | None = None,
    ) -> Any:
        sig = signature if signature is not None else sign(base + path, params, token)
        return Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=sig, HTTP_ACCEPT_LANGUAGE="en")

    return post


@pytest.fixture
def sim_token() -> str:
    return simulator_token()


class RecordingHttpClient(HttpClient):
    """Twilio's own extension point: records each request and answers with a canned reply."""

    def __init__(self, reply: dict[str, Any] | None = None, fail: bool = False) -> None:
        super().__init__(logging.getLogger("test.twilio"), False, None)
        self.requests: list[dict[str, Any]] = []
        self.reply = reply or {"sid": "CA" + "f" * 32, "status": "queued"}
        self.fail = fail

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append(
            {"method": method, "url": url, "data": data or {}, "auth": auth, "headers": headers}
        )
        if self.fail:
            return Response(500, json.dumps({"code": 20500, "message": "down", "status": 500}))
        return Response(201, json.dumps(self.reply))


@pytest.fixture
def recording_client() -> RecordingHttpClient:
    return RecordingHttpClient()


@pytest.fixture
def sim_live(live_server: Any, settings: Any) -> str:
    """The simulator drives a real HTTP server; webhooks are signed on its URL."""
    settings.PUBLIC_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def actor(community: Community) -> Actor:
    return Actor.system(community, label="test")


def twiml(body: str | bytes) -> ET.Element:
    """Parse a TwiML answer from our own server."""
    return ET.fromstring(body)  # noqa: S314 - our own answers
