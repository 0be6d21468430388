"""Scripted residents that phone through the very same webhooks Twilio would call.

A :class:`Script` says what the person at the other end does: pick up (a person or an
answering machine), not pick up, be busy, press keys at each menu, stay silent, hang up in the
middle of a menu. :func:`run_call` plays it over HTTP against a base URL, signing every request
with ``X-Twilio-Signature`` (Twilio's algorithm, the simulator's token), reading the TwiML each
answer returns (``xml.etree``) to decide the next request, and sending status callbacks — in
order, or deliberately out of order.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlencode, urljoin

from django.conf import settings
from twilio.request_validator import RequestValidator

from buurtkit.core import clock
from buurtkit.telephony import links
from buurtkit.telephony.models import Call


def simulator_token() -> str:
    """``TELEPHONY_SIMULATOR_TOKEN``, or a token derived from ``SECRET_KEY``."""
    configured = getattr(settings, "TELEPHONY_SIMULATOR_TOKEN", "")
    if configured:
        return str(configured)
    digest = hmac.new(settings.SECRET_KEY.encode(), b"telephony-simulator", hashlib.sha256)
    return digest.hexdigest()[:32]


def new_sid() -> str:
    return "CA" + uuid.uuid4().hex


ACCOUNT_SID = "AC" + "0" * 32
MAX_STEPS = 40
CONNECT_ATTEMPTS = 10
CONNECT_WAIT = 0.5


class SimulatorError(Exception):
    pass


@dataclass(frozen=True)
class Script:
    #: ``human``, ``machine`` (voicemail), ``no-answer``, ``busy`` or ``failed``.
    answer: str = "human"
    #: The key pressed at each menu heard, in order; ``""`` = silent at that menu.
    keys: tuple[str, ...] = ()
    #: Hang up while the n-th menu (1-based) is being read; 0 = never.
    hang_up_at_menu: int = 0
    ring_seconds: int = 6
    #: Time spent talking once in a conference.
    talk_seconds: int = 120
    #: Send the status callbacks at the end, newest first.
    out_of_order: bool = False
    #: What the person a ``<Dial><Number>`` rings does: ``completed`` (answers and talks),
    #: ``no-answer`` or ``busy``.
    transfer: str = "completed"
    #: What the caller says when asked to leave a message (``<Record>``); "" = says nothing.
    message: str = "Goedendag, ik heb een vraag. Wilt u mij terugbellen? Dank u."


SCRIPTS: dict[str, Script] = {
    "presses-1": Script(keys=("1",)),
    "presses-2": Script(keys=("2",)),
    "silent": Script(keys=("", "", "")),
    "no-answer": Script(answer="no-answer"),
    "voicemail": Script(answer="machine"),
    "hangs-up": Script(hang_up_at_menu=1),
    "busy": Script(answer="busy"),
}
#: Scripted residents by phone number (E.164); tests and the demo fill it.
RESIDENTS: dict[str, Script] = {}
#: Everyone else, by the last digit of their number, so a demo shows every outcome.
BY_LAST_DIGIT = ["presses-1"] * 4 + ["presses-2", "silent", "no-answer", "voicemail", "hangs-up"]
BY_LAST_DIGIT += ["busy"]


def script_for(number: str) -> Script:
    if number in RESIDENTS:
        return RESIDENTS[number]
    digit = int(number[-1]) if number[-1:].isdigit() else 0
    return SCRIPTS[BY_LAST_DIGIT[digit]]


@dataclass
class Result:
    status: str = ""
    duration: int = 0
    digits: list[str] = field(default_factory=list)
    #: (path, HTTP status) of every request made, in order.
    requests: list[tuple[str, int]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    #: Recording sids made by ``<Record>``.
    recordings: list[str] = field(default_factory=list)
    #: Callbacks the provider sends after the call (recording status): (url, params).
    later: list[tuple[str, dict[str, str]]] = field(default_factory=list)


RECORDING_SID_RE = re.compile(r"^RE[0-9a-f]{32}$")


def recording_dir() -> Path:
    """Where the simulator keeps the recordings it "makes": under ``BUURTKIT_DATA_DIR``, outside
    the web root (never under ``MEDIA_ROOT``)."""
    return Path(settings.DATA_DIR) / "telephony" / "simulator-recordings"


def recording_file(sid: str) -> Path:
    """The file of a simulated recording; ``LookupError`` for a malformed or unknown sid."""
    if not RECORDING_SID_RE.match(sid):
        raise LookupError("not a recording sid")
    path = recording_dir() / f"{sid}.wav"
    if not path.is_file():
        raise LookupError("no such recording")
    return path


def write_recording(sid: str, seconds: int) -> None:
    """A small WAV (8 kHz, 8-bit mono, a soft tone of at most one second) standing in for
    what the caller said."""
    folder = recording_dir()
    folder.mkdir(parents=True, exist_ok=True)
    frames = 8000 * max(1, min(seconds, 1)) // 2
    samples = bytes(128 + (20 if (i // 10) % 2 else -20) for i in range(frames))
    with wave.open(str(folder / f"{sid}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(samples)


def sign(url: str, params: dict[str, str], token: str | None = None) -> str:
    return str(RequestValidator(token or simulator_token()).compute_signature(url, params))


class _Session:
    def __init__(self, base_url: str, token: str, result: Result) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SimulatorError(f"the base URL must be http(s): {base_url!r}")
        self.base = base_url.rstrip("/")
        # Our webhooks check the signature on BUURTKIT_PUBLIC_URL when it is set (the URL
        # Twilio would have called), whatever address the simulator reaches the server on.
        self.signed_base = (settings.PUBLIC_URL or self.base).rstrip("/")
        self.token = token
        self.result = result

    def relative(self, url: str) -> str:
        for base in (self.base, self.signed_base):
            if url.startswith(base + "/"):
                return url[len(base) :]
        return url

    def post(self, url: str, params: dict[str, str]) -> str:
        url = urljoin(self.base + "/", self.relative(url))
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            url,
            data=urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": sign(
                    self.signed_base + url[len(self.base) :], params, self.token
                ),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept-Language": "en",
            },
            method="POST",
        )
        path = url[len(self.base) :]
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    self.result.requests.append((path, response.status))
                    return str(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                self.result.requests.append((path, exc.code))
                raise SimulatorError(f"{url} answered {exc.code}") from exc
            except urllib.error.URLError as exc:
                # The server is not listening yet (the demo's worker starts first). Nothing
                # was received, so sending again is safe (and webhooks are deduplicated).
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise SimulatorError(f"{url}: {exc.reason}") from exc
                if attempt + 1 == CONNECT_ATTEMPTS:
                    raise SimulatorError(f"{url}: nobody is listening") from exc
                time.sleep(CONNECT_WAIT)
        raise SimulatorError("unreachable")  # pragma: no cover


#: ``post(path, params) -> (HTTP status, body)``: how a test hands a webhook to the server
#: (e.g. Django's test client, with the request signed), instead of HTTP to a live server.
Poster = Callable[[str, dict[str, str]], tuple[int, str]]


class _PosterSession(_Session):
    def __init__(self, post: Poster, result: Result) -> None:
        self.base = self.signed_base = "http://testserver"
        self.token = simulator_token()
        self.result = result
        self._post = post

    def post(self, url: str, params: dict[str, str]) -> str:
        path = self.relative(url)
        status, body = self._post(path, params)
        self.result.requests.append((path, status))
        if status >= 400:
            raise SimulatorError(f"{path} answered {status}")
        return body


# --- conference rooms ------------------------------------------------------------------------
# The simulated network's rooms: who is in them, who has had company, and the redirects the
# server asked for (``SimulatorProvider.redirect_call``). Shared by the simulated calls of this
# process; a condition wakes a waiting caller when someone joins or a redirect comes.

_rooms_changed = threading.Condition()
_rooms: dict[str, set[str]] = {}
_had_company: set[str] = set()
_redirects: dict[str, str] = {}
#: Seconds a caller waits alone in a room when calls run in threads (the other call can come).
CONFERENCE_WAIT = 90


def request_redirect(sid: str, url: str) -> None:
    with _rooms_changed:
        _redirects[sid] = url
        _rooms_changed.notify_all()


def _join(room: str, sid: str) -> None:
    with _rooms_changed:
        present = _rooms.setdefault(room, set())
        if present:
            _had_company.update(present | {sid})
        present.add(sid)
        _rooms_changed.notify_all()


def _leave(room: str, sid: str) -> None:
    with _rooms_changed:
        _rooms.get(room, set()).discard(sid)
        if not _rooms.get(room):
            _rooms.pop(room, None)
        _had_company.discard(sid)
        _rooms_changed.notify_all()


def _dial(
    session: _Session,
    element: ET.Element,
    url: str,
    common: dict[str, str],
    script: Script,
    result: Result,
) -> tuple[int, str]:
    """Play a ``<Dial>``: a person (talk) or a conference room; return (seconds, next URL)."""
    action = urljoin(session.base + url, element.get("action", "") or url)
    room_element = element.find("Conference")
    if room_element is None:  # <Number>: the person answers and talks (or does not answer)
        number = (element.findtext("Number") or "").strip()
        if script.transfer != "completed":
            result.said.append(f"[{number}: {script.transfer}]")
            return int(element.get("timeout", "30")), action
        result.said.append(f"[put through to {number}]")
        return script.talk_seconds, action
    room = (room_element.text or "").strip()
    sid = common["CallSid"]
    callback = room_element.get("statusCallback", "")
    event = {
        **common,
        "ConferenceSid": "CF" + hashlib.sha1(room.encode()).hexdigest()[:32],  # noqa: S324
        "FriendlyName": room,
    }
    _join(room, sid)
    if callback:
        session.post(callback, {**event, "StatusCallbackEvent": "participant-join"})
    waited = 0
    threads = getattr(settings, "TELEPHONY_SIMULATOR_THREADS", False)
    with _rooms_changed:
        _rooms_changed.wait_for(
            lambda: sid in _had_company or sid in _redirects,
            timeout=CONFERENCE_WAIT if threads else 0,
        )
        talked = sid in _had_company
        redirect = _redirects.pop(sid, "")
    if talked:
        result.said.append(f"[talked in {room}]")
        waited = script.talk_seconds
    elif not redirect:
        waited = CONFERENCE_WAIT
    _leave(room, sid)
    if callback:
        session.post(callback, {**event, "StatusCallbackEvent": "participant-leave"})
    if redirect and not talked:
        return waited, urljoin(session.base + url, redirect)
    return waited, action


def _speech_seconds(element: ET.Element) -> int:
    if element.tag == "Say":
        return math.ceil(len((element.text or "").split()) / 2.5) + 1
    if element.tag == "Play":
        return 5
    if element.tag == "Pause":
        return int(element.get("length", "1"))
    return 0


def run_call(
    *,
    call_id: int,
    sid: str = "",
    script: Script | None = None,
    base_url: str = "",
    pace: float | None = None,
) -> Result:
    """Play ``script`` (by default the one for the called number) for an outgoing call."""
    call = Call.objects.get(pk=call_id)
    script = script or script_for(call.to_number)
    sid = sid or call.provider_sid or new_sid()
    base = base_url or getattr(settings, "TELEPHONY_SIMULATOR_BASE_URL", "") or links.public_base()
    pace = getattr(settings, "TELEPHONY_SIMULATOR_PACE", 0.0) if pace is None else pace
    result = Result()
    session = _Session(base, simulator_token(), result)
    common = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "From": call.from_number,
        "To": call.to_number,
        "Called": call.to_number,
        "Caller": call.from_number,
        "Direction": "outbound-api",
    }
    status_url = links.status_path(call.pk)
    start = clock.now()
    pending: list[dict[str, str]] = []
    sequence = 0

    def status(name: str, offset: int, **extra: str) -> None:
        nonlocal sequence
        params = {
            **common,
            "CallStatus": name,
            "SequenceNumber": str(sequence),
            "Timestamp": format_datetime(start + timedelta(seconds=offset), usegmt=True),
            "CallbackSource": "call-progress-events",
            **extra,
        }
        sequence += 1
        if script.out_of_order:
            pending.append(params)
        else:
            session.post(status_url, params)

    def wait() -> None:
        if pace:
            time.sleep(pace)

    status("initiated", 0)
    wait()
    status("ringing", 1)
    wait()
    if script.answer in ("no-answer", "busy", "failed"):
        status(script.answer, 1 + script.ring_seconds, CallDuration="0")
        result.status = script.answer
    else:
        answered_by = {}
        if call.machine_detection:
            answered_by = {
                "AnsweredBy": "human" if script.answer == "human" else "machine_end_beep"
            }
        status("in-progress", script.ring_seconds, **answered_by)
        elapsed = _converse(
            session,
            links.voice_path(call.pk, "start", 0),
            script,
            common,
            answered_by,
            result,
            wait,
        )
        result.duration = elapsed
        result.status = "completed"
        status(
            "completed",
            script.ring_seconds + elapsed,
            CallDuration=str(elapsed),
            Duration=str(math.ceil(elapsed / 60)),
            **answered_by,
        )
    for params in reversed(pending):
        session.post(status_url, params)
    for later_url, later_params in result.later:
        session.post(later_url, later_params)
    return result


def run_inbound(
    *,
    from_number: str,
    to_number: str = "",
    script: Script | None = None,
    base_url: str = "",
    post: Poster | None = None,
) -> Result:
    """A resident phones an inbound number: the webhooks Twilio calls for an incoming call.

    ``post``: hand each signed webhook to this function instead of HTTP (tests: Django's test
    client, through the real views and their signature check, without a live server; demo
    loaders: telephony's services, in-process)."""
    script = script or script_for(from_number)
    result = Result()
    session: _Session
    if post is not None:  # a test's client or the demo's in-process webhooks
        session = _PosterSession(post, result)
    else:
        base = (
            base_url or getattr(settings, "TELEPHONY_SIMULATOR_BASE_URL", "") or links.public_base()
        )
        session = _Session(base, simulator_token(), result)
    to_number = to_number or getattr(settings, "TWILIO_FROM_NUMBER", "") or "+3293000000"
    common = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": new_sid(),
        "From": from_number,
        "To": to_number,
        "Called": to_number,
        "Caller": from_number,
        "Direction": "inbound",
    }
    start = clock.now()
    elapsed = _converse(session, links.inbound_path(), script, common, {}, result, lambda: None)
    session.post(
        links.inbound_status_path(),
        {
            **common,
            "CallStatus": "completed",
            "CallDuration": str(elapsed),
            "SequenceNumber": "0",
            "Timestamp": format_datetime(start + timedelta(seconds=elapsed), usegmt=True),
        },
    )
    result.duration, result.status = elapsed, "completed"
    for later_url, later_params in result.later:
        session.post(later_url, later_params)
    return result


