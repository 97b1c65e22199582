"""The Kemendagri region table: which province, regency and district codes exist.

Loaded at deploy time from the official list (``layan regions load wilayah.csv``); Layan ships no
copy. A NIK whose district code is not in the table is accepted and flagged for staff, because a
NIK keeps the code it was issued under and regions split and are renumbered.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency or city")
        DISTRICT = 3, _("district")
        VILLAGE = 4, _("village")

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="region_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
