from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "lending.view": _("See the device bank's stock and each device's history"),
    "lending.manage": _("Take in donated devices and record wipes, checks and repairs"),
    "lending.repair": _("Report a broken device and follow every repair"),
    "lending.refer": _("Ask devices for the households your organisation helps"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": set(PERMISSIONS),
    "counter_clerk": {"lending.view", "lending.repair"},
    "volunteer": {"lending.view", "lending.manage", "lending.repair"},
    "auditor": {"lending.view"},
    "referrer": {"lending.refer"},
    "merchant": set(),
    "resident": set(),
}
