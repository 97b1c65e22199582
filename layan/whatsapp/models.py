"""WhatsApp: who writes (identities), the conversations, the durable inbox and outbox.

Meta retries a webhook for days and in any order, so every inbound row is keyed on Meta's own ids
(message id; message id + status) and processing is idempotent. Every outgoing message is an
outbox row written in the same transaction as the change that causes it; a worker sends it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WINDOW = timedelta(hours=24)


class Identity(models.Model):
    """A person as WhatsApp identifies them: the business-scoped user id when Meta sends one,
    else the WhatsApp id (a phone number). The phone number is only an attribute."""

    key = models.CharField(max_length=128, unique=True)
    wa_id = models.CharField(max_length=32, blank=True)
    user_id = models.CharField(max_length=128, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp identity")
        verbose_name_plural = _("WhatsApp identities")

    def __str__(self) -> str:
        return self.name or self.phone or self.key


class Conversation(models.Model):
    channel = models.ForeignKey("offices.Channel", models.CASCADE, related_name="conversations")
    identity = models.ForeignKey(Identity, models.CASCADE, related_name="conversations")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["channel", "identity"], name="conversation_unique")
        ]
        indexes = [models.Index(fields=["handed_over_at"], name="conversation_handover_idx")]

    def __str__(self) -> str:
        return f"{self.identity} @ {self.channel}"

    def window_open(self, now: datetime) -> bool:
        """Free-form messages are allowed only within 24 h of the resident's last message."""
        return self.last_inbound_at is not None and now - self.last_inbound_at < WINDOW


class InboundEvent(models.Model):
    """A webhook POST exactly as received (after its signature was checked)."""

    received_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField()
    phone_number_id = models.CharField(max_length=32, blank=True)
    channel = models.ForeignKey(
        "offices.Channel", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Null for a fresh event; after a failure, when to try again (backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Who is working on it until when: a crashed worker's lease simply runs out.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        indexes = [
            models.Index(
                fields=["id"],
                name="inbound_pending_idx",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"event {self.pk} ({self.phone_number_id})"


class InboundMessage(models.Model):
    message_id = models.CharField(max_length=200, unique=True)
    event = models.ForeignKey(InboundEvent, models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(
        Conversation, models.CASCADE, null=True, blank=True, related_name="messages"
    )
    identity = models.ForeignKey(Identity, models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=24)
    type = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    reply_id = models.CharField(max_length=256, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["received_at"]
        indexes = [models.Index(fields=["conversation", "received_at"], name="inbound_conv_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class MediaFile(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    message = models.OneToOneField(InboundMessage, models.CASCADE, related_name="media")
    media_id = models.CharField(max_length=128)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=40, blank=True)
    file = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True, max_length=300)
    filename = models.CharField(max_length=200, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey(
        "cases.Case", models.SET_NULL, null=True, blank=True, related_name="whatsapp_media"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return self.filename or self.media_id


class MessageStatus(models.Model):
    """A delivery status webhook; (message id, status) is unique because Meta repeats them."""

    message_id = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    event = models.ForeignKey(InboundEvent, models.CASCADE, related_name="statuses")
    at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("message status")
        verbose_name_plural = _("message statuses")
        constraints = [
            models.UniqueConstraint(fields=["message_id", "status"], name="status_unique")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        ACCEPTED = "accepted", _("accepted by WhatsApp")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        READ = "read", _("read")
        FAILED = "failed", _("failed")
        UNDELIVERABLE = "undeliverable", _("undeliverable")

    # Forward-only order of the delivery statuses; failed/undeliverable end it.
    RANK = {"queued": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}
    FINAL = ("failed", "undeliverable", "read")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    channel = models.ForeignKey("offices.Channel", models.PROTECT, related_name="outbox")
    conversation = models.ForeignKey(
        Conversation, models.SET_NULL, null=True, blank=True, related_name="outbox"
    )
    case = models.ForeignKey(
        "cases.Case", models.SET_NULL, null=True, blank=True, related_name="outbox"
    )
    to = models.CharField(max_length=32, blank=True)
    to_user_id = models.CharField(max_length=128, blank=True)
    content = models.JSONField()
    template_key = models.CharField(max_length=60, blank=True)
    template_params = models.JSONField(default=list, blank=True)
    # A stored file (storage name) to upload to WhatsApp when the message is sent; the media id
    # it gets goes into the content (a signed PDF sent as a document).
    upload = models.CharField(max_length=300, blank=True)
    as_template = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    wamid = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(to="", to_user_id=""), name="outbox_has_recipient"),
        ]
        indexes = [
            models.Index(
                fields=["channel", "next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(status="queued"),
            ),
            models.Index(fields=["case", "created_at"], name="outbox_case_idx"),
            # the reports: signed PDFs sent, by the day WhatsApp accepted them
            models.Index(
                fields=["accepted_at"], name="outbox_upload_sent_idx", condition=~Q(upload="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} → {self.to or self.to_user_id}"


class MessageTemplate(models.Model):
    """An approved WhatsApp template of an office, chosen by ``key`` (``status_update`` …)."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="templates")
    key = models.SlugField(max_length=60)
    name = models.CharField(_("name at Meta"), max_length=120)
    language = models.CharField(max_length=10, default="id")
    category = models.CharField(max_length=20, default="UTILITY")
    body = models.TextField()
    params = models.JSONField(default=list)
    # Quick-reply buttons as registered at Meta ([{"type": "QUICK_REPLY", "text": …}]): a tap
    # comes back as a "button" message carrying the text.
    buttons = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="template_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def render(self, params: list[str]) -> str:
        """The text as the resident will read it (for the console and the simulator)."""
        text = self.body
        for index, value in enumerate(params, start=1):
            text = text.replace(f"{{{{{index}}}}}", str(value))
        return text
