"""The role -> permission table, written out by hand.

The permission matrices elsewhere derive their expectations from ROLE_PERMISSIONS; this table
pins what each role may do, so widening a role is a deliberate, reviewed change.
"""

from __future__ import annotations

from buurtkit.core.permissions import ALL_PERMISSIONS, permissions_for_roles

FOUNDATION = {
    "community.view", "community.manage", "people.view", "people.manage", "people.act_on_behalf",
    "people.gdpr", "organisations.view", "organisations.manage", "memberships.view",
    "memberships.manage", "apikeys.manage", "audit.view", "passwords.reset", "messages.send",
}  # fmt: skip

EXPECTED = {
    "coordinator": FOUNDATION,
    "staff": {
        "community.view", "people.view", "people.manage", "people.act_on_behalf",
        "organisations.view", "organisations.manage", "memberships.view", "passwords.reset",
        "messages.send",
    },
    "counter_clerk": {"community.view", "people.view", "people.act_on_behalf", "messages.send"},
    "volunteer": {"community.view", "people.view"},
    "trusted_volunteer": {"community.view", "people.view"},
    "merchant": {"community.view"},
    "referrer": {"community.view", "people.view"},
    "auditor": {"community.view", "people.view", "organisations.view", "memberships.view", "audit.view"},
    "resident": set(),
}  # fmt: skip


def test_each_role_has_exactly_the_foundation_permissions_in_the_table() -> None:
    for role, expected in EXPECTED.items():
        assert permissions_for_roles({role}) & FOUNDATION == expected, role


def test_coordinator_gets_every_permission_including_later_registered_ones() -> None:
    assert permissions_for_roles({"coordinator"}) == ALL_PERMISSIONS


def test_only_coordinators_manage_roles_keys_and_gdpr() -> None:
    for perm in ("memberships.manage", "apikeys.manage", "people.gdpr", "community.manage"):
        holders = {role for role in EXPECTED if perm in permissions_for_roles({role})}
        assert holders == {"coordinator"}, perm


HELPDESK = {
    "coordinator": {"helpdesk.view", "helpdesk.handle", "helpdesk.manage", "helpdesk.buddy"},
    "staff": {"helpdesk.view", "helpdesk.handle"},
    "counter_clerk": {"helpdesk.view", "helpdesk.handle"},
    "volunteer": {"helpdesk.buddy"},  # a digibuddy: only the tickets handed to them
    "merchant": set(),
    "referrer": set(),
    "auditor": {"helpdesk.view"},
    "resident": set(),
}


HELPEXCHANGE = {"helpexchange.view", "helpexchange.post_for", "helpexchange.moderate"}
EXPECTED_HELPEXCHANGE = {
    "coordinator": HELPEXCHANGE,
    "staff": HELPEXCHANGE,
    "counter_clerk": {"helpexchange.view", "helpexchange.post_for"},
    "volunteer": {"helpexchange.view"},
    "merchant": set(),
    "referrer": set(),
    "auditor": {"helpexchange.view"},
    # Residents post, respond and confirm their own: the services compare the person.
    "resident": set(),
}


MONITORING = {
    "coordinator": {
        "monitoring.view",
        "monitoring.manage",
        "monitoring.track",
        "monitoring.surveys",
    },
    "staff": {"monitoring.view", "monitoring.track", "monitoring.surveys"},
    "auditor": {"monitoring.view"},
    "counter_clerk": {"monitoring.surveys"},
    "volunteer": set(),
    "merchant": set(),
    "referrer": set(),
    "resident": set(),
}


def test_each_role_has_exactly_the_helpdesk_permissions_in_the_table() -> None:
    every = {p for perms in HELPDESK.values() for p in perms}
    for role, expected in HELPDESK.items():
        assert permissions_for_roles({role}) & every == expected, role


def test_monitoring_dashboards_for_staff_and_auditors_plans_made_by_coordinators() -> None:
    for role, expected in MONITORING.items():
        granted = {p for p in permissions_for_roles({role}) if p.startswith("monitoring.")}
        assert granted == expected, role


def test_help_exchange_permissions_per_role() -> None:
    for role, expected in EXPECTED_HELPEXCHANGE.items():
        assert permissions_for_roles({role}) & HELPEXCHANGE == expected, role
