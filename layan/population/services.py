"""Requests meet the population registry.

- **The Data Ganda check** (:func:`check_case`): everyone a request names (the service's
  ``registry.people``, :mod:`layan.offices.people`) is checked against the whole registry with
  the office's duplicate rules; what is found is stored as :class:`DuplicateFinding` rows and the
  request is flagged ``data_ganda`` while any is undecided. It runs when the request comes in, when
  its data-entry form is saved and when it enters the SOP's registry-check step.
- **Deciding** (:func:`decide_not_duplicate`, :func:`resolve_finding`): the step's officer marks a
  finding "bukan duplikat" with a reason (the pair is then ignored for good) or escalates the
  request to the Administrator Database, who resolves it on the registry: merge the two records,
  mark one inactive, or correct a NIK. Another regency's record is shown only as far as the
  comparison needs, and only the regency that holds it resolves it.
- **NIK issuance** (:func:`issue_nik_for`) for a resident who has none (Dukcapil Siaga).
- **The registry follows the request** (:func:`apply_completion`): on completion a KK baru
  registers or changes the family, an akta kelahiran adds the child, an akta kematian records the
  death, an SKPWNI the move out, a pindah datang adds the family, Dukcapil Siaga registers the
  resident with the NIK issued.

Each function says what it locks; each decision is a line in the request's history and, where the
registry changes, an entry in the registry's own history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.cases import flags
from layan.cases.models import Case
from layan.cases.services import (
    Actor,
    flag_case,
    lock_for_step,
    lock_open,
    record_registry_note,
    save_form_data,
    unflag_case,
    user_role_codes,
)
from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.offices.models import Office
from layan.offices.people import (
    RegistrySpec,
    StatedPerson,
    parse_date,
    spec_of,
    split_rt_rw,
    stated_family,
    stated_people,
)
from layan.population.models import DuplicateFinding, RegistryAccess
from layan.population.vocabulary import rule_label
from layan.registry.backend import (
    FamilyData,
    LocalRegistry,
    PersonData,
    RegistryBackend,
    person_of,
)
from layan.registry.dedup import Match, Person, Record
from layan.registry.folding import fold_name
from layan.registry.models import Region, RegistryChange, Resident, SuspectedDuplicate
from layan.registry.nik import NikError, clean_nik, mask_nik, parse_nik
from layan.registry.services import find_duplicates, get_backend, rules_of

DATA_GANDA = flags.register(
    "data_ganda",
    gettext_lazy("Data Ganda"),
    help=gettext_lazy(
        "The population registry holds a record that may be this person, or the NIK does not "
        "fit: compare them and decide (not a duplicate, or to the database administrator)."
    ),
)
REGISTRY_FAILED = flags.register(
    "registry_failed",
    gettext_lazy("Registry not updated"),
    help=gettext_lazy(
        "The request is completed but the population registry could not be changed; see the "
        "history for why, and change the registry by hand."
    ),
)

# Who may decide a finding besides the officer of the request's step, and who resolves.
DECIDERS = ("supervisor", "admin", "admin_database")
RESOLVERS = ("admin", "admin_database")
HOW = ("merge", "inactivate", "correct_nik")


# --------------------------------------------------------------------------- reading a request


def spec_for(case: Case) -> RegistrySpec:
    return spec_of(case.service.registry)


def people_of(case: Case) -> list[StatedPerson]:
    """Everyone the request names (the applicant from intake when the service names nobody)."""
    return stated_people(
        spec_for(case), case.form_data or {}, applicant=(case.applicant_nik, case.applicant_name)
    )


def person_for_check(stated: StatedPerson, today: date) -> Person:
    """The person as the check compares them; a birth date or sex the request does not state is
    read from the NIK."""
    nik = clean_nik(stated.get("nik"))
    born = parse_date(stated.get("birth_date"))
    sex = str(stated.get("sex") or "").upper()[:1]
    sex = sex if sex in ("L", "P") else ""
    try:
        parsed = parse_nik(nik) if nik else None
    except NikError:
        parsed = None
    if parsed is not None:
        born = born or parsed.birth_date(today)
        sex = sex or ("P" if parsed.female else "L")
    return Person(
        name=stated.get("name"), birth_date=born, sex=sex, nik=nik,
        mother_name=stated.get("mother_name"), father_name=stated.get("father_name"),
        birth_place=stated.get("birth_place"), role=stated.role,
    )  # fmt: skip


def person_data(stated: StatedPerson, today: date, *, relation: str = "") -> PersonData:
    """What the request states of a person, as registry data."""
    person = person_for_check(stated, today)
    rt, rw = split_rt_rw(stated.get("rt_rw"))
    return PersonData(
        nik=person.nik, name=person.name, birth_place=person.birth_place,
        birth_date=person.birth_date, sex=person.sex, religion=stated.get("religion"),
        marital_status=stated.get("marital_status"),
        relation=stated.get("relation") or relation, father_name=person.father_name,
        mother_name=person.mother_name, address=stated.get("address"), rt=rt, rw=rw,
        village=stated.get("village"),
    )  # fmt: skip


# --------------------------------------------------------------------------- whose records


def holds(office: Office, region: str) -> bool:
    """Whether ``office`` holds registry records of the regency ``region`` (its own regency; an
    office of a whole province, such as a provincial outreach service, holds its regencies')."""
    own = office.region_code
    return bool(region) and (region == own or ("." not in own and region.startswith(own + ".")))


def holding_region(office: Office, *numbers: str) -> str:
    """The regency whose records a change of ``office`` writes: the office's own, or for an office
    of a whole province the regency of the first KK number or NIK given (its digits 1–4)."""
    own = office.region_code
    if "." in own:
        return own
    for number in numbers:
        digits = "".join(ch for ch in str(number or "") if ch.isdigit())
        if len(digits) >= 4 and digits[:2] == own:
            return f"{digits[:2]}.{digits[2:4]}"
    raise Invalid(
        _("The office's region is a province; give a KK number or NIK of one of its regencies."),
        "regency_unknown",
    )


# --------------------------------------------------------------------------- the check


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "name": person.name, "nik": person.nik, "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "birth_place": person.birth_place, "mother_name": person.mother_name,
        "father_name": person.father_name, "role": person.role,
    }  # fmt: skip


