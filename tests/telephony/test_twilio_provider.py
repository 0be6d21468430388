"""The Twilio provider with the official package; requests recorded by a twilio HttpClient."""

from __future__ import annotations

import pytest

from buurtkit.telephony import interface, services
from buurtkit.telephony.interface import Conference, Gather, Hangup, Pause, Play, Redirect, Say
from buurtkit.telephony.models import Call, CallEvent, CallStatus
from buurtkit.telephony.providers.twilio import TwilioProvider

from .conftest import RecordingHttpClient, twiml


def test_place_call_builds_the_rest_request(community, make_call, settings):
    settings.PUBLIC_URL = "https://buurbel.example.org"
    call = make_call(
        community,
        provider="twilio",
        provider_sid="",
        status="queued",
        status_rank=0,
        machine_detection=True,
    )
    client = RecordingHttpClient()
    sid = TwilioProvider(http_client=client).place_call(call)
    assert sid == "CA" + "f" * 32
    assert len(client.requests) == 1
    request = client.requests[0]
    assert request["method"] == "POST"
    assert request["url"] == (
        f"https://api.twilio.com/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Calls.json"
    )
    assert request["auth"] == (settings.TWILIO_ACCOUNT_SID, "twilio-test-auth-token")
    data = request["data"]
    assert data["To"] == call.to_number
    assert data["From"] == call.from_number
    assert data["Url"] == f"https://buurbel.example.org/telephony/voice/{call.pk}/start?seq=0"
    assert data["StatusCallback"] == f"https://buurbel.example.org/telephony/status/{call.pk}"
    assert data["StatusCallbackMethod"] == "POST"
    assert data["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert data["MachineDetection"] == "Enable"


def test_place_call_needs_a_public_url(community, make_call, settings):
    settings.PUBLIC_URL = ""
    call = make_call(community, provider="twilio")
    with pytest.raises(RuntimeError):
        TwilioProvider(http_client=RecordingHttpClient()).place_call(call)


def test_the_http_client_never_retries_by_itself():
    provider = TwilioProvider()
    adapter = provider.http_client.session.get_adapter("https://api.twilio.com")
    assert adapter.max_retries.total == 0


@pytest.fixture
def recorded_twilio():
    client = RecordingHttpClient()
    with interface.PROVIDERS.override(
        "twilio-recorded", lambda: TwilioProvider(http_client=client)
    ):
        yield client


def test_call_is_written_before_the_provider_is_asked(
    community, actor, recorded_twilio, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "https://buurbel.example.org"
    with django_capture_on_commit_callbacks() as callbacks:
        call = services.call_create(
            actor=actor, to_number="0470 12 34 56", purpose="test", provider="twilio-recorded"
        )
        assert recorded_twilio.requests == []  # nothing is dialled inside the transaction
    assert len(callbacks) == 1
    call.refresh_from_db()
    assert call.status == CallStatus.QUEUED
    assert call.to_number == "+32470123456"
    assert call.line_kind == "mobile"
    callbacks[0]()  # the transaction committed: now the task dials
    call.refresh_from_db()
    assert len(recorded_twilio.requests) == 1
    assert call.provider_sid == "CA" + "f" * 32
    assert call.status == CallStatus.INITIATED
    # Dialling the same call again (a task run twice) does not ring twice.
    services.call_dial(call_id=call.pk)
    assert len(recorded_twilio.requests) == 1


def test_a_failed_request_marks_the_call_failed_and_is_not_retried(community, make_call, settings):
    settings.PUBLIC_URL = "https://buurbel.example.org"
    client = RecordingHttpClient(fail=True)
    with interface.PROVIDERS.override("twilio-down", lambda: TwilioProvider(http_client=client)):
        call = make_call(
            community, provider="twilio-down", provider_sid="", status="queued", status_rank=0
        )
        services.call_dial(call_id=call.pk)
        services.call_dial(call_id=call.pk)
    call.refresh_from_db()
    assert len(client.requests) == 1
    assert call.status == CallStatus.FAILED
    assert call.error
    assert CallEvent.objects.filter(call=call, kind="dial", status="failed").count() == 1


def test_render_neutral_verbs_as_twiml():
    verbs = [
        Say("Dag", "nl"),
        Play("https://example.org/a.mp3"),
        Pause(2),
        Gather(prompt=(Say("Druk 1", "nl"),), action="menu", num_digits=1, timeout=10),
        Redirect("again"),
        Conference("pair-7"),
        Hangup(),
    ]
    body, content_type = TwilioProvider(http_client=RecordingHttpClient()).render(
        verbs, lambda step: f"/telephony/voice/1/{step}?seq=3"
    )
    assert content_type == "text/xml"
    root = twiml(body)
    assert [child.tag for child in root] == [
        "Say",
        "Play",
        "Pause",
        "Gather",
        "Redirect",
        "Dial",
        "Hangup",
    ]
    assert root.find("Say").get("language") == "nl-NL"
    gather = root.find("Gather")
    assert gather.get("action") == "/telephony/voice/1/menu?seq=3"
    assert gather.get("timeout") == "10"
    assert root.find("Dial/Conference").text == "pair-7"


def test_gather_timeout_is_eight_to_ten_seconds():
    with pytest.raises(ValueError):
        Gather(prompt=(), action="x", timeout=5)
    with pytest.raises(ValueError):
        Gather(prompt=(), action="x", timeout=11)


def test_provider_registry_follows_the_setting(settings):
    settings.TELEPHONY_PROVIDER = "twilio"
    assert interface.get_provider().name == "twilio"
    settings.TELEPHONY_PROVIDER = "simulator"
    assert interface.get_provider().name == "simulator"
    settings.TELEPHONY_PROVIDER = "nope"
    with pytest.raises(RuntimeError):
        interface.get_provider()


def test_twilio_sends_sms_through_messaging(settings):
    client = RecordingHttpClient(reply={"sid": "SM" + "1" * 32, "status": "queued"})
    result = TwilioProvider(http_client=client).send_sms(to="+32470123456", body="Code 1234")
    assert result.provider_id == "SM" + "1" * 32
    assert client.requests[0]["url"].endswith("/Messages.json")
    assert client.requests[0]["data"]["Body"] == "Code 1234"
    assert client.requests[0]["data"]["From"] == settings.TWILIO_FROM_NUMBER


def test_invalid_numbers_are_refused(actor):
    from buurtkit.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.call_create(actor=actor, to_number="12", purpose="test")
    assert not Call.objects.exists()
