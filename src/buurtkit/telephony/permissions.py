from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "telephony.view": _("See calls, their costs and the price tables"),
    "telephony.call": _("Place phone calls"),
    "telephony.prices": _("Change the telephony price tables"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"telephony.view", "telephony.call"},
    "counter_clerk": set(),
    "volunteer": set(),
    "auditor": {"telephony.view"},
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
