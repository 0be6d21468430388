from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from buurtkit.core.modules import MODULES

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1 to 50 lower-case letters, digits or dashes; no dash at the start or end."),
)

RESERVED_SLUGS = frozenset(
    {
        "api",
        "admin",
        "static",
        "media",
        "q",
        "healthz",
        "readyz",
        "accounts",
        "i18n",
        "login",
        "logout",
        "me",
        "password",
        "about",
        "telephony",
    }
)


class Community(models.Model):
    """A tenant: a neighbourhood or a city. Every domain row belongs to one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("short name"), max_length=50, unique=True, validators=[slug_validator]
    )
    default_language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES, default="nl"
    )
    enabled_modules = models.JSONField(_("enabled modules"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def modules(self) -> list[Any]:
        return [MODULES[key] for key in self.enabled_modules if key in MODULES]

    def has_module(self, key: str) -> bool:
        """Whether the module ``key`` is switched on here (its pages, API and permissions)."""
        return key in self.enabled_modules


class ScopedQuerySet(models.QuerySet):
    def in_community(self, community: Community | int) -> ScopedQuerySet:
        community_id = community if isinstance(community, int) else community.pk
        if community_id is None:
            raise ValueError("A community is required to query community-scoped rows.")
        return self.filter(community_id=community_id)


def community_key(*, db_index: bool = True) -> models.ForeignKey:
    """The community a row belongs to. A table whose composite indexes already begin with the
    community passes ``db_index=False``: a lone community index costs every write, and it has
    led PostgreSQL to read a whole community's rows to find one (docs/ledger.md)."""
    return models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
        db_index=db_index,
    )


class CommunityScoped(models.Model):
    """Base for every domain row: it belongs to exactly one community.

    Selectors and services read through ``Model.objects.in_community(...)`` (or
    :func:`buurtkit.core.scoping.get_scoped`), never through bare ``objects.get``.
    """

    community = community_key()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
