from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "monitoring.view": _("See plans, targets, budgets and figures (monitoring)"),
    "monitoring.manage": _("Make and change plans, targets, budget lines and milestones"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"monitoring.view"},
    "auditor": {"monitoring.view"},
    "counter_clerk": set(),
    "volunteer": set(),
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}
