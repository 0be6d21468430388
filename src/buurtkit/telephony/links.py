"""The webhook URLs a provider is given. Paths come from the URL conf (``web:telephony_*``)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from buurtkit.core.public_url import public_url

if TYPE_CHECKING:
    from buurtkit.telephony.models import Recording

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RECORDING_TOKEN_CHARS = 32


def public_base() -> str:
    """``BUURTKIT_PUBLIC_URL``; where it is required and missing, ``PublicUrlMissing``."""
    return public_url(fallback=DEFAULT_BASE_URL)


def voice_path(call_id: int, step: str, seq: int) -> str:
    return reverse("web:telephony_voice", args=[call_id, step]) + f"?seq={seq}"


def status_path(call_id: int) -> str:
    return reverse("web:telephony_status", args=[call_id])


def conference_path(call_id: int) -> str:
    return reverse("web:telephony_conference", args=[call_id])


def inbound_path() -> str:
    return reverse("web:telephony_inbound")


def inbound_status_path() -> str:
    return reverse("web:telephony_inbound_status")


def sms_status_path() -> str:
    return reverse("web:telephony_sms_status")


def absolute(path: str) -> str:
    return public_base() + path


def signed_url(request: HttpRequest) -> str:
    """The URL the provider signed: the configured public base + path + query.

    Behind a proxy or load balancer the request's own host and scheme are not the ones the
    provider called, so ``BUURTKIT_PUBLIC_URL`` decides when it is set.
    """
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def recording_token(recording_id: int) -> str:
    """The secret part of a recording's public address: HMAC-SHA256(SECRET_KEY, "recording:<id>")."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"recording:{recording_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:RECORDING_TOKEN_CHARS]


def recording_path(recording_id: int) -> str:
    """The site-relative address of a recording (for the staff pages' players)."""
    return reverse("web:telephony_recording", args=[recording_id, recording_token(recording_id)])


def recording_url(recording: Recording) -> str:
    """The absolute address the provider fetches a recording from, without a login."""
    return absolute(recording_path(recording.pk))
