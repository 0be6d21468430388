from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "neighbours.view": _("See Buurbel participants, rules and matching runs"),
    "neighbours.manage": _("Register Buurbel participants and record introductions"),
    "neighbours.rules": _("Write and activate Buurbel matching rules"),
    "neighbours.match": _("Run the Buurbel matching"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"neighbours.view", "neighbours.manage"},
    "volunteer": {"neighbours.view"},
    "auditor": {"neighbours.view"},
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