def record_view(record: Record | None, office: Office) -> dict[str, Any]:
    """What an officer of ``office`` may see of a registry record: all the comparison uses when
    the office's regency holds it; otherwise the masked NIK, the name, the birth date and the
    region."""
    if record is None:
        return {}
    born = record.birth_date.isoformat() if record.birth_date else None
    if holds(office, record.region):
        return {
            "nik": record.nik, "name": record.name, "birth_date": born, "sex": record.sex,
            "birth_place": record.birth_place, "mother_name": record.mother_name,
            "father_name": record.father_name, "status": record.status, "region": record.region,
            "village": record.village, "ours": True,
        }  # fmt: skip
    region = Region.objects.filter(code=record.region).values_list("name", flat=True).first()
    return {
        "nik": mask_nik(record.nik), "name": record.name, "birth_date": born,
        "status": record.status, "region": record.region, "region_name": region or "",
        "ours": False,
    }  # fmt: skip


def _self_id(backend: RegistryBackend, person: Person):
    """The registry record that is the person themself (their NIK, the same person)."""
    if not person.nik:
        return None
    found = backend.by_nik(person.nik)
    return None if found is None else found.id


def check_case(case: Case, *, now: datetime | None = None) -> list[DuplicateFinding]:
    """Check everyone ``case`` names against the registry and store what is found: a new
    finding is open, a decided one keeps its decision, an open one no longer found is cleared;
    the request carries the ``data_ganda`` flag exactly while a finding is undecided. Locks the
    request's findings; pairs marked "bukan duplikat" are left out."""
    now = now or timezone.now()
    office = case.office
    backend = get_backend()
    rules = rules_of(office.duplicate_rules)
    today = timezone.localdate(now, timezone=office.tz)
    found: dict[tuple[str, str], tuple[Person, Match]] = {}
    for stated in people_of(case):
        person = person_for_check(stated, today)
        matches = find_duplicates(person, rules, backend)
        if not matches:
            continue
        self_id = _self_id(backend, person)
        ignored: set = set()
        if self_id is not None and isinstance(backend, LocalRegistry):
            ignored = backend.not_duplicates([self_id])
        for match in matches:
            if match.record is not None and self_id is not None:
                pair = tuple(sorted((int(self_id), int(match.record.id))))
                if pair in ignored:
                    continue
            ref = "" if match.record is None else str(match.record.id)
            found[(stated.key, ref)] = (person, match)
    with transaction.atomic():
        existing = {
            (f.person_key, f.record_ref): f for f in case.findings.select_for_update().order_by()
        }
        for key, (person, match) in found.items():
            finding = existing.get(key)
            values = {
                "person": _person_json(person),
                "record": record_view(match.record, office),
                "record_region": match.record.region if match.record else "",
                "rule": match.rule, "level": match.level, "score": match.score,
                "updated_at": now,
            }  # fmt: skip
            if finding is None:
                DuplicateFinding.objects.create(
                    case=case, person_key=key[0], record_ref=key[1], found_at=now, **values
                )
                continue
            for name, value in values.items():
                setattr(finding, name, value)
            if finding.state == DuplicateFinding.State.CLEARED:
                finding.state = DuplicateFinding.State.OPEN
            finding.save()
        for key, finding in existing.items():
            if key not in found and finding.state == DuplicateFinding.State.OPEN:
                finding.state, finding.updated_at = DuplicateFinding.State.CLEARED, now
                finding.save(update_fields=["state", "updated_at"])
        sync_flag(case, now=now)
    return list(case.findings.exclude(state=DuplicateFinding.State.CLEARED))


