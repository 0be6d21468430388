from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "neighbours.view": _("See Buurbel participants, rules and matching runs"),
    "neighbours.manage": _("Register Buurbel participants and record introductions"),
    "neighbours.rules": _("Write and activate Buurbel matching rules"),
    "neighbours.match": _("Run the Buurbel matching"),
    # A partner (OCMW, a social service) registers the people it helps and follows them up:
    # only its own organisation's participants, unless it may also see all (neighbours.view).
    "neighbours.refer": _(
        "Register Buurbel participants for your own organisation and follow them up"
    ),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"neighbours.view", "neighbours.manage"},
    "volunteer": {"neighbours.view"},
    "auditor": {"neighbours.view"},
    "merchant": set(),
    "referrer": {"neighbours.refer"},
    "resident": set(),
}
