from django.contrib import admin

from layan.cases.models import Attachment, Case, CaseEvent, CaseFlag


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("seq", "at", "actor_name", "role", "action", "from_step", "to_step", "status", "note")
    readonly_fields = fields
    ordering = ("seq",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FlagInline(admin.TabularInline):
    model = CaseFlag
    extra = 0
    readonly_fields = ("code", "note", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ("requirement", "file", "content_type", "size", "sha256", "uploaded_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Status, step and clocks change only through the engine, so they are read-only here."""

    list_display = ("code", "office", "service", "status", "current_step", "due_at", "created_at")
    list_filter = ("office", "status", "service")
    search_fields = ("code", "applicant_name", "applicant_nik")
    readonly_fields = (
        "office",
        "service",
        "sop_version",
        "code",
        "status",
        "current_step",
        "assigned_to",
        "claimed_at",
        "created_at",
        "closed_at",
        "step_entered_at",
        "step_due_at",
        "due_at",
        "paused_at",
        "step_remaining",
        "due_remaining",
        "version",
        "submitted_by",
    )
    inlines = [FlagInline, AttachmentInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
