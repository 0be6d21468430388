from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "telephony.view": _("See calls, their costs and the price tables"),
    "telephony.call": _("Place phone calls"),
    "telephony.prices": _("Change the telephony price tables"),
    "telephony.recordings": _("Upload and listen to the recorded call prompts"),
    "telephony.flows": _("Write and activate call flows (what callers hear and can press)"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"telephony.view", "telephony.call", "telephony.recordings", "telephony.flows"},
    "counter_clerk": set(),
    "volunteer": set(),
    "auditor": {"telephony.view"},
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
