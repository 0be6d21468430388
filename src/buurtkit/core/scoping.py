"""Central tenant scoping: the only way selectors and services fetch scoped rows."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils.translation import gettext as _

from buurtkit.core.errors import NotFound
from buurtkit.core.models import Community, CommunityScoped

M = TypeVar("M", bound=CommunityScoped)


def scoped(model: type[M], community: Community | int) -> models.QuerySet[M]:
    return model.objects.in_community(community)  # type: ignore[attr-defined,no-any-return]


def get_scoped(
    model: type[M], community: Community | int, *, for_update: bool = False, **lookup: object
) -> M:
    """Fetch one row of ``community``; another community's row is simply not found."""
    qs = scoped(model, community)
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.get(**lookup)
    except model.DoesNotExist as exc:
        raise NotFound(
            _("%(thing)s not found.") % {"thing": str(model._meta.verbose_name).capitalize()}
        ) from exc


def community_by_slug(slug: str) -> Community:
    try:
        return Community.objects.get(slug=slug)
    except Community.DoesNotExist as exc:
        raise NotFound(_("There is no community called “%(slug)s”.") % {"slug": slug}) from exc
