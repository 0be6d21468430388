from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def buurtkit(request: HttpRequest) -> dict[str, Any]:
    return {
        "LANGUAGE_CHOICES": settings.LANGUAGES,
        "community": getattr(request, "community", None),
        "actor": getattr(request, "actor", None),
        "on_behalf": getattr(request, "on_behalf", None),
        "DEMO_MODE": settings.DEMO_MODE,
    }
