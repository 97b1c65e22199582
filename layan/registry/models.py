"""The Kemendagri region table: which province, regency and district codes exist.

Loaded at deploy time from the official list (``layan regions load wilayah.csv``); Layan ships no
copy. A NIK whose district code is not in the table is accepted and flagged for staff, because a
NIK keeps the code it was issued under and regions split and are renumbered.
"""

from __future__ import annotations

from django.conf import settings
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


# --------------------------------------------------------------------------- the population


class Sex(models.TextChoices):
    MALE = "L", _("male")
    FEMALE = "P", _("female")


class LifeStatus(models.TextChoices):
    ALIVE = "alive", _("alive")
    DECEASED = "deceased", _("deceased")
    MOVED = "moved", _("moved out")
    INACTIVE = "inactive", _("inactive (a duplicate record)")


class Family(models.Model):
    """A family (Kartu Keluarga): its number, head and address. ``region`` is the regency
    (``PP.KK``) whose office holds the record."""

    kk_number = models.CharField(_("KK number"), max_length=16, unique=True)
    head = models.ForeignKey(
        "Resident", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("head of the family"),
    )  # fmt: skip
    address = models.CharField(_("address"), max_length=200, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)
    rw = models.CharField("RW", max_length=3, blank=True)
    village_code = models.CharField(_("desa/kelurahan code"), max_length=13, blank=True)
    village = models.CharField(_("desa/kelurahan"), max_length=120, blank=True)
    region = models.CharField(_("holding regency"), max_length=5)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kk_number__regex=r"^[0-9]{16}$"), name="family_kk_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(region__regex=r"^[0-9]{2}\.[0-9]{2}$"), name="family_region"
            ),
        ]
        indexes = [models.Index(fields=["region", "kk_number"], name="family_region_idx")]

    def __str__(self) -> str:
        return self.kk_number


