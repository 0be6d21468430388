"""Admin is for superusers only; staff work in the staff pages, where services audit each change."""

from django.contrib import admin

from buurtkit.people.models import ApiKey, Membership, Organisation, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("first_name", "last_name", "community", "phone", "has_smartphone")
    list_filter = ("community", "has_smartphone", "preferred_language")
    search_fields = ("first_name", "last_name", "phone", "email")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "community", "active")
    list_filter = ("community", "kind")
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "organisation", "roles", "active")
    list_filter = ("community",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "community", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash")
