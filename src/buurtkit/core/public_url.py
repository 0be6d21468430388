"""Where residents and telephony providers reach this installation: ``BUURTKIT_PUBLIC_URL``.

Printed QR codes carry this address and a provider's webhooks (the simulator's too) are sent
to it, so a wrong one makes codes that scan to nowhere and calls that hang. ``buurtkit demo``
derives it from its ``--host``/``--port``; ``buurtkit serve`` and ``buurtkit worker`` (settings
without DEBUG or the demo: ``PUBLIC_URL_REQUIRED``) refuse to print codes or place calls until it
is set, with a message that names the variable. Development and tests fall back to a local
address.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.core.errors import ServiceError

VARIABLE = "BUURTKIT_PUBLIC_URL"


class PublicUrlMissing(ServiceError):
    """The server was started without its public address; nothing has been written."""

    code = "public_url_missing"
    status = 503


def missing_message() -> str:
    return _(
        "This server does not know the address people reach it at, so it cannot print QR codes "
        "or place calls. Set %(variable)s (for example https://buurt.example.be) and restart it."
    ) % {"variable": VARIABLE}


def public_url(*, fallback: str) -> str:
    """The configured public address without a trailing slash.

    Not configured: ``fallback`` in development, demo and tests; :class:`PublicUrlMissing`
    where it is required (``buurtkit serve``, ``buurtkit worker``).
    """
    configured = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    if configured:
        return configured
    if getattr(settings, "PUBLIC_URL_REQUIRED", False):
        raise PublicUrlMissing(missing_message())
    return fallback.rstrip("/")
