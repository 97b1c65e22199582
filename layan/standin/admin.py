from django.contrib import admin

from layan.standin.models import FailureRule, Media, PhoneMessage, SentMessage


@admin.register(SentMessage)
class SentMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "phone_number_id", "recipient", "type", "wamid")
    list_filter = ("type", "phone_number_id")
    search_fields = ("recipient", "wamid", "callback_data")
    readonly_fields = (
        "phone_number_id",
        "recipient",
        "type",
        "payload",
        "wamid",
        "callback_data",
        "created_at",
    )


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("id", "mime_type", "size", "filename", "phone_number_id", "created_at")
    search_fields = ("id", "filename", "sha256")
    readonly_fields = (
        "id",
        "phone_number_id",
        "file",
        "mime_type",
        "sha256",
        "size",
        "filename",
        "created_at",
    )


@admin.register(FailureRule)
class FailureRuleAdmin(admin.ModelAdmin):
    """Lets the demo operator inject Meta's bad days from the admin, too."""

    list_display = ("id", "scope", "kind", "code", "seconds", "remaining", "phone_number_id")
    list_editable = ("remaining",)


@admin.register(PhoneMessage)
class PhoneMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "phone_number_id", "wa_id", "type", "webhook_status")
    list_filter = ("type", "webhook_status")
    search_fields = ("wa_id", "message_id")
