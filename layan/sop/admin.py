from django.contrib import admin

from layan.sop.models import Sop, SopStep, SopVersion


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepInline(ReadOnlyInline):
    model = SopStep
    fields = ("key", "activity", "role", "minutes", "output", "side", "visible_to_applicant")
    readonly_fields = fields


class VersionInline(ReadOnlyInline):
    model = SopVersion
    fields = ("number", "step_count", "total_minutes", "created_at", "effective_at", "origin")
    readonly_fields = fields
    show_change_link = True


@admin.register(Sop)
class SopAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "office")
    list_filter = ("office",)
    inlines = [VersionInline]


@admin.register(SopVersion)
class SopVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: a change is a new version, published in the console's editor,
    through the API or loaded with ``layan sop load``."""

    list_display = ("sop", "number", "step_count", "total_minutes", "created_at", "effective_at")
    list_filter = ("sop__office",)
    readonly_fields = (
        "sop",
        "number",
        "checksum",
        "step_count",
        "total_minutes",
        "source_name",
        "source_text",
        "definition",
        "created_at",
        "created_by",
        "effective_at",
        "origin",
        "reason",
        "approved_by",
        "approved_at",
    )
    inlines = [StepInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
