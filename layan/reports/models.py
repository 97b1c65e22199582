"""What the reports read besides the engine's own rows: each step a request passed, with its
working minutes, filled from the request's history (:mod:`layan.reports.passages`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StepPassage(models.Model):
    """One step a request rested at and left: who moved it on, how, and the working minutes it
    took with the waits on the applicant left out. Rebuilt from the events, never edited."""

    case = models.ForeignKey("cases.Case", models.CASCADE, related_name="passages")
    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    step = models.CharField(_("step"), max_length=40)
    step_number = models.PositiveSmallIntegerField(_("step number"))
    role = models.CharField(_("role"), max_length=40, blank=True)
    entered_seq = models.PositiveIntegerField()
    entered_at = models.DateTimeField(_("entered at"))
    left_at = models.DateTimeField(_("left at"))
    working_minutes = models.FloatField(_("working minutes"))
    waited_minutes = models.FloatField(_("minutes waiting on the applicant"), default=0)
    standard_minutes = models.PositiveIntegerField(_("standard minutes"), null=True, blank=True)
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    left_how = models.CharField(max_length=24, blank=True)

    class Meta:
        verbose_name = _("step passage")
        verbose_name_plural = _("step passages")
        constraints = [
            models.UniqueConstraint(fields=["case", "entered_seq"], name="passage_unique"),
            models.CheckConstraint(
                condition=Q(working_minutes__gte=0) & Q(waited_minutes__gte=0),
                name="passage_minutes_positive",
            ),
            models.CheckConstraint(
                condition=Q(left_at__gte=F("entered_at")), name="passage_left_after_entered"
            ),
        ]
        indexes = [
            # the SLA report: an office's passages left in a period, per service and step
            models.Index(fields=["office", "left_at"], name="passage_office_left_idx"),
            models.Index(
                fields=["office", "service", "step", "left_at"], name="passage_step_left_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step}"


class BacklogSnapshot(models.Model):
    """How many requests stood open at a step, by age, at the end of a day (the last snapshot
    of the day wins), so the backlog's trend can be drawn."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    step = models.CharField(_("step"), max_length=40)
    step_number = models.PositiveSmallIntegerField(_("step number"))
    bucket = models.PositiveSmallIntegerField(_("age bucket"))  # index into AGE_BUCKETS
    count = models.PositiveIntegerField(_("requests"))
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("backlog snapshot")
        verbose_name_plural = _("backlog snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "service", "step", "bucket"], name="backlog_unique"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="backlog_count_positive"),
        ]
        indexes = [models.Index(fields=["office", "day"], name="backlog_office_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.step}"


class FillState(models.Model):
    """How far a daily rollup is filled (Zulip's analytics ``FillState``): ``filled_until`` is
    the last day that is complete in every office; ``started`` while a day is being written, so
    a run that died is redone from that day."""

    class State(models.TextChoices):
        STARTED = "started", _("started")
        DONE = "done", _("done")

    name = models.CharField(max_length=40, unique=True)
    filled_until = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DONE)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rollup fill state")
        verbose_name_plural = _("rollup fill states")

    def __str__(self) -> str:
        return f"{self.name} {self.filled_until} {self.state}"


class DailyIntake(models.Model):
    """Requests that came in on one day (the office's time zone), per service, channel and
    submitter kind."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    day = models.DateField()
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    channel = models.CharField(max_length=12)
    submitter_kind = models.CharField(max_length=20)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "service", "channel", "submitter_kind"],
                name="daily_intake_unique",
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="daily_intake_positive"),
        ]
        indexes = [models.Index(fields=["office", "day"], name="daily_intake_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.service_id} {self.count}"


class DailyStepStat(models.Model):
    """Passages that left a step on one day: how many, how many within the standard (and how
    many steps had one), the sum of their working minutes (percentiles come from the passages
    themselves, never from sums)."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    day = models.DateField()
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    step = models.CharField(max_length=40)
    step_number = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=40, blank=True)
    passed = models.PositiveIntegerField()
    with_standard = models.PositiveIntegerField()
    within = models.PositiveIntegerField()
    minutes_total = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "service", "step", "role"], name="daily_step_unique"
            ),
            models.CheckConstraint(
                condition=Q(within__lte=F("with_standard")) & Q(with_standard__lte=F("passed")),
                name="daily_step_counts_consistent",
            ),
        ]
        indexes = [models.Index(fields=["office", "day"], name="daily_step_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.step} {self.passed}"
