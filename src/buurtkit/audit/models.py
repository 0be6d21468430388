from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet, community_key


class AuditImmutable(Exception):
    """Audit rows are append-only."""


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("audit events cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AuditImmutable("audit events cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise AuditImmutable("audit events cannot be updated")


class AuditEvent(CommunityScoped):
    """One thing that happened. Written by services in their own transaction; never changed.

    Actor and subject are stored as plain ids (no foreign keys) so that no later change
    elsewhere ever needs to touch an audit row. ``data`` holds ids and field names, not
    personal data, so anonymising a person leaves the log intact and harmless.
    """

    # No index of its own: the (community, object_type, object_id) index begins with it, and
    # every index costs each audited write.
    community = community_key(db_index=False)
    at = models.DateTimeField(_("time"), db_index=True)
    verb = models.CharField(_("what happened"), max_length=80)
    actor_label = models.CharField(_("actor"), max_length=150)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_api_key_id = models.BigIntegerField(null=True, blank=True)
    on_behalf_of_id = models.BigIntegerField(_("on behalf of person"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, default="web")
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["community", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AuditImmutable("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("audit events cannot be deleted")
