from django.contrib import admin

from buurtkit.core.models import Community


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "default_language")
    search_fields = ("name", "slug")
