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
        "ops",
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


class ScheduledJob(models.Model):
    """The state of one recurring job (``core.scheduler``), shared by every worker.

    Install-wide, not per community. ``last_slot`` is the last scheduled moment a worker
    claimed: a worker runs a slot only after it has moved ``last_slot`` forward with one
    conditional UPDATE, so each slot runs at most once however many workers tick. While a
    run is going on, ``lease_until`` keeps other workers from starting the job again.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("finished")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("on schedule")
        CATCH_UP = "catch_up", _("catching up")
        MANUAL = "manual", _("started by hand")

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_slot = models.DateTimeField(_("last slot"), null=True, blank=True)
    next_slot = models.DateTimeField(_("next slot"), null=True, blank=True)
    last_trigger = models.CharField(
        _("last trigger"), max_length=10, choices=Trigger.choices, blank=True
    )
    last_missed = models.PositiveIntegerField(_("slots missed before the last run"), default=0)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_outcome = models.CharField(
        _("last outcome"), max_length=10, choices=Outcome.choices, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_result = models.CharField(_("last result"), max_length=200, blank=True)
    last_duration = models.DurationField(_("last duration"), null=True, blank=True)
    lease_until = models.DateTimeField(_("running until at most"), null=True, blank=True)
    lease_owner = models.CharField(_("run by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
