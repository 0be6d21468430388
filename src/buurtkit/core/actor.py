"""Who is doing something: a signed-in user, an API key or the system.

Services receive an :class:`Actor` and check permissions on it; they never look at
requests. When staff act for a resident, ``on_behalf_of_id`` and ``channel`` say so and
the audit log records both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _

from buurtkit.core.errors import PermissionDenied
from buurtkit.core.models import Community


@dataclass(frozen=True)
class Actor:
    community: Community
    label: str
    user_id: int | None = None
    api_key_id: int | None = None
    person_id: int | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    on_behalf_of_id: int | None = None
    channel: str = "web"

    @classmethod
    def system(cls, community: Community, label: str = "system") -> Actor:
        from buurtkit.core.permissions import ALL_PERMISSIONS

        return cls(community=community, label=label, permissions=ALL_PERMISSIONS, channel="system")

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.has(permission):
            refused = PermissionDenied(refusal_text(permission), code="permission_denied")
            refused.permission = permission
            raise refused

    def acting_for(self, person_id: int, channel: str = "counter") -> Actor:
        return replace(self, on_behalf_of_id=person_id, channel=channel)


def refusal_text(permission: str) -> str:
    """Why someone may not do something, in words a person reads (never the code itself):
    the right it takes, as the roles page names it, and who can help."""
    from buurtkit.core.permissions import PERMISSIONS

    what = PERMISSIONS.get(permission)
    if what is None:
        return _("You are not allowed to do this. Ask a coordinator if you need to.")
    return _(
        "You are not allowed to do this. It takes the right “%(right)s”, which your login "
        "does not have here. Ask a coordinator if you need to."
    ) % {"right": str(what)}
