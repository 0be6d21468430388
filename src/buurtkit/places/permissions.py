from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "places.view": _("See digipunten and other places with their details"),
    "places.manage": _("Add places, change their hours and open or close them"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"places.view"},
    "volunteer": {"places.view"},
    "auditor": {"places.view"},
    "referrer": {"places.view"},
    "merchant": set(),
    "resident": set(),
}
