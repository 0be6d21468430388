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
    # act-figures: the attendance export with names (every download is in the log).
    "activities.export_names": _("Download attendance lists with participants' names"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS) - {"activities.export_names"},
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
