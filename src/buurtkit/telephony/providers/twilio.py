"""Twilio: REST calls and SMS, TwiML answers, ``X-Twilio-Signature`` checks."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from buurtkit.messaging.providers import SmsResult
from buurtkit.telephony import links
from buurtkit.telephony.interface import Verb
from buurtkit.telephony.providers.twiml import render_twiml

if TYPE_CHECKING:
    from buurtkit.telephony.models import Call

#: Recording files are fetched from Twilio's API host only, at most this big.
RECORDING_URL_RE = re.compile(
    r"^https://api\.twilio\.com/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/RE[0-9a-f]{32}$"
)
MAX_RECORDING_BYTES = 20 * 1024 * 1024
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
#: Seconds the phone rings before Twilio gives up ("no-answer").
RING_TIMEOUT = 30


def validate_signature(request: HttpRequest, token: str) -> bool:
    """Twilio's algorithm: HMAC-SHA1 of the signed URL plus the sorted POST parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    params = request.POST if request.method == "POST" else {}
    return bool(RequestValidator(token).validate(links.signed_url(request), params, signature))


class TwilioProvider:
    name = "twilio"

    def __init__(self, http_client: HttpClient | None = None) -> None:
        # max_retries=0: a call request is never repeated by the client itself (it could
        # dial the same person twice); the caller records the failure and decides.
        self.http_client = http_client or TwilioHttpClient(timeout=15, max_retries=0)

    def client(self) -> Client:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
        return Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http_client
        )

    def place_call(self, call: Call) -> str:
        if not settings.PUBLIC_URL:
            raise RuntimeError("BUURTKIT_PUBLIC_URL must be set: Twilio calls our webhooks")
        options: dict[str, object] = {}
        if call.machine_detection:
            options["machine_detection"] = "Enable"
        created = self.client().calls.create(
            to=call.to_number,
            from_=call.from_number,
            url=links.absolute(links.voice_path(call.pk, "start", 0)),
            method="POST",
            status_callback=links.absolute(links.status_path(call.pk)),
            status_callback_method="POST",
            status_callback_event=STATUS_EVENTS,
            timeout=RING_TIMEOUT,
            **options,
        )
        return str(created.sid)

    def render(
        self,
        verbs: Sequence[Verb],
        step_url: Callable[[str], str],
        conference_callback: str = "",
    ) -> tuple[str, str]:
        return render_twiml(verbs, step_url, conference_callback)

    def validate(self, request: HttpRequest) -> bool:
        return validate_signature(request, settings.TWILIO_AUTH_TOKEN)

    def send_sms(self, *, to: str, body: str) -> SmsResult:
        options: dict[str, object] = {}
        if settings.PUBLIC_URL:
            options["status_callback"] = links.absolute(links.sms_status_path())
        message = self.client().messages.create(
            to=to, from_=settings.TWILIO_FROM_NUMBER, body=body, **options
        )
        return SmsResult(provider_id=str(message.sid))

    def redirect_call(self, call: Call, url: str) -> None:
        if not call.provider_sid:
            raise RuntimeError("the call has no Twilio sid yet")
        self.client().calls(call.provider_sid).update(url=links.absolute(url), method="POST")

    def recording_audio(self, *, sid: str, url: str) -> tuple[bytes, str]:
        """Fetch a recording's MP3 from Twilio with the account's credentials (Twilio may
        require HTTP authentication for media); only URLs on Twilio's API host are fetched."""
        url = url.removesuffix(".mp3").removesuffix(".wav")
        if not RECORDING_URL_RE.match(url):
            raise LookupError("not a Twilio recording URL")
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise LookupError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
        credentials = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
        request = urllib.request.Request(  # noqa: S310 - https on api.twilio.com, checked above
            url + ".mp3",
            headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                audio = response.read(MAX_RECORDING_BYTES + 1)
        except urllib.error.URLError as exc:
            raise LookupError(f"recording not available: {exc}") from exc
        if len(audio) > MAX_RECORDING_BYTES:
            raise LookupError("recording too big")
        return audio, "audio/mpeg"
