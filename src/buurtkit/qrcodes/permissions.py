from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "qrcodes.view": _("See QR codes and their scan figures"),
    "qrcodes.manage": _("Make and change QR codes of your own team"),
    "qrcodes.admin": _("Change every team's QR codes and the webhooks"),
    "qrcodes.submissions": _("Read answers given in QR code forms"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"qrcodes.view", "qrcodes.manage", "qrcodes.submissions"},
    "counter_clerk": {"qrcodes.view"},
    "volunteer": {"qrcodes.view"},
    "auditor": {"qrcodes.view"},
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
