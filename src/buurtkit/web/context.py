from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from buurtkit.web.registry import MENU, portal_parts, visible_links


def buurtkit(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    return {
        "LANGUAGE_CHOICES": settings.LANGUAGES,
        "community": getattr(request, "community", None),
        "actor": actor,
        "module_menu": visible_links(MENU.values(), actor),  # the modules' main-menu links
        "on_behalf": getattr(request, "on_behalf", None),
        "DEMO_MODE": settings.DEMO_MODE,
        # The modules' portal parts (the chat box), rendered only if the page shows them.
        "portal_parts": SimpleLazyObject(lambda: portal_parts(request)),
    }
