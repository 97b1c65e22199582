"""Unit rules of the bot: its texts as data, dates and hours for residents, phone numbers, the
satisfaction index, the region table."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from layan.bot import wording
from layan.bot.models import SurveyResponse
from layan.bot.texts import Texts
from layan.bot.turn import format_datetime, normalize_phone, office_hours
from layan.bot.wording import check_override, fill
from layan.offices.models import Office
from layan.registry.regions import RegionFileError, district_known, load_file, read_rows
from tests.environment import WILAYAH

BOT_DIR = Path(wording.__file__).resolve().parent


def test_every_text_has_indonesian_and_english():
    for key, entry in wording.catalogue()["texts"].items():
        assert set(entry) == {"id", "en"}, key
        assert entry["id"] and entry["en"], key
        if isinstance(entry["id"], str):
            # The English version uses the same placeholders (an office may switch language).
            assert wording.placeholders(entry["id"]) == wording.placeholders(entry["en"]), key


def test_every_text_the_code_asks_for_exists():
    used = set()
    for path in BOT_DIR.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
        used |= set(re.findall(r"""\.t\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    assert used, "the scan found no text keys"
    missing = used - set(wording.catalogue()["texts"])
    assert not missing


def test_survey_answers_fit_a_whatsapp_list_row():
    for number in range(1, 10):
        for language in ("id", "en"):
            labels = wording.catalogue()["texts"][f"survey_a{number}"][language]
            assert len(labels) == 4 and all(len(label) <= 24 for label in labels)


def test_button_titles_fit_twenty_characters():
    for key, entry in wording.catalogue()["texts"].items():
        if key.startswith("button_") or key in ("choice_button", "menu_button"):
            assert all(len(v) <= 20 for v in entry.values()), key


def test_an_office_text_may_not_invent_placeholders():
    check_override("greeting", "Tabik pun! {office}")
    with pytest.raises(ValueError, match=r"\{nama\}"):
        check_override("greeting", "Halo {nama}")
    with pytest.raises(ValueError, match="unknown bot text"):
        check_override("no_such_text", "x")


def test_a_missing_value_leaves_the_placeholder_rather_than_failing():
    assert fill("Kode {code}, selesai {due}", {"code": "KK-1"}) == "Kode KK-1, selesai {due}"


def test_commands_are_compared_without_case_spacing_or_punctuation():
    words = wording.command_words()
    assert wording.normalize("  MENU!! ") in words["menu"]
    assert wording.normalize("Bicara  dengan Petugas") in words["human"]


@pytest.mark.django_db
def test_due_times_read_like_people_say_them(make_office):
    office = make_office(code="wk")
    t = Texts(office.pk, "id")
    # Exactly at Tuesday's opening is the same working time as Monday's closing.
    tuesday_open = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 07.30 WIB
    assert format_datetime(t, office, tuesday_open) == "Senin, 23 November 2026 pukul 16.00 WIB"
    later = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)
    assert format_datetime(t, office, later) == "Selasa, 24 November 2026 pukul 10.15 WIB"
    english = Texts(office.pk, "en")
    assert format_datetime(english, office, later) == "Tuesday 24 November 2026, 10:15 WIB"


@pytest.mark.django_db
def test_a_wita_office_says_wita(make_office):
    office = make_office(code="bl")
    Office.objects.filter(pk=office.pk).update(timezone="Asia/Makassar")
    office = Office.objects.get(pk=office.pk)
    value = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)
    assert format_datetime(Texts(office.pk), office, value).endswith("11.15 WITA")


def test_office_hours_group_days_with_the_same_hours():
    office = Office(
        hours={
            "mon": "07:30-16:00",
            "tue": "07:30-16:00",
            "wed": "07:30-16:00",
            "thu": "07:30-16:00",
            "fri": "07:30-16:30",
            "sat": None,
            "sun": None,
        }
    )
    t = Texts(None, "id")
    assert office_hours(t, office) == "Senin–Kamis 07.30–16.00, Jumat 07.30–16.30"
    assert office_hours(Texts(None, "id"), Office(hours={})) == "hari kerja"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0812 3456 7890", "6281234567890"),
        ("+62 812-3456-7890", "6281234567890"),
        ("812345678", "62812345678"),
        ("6281234567890", "6281234567890"),
        ("021 555 1234", None),  # a landline
        ("0812", None),
        ("nomor saya 0812", None),
    ],
)
def test_indonesian_mobile_numbers_are_normalised(typed, number):
    assert normalize_phone(typed) == number


@pytest.mark.django_db
def test_a_survey_answer_outside_one_to_four_is_refused_by_the_database(presets):
    from django.db import IntegrityError

    from layan.cases.services import Actor, submit_case
    from layan.offices.models import Service

    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    case = submit_case(service=service, actor=Actor.applicant("Ani"), applicant_name="Ani")
    with pytest.raises(IntegrityError):
        SurveyResponse.objects.create(
            case=case, office=case.office, service=service, submitted_at=case.created_at, u1=5
        )


def test_region_rows_are_read_with_their_level():
    rows = read_rows(
        [
            "kode,nama",
            "18,Lampung",
            "18.08,Kabupaten Way Kanan",
            "18.08.01,Blambangan Umpu",
            "18.08.01.2001,Kampung X",
        ]
    )
    assert [(r.code, r.level) for r in rows] == [
        ("18", 1),
        ("18.08", 2),
        ("18.08.01", 3),
        ("18.08.01.2001", 4),
    ]
    with pytest.raises(RegionFileError, match="line 2"):
        read_rows(["kode,nama", "18.8,Lampung"])


@pytest.mark.django_db
def test_the_region_table_answers_unknown_until_loaded(tmp_path):
    assert district_known("18.08.01") is None
    path = tmp_path / "wilayah.csv"
    path.write_text(
        "kode,nama\n18,Lampung\n18.08,Way Kanan\n18.08.01,Blambangan Umpu\n"
        "18.08.01.2001,Kampung X\n",
        encoding="utf-8",
    )
    assert load_file(path) == 3  # villages left out unless asked
    assert district_known("18.08.01") is True
    assert district_known("18.08.99") is False


SHARED_WILAYAH = WILAYAH


@pytest.mark.django_db
@pytest.mark.skipif(not SHARED_WILAYAH.exists(), reason="../shared/data is not here")
def test_the_official_region_list_loads_and_knows_the_seed_regencies():
    count = load_file(SHARED_WILAYAH)
    assert count > 7000
    from layan.registry.models import Region

    for code in ("13.02", "18.08", "63.11", "18.72"):
        assert Region.objects.filter(code=code).exists()
