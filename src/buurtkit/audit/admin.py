from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from buurtkit.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit events are append-only."""

    list_display = ("at", "community", "actor_label", "verb", "object_type", "object_id", "channel")
    list_filter = ("community", "channel")
    search_fields = ("verb", "actor_label", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
