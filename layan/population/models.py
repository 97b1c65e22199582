"""What the Data Ganda check found on a request, and what officers decided about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.cases.models import AppendOnlyQuerySet


class DuplicateFinding(models.Model):
    """One registry record a duplicate rule matched for a person the request names (or, with no
    record, the person's NIK disagreeing with their own birth date or sex). ``record`` is what
    the officer may see of it: all of it when their office holds the record, otherwise only what
    the comparison needs (masked NIK, name, birth date, region)."""

    class State(models.TextChoices):
        OPEN = "open", _("to decide")
        NOT_DUPLICATE = "not_duplicate", _("not a duplicate")
        ESCALATED = "escalated", _("with the database administrator")
        RESOLVED = "resolved", _("resolved")
        CLEARED = "cleared", _("no longer found")

    UNDECIDED = (State.OPEN, State.ESCALATED)

    case = models.ForeignKey("cases.Case", models.CASCADE, related_name="findings")
    person_key = models.CharField(max_length=40)  # where the request names them: "member:2"
    person = models.JSONField(_("as the request states"))
    record_ref = models.CharField(max_length=40, blank=True)  # the registry record ("" none)
    record = models.JSONField(_("as the registry holds"), default=dict, blank=True)
    record_region = models.CharField(max_length=5, blank=True)
    rule = models.CharField(_("rule"), max_length=60)
    level = models.CharField(_("level"), max_length=5)
    score = models.FloatField(_("score"))
    state = models.CharField(max_length=14, choices=State.choices, default=State.OPEN)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("duplicate finding")
        verbose_name_plural = _("duplicate findings")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person_key", "record_ref"], name="finding_unique"
            ),
            models.CheckConstraint(condition=Q(level__in=["block", "warn"]), name="finding_level"),
            models.CheckConstraint(
                condition=Q(
                    state__in=["open", "not_duplicate", "escalated", "resolved", "cleared"]
                ),
                name="finding_state",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "cleared"]) | ~Q(reason="") | Q(state="escalated"),
                name="finding_decision_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["case", "state"], name="finding_case_state_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.person_key} {self.rule}"


class RegistryAccess(models.Model):
    """Who looked at the population registry, when and for what (the office administrator's
    access log beside the requests'): a look-up by NIK, KK or name, a resident's page. The NIK
    looked up is kept masked. Never changed."""

    class Kind(models.TextChoices):
        LOOKUP = "lookup", _("look-up")
        RESIDENT = "resident", _("resident page")
        PREFILL = "prefill", _("form filled from the registry")
        API = "api", _("API look-up")

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    query = models.CharField(_("looked up"), max_length=200, blank=True)
    found = models.PositiveIntegerField(_("records shown"), default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("registry access")
        verbose_name_plural = _("registry access log")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["office", "-at"], name="registry_access_office_idx"),
            models.Index(fields=["user", "-at"], name="registry_access_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
