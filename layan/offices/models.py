"""Offices, their staff roles, WhatsApp numbers and service catalogue.

An office is a Disdukcapil with its own working hours, SOPs and services. Staff hold one or more
roles per office; every permission check in the engine is "does this user hold that role in the
request's office", so the role rows are the unit of access.
"""

from __future__ import annotations

from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.core.crypto import EncryptedTextField
from layan.offices.calendar import parse_hours

region_code_validator = RegexValidator(
    r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$",
    _("Use a Kemendagri region code such as 18.08."),
)


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone %(tz)s."), params={"tz": value}) from exc


class Office(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    region_code = models.CharField(
        _("region code"), max_length=13, validators=[region_code_validator]
    )
    timezone = models.CharField(
        _("time zone"), max_length=40, default="Asia/Jakarta", validators=[validate_timezone]
    )
    hours = models.JSONField(
        _("working hours"),
        default=dict,
        help_text=_('Per weekday, e.g. {"mon": "07:30-16:00", "sat": null}.'),
    )
    head_name = models.CharField(_("head of office"), max_length=120, blank=True)
    head_nip = models.CharField(_("head's NIP"), max_length=30, blank=True)
    head_title = models.CharField(_("head's title"), max_length=160, blank=True)
    address = models.CharField(
        _("address"), max_length=240, blank=True, help_text=_("Printed in the letterhead.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The Data Ganda rules (the catalogue's ``duplicates:`` block; empty: the defaults of
    # layan.registry.dedup).
    duplicate_rules = models.JSONField(_("duplicate rules"), default=dict, blank=True)
    # A new SOP or catalogue version takes effect only once the head of office (role ``kadis``),
    # a second person, approved it.
    change_approval = models.BooleanField(
        _("changes need the head of office's approval"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        try:
            parse_hours(self.hours or {})
        except ValueError as exc:
            raise ValidationError({"hours": str(exc)}) from exc

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class OfficeDayOff(models.Model):
    """A day the office is closed on top of the national holidays (local anniversary, …)."""

    office = models.ForeignKey(Office, models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="dayoff_unique_per_office")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class Role(models.Model):
    """A position in an office: a swimlane of its SOPs (staff, applicant or bot) or an extra
    staff role such as the office administrator. Only staff roles are given to users."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("staff")
        APPLICANT = "applicant", _("applicant")
        BOT = "bot", _("bot")

    office = models.ForeignKey(Office, models.CASCADE, related_name="roles")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STAFF)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["office", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="role_unique_per_office")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office.code})"


class StaffRole(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="staff_roles")
    role = models.ForeignKey(Role, models.CASCADE, related_name="holders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="staffrole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role}"

    def clean(self) -> None:
        if self.role_id and self.role.kind != Role.Kind.STAFF:
            raise ValidationError(_("Only staff roles can be given to users."))


class Service(models.Model):
    class Delivery(models.TextChoices):
        PDF = "pdf", _("signed PDF on WhatsApp")
        PICKUP = "pickup", _("pickup at the office")
        POST = "post", _("sent by post")

    office = models.ForeignKey(Office, models.CASCADE, related_name="services")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=160)
    short_name = models.CharField(
        _("short name"),
        max_length=24,
        blank=True,
        help_text=_("At most 24 characters: the title in WhatsApp menus (the name when empty)."),
    )
    prefix = models.CharField(
        _("tracking code prefix"),
        max_length=4,
        validators=[RegexValidator(r"^[A-Z]{2,4}$", _("2 to 4 capital letters."))],
    )
    sop = models.ForeignKey("sop.Sop", models.PROTECT, related_name="services")
    output = models.CharField(_("output document"), max_length=160)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PDF
    )
    document = models.SlugField(
        _("document type"),
        max_length=40,
        blank=True,
        help_text=_("The template of its output (kk, akta-kelahiran, …; see docs/documents.md)."),
    )
    forms = models.JSONField(_("form codes"), default=list, blank=True)
    questions = models.JSONField(_("questions"), default=list, blank=True)
    # Whom a request names and what its completion changes in the registry (layan.offices.people).
    registry = models.JSONField(_("registry links"), default=dict, blank=True)
    bring_on_pickup = models.JSONField(_("to bring on pickup"), default=list, blank=True)
    fields = models.JSONField(
        _("data-entry fields"),
        default=list,
        blank=True,
        help_text=_("What officers type at the data-entry step (see docs/office-catalogue.md)."),
    )
    is_complaint = models.BooleanField(
        _("complaint service"),
        default=False,
        help_text=_("Residents reach it through “Pengaduan” in the menu, not the service list."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["office", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="service_unique_code"),
            models.UniqueConstraint(fields=["office", "prefix"], name="service_unique_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office.code})"

    @property
    def menu_title(self) -> str:
        return self.short_name or self.name


class Requirement(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        DOCUMENT = "document", _("document")
        TEXT = "text", _("text")
        NIK = "nik", _("NIK")

    service = models.ForeignKey(Service, models.CASCADE, related_name="requirements")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=240)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    condition = models.JSONField(
        _("condition"),
        null=True,
        blank=True,
        help_text=_(
            'Asked only when an answer matches, e.g. {"question": "reason", "in": ["lost"]}.'
        ),
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Added by a catalogue version while requests were under way: asked only of the requests
    # submitted from then on (null: of every request).
    applies_from = models.DateTimeField(_("asked of requests from"), null=True, blank=True)

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["service", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="requirement_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label


class Channel(models.Model):
    """A WhatsApp number of an office, offering some of its services."""

    office = models.ForeignKey(Office, models.CASCADE, related_name="channels")
    phone = models.CharField(_("phone number"), max_length=24)
    phone_number_id = models.CharField(_("WhatsApp phone number id"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=120)
    services = models.ManyToManyField(Service, related_name="channels", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Encrypted at rest (layan.core.crypto); read back as plaintext.
    access_token = EncryptedTextField(
        _("access token"),
        blank=True,
        help_text=_("Overrides WHATSAPP_ACCESS_TOKEN for this number when set."),
    )
    # Set when Meta refuses the token (error 190): nothing is sent until an administrator
    # fixes the token and clears this; queued messages wait, none is lost.
    sending_paused_at = models.DateTimeField(_("sending paused at"), null=True, blank=True)
    paused_reason = models.CharField(_("why sending is paused"), max_length=300, blank=True)
    # One sender per number at a time (keeps the per-number rate); a lease, not a lock, so no
    # database transaction is held open while talking to Meta.
    send_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")
        ordering = ["office", "phone"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone_number_id__regex=r"^[0-9]+$"), name="channel_id_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.label})"


class StaffPreference(models.Model):
    """What an officer chose for themselves: the console's language (Indonesian by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="preference"
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("staff preference")
        verbose_name_plural = _("staff preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class ChangeState(models.TextChoices):
    EDITING = "editing", _("being edited")
    SUBMITTED = "submitted", _("waiting for the head of office's approval")


class CatalogueVersion(models.Model):
    """What an office's services ask and say, as published: per service its name, output,
    questions, requirements, data-entry fields and pickup items, and the office's bot texts.
    The services' rows hold the current version; these rows are the history."""

    class Origin(models.TextChoices):
        FILE = "file", _("catalogue file")
        EDITOR = "editor", _("console editor")
        API = "api", _("API")

    office = models.ForeignKey(Office, models.CASCADE, related_name="catalogue_versions")
    number = models.PositiveIntegerField(_("version"))
    checksum = models.CharField(_("checksum"), max_length=64)
    data = models.JSONField(_("content"))
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.FILE
    )
    reason = models.TextField(_("why"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        ordering = ["office", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="catversion_unique_number"),
            models.CheckConstraint(
                condition=Q(origin__in=["file", "editor", "api"]), name="catversion_origin_valid"
            ),
        ]
        indexes = [models.Index(fields=["office", "checksum"], name="catversion_content_idx")]

    def __str__(self) -> str:
        return f"{self.office.code} catalogue v{self.number}"


class CatalogueDraft(models.Model):
    """An office's next catalogue version in the making (one per office)."""

    office = models.OneToOneField(Office, models.CASCADE, related_name="catalogue_draft")
    data = models.JSONField(_("content"))
    base_version = models.ForeignKey(
        CatalogueVersion, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1)
    state = models.CharField(
        _("state"), max_length=10, choices=ChangeState.choices, default=ChangeState.EDITING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("why"), blank=True)
    decline_note = models.TextField(_("why it was sent back"), blank=True)

    class Meta:
        verbose_name = _("catalogue draft")
        verbose_name_plural = _("catalogue drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["editing", "submitted"]), name="catdraft_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="submitted") | Q(submitted_at__isnull=False),
                name="catdraft_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} catalogue draft r{self.revision}"


class ChangeLog(models.Model):
    """The audit log of an office's SOP and catalogue changes: who submitted, approved, sent
    back, published or discarded which version, when and why. Rows are never changed."""

    class Subject(models.TextChoices):
        SOP = "sop", _("SOP")
        CATALOGUE = "catalogue", _("catalogue")

    class Action(models.TextChoices):
        PUBLISHED = "published", _("published")
        SUBMITTED = "submitted", _("submitted for approval")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("sent back")
        DISCARDED = "discarded", _("draft discarded")
        IMPORTED = "imported", _("file imported into the draft")
        SETTING = "setting", _("approval setting changed")

    office = models.ForeignKey(Office, models.CASCADE, related_name="change_log")
    subject = models.CharField(_("subject"), max_length=10, choices=Subject.choices)
    code = models.CharField(_("flow"), max_length=60, blank=True)
    number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user_name = models.CharField(_("by"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("why"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        ordering = ["office", "-at", "-pk"]
        indexes = [models.Index(fields=["office", "at"], name="changelog_office_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__in=["sop", "catalogue"]), name="changelog_subject_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    action__in=[
                        "published",
                        "submitted",
                        "approved",
                        "declined",
                        "discarded",
                        "imported",
                        "setting",
                    ]
                ),
                name="changelog_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} {self.subject} {self.code} {self.action}"


class RetentionPolicy(models.Model):
    """How long an office keeps residents' data it no longer needs (UU 27/2022 on personal data
    protection; docs/data-protection.md). The worker applies it daily (``layan.bot.retention``).

    Registers, requests and their history, and signed documents are records of the office and are
    never deleted by retention. An office without a policy row gets the defaults."""

    office = models.OneToOneField(
        Office, models.CASCADE, primary_key=True, related_name="retention_policy"
    )
    attachment_months = models.PositiveSmallIntegerField(
        _("attachments of closed requests (months)"),
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_("Files given for a request are deleted this long after it was closed."),
    )
    message_months = models.PositiveSmallIntegerField(
        _("WhatsApp messages and media (months)"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_(
            "What residents and the office wrote on WhatsApp is blanked, and the files residents "
            "sent are deleted, this long after they were sent."
        ),
    )
    state_days = models.PositiveSmallIntegerField(
        _("conversation state (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "What the bot remembers of a conversation (an application in progress, its last "
            "replies) is forgotten this long after the conversation was last active."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(attachment_months__gte=1, message_months__gte=1, state_days__gte=1),
                name="retention_periods_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}: {self.attachment_months}/{self.message_months} months"


class RetentionRun(models.Model):
    """What one run of the retention policy removed at an office, per kind of data."""

    class Kind(models.TextChoices):
        ATTACHMENTS = "attachments", _("attachments of closed requests")
        MEDIA = "media", _("WhatsApp media")
        MESSAGES = "messages", _("WhatsApp messages")
        STATE = "state", _("conversation state")

    office = models.ForeignKey(Office, models.CASCADE, related_name="retention_runs")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    ran_at = models.DateTimeField(_("ran at"))
    cutoff = models.DateTimeField(_("removed what is older than"))
    removed = models.PositiveIntegerField(_("removed"), default=0)
    files = models.PositiveIntegerField(_("files deleted"), default=0)
    oldest_kept = models.DateTimeField(_("oldest kept"), null=True, blank=True)
    finished = models.BooleanField(
        _("finished"),
        default=True,
        help_text=_("Off when the run stopped at its batch limit; the next run goes on."),
    )

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-ran_at", "office", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["attachments", "media", "messages", "state"]),
                name="retentionrun_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["office", "ran_at"], name="retentionrun_office_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.kind} {self.ran_at:%Y-%m-%d}: {self.removed}"
