"""The seed offices, their SOP presets and one demo user per role: what ``layan demo`` loads.

The tests load the same presets through :func:`load_presets`, so the demo and the suite run the
same offices.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from layan.bot.models import SurveyResponse
from layan.cases import services as engine
from layan.cases.models import OPEN, Attachment, Case
from layan.cases.services import Actor, submit_case
from layan.cases.sla import calendar_for
from layan.core.errors import Invalid, LayanError
from layan.documents import services as documents
from layan.documents.keys import create_local_key
from layan.documents.kinds import kind_of
from layan.documents.models import SigningKey
from layan.offices.catalogue import (
    PRESETS_DIR,
    condition_applies,
    load_office,
    load_services,
    question_choices,
    read_catalogue,
)
from layan.offices.fields import Field, fields_of
from layan.offices.models import Office, Role, Service, StaffRole
from layan.population.services import check_case
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import Region, Resident
from layan.registry.nik import parse_nik
from layan.registry.regions import load_file, read_rows
from layan.registry.synthetic import load_synthetic, old_spelling
from layan.sop.definition import read_file
from layan.sop.services import PRESETS_DIR as SOP_PRESETS_DIR
from layan.sop.services import load_definition
from layan.whatsapp.services import install_default_templates


@dataclass
class LoadReport:
    offices: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)


def load_presets(report: LoadReport | None = None) -> LoadReport:
    """Load every office catalogue and SOP preset shipped with Layan (idempotent)."""
    report = report or LoadReport()
    catalogues = []
    for path in sorted(PRESETS_DIR.glob("*.yaml")):
        data, errors = read_catalogue(path)
        if errors:
            raise Invalid("\n".join(errors), "catalogue_invalid")
        catalogues.append(data)
    sops = []
    for path in sorted(SOP_PRESETS_DIR.glob("*.yaml")):
        definition, errors = read_file(path)
        if errors:
            raise Invalid("\n".join(str(e) for e in errors), "sop_invalid")
        sops.append((path, definition))
    with transaction.atomic():
        offices = {data["code"]: load_office(data) for data in catalogues}
        for path, definition in sops:
            version, new = load_definition(
                definition, source_text=path.read_text(encoding="utf-8"), source_name=path.name
            )
            if new:
                report.new_versions.append(str(version))
        for data in catalogues:
            load_services(offices[data["code"]], data)
        for office in offices.values():
            install_default_templates(office)
    report.offices = sorted(offices)
    return report


# The provinces, regencies/cities and kecamatan of the seed offices (Kepmendagri codes and names),
# so the demo's rekap names the kecamatan of its residents' NIKs.
DEMO_REGIONS = Path(__file__).with_name("regions.csv")
# Where an office's residents live when its catalogue names only a province: the Motor Keliling
# catalogue gives Sumatera Barat (13); its WhatsApp number's area code (0753) and its nagari and
# jorong are those of Kabupaten Pasaman Barat (13.12).
DEMO_REGENCY = {"keliling": "13.12"}


def load_demo_regions() -> int:
    """Load the demo's region table (:data:`DEMO_REGIONS`) as ``layan regions load`` does, when
    no region table is loaded yet (a table an administrator loaded is kept); how many rows."""
    if Region.objects.exists():
        return 0
    return load_file(DEMO_REGIONS)


@cache
def _demo_districts() -> tuple[str, ...]:
    """The kecamatan codes (``PP.KK.DD``) of :data:`DEMO_REGIONS`."""
    with open(DEMO_REGIONS, encoding="utf-8-sig", newline="") as handle:
        regions = read_rows(handle)
    return tuple(r.code for r in regions if r.level == Region.Level.DISTRICT)


def demo_districts(office) -> list[str]:
    """The kecamatan the demo's residents of ``office`` live in (its regency's, or those of
    :data:`DEMO_REGENCY` for an office that names only its province)."""
    regency = DEMO_REGENCY.get(office.code, office.region_code)
    return [code for code in _demo_districts() if code.startswith(f"{regency}.")]


@cache
def _demo_password_hash(password: str) -> str:
    """The demo users share one password, so its (deliberately slow) hash is made once."""
    return make_password(password)


def _demo_user(username: str, password: str, **defaults):
    """The demo user ``username``; a new one gets ``password`` (an existing one keeps its own)."""
    user, created = get_user_model().objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.password = _demo_password_hash(password)
        user.save(update_fields=["password"])
    return user


def create_demo_staff(password: str) -> list[str]:
    """One user per staff role per office, named ``<office>.<role>``, plus ``admin``."""
    usernames = []
    with transaction.atomic():
        for role in Role.objects.filter(kind=Role.Kind.STAFF).select_related("office"):
            username = f"{role.office.code}.{role.code}"
            user = _demo_user(
                username, password, first_name=role.name[:150], is_staff=role.code == "admin"
            )
            StaffRole.objects.get_or_create(user=user, role=role)
            usernames.append(username)
        _demo_user("admin", password, is_staff=True, is_superuser=True)
    return ["admin", *sorted(usernames)]


ALL_ROLES = "semua"  # the demo user of an office holding every staff role there


def create_demo_teams(password: str) -> list[str]:
    """Per office a user holding every staff role (``<office>.semua``) to walk a whole flow from
    the console alone, and ``demo.semua`` holding them in every office (office switching)."""
    names = []
    with transaction.atomic():
        everyone = _demo_user(
            f"demo.{ALL_ROLES}", password, first_name="Petugas Demo (semua kantor)"
        )
        for role in Role.objects.filter(kind=Role.Kind.STAFF).select_related("office"):
            user = _demo_user(
                f"{role.office.code}.{ALL_ROLES}",
                password,
                first_name=f"Petugas Demo {role.office.short_name}"[:150],
            )
            StaffRole.objects.get_or_create(user=user, role=role)
            StaffRole.objects.get_or_create(user=everyone, role=role)
            names.append(user.username)
    return [everyone.username, *sorted(set(names))]


def create_demo_signers(passphrase: str) -> list[str]:
    """A signing key (demo CA) for every head of office (``<office>.kadis``) and the all-roles
    officers, so a flow can be signed in the demo. Existing keys are kept."""
    names = []
    for holder in StaffRole.objects.filter(role__code="kadis").select_related(
        "user", "role__office"
    ):
        office, user = holder.role.office, holder.user
        if not SigningKey.objects.filter(office=office, user=user, is_active=True).exists():
            create_local_key(office=office, user=user, passphrase=passphrase)
        names.append(user.username)
    return sorted(set(names))


def create_demo_outreach(passphrase: str) -> list[str]:
    """The sample request of every service whose SOP sends an officer out ("jemput bola") is
    taken to that step by the office's all-roles officer (the sample data typed in, the document
    signed with the demo passphrase), so the recording officer can plan and record a visit at
    once. A request already at or past the step is left as it is; the codes moved are returned."""
    moved = []
    for case in Case.objects.filter(status__in=OPEN).select_related(
        "service", "office", "sop_version", "current_step"
    ):
        steps = case.sop_version.parsed.steps
        if not any(step.visit for step in steps) or case.step is None or case.step.visit:
            continue
        visit_number = next(step.number for step in steps if step.visit)
        if case.step.number > visit_number:
            continue
        officer = get_user_model().objects.get(username=f"{case.office.code}.{ALL_ROLES}")
        actor = Actor.staff(officer)
        for _turn in range(len(steps)):
            case.refresh_from_db()
            step = case.step
            if step is None or step.visit:
                break
            if step.document == "sign":
                documents.sign_document(case, user=officer, passphrase=passphrase)
                continue
            action = next(
                a for a in engine.allowed_actions(case, actor) if a.kind in ("complete", "approve")
            )
            data = _sample_form(case) if step.data_entry else {}
            engine.perform_action(case, actor=actor, action=action.id, data=data)
        moved.append(case.code)
    return moved


def _sample_value(spec: Field, case: Case, index: int = 0) -> str:
    if spec.kind == "nik":
        return case.applicant_nik[:-4] + f"{9101 + index:04d}"
    if spec.code == "kecamatan":
        nik = case.applicant_nik
        code = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
        return Region.objects.filter(code=code).values_list("name", flat=True).first() or code
    if spec.kind == "kk":
        return case.applicant_nik[:6] + "0101200001"
    if spec.kind == "number":
        return "1"
    if spec.kind == "date":
        return "1990-08-17"
    if spec.kind == "choice":
        return spec.choices[0][0]
    if index == 0 and "nama" in spec.code:
        return case.applicant_name
    return f"Contoh {spec.label}"[:100]


def _sample_form(case: Case) -> dict:
    """The data-entry form of the sample request, filled from its applicant."""
    data: dict = {}
    for spec in fields_of(case.service):
        if spec.kind == "table":
            data[spec.code] = [
                {column.code: _sample_value(column, case, i) for column in spec.columns}
                for i in range(max(1, spec.min_rows))
            ]
        else:
            data[spec.code] = _sample_value(spec, case)
    return data


DEMO_APPLICANTS = ("Siti Rahmawati", "Budi Santoso", "Dewi Lestari", "Ahmad Fauzi", "Rina Marlina")


def _sample_image(title: str, line: str) -> bytes:
    """A small picture standing in for a photographed document."""
    image = Image.new("RGB", (640, 420), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 629, 409), outline="#0b5d8a", width=4)
    draw.text((30, 30), "CONTOH DOKUMEN (DEMO)", fill="#b3261e")
    y = 70
    for text in (title, line):
        for start in range(0, len(text), 60):
            draw.text((30, y), text[start : start + 60], fill="black")
            y += 22
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


FEMALE_APPLICANTS = {"Siti Rahmawati", "Dewi Lestari", "Rina Marlina"}


def _sample_nik(office, index: int, *, female: bool = False) -> str:
    """A valid NIK of a resident of ``office``: the kecamatan taken in turn from the office's
    (:func:`demo_districts`), born on the (10 + ``index``)th of August 1990 (40 added to the day
    for a woman). Serials from 9001 up, which the demo's synthetic population never issues."""
    districts = demo_districts(office)
    if districts:
        digits = districts[index % len(districts)].replace(".", "")
    else:
        digits = "".join(ch for ch in office.region_code if ch.isdigit())[:4].ljust(4, "1") + "01"
    day = 10 + index + (40 if female else 0)
    return f"{digits}{day:02d}0890{9001 + index:04d}"


