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
    """How far a rollup is filled (Zulip's analytics ``FillState``): ``filled_until`` is the last
    day that is complete in every office; ``started`` while days are being written, so a run that
    died is redone from the day after ``filled_until``."""

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
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["started", "done"]), name="fill_state_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.filled_until} {self.state}"


class StaleDay(models.Model):
    """A day of an office whose rollups no longer match the raw rows (a request created that day
    was completed later, a document issued that day was revoked, …): the reports read that day
    from the raw rows until the worker fills it again and deletes the mark. Marks are only ever
    inserted by the change that causes them, in its own transaction, and deleted by the id the
    fill saw, so a mark that appears while a day is being filled survives the fill."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    day = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("stale report day")
        verbose_name_plural = _("stale report days")
        indexes = [models.Index(fields=["office", "day"], name="stale_office_day_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day}"


class Grain(models.TextChoices):
    DAY = "d", _("day")
    MONTH = "m", _("month")


class RollupRow(models.Model):
    """One office's figures of one day (``grain`` d) or one month (``grain`` m, ``day`` its
    first day; the sum of its days), in the office's time zone, per the rollup's dimensions.
    Written only by :mod:`layan.reports.rollups`."""

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="+")
    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()

    DIMENSIONS: tuple[str, ...] = ()  # the columns that key a row besides office, grain, day

    class Meta:
        abstract = True

    def __str__(self) -> str:
        dims = " ".join(str(getattr(self, d)) for d in self.DIMENSIONS)
        return f"{self.office_id} {self.grain}{self.day} {dims}"

    @classmethod
    def rollup_constraints(cls, name: str, dims: tuple[str, ...], *checks: Q):
        return [
            models.UniqueConstraint(
                fields=["office", "grain", "day", *dims], name=f"{name}_unique"
            ),
            models.CheckConstraint(
                condition=Q(grain="d") | Q(grain="m", day__day=1), name=f"{name}_grain_valid"
            ),
            *(
                models.CheckConstraint(condition=check, name=f"{name}_check_{i}")
                for i, check in enumerate(checks, start=1)
            ),
        ]


class IntakeRollup(RollupRow):
    """Requests that came in (by the day they came in), per service, channel, who submitted
    them and where they stand now (completed, rejected, cancelled or open)."""

    DIMENSIONS = ("service_id", "channel", "submitter_kind", "outcome")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    channel = models.CharField(max_length=12)
    submitter_kind = models.CharField(max_length=20)
    outcome = models.CharField(max_length=12)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "intake_rollup",
            ("service", "channel", "submitter_kind", "outcome"),
            Q(count__gt=0),
            Q(outcome__in=["completed", "rejected", "cancelled", "open"]),
        )


class PlaceRollup(RollupRow):
    """Requests that came in, per service, kecamatan (``PP.KK.DD`` from the applicant's NIK) and
    desa/kelurahan (as typed at data entry, spaces folded, title case)."""

    DIMENSIONS = ("service_id", "district", "village")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    district = models.CharField(max_length=8, blank=True)
    village = models.CharField(max_length=120, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "place_rollup", ("service", "district", "village"), Q(count__gt=0)
        )


class ClosingRollup(RollupRow):
    """Requests closed (by the day they closed), per service and final status, and how many of
    them closed by their SOP's overall deadline."""

    DIMENSIONS = ("service_id", "status")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    count = models.PositiveIntegerField()
    within_deadline = models.PositiveIntegerField()

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "closing_rollup",
            ("service", "status"),
            Q(count__gt=0) & Q(within_deadline__lte=F("count")),
        )


class StepRollup(RollupRow):
    """Step passages (by the day they left the step), per service, step and acting role: how
    many, how many had a standard and were within it, their working minutes' sum and their
    histogram (``minutes``: {bin: count}, see :func:`layan.reports.rollups.minute_bin`), from
    which the percentiles are read."""

    DIMENSIONS = ("service_id", "step", "step_number", "role")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    step = models.CharField(max_length=40)
    step_number = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=40, blank=True)
    passed = models.PositiveIntegerField()
    with_standard = models.PositiveIntegerField()
    within = models.PositiveIntegerField()
    minutes_total = models.FloatField()
    minutes = models.JSONField(default=dict)

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "step_rollup",
            ("service", "step", "step_number", "role"),
            Q(passed__gt=0) & Q(within__lte=F("with_standard")) & Q(with_standard__lte=F("passed")),
            Q(minutes_total__gte=0),
        )


class OfficerRollup(RollupRow):
    """Step passages an officer moved on (by the day they left the step), per service, with the
    same figures as :class:`StepRollup`."""

    DIMENSIONS = ("service_id", "officer_id")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    passed = models.PositiveIntegerField()
    with_standard = models.PositiveIntegerField()
    within = models.PositiveIntegerField()
    minutes_total = models.FloatField()
    minutes = models.JSONField(default=dict)

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "officer_rollup",
            ("service", "officer"),
            Q(passed__gt=0) & Q(within__lte=F("with_standard")) & Q(with_standard__lte=F("passed")),
            Q(minutes_total__gte=0),
        )


class DocumentRollup(RollupRow):
    """The output side per service: documents issued (by the day they were signed; also counted
    as superseded or revoked by their status now), cards printed, documents and cards handed
    over, signed PDFs sent on WhatsApp (each by the day it happened)."""

    MEASURES = ("issued", "superseded", "revoked", "printed", "handed_over", "delivered")
    DIMENSIONS = ("service_id", "measure")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    measure = models.CharField(max_length=12)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "document_rollup",
            ("service", "measure"),
            Q(count__gt=0),
            Q(
                measure__in=[
                    "issued",
                    "superseded",
                    "revoked",
                    "printed",
                    "handed_over",
                    "delivered",
                ]
            ),  # fmt: skip
        )


class SurveyRollup(RollupRow):
    """Satisfaction survey answers (by the day they were given) per service: respondents and,
    in ``answers``, how many answered each value of each element ({"U:V": count}, U 1–9, V 1–4),
    from which the IKM is computed."""

    DIMENSIONS = ("service_id",)
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    respondents = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "survey_rollup", ("service",), Q(respondents__gt=0)
        )


class ComplaintRollup(RollupRow):
    """Complaints received (by the day they came in) per service, category (the answer's code),
    status now, whether they were escalated and answered by the flow's deadline; the answer
    time's histogram (working minutes) of the answered ones."""

    DIMENSIONS = ("service_id", "category", "status", "escalated", "within")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="+")
    category = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=20)
    escalated = models.BooleanField()
    within = models.BooleanField()
    count = models.PositiveIntegerField()
    minutes = models.JSONField(default=dict)

    class Meta:
        constraints = RollupRow.rollup_constraints(
            "complaint_rollup",
            ("service", "category", "status", "escalated", "within"),
            Q(count__gt=0),
        )
