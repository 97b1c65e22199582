"""Requests ("permohonan") and their append-only event log.

A case pins the SOP version it started on and points at its current step row; the engine in
``layan.cases.services`` is the only writer of status, step, clocks and events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from layan.cases import flags


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_APPLICANT = "waiting_applicant", _("waiting for the applicant")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


TERMINAL = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)
OPEN = (Status.SUBMITTED, Status.IN_PROGRESS, Status.WAITING_APPLICANT)
ACTIVE = (Status.SUBMITTED, Status.IN_PROGRESS)  # open and not waiting: the clocks run


class SubmitterKind(models.TextChoices):
    APPLICANT = "applicant", _("the applicant")
    FIELD_OFFICER = "field_officer", _("field officer")
    THIRD_PARTY = "third_party", _("third-party reporter")
    STAFF = "staff", _("office staff")


class ActorKind(models.TextChoices):
    """Who made a change: an officer, the applicant (through a channel) or Layan itself."""

    STAFF = "staff", _("staff")
    APPLICANT = "applicant", _("applicant")
    SYSTEM = "system", _("system")


class EventKind(models.TextChoices):
    """What a line of a request's history records. The first six are the SOP's action kinds
    (:class:`layan.sop.definition.ActionKind`, the label of the SOP's own action is shown for
    those); the rest are the engine's and the document work's."""

    COMPLETE = "complete", _("Completed")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned")
    REJECT = "reject", _("Rejected")
    ESCALATE = "escalate", _("Escalated")
    REQUEST_DOCUMENTS = "request_documents", _("Documents requested")
    SUBMIT = "submit", _("Submitted")
    INTAKE = "intake", _("Received at intake")
    AUTO = "auto", _("Passed on automatically")
    RESUME = "resume", _("Documents received")
    CHECK = "check", _("Requirement checked")
    DATA = "data", _("Data saved")
    CLAIM = "claim", _("Claimed")
    RELEASE = "release", _("Put back in the queue")
    FLAG = "flag", _("Flagged")
    ATTACH = "attach", _("File added")
    CONSENT = "consent", _("Applicant's answer to the field officer's application")
    VISIT = "visit", _("Outreach visit")
    ALERT = "alert", _("Late")
    DOCUMENT = "document", _("Document work")
    REGISTRY = "registry", _("Registry check")


# Bookkeeping lines that do not change where a request is or what it waits for.
BOOKKEEPING_KINDS = (EventKind.FLAG, EventKind.ALERT, EventKind.CLAIM, EventKind.RELEASE)


class IntakeChannel(models.TextChoices):
    """How a request came in (reports and queues group by it)."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    COUNTER = "counter", _("counter")
    FIELD = "field", _("field officer")
    REPORTER = "reporter", _("reporter")
    API = "api", _("API")


