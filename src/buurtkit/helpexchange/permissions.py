from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "helpexchange.view": _("See every request and offer of help, the deals and the figures"),
    "helpexchange.post_for": _(
        "Post, respond and confirm help for a resident at the counter or by phone"
    ),
    "helpexchange.moderate": _("Hide posts, block people from posting and set the help exchange"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"helpexchange.view", "helpexchange.post_for"},
    "volunteer": {"helpexchange.view"},
    "auditor": {"helpexchange.view"},
    "referrer": set(),
    "merchant": set(),
    "resident": set(),
}
