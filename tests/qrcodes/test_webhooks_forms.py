"""Forms behind codes (answers validated per field, rate-limited) and signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Delivery, Submission
from buurtkit.qrcodes.services.webhooks import _delivery

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) Mobile Safari/537.36"
FIELDS = [
    {
        "key": "what",
        "type": "choice",
        "label": {"nl": "Wat is er?", "en": "What is wrong?"},
        "required": True,
        "choices": [{"nl": "Kapot", "en": "Broken"}, {"nl": "Vuil", "en": "Dirty"}],
    },
    {"key": "bags", "type": "number", "label": {"en": "Bags used"}, "min": 0, "max": 50},
    {"key": "phone", "type": "phone", "label": {"en": "Phone"}},
    {"key": "email", "type": "email", "label": {"en": "E-mail"}},
    {"key": "day", "type": "date", "label": {"en": "Day"}},
    {"key": "ok", "type": "checkbox", "label": {"en": "I agree"}, "required": True},
    {"key": "note", "type": "text", "label": {"en": "Note"}},
]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200


@pytest.fixture
def receiver(settings: Any) -> Iterator[tuple[Receiver, str]]:
    settings.QR_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((dict(self.headers), body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture
def report_code(system: Actor) -> Any:
    form = services.form_create(actor=system, title={"nl": "Meld een probleem"}, fields=FIELDS)
    code = services.code_create(
        actor=system, title="Bank", routes=[{"action": "form", "params": {"form": form.pk}}]
    )
    return form, code


def test_form_answers_are_stored(client: Client, report_code: Any) -> None:
    form, code = report_code
    page = client.get(f"/q/{code.code}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "What is wrong?" in page.content.decode()
    response = client.post(
        f"/q/{code.code}",
        {"what": "1", "bags": "3", "phone": "0470 12 34 56", "day": "2026-11-20", "ok": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    answer = Submission.objects.get()
    assert answer.code == code and answer.form == form
    assert answer.data == {
        "what": "Vuil",
        "bags": 3,
        "phone": "+32470123456",
        "day": "2026-11-20",
        "ok": True,
    }


def test_wrong_answers_get_an_error_per_field_and_keep_what_was_typed(
    client: Client, report_code: Any
) -> None:
    _form, code = report_code
    response = client.post(
        f"/q/{code.code}",
        {"bags": "99", "phone": "12", "email": "not-an-address", "note": "bij de vijver"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    html = response.content.decode()
    for message in [
        "Fill this in.",
        "The largest number allowed is 50.",
        "This is not a phone number we can call.",
        "This is not an e-mail address.",
        "Tick this box to go on.",
    ]:
        assert message in html
    assert 'value="bij de vijver"' in html
    assert Submission.objects.count() == 0


def test_form_posts_are_rate_limited(client: Client, report_code: Any) -> None:
    _form, code = report_code
    answers = {"what": "0", "ok": "1"}
    statuses = [client.post(f"/q/{code.code}", answers).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    assert Submission.objects.count() == 10


def test_bad_form_definitions_are_refused(system: Actor) -> None:
    with pytest.raises(ValidationFailed):
        services.form_create(actor=system, title={"nl": "x"}, fields=[{"type": "colour"}])
    with pytest.raises(ValidationFailed):
        services.form_create(
            actor=system,
            title={"nl": "x"},
            fields=[{"type": "choice", "label": {"nl": "a"}, "choices": [{"nl": "enkel"}]}],
        )


def test_webhook_to_a_private_address_is_refused_by_default(system: Actor) -> None:
    for url in [
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
    ]:
        with pytest.raises(ValidationFailed):
            services.webhook_create(actor=system, name="intern", url=url)


def test_scan_is_posted_signed_in_the_background(
    client: Client,
    system: Actor,
    receiver: tuple[Receiver, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    state, url = receiver
    hook, secret = services.webhook_create(actor=system, name="Vuilbak", url=url)
    assert secret.startswith("whsec_") and len(secret) > 30
    code = services.code_create(
        actor=system,
        title="Vuilbak 12",
        routes=[
            {"action": "webhook", "params": {"webhook": hook.pk, "message": {"nl": "Bedankt!"}}}
        ],
    )
    # A link preview (a bot) does not trigger the webhook; a person's phone does.
    client.get(f"/q/{code.code}", HTTP_USER_AGENT="WhatsApp/2.23")
    assert Delivery.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/q/{code.code}", HTTP_USER_AGENT=PHONE)
    assert response.status_code == 200 and "Bedankt!" in response.content.decode()
    headers, body = state.requests[0]
    expected = hmac.new(
        secret.encode(), headers["X-Buurtkit-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Buurtkit-Signature"] == "sha256=" + expected
    payload = json.loads(body)
    assert payload["event"] == "scan" and payload["data"]["code"] == code.code
    assert Delivery.objects.get().status == "delivered"


def test_failed_delivery_is_retried_and_then_given_up(
    system: Actor, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.status = 500
    hook, _secret = services.webhook_create(actor=system, name="Stuk", url=url)
    delivery = _delivery(system.community, hook, "scan", {"code": "X"})
    for attempt in range(1, services.WEBHOOK_ATTEMPTS + 1):
        delivery = services.delivery_attempt(delivery_id=delivery.pk)
        assert delivery.attempts == attempt
    assert delivery.status == "failed" and delivery.response_status == 500
    assert len(state.requests) == services.WEBHOOK_ATTEMPTS
    # A delivery that has given up is not sent again.
    services.delivery_attempt(delivery_id=delivery.pk)
    assert len(state.requests) == services.WEBHOOK_ATTEMPTS


def test_submission_goes_to_the_forms_webhook(
    client: Client,
    system: Actor,
    receiver: tuple[Receiver, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    state, url = receiver
    hook, _secret = services.webhook_create(actor=system, name="Werkbon", url=url)
    form = services.form_create(
        actor=system,
        title={"nl": "Dagverslag"},
        fields=[{"key": "bags", "type": "number", "label": {"nl": "Zakken"}, "required": True}],
        webhook_id=hook.pk,
    )
    code = services.code_create(
        actor=system, routes=[{"action": "form", "params": {"form": form.pk}}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/q/{code.code}", {"bags": "4"}).status_code == 200
    payload = json.loads(state.requests[0][1])
    assert payload["event"] == "submission" and payload["data"]["answers"] == {"bags": 4}
