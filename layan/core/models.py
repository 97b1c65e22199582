from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicSchedule(models.Model):
    """When each periodic task is next due. The task API has no scheduler, so whichever worker
    locks a due row first enqueues the task and moves ``next_run_at`` on."""

    task_path = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.task_path


class Alert(models.Model):
    """Something an administrator must act on (an expired WhatsApp token, a failing task)."""

    office = models.ForeignKey(
        "offices.Office", models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    kind = models.SlugField(_("kind"), max_length=40)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resolved_at", "kind"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"
