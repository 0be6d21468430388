from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "helpdesk.view": _("See the helpdesk queue and every ticket"),
    "helpdesk.handle": _("Answer tickets, file them for residents, assign and hand them over"),
    "helpdesk.manage": _("Edit the helpdesk's teams, categories, standard answers and help pages"),
    "helpdesk.buddy": _(
        "As a digibuddy: file a ticket for a resident and work on the tickets handed to you"
    ),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"helpdesk.view", "helpdesk.handle"},
    "counter_clerk": {"helpdesk.view", "helpdesk.handle"},
    "volunteer": {"helpdesk.buddy"},
    "auditor": {"helpdesk.view"},
    "referrer": set(),
    "merchant": set(),
    "resident": set(),
}