def _sample_answer(question: dict):
    kind = question.get("kind")
    if kind == "choice":
        return question_choices(question)[0][0]
    if kind == "number":
        return 1
    if kind == "date":
        return "2024-01-15"
    return "Contoh jawaban"


def create_demo_requests() -> int:
    """One request per service of every office that has none yet, as if sent on WhatsApp,
    with a sample picture for each file requirement, so the console's queues are not empty."""
    created = 0
    for office in Office.objects.filter(is_active=True):
        if Case.objects.filter(office=office).exists():
            continue
        for index, service in enumerate(office.services.filter(is_active=True)):
            name = DEMO_APPLICANTS[index % len(DEMO_APPLICANTS)]
            nik = _sample_nik(office, index, female=name in FEMALE_APPLICANTS)
            answers = {q["code"]: _sample_answer(q) for q in service.questions}
            requirements = [
                r for r in service.requirements.all() if condition_applies(r.condition, answers)
            ]
            for requirement in requirements:
                if requirement.kind == "nik":
                    answers[requirement.code] = nik
                elif requirement.kind == "text":
                    answers[requirement.code] = "Contoh keterangan dari pemohon"
            now = timezone.now()
            with transaction.atomic():
                case = submit_case(
                    service=service,
                    actor=Actor.applicant(name),
                    applicant_name=name,
                    applicant_nik=nik,
                    applicant_phone=f"62812000{index:05d}",
                    form_data=answers,
                    now=now,
                )
                for requirement in requirements:
                    if requirement.kind not in ("photo", "document"):
                        continue
                    content = _sample_image(requirement.label, f"{case.code} · {name}")
                    attachment = Attachment(
                        case=case,
                        requirement=requirement.code,
                        original_name=f"{requirement.code}.png",
                        content_type="image/png",
                        size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(),
                        uploaded_at=now,
                    )
                    attachment.file.save(
                        f"{requirement.code}.png", ContentFile(content), save=False
                    )
                    attachment.save()
            created += 1
    return created