def sync_flag(case: Case, *, now: datetime) -> None:
    """The ``data_ganda`` flag on the request while a finding is undecided, off when none is."""
    undecided = list(
        case.findings.filter(state__in=DuplicateFinding.UNDECIDED).values_list("rule", flat=True)
    )
    if undecided:
        note = _("Data Ganda: %(n)d finding(s) to decide (%(rules)s).") % {
            "n": len(undecided), "rules": ", ".join(sorted({rule_label(r) for r in undecided})),
        }  # fmt: skip
        flag_case(case, DATA_GANDA, note, now=now)
    else:
        unflag_case(case, DATA_GANDA.code, _("Every Data Ganda finding is decided."), now=now)


def escalated(case: Case, *, now: datetime) -> int:
    """The request went to the database administrator: its open findings are with them now."""
    return case.findings.filter(state=DuplicateFinding.State.OPEN).update(
        state=DuplicateFinding.State.ESCALATED, updated_at=now
    )


# --------------------------------------------------------------------------- deciding


def _finding(finding_id: int, office: Office) -> DuplicateFinding:
    finding = (
        DuplicateFinding.objects.select_for_update()
        .select_related("case")
        .filter(pk=finding_id, case__office=office)
        .first()
    )
    if finding is None:
        raise NotFound(_("No such finding."), "finding_unknown")
    return finding


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise Invalid(_("Give the reason (at least 5 characters)."), "reason_required",
                      field="reason")  # fmt: skip
    return reason[:300]


def _can_decide(user, case: Case) -> bool:
    roles = user_role_codes(user, case.office)
    if roles & set(DECIDERS):
        return True
    if case.current_step_id is None:
        return False
    acting = case.sop_version.parsed.acting_role(case.step)
    return acting in roles


def can_decide(user, case: Case) -> bool:
    """Whether ``user`` may mark a finding of ``case`` "bukan duplikat": the officer of its
    current step, a supervisor, the office administrator or the database administrator."""
    return _can_decide(user, case)


def can_resolve(user, office: Office) -> bool:
    """Whether ``user`` resolves duplicate records for ``office`` (office administrator,
    database administrator)."""
    return bool(user_role_codes(user, office) & set(RESOLVERS))


def _new_nik(how: str, new_nik: str) -> str:
    """The corrected NIK of a ``correct_nik`` resolution, checked before anything is locked."""
    if how != "correct_nik":
        return ""
    try:
        return parse_nik(new_nik).value
    except NikError as exc:
        raise Invalid(exc.message, exc.code, field="new_nik") from exc


def decide_not_duplicate(
    office: Office, finding_id: int, *, user, reason: str, now: datetime | None = None
) -> DuplicateFinding:
    """Mark a finding "bukan duplikat": the request's person and the record are two people. The
    pair of records is remembered (the check leaves it out from now on). Only the officer of the
    request's step, a supervisor, the office administrator or the database administrator.
    Locks the request and the finding."""
    now = now or timezone.now()
    reason = _reason(reason)
    with transaction.atomic():
        finding = _finding(finding_id, office)
        case = lock_open(finding.case, None)
        if not _can_decide(user, case):
            raise Forbidden(
                _("Only the officer of this step or the database administrator decides."),
                "role_required",
            )
        if finding.state not in DuplicateFinding.UNDECIDED:
            raise Conflict(_("This finding is already decided."), "finding_decided")
        backend = get_backend()
        if finding.record_ref and isinstance(backend, LocalRegistry):
            self_id = _self_id(backend, Person(name="", nik=finding.person.get("nik") or ""))
            if self_id is not None and str(self_id) != finding.record_ref:
                backend.mark_not_duplicate(
                    self_id, finding.record_ref, reason=reason, by=user, now=now
                )
        finding.state, finding.reason = DuplicateFinding.State.NOT_DUPLICATE, reason
        finding.decided_by, finding.decided_at, finding.updated_at = user, now, now
        finding.save()
        record_registry_note(
            case, actor=Actor.staff(user), action="not_duplicate", note=reason,
            data={"finding": finding.pk, "rule": finding.rule, "record": finding.record_ref},
            now=now,
        )  # fmt: skip
        sync_flag(case, now=now)
    return finding


