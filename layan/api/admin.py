from django.contrib import admin

from layan.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name")

    def has_add_permission(self, request):
        return False  # tokens are created with `layan token create`, which shows them once
