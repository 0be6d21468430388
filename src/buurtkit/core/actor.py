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
            raise PermissionDenied(
                _("You are not allowed to do this (%(permission)s).") % {"permission": permission},
                code="permission_denied",
            )

    def acting_for(self, person_id: int, channel: str = "counter") -> Actor:
        return replace(self, on_behalf_of_id=person_id, channel=channel)