def resolve_finding(
    office: Office,
    finding_id: int,
    *,
    user,
    how: str,
    reason: str,
    keep: str = "registry",
    new_nik: str = "",
    now: datetime | None = None,
) -> DuplicateFinding:
    """The database administrator resolves a finding on the registry (only the regency that
    holds the record, only with the local registry; a bridge's records are resolved in SIAK):

    - ``merge``: the request's person's own record and the found one are one person; ``keep``
      ("registry": the found one, or "request": the person's own) stays, the other becomes
      inactive and points to it;
    - ``inactivate``: the found record is a stray duplicate and becomes inactive;
    - ``correct_nik``: the found record's NIK was wrong and becomes ``new_nik``.

    Locks the request, the finding and the records; each change is in the registry's history
    and the decision in the request's."""
    now = now or timezone.now()
    reason = _reason(reason)
    if how not in HOW:
        raise Invalid(_("Choose how to resolve it: merge, inactivate or correct the NIK."),
                      "how_invalid", field="how")  # fmt: skip
    if how == "merge" and keep not in ("registry", "request"):
        raise Invalid(_("Choose which record to keep."), "keep_invalid", field="keep")
    new_nik = _new_nik(how, new_nik)
    with transaction.atomic():
        finding = _finding(finding_id, office)
        case = lock_open(finding.case, None)
        if not user_role_codes(user, office) & set(RESOLVERS):
            raise Forbidden(
                _("Only the database administrator resolves duplicate records."), "role_required"
            )
        if finding.state not in DuplicateFinding.UNDECIDED:
            raise Conflict(_("This finding is already decided."), "finding_decided")
        if not finding.record_ref:
            raise Conflict(
                _("This finding is about the NIK itself: correct the request's data instead."),
                "nothing_to_resolve",
            )
        if not holds(office, finding.record_region):
            raise Forbidden(
                _("This record is held by another regency (%(region)s); it resolves it.")
                % {"region": finding.record_region},
                "record_elsewhere",
            )
        backend = get_backend()
        if not isinstance(backend, LocalRegistry):
            raise Conflict(
                _("Records of the connected registry are resolved in SIAK itself."),
                "resolve_in_siak",
            )
        record_id = int(finding.record_ref)
        if how == "merge":
            self_id = _self_id(backend, Person(name="", nik=finding.person.get("nik") or ""))
            if self_id is None or int(self_id) == record_id:
                raise Conflict(
                    _("The person has no other record to merge with; mark the found one "
                      "inactive or correct its NIK."),
                    "merge_without_pair",
                )  # fmt: skip
            kept, retired = (record_id, self_id) if keep == "registry" else (self_id, record_id)
            backend.merge(kept, retired, reason=reason, by=user, now=now)
        elif how == "inactivate":
            backend.inactivate(record_id, reason=reason, by=user, now=now)
        else:
            backend.correct_nik(record_id, new_nik, reason=reason, by=user, now=now)
        finding.state, finding.reason = DuplicateFinding.State.RESOLVED, reason
        finding.decided_by, finding.decided_at, finding.updated_at = user, now, now
        finding.save()
        record_registry_note(
            case, actor=Actor.staff(user), action=f"resolve_{how}", note=reason,
            data={"finding": finding.pk, "record": finding.record_ref, "keep": keep,
                  "nik": new_nik},
            now=now,
        )  # fmt: skip
        sync_flag(case, now=now)
    return finding


# --------------------------------------------------------------------------- NIK and completion


