from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "lending.view": _("See the device bank's stock and each device's history"),
    "lending.manage": _("Take in donated devices and record wipes, checks and repairs"),
    "lending.hand_over": _(
        "Hand devices over at the counter with a signed agreement, and extend or take back loans"
    ),
    "lending.agreements": _("Publish a new version of the agreement texts residents sign"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"lending.view", "lending.hand_over"},
    "volunteer": {"lending.view", "lending.manage"},
    "auditor": {"lending.view"},
    "referrer": set(),
    "merchant": set(),
    "resident": set(),
}
