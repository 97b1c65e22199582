from django.contrib import admin

from layan.offices.models import (
    Channel,
    Office,
    OfficeDayOff,
    Requirement,
    Role,
    Service,
    StaffRole,
)


class DayOffInline(admin.TabularInline):
    model = OfficeDayOff
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region_code", "timezone", "is_active")
    search_fields = ("code", "name")
    inlines = [DayOffInline]


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
