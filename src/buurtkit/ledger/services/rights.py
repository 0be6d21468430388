"""Who may issue torekes from which organisation's account (issue 16).

Private to ``buurtkit.ledger.services`` (the issuing services and the setup pages use it).
"""

from __future__ import annotations

from buurtkit.core.actor import Actor
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.ledger.models import Account, AccountKind
from buurtkit.people.models import Membership


def may_issue_from(actor: Actor, account: Account) -> bool:
    """Whether ``actor`` may reward (and approve rewards) from an issuer ``account``.

    The coordinator (``ledger.manage``) may for every organisation. Anyone else needs
    ``ledger.issue`` *from a membership of that organisation* (partner staff, trusted
    volunteers): a login that issues for one organisation and is merely a shopkeeper or a
    volunteer of another cannot issue for the other. An API key belongs to one organisation
    and its roles are its own.
    """
    if actor.has("ledger.manage"):
        return True
    if account.kind != AccountKind.ORGANISATION or account.organisation_id is None:
        return False
    if not actor.has("ledger.issue") or account.organisation_id not in actor.organisation_ids:
        return False
    if actor.user_id is None:
        return True  # an API key: bound to this organisation, with the key's own roles
    return "ledger.issue" in _organisation_permissions(actor, account.organisation_id)


def _organisation_permissions(actor: Actor, organisation_id: int) -> frozenset[str]:
    """What the login's memberships *of this organisation* grant.

    A signed-in actor's ``organisation_ids`` come from its active memberships
    (``people.selectors.actor_for_user``), so a real login always has one here. An actor made
    in code with an organisation but no membership row (a tool, a test) keeps the
    permissions it was given.
    """
    memberships = list(
        Membership.objects.in_community(actor.community)
        .filter(user_id=actor.user_id, organisation_id=organisation_id, active=True)
        .values_list("roles", flat=True)
    )
    if not memberships:
        return actor.permissions
    roles: set[str] = set()
    for granted in memberships:
        roles |= set(granted)
    return permissions_for_roles(roles, actor.community.enabled_modules)


def issuing_organisation_ids(actor: Actor) -> set[int] | None:
    """The organisations ``actor`` may issue for; ``None`` means every one (a coordinator)."""
    if actor.has("ledger.manage"):
        return None
    if not actor.has("ledger.issue"):
        return set()
    if actor.user_id is None:
        return set(actor.organisation_ids)
    return {
        org
        for org in actor.organisation_ids
        if "ledger.issue" in _organisation_permissions(actor, org)
    }
