"""What the Graph API stand-in remembers: the messages "sent", the media held, the faults to inject.

The stand-in exists so that the demo and the tests exercise the real client and the real webhook
intake over Meta's protocol, without Meta. These rows are its memory; nothing in Layan proper
reads them (the phone simulator does, to show what the resident would receive).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone


def new_media_id() -> str:
    """A 16-digit numeric string, the shape of Meta's media ids."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def media_path(instance: Media, filename: str) -> str:
    # The uploader's filename is kept in a column, never used as a path.
    return f"standin/media/{instance.id}"


class SentMessage(models.Model):
    """One accepted ``POST /messages``: what the business sent to whom, under which wamid."""

    phone_number_id = models.CharField(max_length=64, db_index=True)
    recipient = models.CharField(max_length=128, db_index=True)
    type = models.CharField(max_length=32)
    payload = models.JSONField()
    wamid = models.CharField(max_length=128, unique=True)
    callback_data = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.type} → {self.recipient} ({self.wamid})"


class Media(models.Model):
    """An uploaded media object, served back by id like Meta's media store."""

    id = models.CharField(primary_key=True, max_length=20, default=new_media_id, editable=False)
    phone_number_id = models.CharField(max_length=64, blank=True, default="")
    file = models.FileField(upload_to=media_path, max_length=200)
    mime_type = models.CharField(max_length=127)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    filename = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "media"

    def __str__(self) -> str:
        return f"{self.id} {self.mime_type} {self.size} B"


class FailureRule(models.Model):
    """A fault the stand-in answers instead of doing the work, ``remaining`` more times.

    Lets a test or the demo operator show how Layan copes with Meta's bad days: 5xx, rate limits,
    a closed 24-hour window, an undeliverable number, a revoked token, a hung request.
    """

    class Scope(models.TextChoices):
        MESSAGES = "messages"
        MEDIA = "media"
        ANY = "any"

    class Kind(models.TextChoices):
        HTTP_500 = "http_500"
        ERROR = "error"
        TIMEOUT = "timeout"

    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ANY)
    phone_number_id = models.CharField(
        max_length=64, blank=True, default="", help_text="Empty: every number."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    code = models.IntegerField(null=True, blank=True, help_text="Meta error code, for 'error'.")
    seconds = models.FloatField(default=0, help_text="Delay before the 504, for 'timeout'.")
    remaining = models.PositiveIntegerField(default=1, help_text="0 = used up.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        what = f"{self.kind} {self.code}" if self.code else self.kind
        return f"{what} on {self.scope} ×{self.remaining}"


class PhoneMessage(models.Model):
    """One message the phone simulator sent, as a resident's WhatsApp would have (``/dev/phone/``).

    ``payload`` is the message object exactly as it went out in ``messages[0]`` of the signed
    webhook; ``webhook_status`` is the HTTP status Layan's webhook answered (``None`` while the
    POST is under way, 0 when the webhook could not be reached at all).
    """

    phone_number_id = models.CharField(max_length=64, db_index=True)
    wa_id = models.CharField(max_length=32, db_index=True)
    message_id = models.CharField(max_length=128, unique=True)
    type = models.CharField(max_length=32)
    payload = models.JSONField()
    webhook_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.type} ← {self.wa_id} ({self.message_id})"


class BsreAccount(models.Model):
    """A signer registered at the signing-service stand-in: its key, as the real service keeps
    it (here PKCS#12 under the signer's passphrase, issued by the installation's demo CA)."""

    nik = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    pkcs12 = models.BinaryField()
    certificate = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.nik})"