# ------------------------------------------------------------------------------ history

HISTORY_DAYS = 28  # four weeks behind today, so the reports have something to show
HISTORY_MARK = "history"  # Case.submitter_name of the generated requests (so it runs once)
ANSWER = "Terima kasih, laporan Anda sudah kami tindak lanjuti."  # a complaint's sample answer


def create_demo_history(days: int = HISTORY_DAYS, *, seed: int = 2026, now=None) -> int:
    """Some weeks of realistic work behind today in every office, once: each working day a few
    requests per office come in over WhatsApp, the counter and the field; officers of the step's
    role work them at a pace around the SOP's standard minutes (sometimes slower), now and then
    ask the applicant for a document (the applicant answers a day or two later) or reject one;
    requests stop where the head of office must sign (the signing is the demo user's to do) or
    at an outreach visit; about two thirds of the completed requests answer the survey."""
    if Case.objects.filter(submitter_name=HISTORY_MARK).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (sample data, not secrets)
    now = now or timezone.now()
    made = 0
    users = {u.username: u for u in get_user_model().objects.filter(username__contains=".")}
    for office in Office.objects.filter(is_active=True).order_by("code"):
        cal = calendar_for(office)
        services = list(office.services.filter(is_active=True))
        day = (now - timezone.timedelta(days=days)).astimezone(office.tz)
        while day < now - timezone.timedelta(days=1):
            day += timezone.timedelta(days=1)
            start = cal.next_working_moment(day.replace(hour=7, minute=0))
            if start.date() != day.date():
                continue  # a weekend or a day off
            for _ in range(rng.randint(1, 4)):
                service = rng.choice(services)
                at = cal.add_working_minutes(start, rng.randint(0, 420))
                case = _history_request(service, at, rng, made)
                _history_work(case, cal, rng, users, now, kind_of(service).card)
                case.refresh_from_db()
                if case.status == "completed" and rng.random() < 0.66:
                    answers = [min(4, max(1, round(rng.gauss(3.3, 0.6)))) for _ in range(9)]
                    SurveyResponse.objects.create(
                        case=case, office=office, service=service,
                        submitted_at=case.closed_at + timezone.timedelta(hours=rng.randint(1, 30)),
                        **{f"u{i}": v for i, v in enumerate(answers, start=1)},
                    )  # fmt: skip
                made += 1
    return made


