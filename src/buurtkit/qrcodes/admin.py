"""Admin is for superusers only: read-only views. Staff change codes in the staff pages, where
services check the team, keep the history and drop the scan cache."""

from typing import Any

from django.contrib import admin

from buurtkit.qrcodes.models import Code, OrphanScan


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Code)
class CodeAdmin(ReadOnly):
    list_display = ("code", "slug", "title", "status", "community", "updated_at")
    list_filter = ("community", "status")
    search_fields = ("code", "slug", "title")


@admin.register(OrphanScan)
class OrphanScanAdmin(ReadOnly):
    """Scans of codes that do not exist, per day: typos on stickers, removed codes, probes."""

    list_display = ("day", "code", "scans")
    list_filter = ("day",)
    search_fields = ("code",)
    ordering = ("-day", "-scans")
