from django.contrib import admin

from layan.whatsapp.models import (
    Conversation,
    Identity,
    InboundEvent,
    InboundMessage,
    MediaFile,
    MessageStatus,
    MessageTemplate,
    OutboxMessage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Inbox and outbox rows are evidence of what was received and sent: look, don't touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "phone", "wa_id", "user_id", "created_at")
    search_fields = ("key", "name", "phone", "wa_id", "user_id")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("identity", "channel", "last_inbound_at", "handed_over_at")
    list_filter = ("channel__office",)
    raw_id_fields = ("identity",)


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ("pk", "received_at", "phone_number_id", "processed_at", "attempts")
    list_filter = ("processed_at",)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "kind", "identity", "conversation", "received_at", "handled_at")
    list_filter = ("kind",)
    search_fields = ("message_id", "text")


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    list_display = ("media_id", "status", "reason", "mime_type", "size", "created_at")
    list_filter = ("status", "reason")


@admin.register(MessageStatus)
class MessageStatusAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "status", "at")
    list_filter = ("status",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("pk", "channel", "to", "status", "attempts", "next_attempt_at", "error_code")
    list_filter = ("status", "channel__office", "as_template")
    search_fields = ("to", "to_user_id", "wamid", "idempotency_key")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "language", "office")
    list_filter = ("office", "language")
