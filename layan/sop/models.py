"""Stored SOP versions.

A version is immutable once stored: its full definition is kept as JSON (the source of truth for
the engine) together with one row per step, so queues can join a request's current step to its
performing role. A request points at the step row of the version it started on.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
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
        return self.versions.order_by("-number").first()


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

    class Meta:
        verbose_name = _("SOP version")
        verbose_name_plural = _("SOP versions")
        ordering = ["sop", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["sop", "number"], name="sopversion_unique_number"),
            models.UniqueConstraint(fields=["sop", "checksum"], name="sopversion_unique_content"),
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