class Resident(models.Model):
    """One person in the population registry (the local stand-in for SIAK). ``name_key`` is the
    name folded for matching (:func:`layan.registry.folding.fold_name`); ``region`` is the
    regency whose office holds the record and resolves its duplicates."""

    nik = models.CharField("NIK", max_length=16)
    name = models.CharField(_("name"), max_length=120)
    name_key = models.CharField(max_length=120, db_index=True)
    birth_place = models.CharField(_("place of birth"), max_length=80, blank=True)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    religion = models.CharField(_("religion"), max_length=20, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=20, blank=True)
    relation = models.CharField(_("relation in the family"), max_length=20, blank=True)
    father_name = models.CharField(_("father's name"), max_length=120, blank=True)
    mother_name = models.CharField(_("mother's name"), max_length=120, blank=True)
    mother_key = models.CharField(max_length=120, blank=True)
    family = models.ForeignKey(
        Family, models.SET_NULL, null=True, blank=True, related_name="members"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)
    rw = models.CharField("RW", max_length=3, blank=True)
    village_code = models.CharField(_("desa/kelurahan code"), max_length=13, blank=True)
    village = models.CharField(_("desa/kelurahan"), max_length=120, blank=True)
    region = models.CharField(_("holding regency"), max_length=5)
    status = models.CharField(
        _("status"), max_length=10, choices=LifeStatus.choices, default=LifeStatus.ALIVE
    )
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    moved_to = models.CharField(_("moved to"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("the record it is a duplicate of"),
    )  # fmt: skip
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            # One NIK, one living record: an inactive duplicate keeps its old number.
            models.UniqueConstraint(
                fields=["nik"], condition=~models.Q(status="inactive"), name="resident_nik_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(nik__regex=r"^[0-9]{16}$"), name="resident_nik_digits"
            ),
            models.CheckConstraint(condition=models.Q(sex__in=["L", "P"]), name="resident_sex"),
            models.CheckConstraint(
                condition=models.Q(status__in=["alive", "deceased", "moved", "inactive"]),
                name="resident_status",
            ),
            models.CheckConstraint(
                condition=models.Q(region__regex=r"^[0-9]{2}\.[0-9]{2}$"), name="resident_region"
            ),
            models.CheckConstraint(
                condition=models.Q(status="inactive") | models.Q(merged_into__isnull=True),
                name="resident_merged_is_inactive",
            ),
        ]
        indexes = [
            # the duplicate check's blocking keys: the birth date (±1 day, day and month
            # swapped) with the sex, the folded name, the mother's name with the birth date
            models.Index(fields=["birth_date", "sex"], name="resident_birth_idx"),
            models.Index(fields=["mother_key", "birth_date"], name="resident_mother_idx"),
            models.Index(fields=["nik"], name="resident_nik_idx"),
            models.Index(fields=["region", "name_key"], name="resident_region_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.nik} {self.name}"


class RegistryChange(models.Model):
    """One entry of the registry's own history: what changed in a resident or family record,
    why (the request, the import, a duplicate resolved) and by whom."""

    class Kind(models.TextChoices):
        IMPORTED = "imported", _("imported")
        CREATED = "created", _("registered")
        UPDATED = "updated", _("changed")
        NIK_ISSUED = "nik_issued", _("NIK issued")
        DECEASED = "deceased", _("death recorded")
        MOVED_OUT = "moved_out", _("moved out")
        MOVED_IN = "moved_in", _("moved in")
        FAMILY = "family", _("family changed")
        MERGED = "merged", _("merged into another record")
        INACTIVATED = "inactivated", _("marked inactive")
        NIK_CORRECTED = "nik_corrected", _("NIK corrected")
        NOT_DUPLICATE = "not_duplicate", _("marked as not a duplicate")

    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    resident = models.ForeignKey(
        Resident, models.PROTECT, null=True, blank=True, related_name="changes"
    )
    family = models.ForeignKey(
        Family, models.PROTECT, null=True, blank=True, related_name="changes"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    case_code = models.CharField(_("request"), max_length=32, blank=True)
    region = models.CharField(max_length=5)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resident__isnull=False) | models.Q(family__isnull=False),
                name="registry_change_has_subject",
            )
        ]
        indexes = [models.Index(fields=["region", "at"], name="registry_change_region_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.resident_id or self.family_id}"


class NikSerial(models.Model):
    """The last serial issued for a NIK prefix (district code + birth date, day + 40 for women):
    the next NIK of that prefix takes the next serial, under a row lock."""

    prefix = models.CharField(max_length=12, unique=True)
    last = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(last__lte=9999), name="nik_serial_range")
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.last}"


class NotDuplicate(models.Model):
    """Two records an officer compared and found to be two people: the check ignores the pair
    from then on."""

    first = models.ForeignKey(Resident, models.CASCADE, related_name="+")
    second = models.ForeignKey(Resident, models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("pair that is not a duplicate")
        verbose_name_plural = _("pairs that are not duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_duplicate_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="not_duplicate_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class SuspectedDuplicate(models.Model):
    """A pair of records the nightly full scan suspects to be one person, for the database
    administrator of the regency that holds either."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        NOT_DUPLICATE = "not_duplicate", _("not a duplicate")
        RESOLVED = "resolved", _("resolved")

    first = models.ForeignKey(Resident, models.CASCADE, related_name="+")
    second = models.ForeignKey(Resident, models.CASCADE, related_name="+")
    rule = models.CharField(_("rule"), max_length=60)
    score = models.FloatField(_("score"))
    level = models.CharField(_("level"), max_length=5)
    regions = models.CharField(max_length=11)  # "PP.KK" or "PP.KK PP.KK"
    state = models.CharField(max_length=14, choices=State.choices, default=State.OPEN)
    found_at = models.DateTimeField()

    class Meta:
        verbose_name = _("suspected duplicate")
        verbose_name_plural = _("suspected duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="suspected_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="suspected_ordered"
            ),
            models.CheckConstraint(condition=models.Q(level__in=["block", "warn"]),
                                   name="suspected_level"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["state", "regions"], name="suspected_open_idx")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"
