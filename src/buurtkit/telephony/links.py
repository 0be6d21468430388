"""The webhook URLs a provider is given. Paths come from the URL conf (``web:telephony_*``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def public_base() -> str:
    return (settings.PUBLIC_URL or DEFAULT_BASE_URL).rstrip("/")


def voice_path(call_id: int, step: str, seq: int) -> str:
    return reverse("web:telephony_voice", args=[call_id, step]) + f"?seq={seq}"


def status_path(call_id: int) -> str:
    return reverse("web:telephony_status", args=[call_id])


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
