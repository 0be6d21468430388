from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "activities.view": _("See the programme, the sessions and who signed up"),
    "activities.manage": _("Plan activities and sessions, and edit the catalogue"),
    "activities.register": _("Sign people up for a session on their behalf"),
    "activities.attend": _("Check people in at a session and enter attendance lists"),
    # act-buddy (issue 13): the digibuddy register.
    "activities.volunteers": _(
        "Keep the digibuddy register: add volunteers, plan their duties, see the gaps"
    ),
    "activities.duties": _("See your own duties as a digibuddy, cancel them or swap them"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"activities.view", "activities.register", "activities.attend"},
    "volunteer": {
        "activities.view",
        "activities.register",
        "activities.attend",
        "activities.duties",
    },
    "auditor": {"activities.view"},
    "referrer": {"activities.register"},
    "merchant": set(),
    "resident": set(),
}
