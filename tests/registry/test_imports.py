"""Importing a SIAK export: good rows become families, residents and their history; a bad row
anywhere stores nothing and the report names its line and column; findings do not stop it."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from layan.registry import imports
from layan.registry.imports import ImportFileError, import_file
from layan.registry.models import Family, LifeStatus, RegistryChange, Resident
from layan.registry.synthetic import generate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))

HEADER = (
    "NIK;NO_KK;NAMA_LGKP;TMPT_LHR;TGL_LHR;JENIS_KLMIN;AGAMA;STATUS_KAWIN;STAT_HBKEL;"
    "NAMA_LGKP_AYAH;NAMA_LGKP_IBU;ALAMAT;NO_RT;NO_RW;KODE_KEL;NAMA_KEL;STATUS;TGL_MATI"
)
GOOD = [
    # line 2: the head
    "1808011708900001;1808011201150003;BUDI SANTOSO;WAY KANAN;17-08-1990;LAKI-LAKI;ISLAM;"
    "KAWIN;KEPALA KELUARGA;SLAMET;SUMARNI;JL. MERDEKA NO. 4;2;1;18.08.01.2002;SUMBER JAYA;"
    "HIDUP;",
    # line 3: the wife, ISO date, SIAK codes
    "1808015203920002;1808011201150003;Hj. SITI AMINAH, S.Pd.;KOTABUMI;1992-03-12;P;1;2;3;"
    "H. DJOKO;PAINEM;JL. MERDEKA NO. 4;002;001;1808012002;SUMBER JAYA;HIDUP;",
    # line 4: a child
    "1808010101200003;1808011201150003;RAFA PRATAMA;WAY KANAN;01-01-2020;L;ISLAM;BELUM KAWIN;"
    "ANAK;BUDI SANTOSO;SITI AMINAH;JL. MERDEKA NO. 4;002;001;18.08.01.2002;SUMBER JAYA;;",
    # line 5: another family, a widow who died
    "1808024505450001;1808020303100001;SOEMARNI;KEBUMEN;05-05-1945;PEREMPUAN;ISLAM;CERAI MATI;"
    "KEPALA KELUARGA;;;DUSUN SUKAMAJU;;;18.08.02.2001;SUKAMAJU;MATI;20-10-2025",
]


def write(tmp_path, *lines, header=HEADER, name="export.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_good_export_becomes_families_residents_and_their_history(tmp_path):
    result = import_file(write(tmp_path, *GOOD), now=NOW)
    assert result.ok and result.stored, result.errors
    assert (result.rows, result.families, result.residents) == (4, 2, 4)
    assert result.region == "18.08" and result.findings == []
    family = Family.objects.get(kk_number="1808011201150003")
    assert family.head.nik == "1808011708900001"
    assert (family.address, family.rt, family.rw, family.village_code, family.village) == (
        "JL. MERDEKA NO. 4", "002", "001", "18.08.01.2002", "SUMBER JAYA",
    )  # fmt: skip
    assert family.region == "18.08"
    wife = Resident.objects.get(nik="1808015203920002")
    assert wife.name == "Hj. SITI AMINAH, S.Pd." and wife.name_key == "siti aminah"
    assert (wife.birth_date, wife.sex, wife.religion, wife.marital_status, wife.relation) == (
        date(1992, 3, 12), "P", "islam", "kawin", "istri",
    )  # fmt: skip
    assert wife.father_name == "H. DJOKO" and wife.mother_key == "painem"
    assert wife.family == family and wife.created_at == NOW
    child = Resident.objects.get(nik="1808010101200003")
    assert child.mother_key == "siti aminah" and child.relation == "anak"
    widow = Resident.objects.get(nik="1808024505450001")
    assert widow.status == LifeStatus.DECEASED and widow.died_on == date(2025, 10, 20)
    assert widow.name_key == "sumarni"
    history = RegistryChange.objects.filter(kind=RegistryChange.Kind.IMPORTED)
    assert history.count() == 4
    line = history.get(resident=wife)
    assert line.after == {"source": "export.csv", "line": 3} and line.at == NOW
    assert line.region == "18.08"


def test_comma_separated_with_aliases_and_a_byte_order_mark(tmp_path):
    header = "\ufeffNIK,NKK,Nama Lengkap,Tanggal Lahir,Jenis Kelamin,SHDK,Nama Ibu,Kolom Lain"
    path = write(
        tmp_path,
        '1808011708900001,1808011201150003,"BUDI  SANTOSO",17/08/1990,L,1,SUMARNI,x',
        "1808015203920002,1808011201150003,SITI AMINAH,12.03.1992,P,ISTRI,PAINEM,y",
        header=header,
    )
    result = import_file(path, region="18.08", now=NOW)
    assert result.ok and result.residents == 2
    assert result.ignored_columns == ["Kolom Lain"]
    assert Resident.objects.get(nik="1808011708900001").name == "BUDI SANTOSO"
    assert Family.objects.get().head.nik == "1808011708900001"


def test_a_nik_that_disagrees_is_imported_and_listed_as_a_finding(tmp_path):
    disagreeing = GOOD[2].replace("01-01-2020", "02-01-2020")  # the NIK says 01-01-20
    wrong_sex = GOOD[3].replace("PEREMPUAN", "LAKI-LAKI")
    result = import_file(write(tmp_path, GOOD[0], GOOD[1], disagreeing, wrong_sex), now=NOW)
    assert result.ok and result.stored and Resident.objects.count() == 4
    assert [(f.line, f.column, f.code) for f in result.findings] == [
        (4, "TGL_LHR", "nik_birth_date_disagrees"),
        (5, "JENIS_KLMIN", "nik_sex_disagrees"),
    ]
    assert "01-01-20" in result.findings[0].message
    assert str(result.findings[0]).startswith("baris 4, kolom TGL_LHR: ")


def test_a_family_without_a_head_is_a_finding(tmp_path):
    result = import_file(write(tmp_path, GOOD[1], GOOD[2]), now=NOW)
    assert result.ok and result.stored
    assert [(f.line, f.column, f.code) for f in result.findings] == [(2, "STAT_HBKEL", "no_head")]
    assert Family.objects.get().head is None


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        (GOOD[0].replace("1808011708900001", "180801170890001"), "NIK", "nik_length"),
        (GOOD[0].replace("1808011708900001", "1808013208900001"), "NIK", "nik_date"),
        (GOOD[0].replace("1808011201150003", "18080112011500"), "NO_KK", "kk_invalid"),
        (GOOD[0].replace("17-08-1990", "31-02-1990"), "TGL_LHR", "date_invalid"),
        (GOOD[0].replace("17-08-1990", "17-08-2090"), "TGL_LHR", "date_impossible"),
        (GOOD[0].replace("LAKI-LAKI", "X"), "JENIS_KLMIN", "sex_invalid"),
        (GOOD[0].replace("ISLAM", "JEDI"), "AGAMA", "religion_invalid"),
        (GOOD[0].replace(";KAWIN;", ";NIKAH;"), "STATUS_KAWIN", "marital_invalid"),
        (GOOD[0].replace("KEPALA KELUARGA", "BOS"), "STAT_HBKEL", "relation_invalid"),
        (GOOD[0].replace(";2;1;", ";2A;1;"), "NO_RT", "rt_rw_invalid"),
        (GOOD[0].replace("18.08.01.2002", "13.02.03.2001"), "KODE_KEL", "village_elsewhere"),
        (GOOD[0].replace("HIDUP", "HILANG"), "STATUS", "status_invalid"),
        (GOOD[0].replace("BUDI SANTOSO;WAY", "B*** S***;WAY"), "NAMA_LGKP", "name_invalid"),
    ],
)
def test_one_bad_row_stores_nothing_and_is_named_by_line_and_column(tmp_path, line, column,
                                                                    code):  # fmt: skip
    result = import_file(write(tmp_path, GOOD[3], GOOD[1], line, GOOD[2]), now=NOW)
    assert not result.ok and not result.stored
    assert [(e.line, e.column, e.code) for e in result.errors] == [(4, column, code)]
    assert not Resident.objects.exists() and not Family.objects.exists()
    assert not RegistryChange.objects.exists()


def test_a_nik_twice_in_the_file_and_two_heads_of_one_family_are_errors(tmp_path):
    second_head = GOOD[2].replace(";ANAK;", ";KEPALA KELUARGA;")
    again = GOOD[3].replace("SOEMARNI", "SUMARNI")
    result = import_file(write(tmp_path, *GOOD, second_head, again), now=NOW)
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (6, "NIK", "nik_twice"),
        (6, "STAT_HBKEL", "two_heads"),
        (7, "NIK", "nik_twice"),
        (7, "STAT_HBKEL", "two_heads"),
    ]
    assert "baris 4" in result.errors[0].message and "baris 2" in result.errors[1].message
    assert not Resident.objects.exists()


def test_a_nik_or_kk_already_in_the_registry_is_an_error(tmp_path):
    assert import_file(write(tmp_path, GOOD[3]), now=NOW).stored
    result = import_file(write(tmp_path, *GOOD[:3], GOOD[3], name="again.csv"), now=NOW)
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (5, "NIK", "nik_registered"),
        (5, "NO_KK", "kk_registered"),
    ]
    assert Resident.objects.count() == 1


def test_errors_found_after_many_good_rows_still_store_nothing(tmp_path):
    population = generate("18.08", [("18.08.01", "Blambangan Umpu")], families=400, seed=5,
                          now=NOW)  # fmt: skip
    path = tmp_path / "big.csv"
    rows = population.write_csv(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(GOOD[0].replace("17-08-1990", "kemarin") + "\n")
    result = import_file(path, now=NOW, batch_size=100)  # written in batches before the error
    assert [(e.line, e.code) for e in result.errors] == [(rows + 2, "date_invalid")]
    assert not Resident.objects.exists() and not Family.objects.exists()
    assert not RegistryChange.objects.exists()


def test_a_dry_run_checks_everything_and_stores_nothing(tmp_path):
    result = import_file(write(tmp_path, *GOOD), dry_run=True, now=NOW)
    assert result.ok and not result.stored and result.rows == 4 and result.families == 2
    assert not Resident.objects.exists()


def test_the_errors_listed_are_bounded_but_all_counted(tmp_path):
    bad = [GOOD[2].replace("1808010101200003", f"9{n:03d}") for n in range(30)]
    result = import_file(write(tmp_path, *bad), now=NOW, max_listed=10)
    assert result.error_count == 30 and len(result.errors) == 10


def test_a_file_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(ImportFileError, match="NAMA_LGKP"):
        import_file(write(tmp_path, "1;2", header="NIK;NO_KK;TGL_LHR;JENIS_KLMIN"), now=NOW)
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + b"\n1808011708900001;SOEMARNI \xe9\n")
    with pytest.raises(ImportFileError, match="UTF-8"):
        import_file(tmp_path / "latin.csv", now=NOW)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError):
        import_file(tmp_path / "empty.csv", now=NOW)
    with pytest.raises(ImportFileError, match="PP.KK"):
        import_file(write(tmp_path, *GOOD), region="1808", now=NOW)


def test_an_excel_workbook(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    head = GOOD[0].split(";")
    head[4] = datetime(1990, 8, 17)  # a date cell
    sheet.append(head)
    wife = GOOD[1].split(";")
    sheet.append(wife)
    numeric = GOOD[2].split(";")
    numeric[0] = 1808010101200003  # a number cell: Excel would have rounded it
    sheet.append(numeric)
    book.save(tmp_path / "export.xlsx")
    result = import_file(tmp_path / "export.xlsx", now=NOW)
    assert [(e.line, e.column, e.code) for e in result.errors] == [(4, "NIK", "nik_number_cell")]
    sheet.delete_rows(4)
    book.save(tmp_path / "export.xlsx")
    result = import_file(tmp_path / "export.xlsx", now=NOW)
    assert result.ok and result.residents == 2
    assert Resident.objects.get(nik="1808011708900001").birth_date == date(1990, 8, 17)


def test_a_synthetic_population_round_trips_through_the_siak_format(tmp_path):
    population = generate("18.08", [("18.08.01", "Blambangan Umpu"), ("18.08.02", "Kasui")],
                          families=300, seed=9, now=NOW, duplicates=0.02)  # fmt: skip
    path = tmp_path / "synthetic.csv"
    assert population.write_csv(path) == len(population)
    result = import_file(path, now=NOW)
    assert result.ok, result.errors[:3]
    assert result.finding_count == 0  # every NIK agrees with its row; every family has a head
    assert Resident.objects.count() == len(population)
    assert Family.objects.filter(head__isnull=True).count() == 0
    stored = {r.nik: r for r in Resident.objects.all()}
    for family in population.families[:50]:
        for m in family.members:
            row = stored[m.nik]
            assert (row.name, row.birth_date, row.sex, row.relation, row.mother_name) == (
                m.name, m.birth_date, m.sex, m.relation, m.mother_name,
            )  # fmt: skip


def test_the_command_reports_and_exits_with_an_error(tmp_path):
    out, err = StringIO(), StringIO()
    call_command("registry", "import", str(write(tmp_path, *GOOD)), "--dry-run", stdout=out,
                 stderr=err)  # fmt: skip
    assert "4 baris, 2 keluarga, kabupaten/kota 18.08: 0 kesalahan" in out.getvalue()
    assert not Resident.objects.exists()
    bad = write(tmp_path, GOOD[0].replace("17-08-1990", "17-13-1990"), name="bad.csv")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError):
        call_command("registry", "import", str(bad), "--report", str(report), stdout=out,
                     stderr=err)  # fmt: skip
    assert "baris 2, kolom TGL_LHR:" in err.getvalue()
    assert (
        report.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("2;TGL_LHR;error;date_invalid;")
    )
    call_command("registry", "import", str(write(tmp_path, *GOOD)), stdout=out, stderr=err)
    assert "4 penduduk dalam 2 keluarga disimpan." in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_a_large_first_load_builds_the_indexes_after_the_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BUILD_INDEXES_AFTER", 0)

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('registry_resident', 'registry_family', 'registry_registrychange')"
            )
            return set(cursor.fetchall())

    before = indexes()
    assert len(before) > 10
    bad = write(tmp_path, *GOOD, GOOD[0].replace("17-08-1990", "17-13-1990"), name="bad.csv")
    assert not import_file(bad, now=NOW).stored  # rolled back: the indexes are all there
    assert indexes() == before
    result = import_file(write(tmp_path, *GOOD), now=NOW)
    assert result.stored and indexes() == before
    assert Resident.objects.filter(nik="1808011708900001").exists()
    assert Family.objects.get(kk_number="1808011201150003").head.nik == "1808011708900001"


def test_the_synthetic_command_writes_an_export_or_stores_a_population(tmp_path):
    out = StringIO()
    path = tmp_path / "synthetic.csv"
    call_command("registry", "synthetic", "--families", "30", "--seed", "3", "--csv", str(path),
                 stdout=out)  # fmt: skip
    rows = int(out.getvalue().split()[0])
    assert rows == len(path.read_text(encoding="utf-8").splitlines()) - 1
    assert not Resident.objects.exists()
    call_command("registry", "import", str(path), stdout=out)
    assert Resident.objects.count() == rows
    call_command("registry", "synthetic", "--region", "13.02", "--families", "10", stdout=out)
    assert Resident.objects.filter(region="13.02").count() > 10


def test_two_regencies_populations_share_no_nik():
    first = generate("18.08", [("18.08.01", "Blambangan Umpu")], families=800, seed=1, now=NOW)
    second = generate("13.02", [("13.02.03", "Pantai Cermin")], families=800, seed=2, now=NOW)
    niks = [m.nik for p in (first, second) for f in p.families for m in f.members]
    assert len(niks) == len(set(niks))
    assert all(int(nik[12:]) < 9001 for nik in niks)
    first.store(now=NOW, history=False)
    second.store(now=NOW, history=False)
    assert Resident.objects.count() == len(niks)