def _history_request(service, at, rng, index: int) -> Case:
    name = DEMO_APPLICANTS[index % len(DEMO_APPLICANTS)]
    nik = _sample_nik(  # birth days 10..27: valid dates
        service.office, index % 18, female=name in FEMALE_APPLICANTS
    )
    answers = {q["code"]: _sample_answer(q) for q in service.questions}
    for requirement in service.requirements.all():
        if requirement.kind == "nik":
            answers[requirement.code] = nik
        elif requirement.kind == "text":
            answers[requirement.code] = "Contoh keterangan dari pemohon"
    channel = rng.choices(["whatsapp", "counter", "field"], weights=[6, 3, 1])[0]
    return submit_case(
        service=service,
        actor=Actor.applicant(name),
        applicant_name=name,
        applicant_nik=nik,
        channel=channel,
        submitter_name=HISTORY_MARK,
        form_data=answers,
        now=at,
    )


def _history_work(case: Case, cal, rng, users, until, card: bool) -> None:
    """Work ``case`` step by step from its submission until it closes, waits for the head of
    office's signature or a visit, or reaches ``until``."""
    at = case.created_at
    for _turn in range(30):
        case.refresh_from_db()
        step = case.step
        if step is None or step.document == "sign" or step.visit:
            return
        role = case.sop_version.parsed.acting_role(step) or step.role
        user = users.get(f"{case.office.code}.{role}") or users.get(
            f"{case.office.code}.{ALL_ROLES}"
        )
        if user is None:
            return
        pace = rng.choice([0.4, 0.7, 0.9, 1.0, 1.2, 1.6, 3.0])
        at = cal.add_working_minutes(at, max(1, round((step.minutes or 10) * pace)))
        if at >= until:
            return
        actor = Actor.staff(user)
        try:
            if step.document == "print" and card:
                documents.record_print(case, user=user, serial=f"BLK{case.pk:08d}", now=at)
            elif step.document == "handover" and case.service.delivery != "pdf":
                documents.record_handover(case, user=user, received_by=case.applicant_name, now=at)
            actions = engine.allowed_actions(case, actor)
            ask = next((a for a in actions if a.kind == "request_documents"), None)
            if ask is not None and rng.random() < 0.1:
                note = "Mohon kirim ulang foto yang lebih jelas."
                engine.perform_action(
                    case, actor=actor, action=ask.id, data={"items": []}, note=note, now=at
                )
                at = cal.add_working_minutes(at, rng.randint(300, 900))
                if at >= until:
                    return
                engine.documents_received(case.code, actor=Actor.applicant(), now=at)
                continue
            reject = next((a for a in actions if a.kind == "reject"), None)
            if reject is not None and rng.random() < 0.04:
                engine.perform_action(case, actor=actor, action=reject.id,
                                      note="Bukan warga wilayah ini.", now=at)  # fmt: skip
                return
            forward = next(a for a in actions if a.kind in ("complete", "approve"))
            note = (
                "Terima kasih, laporan Anda sudah kami tindak lanjuti."
                if forward.note_required
                else ""
            )
            data = _sample_form(case) if step.data_entry else {}
            engine.perform_action(
                case, actor=actor, action=forward.id, note=note, data=data, now=at
            )
        except (StopIteration, LayanError):
            return


