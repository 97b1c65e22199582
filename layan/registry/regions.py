"""Loading and asking the region table (see :mod:`layan.registry.models`)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from layan.registry.models import Region

_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class RegionFileError(ValueError):
    pass


def read_rows(lines: Iterable[str]) -> list[Region]:
    """``kode,nama`` rows (the Kepmendagri list) as regions; a bad row names its line."""
    reader = csv.reader(lines)
    regions = []
    for number, row in enumerate(reader, start=1):
        if not row or (number == 1 and row[0].strip().lower() == "kode"):
            continue
        if len(row) < 2:
            raise RegionFileError(f"line {number}: expected kode,nama")
        code, name = row[0].strip(), row[1].strip()
        if not _CODE.match(code) or not name:
            raise RegionFileError(f"line {number}: {code!r} is not a region code with a name")
        regions.append(Region(code=code, name=name[:200], level=code.count(".") + 1))
    return regions


def load_file(path: str | Path, *, villages: bool = False) -> int:
    """Replace the table with the file's regions (villages only when asked: 84k rows the NIK
    check does not need). Returns how many were stored."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        regions = read_rows(handle)
    if not villages:
        regions = [r for r in regions if r.level < Region.Level.VILLAGE]
    with transaction.atomic():
        Region.objects.all().delete()
        Region.objects.bulk_create(regions, batch_size=2000)
    return len(regions)


def district_known(region: str) -> bool | None:
    """Whether the district code ``PP.KK.DD`` exists; None when no table is loaded."""
    if Region.objects.filter(code=region).exists():
        return True
    if not Region.objects.exists():
        return None
    return False
