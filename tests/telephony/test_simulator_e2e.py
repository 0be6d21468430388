"""The ``test`` flow end to end: the simulator phones over real HTTP (live_server), with signed
webhooks, through ``call_create`` → dial task → simulator → voice/status webhooks."""

from __future__ import annotations

import math

import pytest

from buurtkit.telephony import services, simulator
from buurtkit.telephony.models import AnsweredBy, Call, CallEvent, CallStatus
from buurtkit.telephony.simulator import SCRIPTS, Script, SimulatorError

MOBILE = "+32470123450"
LANDLINE = "+3292345670"


def _place(actor, number, script, **options):
    simulator.RESIDENTS[number] = script
    call = services.call_create(
        actor=actor, to_number=number, purpose="test", language="en", **options
    )
    call.refresh_from_db()
    return call


def _steps(call):
    return list(
        CallEvent.objects.filter(call=call, kind="voice")
        .order_by("id")
        .values_list("step", flat=True)
    )


def test_answers_and_presses_2(sim_live, actor):
    call = _place(actor, MOBILE, SCRIPTS["presses-2"], machine_detection=True)
    assert call.status == CallStatus.COMPLETED
    assert call.answered_by == AnsweredBy.HUMAN
    assert call.provider == "simulator"
    assert call.provider_sid.startswith("CA")
    assert _steps(call) == ["start", "pressed"]
    assert call.flow_state["pressed"] == "2"
    last = CallEvent.objects.filter(call=call, step="pressed").get()
    assert "You pressed 2" in last.response
    assert last.digits == "2"
    assert call.duration_seconds > 0
    assert call.started_at and call.answered_at and call.ended_at
    # Mobile: started minutes × $0.03, plus answering machine detection $0.0075.
    assert call.price_micros == math.ceil(call.duration_seconds / 60) * 30_000 + 7_500
    statuses = list(
        CallEvent.objects.filter(call=call, kind="status").values_list("status", flat=True)
    )
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]


def test_stays_silent(sim_live, actor):
    call = _place(actor, LANDLINE, SCRIPTS["silent"])
    assert call.status == CallStatus.COMPLETED
    assert _steps(call) == ["start", "silent"]
    assert call.flow_state["outcome"] == "silent"
    assert "pressed" not in call.flow_state
    # The 8 s input timeout was waited out before the goodbye.
    assert call.duration_seconds >= 8
    assert call.price_micros == math.ceil(call.duration_seconds / 60) * 60_000


def test_does_not_answer(sim_live, actor):
    call = _place(actor, MOBILE, SCRIPTS["no-answer"])
    assert call.status == CallStatus.NO_ANSWER
    assert _steps(call) == []
    assert call.answered_at is None
    assert call.duration_seconds == 0
    assert call.price_micros == 0


def test_busy(sim_live, actor):
    call = _place(actor, MOBILE, SCRIPTS["busy"])
    assert call.status == CallStatus.BUSY
    assert call.price_micros == 0


def test_voicemail(sim_live, actor):
    call = _place(actor, MOBILE, SCRIPTS["voicemail"], machine_detection=True)
    assert call.status == CallStatus.COMPLETED
    assert call.answered_by == AnsweredBy.MACHINE
    assert _steps(call) == ["start"]
    assert call.flow_state["outcome"] == "voicemail"
    assert "Goodbye" in CallEvent.objects.get(call=call, kind="voice").response


def test_hangs_up_mid_menu(sim_live, actor):
    call = _place(actor, MOBILE, SCRIPTS["hangs-up"])
    assert call.status == CallStatus.COMPLETED
    assert _steps(call) == ["start"]
    assert "outcome" not in call.flow_state
    assert 0 < call.duration_seconds < 10


def test_status_callbacks_out_of_order_over_http(sim_live, actor):
    call = _place(actor, MOBILE, Script(keys=("1",), out_of_order=True))
    assert call.status == CallStatus.COMPLETED
    applied = list(
        CallEvent.objects.filter(call=call, kind="status")
        .order_by("id")
        .values_list("status", "applied")
    )
    assert applied == [
        ("completed", True),
        ("in-progress", False),
        ("ringing", False),
        ("initiated", False),
    ]
    assert call.answered_at is not None
    assert call.price_micros == math.ceil(call.duration_seconds / 60) * 30_000


def test_a_script_runs_synchronously_and_reports_what_it_heard(sim_live, actor, make_call):
    call = make_call(actor.community, to_number=LANDLINE, line_kind="local")
    result = simulator.run_call(call_id=call.pk, script=SCRIPTS["presses-1"], base_url=sim_live)
    assert result.status == "completed"
    assert result.digits == ["1"]
    assert any("Press 1 or 2" in text for text in result.said)
    assert any("You pressed 1" in text for text in result.said)
    assert all(status in (200, 204) for _path, status in result.requests)
    call.refresh_from_db()
    assert call.duration_seconds == result.duration


def test_simulator_with_a_wrong_token_is_refused(sim_live, actor, make_call, settings):
    call = make_call(actor.community)
    settings.TELEPHONY_SIMULATOR_TOKEN = "a-token"
    session = simulator._Session(sim_live, "another-token", simulator.Result())
    with pytest.raises(SimulatorError):
        session.post(f"/telephony/status/{call.pk}", {"CallSid": call.provider_sid})
    call.refresh_from_db()
    assert call.status == CallStatus.INITIATED
    assert not Call.objects.filter(status=CallStatus.COMPLETED).exists()


def test_simulator_signs_the_public_url_when_the_server_is_behind_a_proxy(
    sim_live, actor, make_call, settings
):
    settings.PUBLIC_URL = "https://buurbel.example.org"
    call = make_call(actor.community)
    result = simulator.run_call(call_id=call.pk, script=SCRIPTS["presses-2"], base_url=sim_live)
    assert result.digits == ["2"]
    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED


def test_simulator_gives_up_when_nobody_listens(monkeypatch):
    import socket

    monkeypatch.setattr(simulator, "CONNECT_ATTEMPTS", 2)
    monkeypatch.setattr(simulator, "CONNECT_WAIT", 0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = simulator._Session(f"http://127.0.0.1:{port}", "t", simulator.Result())
    with pytest.raises(SimulatorError, match="nobody is listening"):
        session.post("/telephony/status/1", {"CallSid": "x"})
