"""The ``Record`` verb: its TwiML for Twilio (and the simulator), and where recordings are read.

No database: rendering and file checks are the same on every engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from buurtkit.telephony import simulator
from buurtkit.telephony.interface import Hangup, Record, Say
from buurtkit.telephony.providers.twilio import TwilioProvider
from buurtkit.telephony.providers.twiml import render_twiml

# Pure rendering and path checks: nothing engine-specific.
pytestmark = pytest.mark.engine_independent


def _step(step: str) -> str:
    return f"/telephony/voice/7/{step}?seq=3"


def test_record_renders_twilio_record_with_action_and_recording_status_callback() -> None:
    body, content_type = render_twiml(
        [
            Say("Spreek na de piep.", "nl"),
            Record(action="recorded", status="recording-status", max_length=90, timeout=4),
            Say("Geen bericht.", "nl"),
            Hangup(),
        ],
        _step,
    )
    assert content_type == "text/xml"
    root = ET.fromstring(body)  # noqa: S314 - our own TwiML
    assert [child.tag for child in root] == ["Say", "Record", "Say", "Hangup"]
    record = root.find("Record")
    assert record is not None
    assert record.attrib == {
        "action": "/telephony/voice/7/recorded?seq=3",
        "method": "POST",
        "maxLength": "90",
        "timeout": "4",
        "finishOnKey": "#",
        "playBeep": "true",
        "recordingStatusCallback": "/telephony/voice/7/recording-status?seq=3",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed",
    }


def test_record_without_status_asks_for_no_callback_and_checks_its_length() -> None:
    body, _type = render_twiml([Record(action="recorded")], _step)
    record = ET.fromstring(body).find("Record")  # noqa: S314
    assert record is not None and "recordingStatusCallback" not in record.attrib
    with pytest.raises(ValueError):
        Record(action="recorded", max_length=0)


def test_simulator_reads_only_its_own_recording_files(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    for bad in ("../secret_key", "RE" + "x" * 32, "RE" + "0" * 31 + "/"):
        with pytest.raises(LookupError):
            simulator.recording_file(bad)
    with pytest.raises(LookupError):  # well-formed, but never made
        simulator.recording_file("RE" + "0" * 32)


def test_twilio_recordings_are_fetched_only_from_twilios_api(settings: Any) -> None:
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    provider = TwilioProvider()
    for url in (
        "http://127.0.0.1:8000/secret",
        "https://api.twilio.com.evil.example/2010-04-01/Accounts/AC"
        + "1" * 32
        + "/Recordings/RE"
        + "2" * 32,
        "file:///etc/passwd",
    ):
        with pytest.raises(LookupError):
            provider.recording_audio(sid="RE" + "2" * 32, url=url)
