from django.contrib import admin

from layan.offices.models import (
    Channel,
    Office,
    OfficeDayOff,
    Requirement,
    RetentionPolicy,
    RetentionRun,
    Role,
    Service,
    StaffRole,
)


class DayOffInline(admin.TabularInline):
    model = OfficeDayOff
    extra = 0


class RetentionPolicyInline(admin.StackedInline):
    """How long the office keeps residents' data (docs/data-protection.md)."""

    model = RetentionPolicy
    can_delete = False
    max_num = 1
    extra = 1


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region_code", "timezone", "is_active")
    search_fields = ("code", "name")
    inlines = [DayOffInline, RetentionPolicyInline]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "office")
    list_filter = ("office", "kind")
    search_fields = ("code", "name")


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role")
    list_filter = ("role__office",)
    search_fields = ("user__username", "role__code")
    autocomplete_fields = ("user", "role")


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefix", "office", "sop", "delivery", "is_active")
    list_filter = ("office", "delivery", "is_active")
    search_fields = ("code", "name")
    inlines = [RequirementInline]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("phone", "phone_number_id", "label", "office", "is_active")
    list_filter = ("office",)
    filter_horizontal = ("services",)


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """The log of the retention policy's runs: read only."""

    list_display = ("ran_at", "office", "kind", "removed", "files", "oldest_kept", "finished")
    list_filter = ("office", "kind", "finished")
    date_hierarchy = "ran_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