def district_code(office: Office, *candidates: str, region: str = "") -> str:
    """The kecamatan code (``PP.KK.DD``) of the regency ``region`` (the office's own by default)
    named by one of ``candidates`` (a code or a kecamatan's name, "Kec." and "Kecamatan"
    ignored), from the region table."""
    region = region or office.region_code
    districts = Region.objects.filter(
        level=Region.Level.DISTRICT, code__startswith=f"{region}."
    ).values_list("code", "name")
    names = {fold_name(name.replace("Kecamatan", "").replace("Kec.", "")): code
             for code, name in districts}  # fmt: skip
    codes = {code for code, _name in districts}
    for candidate in candidates:
        candidate = str(candidate or "").strip()
        if candidate in codes:
            return candidate
        key = fold_name(candidate.replace("Kecamatan", "").replace("Kec.", ""))
        if key in names:
            return names[key]
    raise Invalid(
        _("The kecamatan %(name)s is not a kecamatan of this regency in the region table.")
        % {"name": next((c for c in candidates if c), "–")},
        "district_unknown",
        field="kecamatan",
    )


def issue_nik_for(
    case: Case | str, *, user, expected_version: int | None = None, now: datetime | None = None
) -> str:
    """Issue a NIK for the resident of a request whose service issues one (Dukcapil Siaga:
    ``registry.effect: new_nik``) and put it in the request's NIK field: at the data-entry step,
    by its officer, when the field is empty. The NIK is unique under concurrency (the registry's
    serial row lock). Locks the request."""
    now = now or timezone.now()
    actor = Actor.staff(user)
    with transaction.atomic():
        case = lock_for_step(case, actor, expected_version)
        spec = spec_for(case)
        person = next((p for p in spec.people if p.role == spec.acts_on), None)
        if spec.effect != "new_nik" or person is None or "nik" not in person.fields:
            raise Conflict(_("This service does not issue NIKs."), "no_nik_issuance")
        if not case.step.data_entry:
            raise Conflict(_("A NIK is issued at the data-entry step."), "not_data_entry")
        field = person.fields["nik"]
        if (case.form_data or {}).get(field):
            raise Conflict(_("The request already has a NIK."), "nik_present", field=field)
        stated = next((p for p in people_of(case) if p.role == spec.acts_on), None)
        if stated is None:
            raise Invalid(
                _("Type the resident's name, birth date and sex first."), "person_incomplete"
            )
        today = timezone.localdate(now, timezone=case.office.tz)
        family = stated_family(spec, case.form_data or {})
        district = district_code(case.office, stated.get("district"), family.get("district", ""))
        issued = get_backend().issue_nik(
            person_data(stated, today), region=case.office.region_code, district=district,
            case_code=case.code, by=user, now=now,
        )  # fmt: skip
        save_form_data(case, actor=actor, values={field: issued.nik}, now=now)
        record_registry_note(
            case, actor=actor, action="nik_issued",
            note=_("NIK %(nik)s issued.") % {"nik": issued.nik}, data={"nik": issued.nik},
            now=now,
        )  # fmt: skip
    return issued.nik


