"""What the resident bot keeps: an office's own texts, who follows which request, survey answers.

The conversation state itself lives on :class:`layan.whatsapp.models.Conversation`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.bot.wording import check_override


class BotText(models.Model):
    """An office's wording of one bot text in one language, over the shipped default."""

    class Language(models.TextChoices):
        ID = "id", _("Indonesian")
        EN = "en", _("English")

    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="bot_texts")
    key = models.SlugField(_("text"), max_length=60)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ID
    )
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bot text")
        verbose_name_plural = _("bot texts")
        ordering = ["office", "key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["office", "key", "language"], name="bottext_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"

    def clean(self) -> None:
        try:
            check_override(self.key, self.text)
        except ValueError as exc:
            raise ValidationError({"text": str(exc)}) from exc


class CaseContact(models.Model):
    """A WhatsApp conversation that hears about a request: the one it was applied from, the
    applicant's own number when someone applied for them, or whoever proved they may follow it."""

    class Kind(models.TextChoices):
        SUBMITTER = "submitter", _("submitted it")
        APPLICANT = "applicant", _("the applicant's own number")
        FOLLOWER = "follower", _("follows it")

    case = models.ForeignKey("cases.Case", models.CASCADE, related_name="contacts")
    conversation = models.ForeignKey(
        "whatsapp.Conversation", models.CASCADE, related_name="case_contacts"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request contact")
        verbose_name_plural = _("request contacts")
        constraints = [
            models.UniqueConstraint(fields=["case", "conversation"], name="casecontact_unique")
        ]
        indexes = [models.Index(fields=["conversation", "case"], name="casecontact_conv_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.conversation_id} ({self.kind})"


SKM_ELEMENTS = 9


class SurveyResponse(models.Model):
    """One answered satisfaction survey (SKM, PermenPAN-RB 14/2017): nine elements, each 1–4 or
    skipped (null)."""

    case = models.OneToOneField("cases.Case", models.CASCADE, related_name="survey")
    office = models.ForeignKey("offices.Office", models.CASCADE, related_name="surveys")
    service = models.ForeignKey("offices.Service", models.CASCADE, related_name="surveys")
    u1 = models.PositiveSmallIntegerField(_("requirements"), null=True, blank=True)
    u2 = models.PositiveSmallIntegerField(_("procedure"), null=True, blank=True)
    u3 = models.PositiveSmallIntegerField(_("time"), null=True, blank=True)
    u4 = models.PositiveSmallIntegerField(_("cost"), null=True, blank=True)
    u5 = models.PositiveSmallIntegerField(_("product"), null=True, blank=True)
    u6 = models.PositiveSmallIntegerField(_("staff competence"), null=True, blank=True)
    u7 = models.PositiveSmallIntegerField(_("staff behaviour"), null=True, blank=True)
    u8 = models.PositiveSmallIntegerField(_("facilities"), null=True, blank=True)
    u9 = models.PositiveSmallIntegerField(_("complaint handling"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"u{i}__isnull": True}) | Q(**{f"u{i}__gte": 1, f"u{i}__lte": 4}),
                name=f"survey_u{i}_range",
            )
            for i in range(1, SKM_ELEMENTS + 1)
        ]
        indexes = [models.Index(fields=["office", "submitted_at"], name="survey_office_idx")]

    def __str__(self) -> str:
        return f"SKM {self.case_id}"

    def answers(self) -> list[int | None]:
        return [getattr(self, f"u{i}") for i in range(1, SKM_ELEMENTS + 1)]