# ------------------------------------------------------------------------------ the registry

REGISTRY_FAMILIES = 120  # per regency: a few hundred residents each, loaded in a second or two


@dataclass
class RegistryReport:
    residents: int = 0
    flagged: list[str] = field(default_factory=list)  # sample requests flagged Data Ganda
    family: str = ""  # a Way Kanan KK number whose members fill the KK baru form
    without_nik: str = ""  # the Dukcapil Siaga request waiting for a NIK


def create_demo_registry(*, now=None) -> RegistryReport:
    """The population registry of the demo, once: a synthetic population for each seed office's
    regency (:func:`layan.registry.synthetic.load_synthetic`, a few planted duplicates), then
    three stories to walk through: the Solok MARAWA sample applicant is registered twice, under
    their own NIK and another one, so their request is flagged Data Ganda at step 3; a Way Kanan
    family whose KK number fills a KK baru form; a Dukcapil Siaga resident without a NIK waiting
    at Metro's data-entry step."""
    report = RegistryReport()
    if Resident.objects.exists():
        return report
    now = now or timezone.now()
    populations = {}
    for seed, office in enumerate(Office.objects.filter(is_active=True).order_by("code"), 1):
        regency = DEMO_REGENCY.get(office.code, office.region_code)
        if regency in populations or "." not in regency:
            continue
        populations[regency] = load_synthetic(
            regency, families=REGISTRY_FAMILIES, seed=seed, now=now, duplicates=0.01
        )
        report.residents += len(populations[regency])
    backend = LocalRegistry()
    solok = Office.objects.filter(code="solok").first()
    sample = (
        Case.objects.filter(office=solok, status__in=OPEN).exclude(submitter_name=HISTORY_MARK)
        .order_by("pk").first()
        if solok else None
    )  # fmt: skip
    if sample is not None and sample.applicant_nik:
        nik = parse_nik(sample.applicant_nik)
        born = nik.birth_date(now.date())
        sex = "P" if nik.female else "L"
        person = PersonData(
            name=sample.applicant_name.upper(), birth_date=born, sex=sex, birth_place="SOLOK",
            mother_name="ROSMANIAR", religion="islam", relation="kepala",
        )  # fmt: skip
        older = replace(person, nik=nik.value[:-4] + "8001", name=old_spelling(person.name))
        backend.register_family(
            FamilyData(kk_number=nik.value[:6] + "0101150001", head_nik=older.nik,
                       members=(older,), address="JORONG KOTO BARU"),
            region=solok.region_code, now=now,
        )  # fmt: skip
        backend.register_family(
            FamilyData(kk_number=nik.value[:6] + "0101220002", head_nik=nik.value,
                       members=(replace(person, nik=nik.value),), address="JORONG TALANG"),
            region=solok.region_code, now=now,
        )  # fmt: skip
        check_case(sample, now=now)
        if sample.findings.exists():
            report.flagged.append(sample.code)
    waykanan = populations.get("18.08")
    if waykanan is not None:
        family = next((f for f in waykanan.families if len(f.members) >= 3), None)
        report.family = family.kk_number if family else ""
    report.without_nik = _siaga_without_nik(now)
    return report