def apply_completion(case: Case, *, by=None, now: datetime | None = None) -> str:
    """Make the registry follow a completed request, by its service's ``registry.effect``;
    what was done, for the request's history ("" when the service changes nothing)."""
    spec = spec_for(case)
    if not spec.effect:
        return ""
    now = now or timezone.now()
    office, data = case.office, case.form_data or {}
    backend = get_backend()
    today = timezone.localdate(now, timezone=office.tz)
    family = stated_family(spec, data)
    acting = [p for p in people_of(case) if p.role == spec.acts_on]
    if not acting:
        raise Invalid(_("The request names nobody the registry could change."), "nobody")
    region = holding_region(office, family.get("kk_number", ""), *(p.get("nik") for p in acting))
    code = case.code
    if spec.effect in ("family", "move_in"):
        rt, rw = split_rt_rw(family.get("rt_rw", ""))
        members = tuple(person_data(p, today) for p in acting)
        missing = [m.name or m.nik for m in members if not m.nik]
        if missing:
            raise Invalid(
                _("Every member needs a NIK: %(names)s.") % {"names": ", ".join(missing)},
                "member_without_nik",
            )
        backend.register_family(
            FamilyData(
                kk_number=family.get("kk_number", ""), head_nik=family.get("head_nik", ""),
                address=family.get("address", ""), rt=rt, rw=rw,
                village=family.get("village", ""), members=members,
            ),
            region=region, case_code=code, by=by, now=now,
        )  # fmt: skip
        return _("Family %(kk)s registered with %(n)d member(s).") % {
            "kk": family.get("kk_number", ""), "n": len(members),
        }  # fmt: skip
    if spec.effect == "birth":
        child = person_data(acting[0], today, relation="anak")
        district = ""
        if not child.nik:
            district = district_code(
                office, family.get("district", ""), acting[0].get("district"), region=region
            )
        added = backend.add_child(
            family.get("kk_number", ""), child, region=region, district=district,
            case_code=code, by=by, now=now,
        )  # fmt: skip
        return _("Child %(name)s (NIK %(nik)s) added to family %(kk)s.") % {
            "name": added.name, "nik": added.nik, "kk": family.get("kk_number", ""),
        }  # fmt: skip
    if spec.effect == "death":
        nik = clean_nik(acting[0].get("nik"))
        died_on = parse_date(data.get(spec.died_on)) if spec.died_on else None
        backend.record_death(nik, died_on, case_code=code, by=by, now=now)
        return _("Death of NIK %(nik)s recorded.") % {"nik": nik}
    if spec.effect == "move_out":
        niks = [clean_nik(p.get("nik")) for p in acting if p.get("nik")]
        destination = str(data.get(spec.destination) or "") if spec.destination else ""
        backend.record_move_out(niks, destination, case_code=code, by=by, now=now)
        return _("Move out of %(n)d resident(s) recorded.") % {"n": len(niks)}
    # new_nik: the resident (with the NIK issued at data entry, or one issued now) in the family
    person = person_data(acting[0], today)
    if not person.nik:
        district = district_code(
            office, acting[0].get("district"), family.get("district", ""), region=region
        )
        person = backend.issue_nik(
            person, region=region, district=district, case_code=code, by=by, now=now
        )
    rt, rw = split_rt_rw(family.get("rt_rw", ""))
    backend.register_family(
        FamilyData(
            kk_number=family.get("kk_number", ""), address=family.get("address", ""), rt=rt,
            rw=rw, village=family.get("village", ""), members=(person,),
            head_nik=person.nik if person.relation in ("", "kepala") else "",
        ),
        region=region, case_code=code, by=by, now=now,
    )  # fmt: skip
    return _("Resident %(name)s registered with NIK %(nik)s.") % {
        "name": person.name, "nik": person.nik,
    }  # fmt: skip


# --------------------------------------------------------------------------- looking it up


def lookup_roles(office: Office) -> set[str]:
    """The roles of ``office`` that may look the registry up: the officers of its data-entry and
    registry-check steps (in its SOPs' current versions), its supervisors, administrators and
    database administrators."""
    roles = set(DECIDERS)
    for service in office.services.select_related("sop"):
        version = service.sop.current_version if service.sop_id else None
        if version is None:
            continue
        definition = version.parsed
        for step in definition.all_steps:
            if step.data_entry or step.registry_check:
                acting = definition.acting_role(step)
                if acting:
                    roles.add(acting)
    return roles


def check_lookup(office: Office, user) -> None:
    """Raise :class:`Forbidden` unless ``user`` may look ``office``'s registry up."""
    if not user_role_codes(user, office) & lookup_roles(office):
        raise Forbidden(
            _("Only the officers who enter or check data look the population registry up."),
            "role_required",
        )


def log_access(office: Office, user, kind: str, query: str, found: int, ip=None) -> None:
    RegistryAccess.objects.create(
        office=office, user=user, at=timezone.now(), kind=kind, query=query[:200],
        found=found, ip_address=ip or None,
    )  # fmt: skip


def _masked_query(nik: str = "", kk: str = "", name: str = "", birth_date=None) -> str:
    parts = []
    if nik:
        parts.append(f"NIK {mask_nik(nik)}")
    if kk:
        parts.append(f"KK {mask_nik(kk)}")
    if name:
        parts.append(name)
    if birth_date:
        parts.append(str(birth_date))
    return " · ".join(parts)


def _number(value: str, field: str) -> str:
    """A NIK or KK number typed for a look-up: 16 digits once spaces, dots and dashes are gone
    ("" when nothing was typed)."""
    number = clean_nik(value)
    if number and not (len(number) == 16 and number.isascii() and number.isdigit()):
        message = _("A NIK has 16 digits.") if field == "nik" else _("A KK number has 16 digits.")
        raise Invalid(message, f"{field}_invalid", field=field)
    return number


def shown(office: Office, person: PersonData) -> dict[str, Any]:
    """A registry record as an officer of ``office`` sees it in a look-up: all of it when the
    office holds it, otherwise the masked NIK, name, birth date and region only."""
    data = person.as_dict()
    if holds(office, person.region):
        return {**data, "ours": True}
    return {
        "nik": mask_nik(person.nik), "name": person.name, "birth_date": data["birth_date"],
        "status": person.status, "region": person.region, "ours": False,
    }  # fmt: skip


