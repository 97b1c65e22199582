"""Stored SOP versions and the drafts an office edits.

A version is immutable once stored: its full definition is kept as JSON (the source of truth for
the engine) together with one row per step, so queues can join a request's current step to its
performing role. A request points at the step row of the version it started on.

A version takes effect at its ``effective_at``: the flow's current version, the one a new request
takes, is the highest-numbered version whose moment has come (:meth:`Sop.version_at`). A draft is
the office's next version in the making (one per flow), edited in the console or through the API
and published by ``layan.sop.editing``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.sop.definition import SopDefinition, from_json


class Sop(models.Model):
    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="sops")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=300)

    class Meta:
        verbose_name = _("SOP")
        verbose_name_plural = _("SOPs")
        ordering = ["office", "code"]
        constraints = [models.UniqueConstraint(fields=["office", "code"], name="sop_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.office.code})"

    @property
    def current_version(self) -> SopVersion | None:
        """The version a new request takes now (see :meth:`version_at`)."""
        return self.version_at(timezone.now())

    def version_at(self, moment: datetime) -> SopVersion | None:
        """The highest-numbered version whose effective moment has come by ``moment``; for a
        moment before any took effect (a request recorded after the fact), the first one."""
        found = self.versions.in_force(moment).order_by("-number").first()
        return found or self.versions.order_by("number").first()


class Origin(models.TextChoices):
    """Where a version's content came from."""

    FILE = "file", _("file (layan sop load)")
    EDITOR = "editor", _("console editor")
    API = "api", _("API")


class SopVersionQuerySet(models.QuerySet):
    def in_force(self, moment: datetime | None = None) -> SopVersionQuerySet:
        """Versions that have taken effect by ``moment`` (now by default)."""
        return self.filter(effective_at__lte=moment or timezone.now())


def current_version_ids(sop_ids, moment: datetime | None = None) -> dict[int, int]:
    """Per flow id: the id of its current version (flows without one are left out)."""
    current: dict[int, int] = {}
    rows = (
        SopVersion.objects.in_force(moment)
        .filter(sop_id__in=set(sop_ids))
        .order_by("sop_id", "-number")
        .values_list("sop_id", "pk")
    )
    for sop_id, version_id in rows:
        current.setdefault(sop_id, version_id)
    return current


class SopVersion(models.Model):
    sop = models.ForeignKey(Sop, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    checksum = models.CharField(_("checksum"), max_length=64)
    definition = models.JSONField(_("definition"))
    source_text = models.TextField(_("source file"), blank=True)
    source_name = models.CharField(_("file name"), max_length=200, blank=True)
    step_count = models.PositiveSmallIntegerField(_("steps"))
    total_minutes = models.PositiveIntegerField(_("total minutes"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When new requests start taking it (published now, or for a later date).
    effective_at = models.DateTimeField(_("takes effect"), default=timezone.now)
    reason = models.TextField(_("why"), blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.FILE
    )
    # The head of office who approved it, when the office asks for approval.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    objects = SopVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("SOP version")
        verbose_name_plural = _("SOP versions")
        ordering = ["sop", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["sop", "number"], name="sopversion_unique_number"),
            models.CheckConstraint(
                condition=Q(origin__in=[o.value for o in Origin]), name="sopversion_origin_valid"
            ),
        ]
        indexes = [
            # "this content was loaded before" (layan sop load skips it)
            models.Index(fields=["sop", "checksum"], name="sopversion_content_idx"),
            # the current version: the latest that has taken effect
            models.Index(fields=["sop", "effective_at"], name="sopversion_effective_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sop} v{self.number}"

    @cached_property
    def parsed(self) -> SopDefinition:
        return from_json(self.definition)


class SopStep(models.Model):
    version = models.ForeignKey(SopVersion, models.CASCADE, related_name="steps")
    key = models.CharField(_("key"), max_length=40)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    position = models.PositiveSmallIntegerField()
    role = models.ForeignKey("offices.Role", models.PROTECT, related_name="steps")
    # The staff role that works the step: its performer, or who records an applicant's step at
    # the counter (``assisted_by``). Queues filter on it; null for intake, auto and bot steps.
    acting_role = models.ForeignKey(
        "offices.Role", models.PROTECT, null=True, blank=True, related_name="acting_steps"
    )
    activity = models.TextField(_("activity"))
    minutes = models.PositiveIntegerField(_("standard minutes"), null=True, blank=True)
    output = models.CharField(_("output"), max_length=300, blank=True)
    side = models.BooleanField(_("side step"), default=False)
    visible_to_applicant = models.BooleanField(_("visible to applicant"), default=False)
    applicant_text = models.CharField(_("text for the applicant"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("SOP step")
        verbose_name_plural = _("SOP steps")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="sopstep_unique_key"),
            models.CheckConstraint(
                condition=models.Q(side=True, number__isnull=True)
                | models.Q(side=False, number__isnull=False),
                name="sopstep_number_iff_main",
            ),
        ]
        indexes = [
            models.Index(fields=["role"], name="sopstep_role_idx"),
            models.Index(fields=["acting_role"], name="sopstep_acting_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}. {self.activity[:60]}"


class DraftState(models.TextChoices):
    EDITING = "editing", _("being edited")
    SUBMITTED = "submitted", _("waiting for the head of office's approval")


class SopDraft(models.Model):
    """The next version of a flow in the making: the format's mapping as the editor keeps it
    (it may have problems; only a draft without any can be published)."""

    sop = models.OneToOneField(Sop, models.CASCADE, related_name="draft")
    data = models.JSONField(_("content"))
    # Per main step of ``data``: the key of the base version's step it was, "" for a new one;
    # how the editor knows which steps a change removes.
    origins = models.JSONField(default=list, blank=True)
    base_version = models.ForeignKey(
        SopVersion, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Bumped by every save: an editor that saved over an older revision gets a conflict.
    revision = models.PositiveIntegerField(default=1)
    state = models.CharField(
        _("state"), max_length=10, choices=DraftState.choices, default=DraftState.EDITING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A draft submitted for approval: who asked, why, and from when it should apply.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("why"), blank=True)
    effective_at = models.DateTimeField(_("takes effect"), null=True, blank=True)
    # The head of office's reason when they sent it back.
    decline_note = models.TextField(_("why it was sent back"), blank=True)

    class Meta:
        verbose_name = _("SOP draft")
        verbose_name_plural = _("SOP drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in DraftState]), name="sopdraft_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="submitted") | Q(submitted_at__isnull=False),
                name="sopdraft_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sop} (draft r{self.revision})"