def _siaga_without_nik(now) -> str:
    """One more Dukcapil Siaga request (a resident the Dinsos reports, who has no NIK), taken
    to Metro's data-entry step with everything typed but the NIK, for the officer to issue."""
    service = Service.objects.filter(office__code="metro", code="dukcapil-siaga").first()
    if service is None:
        return ""
    officer = get_user_model().objects.filter(username=f"metro.{ALL_ROLES}").first()
    if officer is None:
        return ""
    actor = Actor.staff(officer)
    answers = {q["code"]: _sample_answer(q) for q in service.questions}
    for requirement in service.requirements.all():
        if requirement.kind == "text":
            answers[requirement.code] = "Warga lanjut usia tanpa dokumen di Kelurahan Hadimulyo"
    case = submit_case(
        service=service, actor=actor, applicant_name="Mbah Sarinah", submitter_kind="staff",
        form_data=answers, now=now,
    )  # fmt: skip
    for _turn in range(12):
        case.refresh_from_db()
        step = case.step
        if step is None or step.data_entry or step.visit:
            break
        action = next(
            (a for a in engine.allowed_actions(case, actor) if a.kind in ("complete", "approve")),
            None,
        )
        if action is None:
            break
        engine.perform_action(case, actor=actor, action=action.id, data={}, now=now)
    case.refresh_from_db()
    if case.step is None or not case.step.data_entry:
        return ""
    districts = demo_districts(case.office)
    kecamatan = (
        Region.objects.filter(code=districts[1 % len(districts)]).values_list("name", flat=True)
        .first() if districts else ""
    )  # fmt: skip
    typed = {
        **_sample_form(case), "nik": "", "nama_lengkap": "SARINAH", "jenis_kelamin": "P",
        "tanggal_lahir": "1948-03-12", "tempat_lahir": "METRO", "kecamatan": kecamatan or "",
        "hubungan": "kepala",
    }  # fmt: skip
    engine.save_form_data(case, actor=actor, values=typed, now=now)
    return case.code
