from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "monitoring.view": _("See plans, targets, budgets and figures (monitoring)"),
    "monitoring.manage": _("Make and change plans, targets, budget lines and milestones"),
    "monitoring.track": _("See a person's digital track across the modules"),
    "monitoring.surveys": _("Enter survey answers and send survey links"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"monitoring.view", "monitoring.track", "monitoring.surveys"},
    "auditor": {"monitoring.view"},
    "counter_clerk": {"monitoring.surveys"},
    "volunteer": set(),
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
