"""Issued documents, signing keys, downloads, card hand-over and the register books.

A request's output is rendered from its form data; a draft is rendered on demand and never
stored. The final document is signed (PAdES) and stored with an unguessable public id: the QR on
it leads to ``/v/<public_id>``. A later document of the same kind for the same request
supersedes it; an office may revoke one with a reason. Nothing here is ever deleted.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def public_id() -> str:
    """128 random bits as 26 lowercase base32 characters (no padding): unguessable, QR-friendly."""
    import base64

    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


class SigningKey(models.Model):
    """The signing identity of one officer (the head of office) at one office.

    ``local`` keys keep a PKCS#12 archive encrypted with the signer's passphrase: the archive is
    useless without it and the passphrase is never stored. ``remote`` keys sign through the
    external signing service (BSrE style) by NIK; only the certificate is kept here.
    """

    class Kind(models.TextChoices):
        LOCAL = "local", _("key kept here, encrypted with the passphrase")
        REMOTE = "remote", _("external signing service")

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="signing_keys")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="signing_keys")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("signer name"), max_length=120)
    title = models.CharField(_("signer title"), max_length=160)
    nip = models.CharField(_("NIP"), max_length=30, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    certificate = models.TextField(_("certificate (PEM)"))
    chain = models.TextField(_("issuer certificates (PEM)"), blank=True)
    pkcs12 = models.BinaryField(_("encrypted key (PKCS#12)"), blank=True, default=b"")
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "user"],
                condition=Q(is_active=True),
                name="signingkey_one_active_per_signer",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["local", "remote"]), name="signingkey_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="remote") | Q(nik__regex=r"^[0-9]{16}$"),
                name="signingkey_remote_has_nik",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office.code}, {self.kind})"


class Document(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUPERSEDED = "superseded", _("superseded")
        REVOKED = "revoked", _("revoked")

    public_id = models.CharField(max_length=32, unique=True, default=public_id, editable=False)
    case = models.ForeignKey("cases.Case", models.PROTECT, related_name="documents")
    office = models.ForeignKey("offices.Office", models.PROTECT, related_name="documents")
    kind = models.SlugField(_("document type"), max_length=40)
    title = models.CharField(_("title"), max_length=160)
    number = models.CharField(_("number"), max_length=60)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    file = models.FileField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    subject_name = models.CharField(_("name on the document"), max_length=160, blank=True)
    subject_nik = models.CharField(_("NIK on the document (masked)"), max_length=16, blank=True)
    signing_key = models.ForeignKey(
        SigningKey, models.PROTECT, null=True, blank=True, related_name="documents"
    )
    signer_name = models.CharField(_("signed by"), max_length=120, blank=True)
    signer_title = models.CharField(_("signer title"), max_length=160, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))
    superseded_by = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="active"),
                name="document_one_active_per_kind",
            ),
            models.UniqueConstraint(fields=["office", "kind", "number"], name="document_number"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "superseded", "revoked"]),
                name="document_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked")
                | (Q(revoked_at__isnull=False) & ~Q(revoked_reason="")),
                name="document_revoked_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "status"], name="document_case_idx"),
            models.Index(fields=["office", "issued_at"], name="document_issued_idx"),  # rekap
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"


class DownloadGrant(models.Model):
    """A link with a one-time PIN to fetch a signed PDF, sent in a WhatsApp template when the
    24-hour window is closed and a document cannot be sent directly. Only the PIN's hash is kept."""

    token = models.CharField(max_length=64, unique=True)
    document = models.ForeignKey(Document, models.PROTECT, related_name="grants")
    pin_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("download link")
        verbose_name_plural = _("download links")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="grant_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.token[:6]}…)"


class Handover(models.Model):
    """The paper side of a request: the card's blank serial at printing, then who received the
    document or card, from whom, and what the office collected (the old or damaged card, the
    police loss letter)."""

    class Item(models.TextChoices):
        OLD_CARD = "old_card", _("old card")
        DAMAGED_CARD = "damaged_card", _("damaged card")
        POLICE_LETTER = "police_letter", _("police loss letter")

    case = models.OneToOneField("cases.Case", models.PROTECT, related_name="handover")
    card_serial = models.CharField(_("card blank serial"), max_length=40, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_by = models.CharField(_("received by"), max_length=120, blank=True)
    relation = models.CharField(_("relation to the applicant"), max_length=60, blank=True)
    collected = models.JSONField(_("collected from the resident"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    handed_at = models.DateTimeField(null=True, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        constraints = [
            models.CheckConstraint(
                condition=Q(handed_at__isnull=True) | ~Q(received_by=""),
                name="handover_has_receiver",
            ),
            models.CheckConstraint(
                condition=Q(printed_at__isnull=True) | ~Q(card_serial=""),
                name="handover_printed_has_serial",
            ),
        ]
        indexes = [
            models.Index(
                fields=["card_serial"], name="handover_serial_idx", condition=~Q(card_serial="")
            ),
            # the rekap: cards printed and hand-overs in a period
            models.Index(fields=["printed_at"], name="handover_printed_idx"),
            models.Index(fields=["handed_at"], name="handover_handed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.card_serial or '-'}"


class Counter(models.Model):
    """A running number per scope and year (register books, document numbers). Taken under a
    row lock, so two officers finishing at once never get the same number."""

    scope = models.CharField(max_length=80)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "year"], name="counter_unique_scope_year")
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.year}: {self.value}"


class RegisterEntry(models.Model):
    """One line of a service's register book ("buku register") for a year."""

    office = models.ForeignKey("offices.Office", models.PROTECT, related_name="register_entries")
    service = models.ForeignKey("offices.Service", models.PROTECT, related_name="register_entries")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    case = models.OneToOneField("cases.Case", models.PROTECT, related_name="register_entry")
    document = models.ForeignKey(
        Document, models.PROTECT, null=True, blank=True, related_name="register_entries"
    )
    entered_at = models.DateTimeField(_("entered at"))
    applicant_name = models.CharField(_("applicant"), max_length=120)
    applicant_nik = models.CharField(_("NIK"), max_length=16, blank=True)
    output = models.CharField(_("output"), max_length=160)
    delivery = models.CharField(_("delivery"), max_length=10)
    card_serial = models.CharField(_("card serial"), max_length=40, blank=True)
    received_by = models.CharField(_("received by"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        ordering = ["service", "year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "year", "number"], name="register_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="register_number_positive"),
        ]
        indexes = [
            models.Index(fields=["office", "year", "service", "number"], name="register_book_idx")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.year}/{self.number}"
