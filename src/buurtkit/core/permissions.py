"""Permission codes and the roles that grant them.

Feature apps add their permissions with :func:`register` when they are built; a role's
grants are the union of what every app registers for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from buurtkit.core.modules import MODULES
from buurtkit.core.registry import DuplicateRegistration

ROLE_CHOICES = [
    ("coordinator", _("Coordinator")),
    ("staff", _("Staff")),
    ("counter_clerk", _("Counter clerk")),
    ("volunteer", _("Volunteer")),
    # A volunteer an organisation trusts to reward others from its issuing budget (ledger).
    ("trusted_volunteer", _("Trusted volunteer")),
    ("merchant", _("Merchant")),
    ("referrer", _("Referrer")),
    ("auditor", _("Auditor")),
    ("resident", _("Resident")),
]
ROLES = frozenset(key for key, _label in ROLE_CHOICES)

PERMISSIONS: dict[str, object] = {
    "community.view": _("See the community and its modules"),
    "community.manage": _("Change the community's settings"),
    "people.view": _("See residents and contacts"),
    "people.manage": _("Add and change residents and contacts"),
    "people.act_on_behalf": _("Act on behalf of a resident"),
    "people.gdpr": _("Export or anonymise a person's data"),
    "organisations.view": _("See organisations"),
    "organisations.manage": _("Add and change organisations"),
    "memberships.view": _("See who has which role"),
    "memberships.manage": _("Give and take away roles"),
    "apikeys.manage": _("Create and revoke API keys"),
    "audit.view": _("Read the audit log"),
    "passwords.reset": _("Reset someone's password"),
    "messages.send": _("Send text messages and e-mails to residents"),
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {
        "community.view",
        "people.view",
        "people.manage",
        "people.act_on_behalf",
        "organisations.view",
        "organisations.manage",
        "memberships.view",
        "passwords.reset",
        "messages.send",
    },
    "counter_clerk": {"community.view", "people.view", "people.act_on_behalf", "messages.send"},
    "volunteer": {"community.view", "people.view"},
    "trusted_volunteer": {"community.view", "people.view"},
    "merchant": {"community.view"},
    "referrer": {"community.view", "people.view"},
    "auditor": {
        "community.view",
        "people.view",
        "organisations.view",
        "memberships.view",
        "audit.view",
    },
    "resident": set(),
}


#: permission code -> the module (``core.modules.MODULES`` key) it belongs to. A community
#: that has switched a module off grants none of its permissions, whatever the roles.
PERMISSION_MODULES: dict[str, str] = {}


def register(
    permissions: dict[str, object], grants: dict[str, set[str]], *, module: str | None = None
) -> None:
    """Let a feature app add permissions and grant them to roles.

    ``module``: the switchable module these permissions belong to (``None`` for
    infrastructure that several modules use, such as telephony).
    """
    if module is not None and module not in MODULES:
        raise ValueError(f"unknown module {module!r}: add it to core.modules.MODULES first")
    taken = sorted(code for code in permissions if code in PERMISSIONS)
    if taken:
        raise DuplicateRegistration(f"permissions: {', '.join(taken)} are already registered.")
    PERMISSIONS.update(permissions)
    if module is not None:
        PERMISSION_MODULES.update(dict.fromkeys(permissions, module))
    for role, perms in grants.items():
        ROLE_PERMISSIONS.setdefault(role, set()).update(perms)
    global ALL_PERMISSIONS
    ALL_PERMISSIONS = frozenset(PERMISSIONS)


ALL_PERMISSIONS = frozenset(PERMISSIONS)


def permissions_for_roles(
    roles: set[str] | frozenset[str] | list[str], enabled_modules: Iterable[str] | None = None
) -> frozenset[str]:
    """What ``roles`` may do; with ``enabled_modules`` (a community's), only in those modules."""
    if "coordinator" in roles:
        granted = ALL_PERMISSIONS  # including what feature apps registered later
    else:
        granted = frozenset().union(*(ROLE_PERMISSIONS.get(role, set()) for role in roles))
    if enabled_modules is None:
        return granted
    return only_enabled(granted, enabled_modules)


def only_enabled(permissions: frozenset[str], enabled_modules: Iterable[str]) -> frozenset[str]:
    """``permissions`` without those of modules that are not in ``enabled_modules``."""
    enabled = set(enabled_modules)
    return frozenset(
        p
        for p in permissions
        if PERMISSION_MODULES.get(p) in enabled or p not in PERMISSION_MODULES
    )