class Case(models.Model):
    office = models.ForeignKey("offices.Office", models.PROTECT, related_name="cases")
    service = models.ForeignKey("offices.Service", models.PROTECT, related_name="cases")
    sop_version = models.ForeignKey("sop.SopVersion", models.PROTECT, related_name="cases")
    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    current_step = models.ForeignKey(
        "sop.SopStep", models.PROTECT, null=True, blank=True, related_name="cases"
    )

    applicant_name = models.CharField(_("applicant name"), max_length=120)
    applicant_nik = models.CharField(_("applicant NIK"), max_length=16, blank=True)
    applicant_phone = models.CharField(_("applicant phone"), max_length=24, blank=True)
    submitter_kind = models.CharField(
        _("submitted by"),
        max_length=20,
        choices=SubmitterKind.choices,
        default=SubmitterKind.APPLICANT,
    )
    submitter_name = models.CharField(_("submitter name"), max_length=120, blank=True)
    submitter_phone = models.CharField(_("submitter phone"), max_length=24, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=IntakeChannel.choices, default=IntakeChannel.WHATSAPP
    )
    # Where a field officer met the applicant (jorong, nagari, kelurahan), for field intake.
    intake_place = models.CharField(_("place of the visit"), max_length=120, blank=True)
    form_data = models.JSONField(_("form data"), default=dict, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    step_entered_at = models.DateTimeField(null=True, blank=True)
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # While waiting on the applicant the clocks stop; what was left is kept here.
    paused_at = models.DateTimeField(null=True, blank=True)
    step_remaining = models.FloatField(null=True, blank=True)
    due_remaining = models.FloatField(null=True, blank=True)
    # Bumped by every engine action: a client that acted on an older version gets a conflict.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status__in=[s.value for s in TERMINAL], current_step__isnull=True)
                    | (~Q(status__in=[s.value for s in TERMINAL]) & Q(current_step__isnull=False))
                ),
                name="case_open_iff_current_step",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting_applicant") | Q(paused_at__isnull=False),
                name="case_waiting_is_paused",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in IntakeChannel]),
                name="case_channel_valid",
            ),
        ]
        indexes = [
            # Role queues: current step (whose role) × status, sorted by due time.
            models.Index(fields=["current_step", "status", "step_due_at"], name="case_queue_idx"),
            models.Index(fields=["office", "status", "due_at"], name="case_office_idx"),
            models.Index(fields=["assigned_to", "status"], name="case_mine_idx"),
            models.Index(fields=["service", "status"], name="case_service_idx"),
            models.Index(fields=["status", "step_due_at"], name="case_overdue_idx"),
            models.Index(fields=["applicant_nik"], name="case_nik_idx"),
            models.Index(fields=["office", "channel", "created_at"], name="case_channel_idx"),
            # the reports: requests received, and closed, in a period
            models.Index(fields=["office", "created_at"], name="case_office_created_idx"),
            models.Index(fields=["office", "status", "closed_at"], name="case_office_closed_idx"),
            # A field officer's visits of the day: what they submitted, newest first.
            models.Index(fields=["submitted_by", "created_at"], name="case_submitter_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def step(self):
        """The current step's definition (None when closed)."""
        if self.current_step_id is None:
            return None
        return self.sop_version.parsed.step(self.current_step.key)


class CaseFlag(models.Model):
    """A marker on an open case that queues filter on (overdue, undeliverable, …)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="flags")
    code = models.SlugField(_("flag"), max_length=40)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="caseflag_unique")]
        indexes = [models.Index(fields=["code"], name="caseflag_code_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        """What officers read (the registered flag's label, see :mod:`layan.cases.flags`)."""
        return flags.label(self.code)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("this log is append-only")

    def delete(self):
        raise TypeError("this log is append-only")


class CaseEvent(models.Model):
    """One line of a case's history. Rows are never changed or removed."""

    ActorKind = ActorKind
    Kind = EventKind

    case = models.ForeignKey(Case, models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    # Indexed with its time below (caseevent_actor_idx), which also serves lookups by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=40)
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    from_step = models.CharField(max_length=40, blank=True)
    to_step = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="caseevent_seq")]
        indexes = [
            # The supervisor's workload: each officer's actions of the last days.
            models.Index(fields=["actor", "at"], name="caseevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("this log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("this log is append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.code}/{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="attachments")
    requirement = models.SlugField(_("requirement"), max_length=40, blank=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["case", "uploaded_at"]
        indexes = [models.Index(fields=["case", "requirement"], name="attachment_req_idx")]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class RequirementCheck(models.Model):
    """An officer's verdict on one requirement of a request (the checklist).

    One row per request and requirement: accepting or rejecting again replaces the verdict (the
    history keeps every decision as an event). A rejected item holds the request back until the
    applicant sends it again or an officer accepts it.
    """

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    case = models.ForeignKey(Case, models.CASCADE, related_name="checks")
    requirement = models.SlugField(_("requirement"), max_length=40)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("requirement check")
        verbose_name_plural = _("requirement checks")
        constraints = [
            models.UniqueConstraint(fields=["case", "requirement"], name="check_unique_item"),
            models.CheckConstraint(
                condition=Q(verdict__in=["accepted", "rejected"]), name="check_verdict_valid"
            ),
            models.CheckConstraint(
                condition=~Q(verdict="rejected") | ~Q(reason=""), name="check_rejected_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.requirement} {self.verdict}"


class CaseAccess(models.Model):
    """Who opened a request's personal data, when and how: the office administrator's access log.

    Written on every opening of a request page, an attachment or the API detail; never changed.
    """

    class Kind(models.TextChoices):
        PAGE = "page", _("request page")
        FILE = "file", _("attachment")
        API = "api", _("API")

    case = models.ForeignKey(Case, models.CASCADE, related_name="accesses")
    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("access")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["office", "-at"], name="access_office_idx"),
            models.Index(fields=["case", "-at"], name="access_case_idx"),
            models.Index(fields=["user", "-at"], name="access_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.case_id} {self.at:%Y-%m-%d %H:%M}"


class Visit(models.Model):
    """An outreach visit ("jemput bola", Dukcapil Siaga): the officer of a visit step goes to the
    resident, at a planned time and place, with a team and what to bring (the biometric kit).
    Its outcome decides whether the step may go forward: only a recording (or a resident found
    already recorded) lets it."""

    class Outcome(models.TextChoices):
        PLANNED = "planned", _("planned")
        RECORDED = "recorded", _("recorded")
        ALREADY_RECORDED = "already_recorded", _("already recorded before")
        NOT_FOUND = "not_found", _("resident not found")
        AGAIN = "again", _("needs another visit")
        CANCELLED = "cancelled", _("cancelled")

    DONE = (Outcome.RECORDED, Outcome.ALREADY_RECORDED)
    NEEDS_REASON = (Outcome.NOT_FOUND, Outcome.AGAIN, Outcome.CANCELLED)

    case = models.ForeignKey(Case, models.CASCADE, related_name="visits")
    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    step_key = models.CharField(max_length=40)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    place = models.CharField(_("address or location"), max_length=300)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    team = models.CharField(_("team"), max_length=200)
    bring = models.CharField(_("what to bring"), max_length=300, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PLANNED
    )
    outcome_note = models.CharField(_("outcome note"), max_length=300, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField()
    recorded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="visit_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(
                    outcome__in=[
                        "planned",
                        "recorded",
                        "already_recorded",
                        "not_found",
                        "again",
                        "cancelled",
                    ]
                ),
                name="visit_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["not_found", "again", "cancelled"]) | ~Q(outcome_note=""),
                name="visit_failure_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="visit_location_valid",
            ),
            # At most one planned visit per request at a time.
            models.UniqueConstraint(
                fields=["case"], condition=Q(outcome="planned"), name="visit_one_planned"
            ),
        ]
        indexes = [
            # The visits page: an office's visits of a week, by time.
            models.Index(fields=["office", "starts_at"], name="visit_office_idx"),
            # The reminder sweep: planned visits starting soon, not yet reminded.
            models.Index(fields=["outcome", "starts_at"], name="visit_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.starts_at:%Y-%m-%d %H:%M} {self.outcome}"
