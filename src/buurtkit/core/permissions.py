"""Permission codes and the roles that grant them.

Feature apps add their permissions with :func:`register` when they are built; a role's
grants are the union of what every app registers for it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ROLE_CHOICES = [
    ("coordinator", _("Coordinator")),
    ("staff", _("Staff")),
    ("counter_clerk", _("Counter clerk")),
    ("volunteer", _("Volunteer")),
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


def register(permissions: dict[str, object], grants: dict[str, set[str]]) -> None:
    """Let a feature app add permissions and grant them to roles."""
    PERMISSIONS.update(permissions)
    for role, perms in grants.items():
        ROLE_PERMISSIONS.setdefault(role, set()).update(perms)
    global ALL_PERMISSIONS
    ALL_PERMISSIONS = frozenset(PERMISSIONS)


ALL_PERMISSIONS = frozenset(PERMISSIONS)


def permissions_for_roles(roles: set[str] | frozenset[str] | list[str]) -> frozenset[str]:
    if "coordinator" in roles:
        return ALL_PERMISSIONS  # including what feature apps registered later
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, set())
    return frozenset(granted)