def _converse(
    session: _Session,
    first_url: str,
    script: Script,
    common: dict[str, str],
    answered_by: dict[str, str],
    result: Result,
    wait: Callable[[], None],
) -> int:
    """Follow the TwiML from the first voice webhook until someone hangs up; return seconds."""
    url = first_url
    params = {**common, "CallStatus": "in-progress", **answered_by}
    elapsed = 0
    menus = 0
    for _step in range(MAX_STEPS):
        body = session.post(url, params)
        wait()
        root = ET.fromstring(body)  # noqa: S314 - our own server's TwiML
        next_url = ""
        for element in root:
            if element.tag in ("Say", "Play", "Pause"):
                elapsed += _speech_seconds(element)
                if element.tag == "Say":
                    result.said.append(element.text or "")
            elif element.tag == "Gather":
                menus += 1
                prompt = sum(_speech_seconds(child) for child in element)
                result.said.extend(child.text or "" for child in element if child.tag == "Say")
                if script.hang_up_at_menu == menus:
                    return elapsed + max(1, prompt // 2)
                elapsed += prompt
                key = ""
                if script.answer == "human" and menus <= len(script.keys):
                    key = script.keys[menus - 1]
                if key:
                    elapsed += 2
                    result.digits.append(key)
                    next_url = urljoin(session.base + url, element.get("action", ""))
                    params = {**common, "CallStatus": "in-progress", "Digits": key}
                    break
                elapsed += int(element.get("timeout", "5"))
            elif element.tag == "Redirect":
                next_url = urljoin(session.base + url, element.text or "")
                params = {**common, "CallStatus": "in-progress"}
                break
            elif element.tag == "Dial":
                seconds, next_url = _dial(session, element, url, common, script, result)
                elapsed += seconds
                dialled = "completed"
                if element.find("Number") is not None:
                    dialled = script.transfer
                params = {**common, "CallStatus": "in-progress", "DialCallStatus": dialled}
                break
            elif element.tag == "Record":
                if script.answer != "human" or not script.message:
                    # Nothing recorded: the provider goes on with the next verb.
                    elapsed += int(element.get("timeout", "5"))
                    continue
                seconds = min(
                    math.ceil(len(script.message.split()) / 2.5) + 1,
                    int(element.get("maxLength", "3600")),
                )
                recording_sid = "RE" + uuid.uuid4().hex
                write_recording(recording_sid, seconds)
                elapsed += seconds
                result.recordings.append(recording_sid)
                result.said.append(f"[recorded {seconds} s: {script.message}]")
                facts = {
                    "RecordingSid": recording_sid,
                    "RecordingUrl": (
                        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
                        f"/Recordings/{recording_sid}"
                    ),
                    "RecordingDuration": str(seconds),
                }
                callback = element.get("recordingStatusCallback", "")
                if callback:  # sent once the call is over, as Twilio does when the file is ready
                    result.later.append(
                        (
                            urljoin(session.base + url, callback),
                            {**common, **facts, "RecordingStatus": "completed"},
                        )
                    )
                next_url = urljoin(session.base + url, element.get("action", "") or url)
                params = {**common, "CallStatus": "in-progress", **facts}
                break
            elif element.tag == "Hangup":
                return elapsed
        if not next_url:  # the document ended: the provider hangs up
            return elapsed
        url = session.relative(next_url)
    raise SimulatorError("the call flow did not end")