def look_up(
    office: Office, user, *, nik: str = "", kk: str = "", name: str = "",
    birth_date: date | None = None, kind: str = "lookup", ip=None,
) -> dict[str, Any]:  # fmt: skip
    """Look the registry up for an officer of ``office`` by NIK, KK number or name and birth
    date: ``{"person": …, "family": …, "results": [...]}``. Checks the role, logs the look-up
    (the NIK masked); another regency's records come masked, their families not at all."""
    check_lookup(office, user)
    nik, kk = _number(nik, "nik"), _number(kk, "kk")
    name = " ".join("".join(ch for ch in name or "" if ch.isprintable()).split())[:120]
    if not (nik or kk or (name and birth_date)):
        raise Invalid(_("Give a NIK, a KK number, or a name with a birth date."), "lookup_empty",
                      field="nik")  # fmt: skip
    backend = get_backend()
    answer: dict[str, Any] = {"person": None, "family": None, "results": []}
    if nik:
        person = backend.by_nik(nik)
        answer["person"] = shown(office, person) if person else None
    if kk:
        family = backend.by_kk(kk)
        if family is not None and holds(office, family.region):
            answer["family"] = {
                "kk_number": family.kk_number, "head_nik": family.head_nik,
                "address": family.address, "rt": family.rt, "rw": family.rw,
                "village": family.village, "region": family.region,
                "members": [shown(office, m) for m in family.members],
            }  # fmt: skip
    if name and birth_date:
        answer["results"] = [shown(office, p) for p in backend.search(name, birth_date)]
    found = (answer["person"] is not None) + len((answer["family"] or {}).get("members", []))
    found += len(answer["results"])
    log_access(office, user, kind, _masked_query(nik, kk, name, birth_date), found, ip)
    return answer


# --------------------------------------------------------------------------- the registry pages


@dataclass(frozen=True)
class ResidentPage:
    """A resident the office holds, with their family and the registry's history of both."""

    person: PersonData
    family: FamilyData | None
    changes: list[RegistryChange]
    merged_into: str  # the NIK of the record this one is a duplicate of ("" none)


def resident_page(office: Office, user, resident_id: int, *, ip=None) -> ResidentPage:
    """A resident's record and history for an officer of ``office`` who may look the registry
    up; only a record the office holds (another regency's is not found). Logged."""
    check_lookup(office, user)
    resident = (
        Resident.objects.select_related("family", "merged_into").filter(pk=resident_id).first()
    )
    if resident is None or not holds(office, resident.region):
        raise NotFound(_("No such resident in this office's registry."), "resident_unknown")
    where = Q(resident=resident)
    if resident.family_id:
        where |= Q(family_id=resident.family_id)
    changes = list(
        RegistryChange.objects.filter(where).select_related("by", "resident").order_by("-at", "-pk")
    )
    family = None
    if resident.family_id and resident.family.active:
        family = get_backend().by_kk(resident.family.kk_number)
    log_access(office, user, RegistryAccess.Kind.RESIDENT, f"NIK {mask_nik(resident.nik)}", 1, ip)
    return ResidentPage(
        person=person_of(resident), family=family, changes=changes,
        merged_into=resident.merged_into.nik if resident.merged_into_id else "",
    )  # fmt: skip


# --------------------------------------------------------------------------- suspected pairs


def regency_q(office: Office) -> Q:
    """The nightly scan's pairs that concern ``office``: either record held by its regency (or,
    for an office of a whole province, by one of its regencies)."""
    own = office.region_code
    prefix = own if "." in own else own + "."
    return Q(regions__startswith=prefix) | Q(regions__contains=" " + prefix)


def check_suspects(office: Office, user) -> None:
    """Raise :class:`Forbidden` unless ``user`` decides duplicates for ``office``."""
    if not user_role_codes(user, office) & set(DECIDERS):
        raise Forbidden(
            _("Only supervisors and the administrators review suspected duplicates."),
            "role_required",
        )


def _pair(office: Office, pair_id: int, *, lock: bool = False) -> SuspectedDuplicate:
    rows = SuspectedDuplicate.objects.filter(regency_q(office), pk=pair_id)
    if lock:
        rows = rows.select_for_update()
    pair = rows.select_related("first", "second").first()
    if pair is None:
        raise NotFound(_("No such suspected duplicate."), "pair_unknown")
    return pair


