from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "lending.view": _("See the device bank's stock and each device's history"),
    "lending.manage": _("Take in donated devices and record wipes, checks and repairs"),
    # Referrals: a partner asks a device for a household (only their own organisation's
    # requests, unless they may also triage them); staff decide, set a device aside, invite.
    "lending.refer": _("Ask the device bank for a device for a household you help"),
    "lending.triage": _(
        "Approve or refuse requests for a device, set devices aside, invite residents and "
        "set partners' limits"
    ),
    "lending.repair": _("Report a broken device and follow every repair"),
    "lending.hand_over": _(
        "Hand devices over at the counter with a signed agreement, and extend or take back loans"
    ),
    "lending.agreements": _("Publish a new version of the agreement texts residents sign"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"lending.view", "lending.repair", "lending.hand_over"},
    "volunteer": {"lending.view", "lending.manage", "lending.repair"},
    "auditor": {"lending.view"},
    "referrer": {"lending.refer"},
    "merchant": set(),
    "resident": set(),
}
