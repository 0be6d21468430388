"""Objects a code can be linked to (a registry other apps add to: a shop's account, a device, …).

A link says which platform object a printed code sits on. Each link type can check that the object
exists in the community, name it, and suggest the routes a freshly claimed code should get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.registry import Registry


@dataclass(frozen=True)
class LinkType:
    key: str
    label: str | Promise
    # Returns a display name for the object, or None if it does not exist in the community.
    describe: Callable[[Community, str], str | None]
    # Routes a blank code linked to this object gets when claimed without routes of its own.
    default_routes: Callable[[Community, str], list[dict[str, Any]]] = lambda community, ref: []


LINK_TYPES: Registry[str, LinkType] = Registry("QR link types")


def register_link_type(link_type: LinkType) -> None:
    """Add a kind of object codes can be linked to. Another link type under a key that is taken
    is refused; the very same one again (an ``AppConfig.ready()`` that runs twice) is accepted."""
    LINK_TYPES.register_once(link_type.key, link_type)


def clean_link(community: Community, link_type: str, link_id: str) -> tuple[str, str]:
    link_type, link_id = (link_type or "").strip(), str(link_id or "").strip()
    if not link_type and not link_id:
        return "", ""
    kind = LINK_TYPES.get(link_type)
    if kind is None:
        msg = _("Unknown kind of object “%(type)s”.") % {"type": link_type}
        raise ValidationFailed(msg, fields={"link_type": msg})
    if not link_id or kind.describe(community, link_id) is None:
        msg = _("There is no such object in this community.")
        raise ValidationFailed(msg, fields={"link_id": msg})
    return link_type, link_id[:40]


def describe(community: Community, link_type: str, link_id: str) -> str:
    kind = LINK_TYPES.get(link_type)
    if kind is None:
        return ""
    return kind.describe(community, link_id) or ""


def default_routes(community: Community, link_type: str, link_id: str) -> list[dict[str, Any]]:
    kind = LINK_TYPES.get(link_type)
    return kind.default_routes(community, link_id) if kind else []


def _organisation(community: Community, ref: str) -> str | None:
    from buurtkit.people.models import Organisation

    if not ref.isdigit():
        return None
    org = Organisation.objects.in_community(community).filter(pk=int(ref)).first()
    return org.name if org else None


register_link_type(
    LinkType("people.organisation", gettext_lazy("Organisation or building"), _organisation)
)