@dataclass(frozen=True)
class PairView:
    pair: SuspectedDuplicate
    first: dict[str, Any]  # each record as :func:`shown` lets the office see it
    second: dict[str, Any]


def suspected_pair(office: Office, user, pair_id: int, *, ip=None) -> PairView:
    """One pair of the nightly scan side by side for a reviewer of ``office`` (another
    regency's record masked). Logged."""
    check_suspects(office, user)
    pair = _pair(office, pair_id)
    first, second = person_of(pair.first), person_of(pair.second)
    log_access(
        office, user, RegistryAccess.Kind.RESIDENT,
        f"NIK {mask_nik(first.nik)} · NIK {mask_nik(second.nik)}", 2, ip,
    )  # fmt: skip
    return PairView(pair, shown(office, first), shown(office, second))


def decide_pair_not_duplicate(
    office: Office, pair_id: int, *, user, reason: str, now: datetime | None = None
) -> SuspectedDuplicate:
    """Mark a suspected pair "bukan duplikat" (the check and the scan ignore it from then on):
    a supervisor, the office administrator or the database administrator of a regency holding
    either record. Locks the pair."""
    now = now or timezone.now()
    reason = _reason(reason)
    with transaction.atomic():
        pair = _pair(office, pair_id, lock=True)
        check_suspects(office, user)
        if pair.state != SuspectedDuplicate.State.OPEN:
            raise Conflict(_("This pair is already decided."), "pair_decided")
        backend = get_backend()
        if not isinstance(backend, LocalRegistry):
            raise Conflict(
                _("Records of the connected registry are resolved in SIAK itself."),
                "resolve_in_siak",
            )
        backend.mark_not_duplicate(pair.first_id, pair.second_id, reason=reason, by=user, now=now)
        pair.refresh_from_db()
    return pair


PAIR_SIDES = ("first", "second")


def resolve_pair(
    office: Office,
    pair_id: int,
    *,
    user,
    how: str,
    reason: str,
    keep: str = "first",
    record: str = "second",
    new_nik: str = "",
    now: datetime | None = None,
) -> SuspectedDuplicate:
    """The database administrator resolves a suspected pair, like a finding: ``merge`` keeps
    ``keep`` (first or second) and makes the other inactive, pointing to it; ``inactivate``
    makes ``record`` inactive; ``correct_nik`` gives ``record`` the NIK ``new_nik``. The record
    changed must be held by the office's regency. Locks the pair and the records; each change
    is in the registry's history."""
    now = now or timezone.now()
    reason = _reason(reason)
    if how not in HOW:
        raise Invalid(_("Choose how to resolve it: merge, inactivate or correct the NIK."),
                      "how_invalid", field="how")  # fmt: skip
    if how == "merge" and keep not in PAIR_SIDES:
        raise Invalid(_("Choose which record to keep."), "keep_invalid", field="keep")
    if how != "merge" and record not in PAIR_SIDES:
        raise Invalid(_("Choose the record to change."), "record_invalid", field="record")
    new_nik = _new_nik(how, new_nik)
    with transaction.atomic():
        pair = _pair(office, pair_id, lock=True)
        if not can_resolve(user, office):
            raise Forbidden(
                _("Only the database administrator resolves duplicate records."), "role_required"
            )
        if pair.state != SuspectedDuplicate.State.OPEN:
            raise Conflict(_("This pair is already decided."), "pair_decided")
        backend = get_backend()
        if not isinstance(backend, LocalRegistry):
            raise Conflict(
                _("Records of the connected registry are resolved in SIAK itself."),
                "resolve_in_siak",
            )
        if how == "merge":
            kept, changed = (
                (pair.first, pair.second) if keep == "first" else (pair.second, pair.first)
            )
        else:
            kept, changed = None, pair.first if record == "first" else pair.second
        if not holds(office, changed.region):
            region = Region.objects.filter(code=changed.region).values_list("name", flat=True)
            raise Forbidden(
                _("This record is held by another regency (%(region)s); it resolves it.")
                % {"region": region.first() or changed.region},
                "record_elsewhere",
            )
        if how == "merge":
            backend.merge(kept.pk, changed.pk, reason=reason, by=user, now=now)
        elif how == "inactivate":
            backend.inactivate(changed.pk, reason=reason, by=user, now=now)
        else:
            backend.correct_nik(changed.pk, new_nik, reason=reason, by=user, now=now)
            SuspectedDuplicate.objects.filter(pk=pair.pk).update(
                state=SuspectedDuplicate.State.RESOLVED
            )
        pair.refresh_from_db()
    return pair
