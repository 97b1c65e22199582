"""A registry behind a bridge: the client of the HTTP protocol in ``docs/registry.md``.

SIAK offers no public API; a bridge an office runs beside its SIAK (or the national one) answers
this small protocol, and Layan uses it exactly like its own tables. ``layan.standin.registry``
serves the same protocol from the local tables, so the client is tested against a real server.

- ``GET  {base}/residents/{nik}``  → a resident, or 404
- ``GET  {base}/families/{kk}``    → a family with its members, or 404
- ``POST {base}/search``           ``{"name", "birth_date", "limit"}`` → ``{"results": [...]}``
- ``POST {base}/candidates``       ``{"niks", "dates", "names"}`` → ``{"records": [...]}``
- ``POST {base}/changes``          ``{"op", "args"}`` → ``{"result": ...}``

Errors are ``{"code", "message"}`` with 400/404/409/422; a bearer token
(``LAYAN_REGISTRY_TOKEN``) authenticates Layan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import date
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from layan.core.errors import Conflict, Invalid, LayanError, NotFound
from layan.registry.backend import FamilyData, PersonData
from layan.registry.dedup import Record, SearchKeys

PERSON_KEYS = {f.name for f in fields(PersonData)}


class RegistryUnavailable(LayanError):
    """The bridge did not answer (or answered something else than the protocol)."""


def person_from(data: dict[str, Any]) -> PersonData:
    values = {k: v for k, v in data.items() if k in PERSON_KEYS}
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    return PersonData(**values)


def person_to(person: PersonData) -> dict[str, Any]:
    return person.as_dict()


def family_from(data: dict[str, Any]) -> FamilyData:
    members = tuple(person_from(m) for m in data.get("members") or [])
    values = {k: data.get(k, "") or "" for k in ("kk_number", "head_nik", "address", "rt", "rw",
                                                 "village", "village_code", "region")}  # fmt: skip
    return FamilyData(**values, members=members)


def family_to(family: FamilyData) -> dict[str, Any]:
    data = asdict(family)
    data["members"] = [person_to(m) for m in family.members]
    return data


def record_from(data: dict[str, Any]) -> Record:
    return Record(**{**data, "birth_date": date.fromisoformat(data["birth_date"])})


def record_to(record: Record) -> dict[str, Any]:
    return {**asdict(record), "birth_date": record.birth_date.isoformat()}


ERRORS = {404: NotFound, 409: Conflict, 400: Invalid, 422: Invalid}


class RemoteRegistry:
    """:class:`~layan.registry.backend.RegistryBackend` over HTTP."""

    def __init__(self, base: str, *, token: str | None = None, client: httpx.Client | None = None):
        self.base = base.rstrip("/")
        self.token = getattr(settings, "LAYAN_REGISTRY_TOKEN", "") if token is None else token
        self.client = client or httpx.Client(timeout=10.0)

    def _call(self, method: str, path: str, body: dict | None = None, *, missing_ok=False):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self.client.request(method, f"{self.base}{path}", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                _("The population registry does not answer; try again later."),
                "registry_unavailable",
            ) from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            try:
                error = response.json()
            except ValueError:
                error = {}
            kind = ERRORS.get(response.status_code, RegistryUnavailable)
            raise kind(
                error.get("message") or _("The population registry refused the request."),
                error.get("code") or "registry_error",
            )
        return response.json()

    def by_nik(self, nik: str) -> PersonData | None:
        data = self._call("GET", f"/residents/{nik}", missing_ok=True)
        return None if data is None else person_from(data)

    def by_kk(self, kk_number: str) -> FamilyData | None:
        data = self._call("GET", f"/families/{kk_number}", missing_ok=True)
        return None if data is None else family_from(data)

    def search(self, name: str, birth_date: date, *, limit: int = 20) -> list[PersonData]:
        body = {"name": name, "birth_date": birth_date.isoformat(), "limit": limit}
        return [person_from(p) for p in self._call("POST", "/search", body)["results"]]

    def candidates(self, keys: SearchKeys) -> list[Record]:
        body = {
            "niks": sorted(keys.niks),
            "dates": sorted(d.isoformat() for d in keys.dates),
            "names": {k: sorted(v) for k, v in keys.names.items()},
        }
        return [record_from(r) for r in self._call("POST", "/candidates", body)["records"]]

    def _change(self, op: str, **args) -> Any:
        by = args.pop("by", None)
        args.pop("now", None)
        args["by"] = by.get_username() if by is not None else ""
        return self._call("POST", "/changes", {"op": op, "args": args})["result"]

    def register_family(self, family: FamilyData, *, region: str, case_code: str = "", by=None,
                        now=None) -> FamilyData:  # fmt: skip
        result = self._change(
            "register_family", family=family_to(family), region=region, case_code=case_code,
            by=by,
        )  # fmt: skip
        return family_from(result)

    def add_child(self, kk_number: str, child: PersonData, *, region: str, district: str,
                  case_code: str = "", by=None, now=None) -> PersonData:  # fmt: skip
        return person_from(
            self._change(
                "add_child",
                kk_number=kk_number,
                child=person_to(child),
                region=region,
                district=district,
                case_code=case_code,
                by=by,
            )  # fmt: skip
        )

    def record_death(self, nik: str, died_on: date | None, *, case_code: str = "", by=None,
                     now=None) -> PersonData:  # fmt: skip
        return person_from(
            self._change(
                "record_death",
                nik=nik,
                died_on=died_on.isoformat() if died_on else None,
                case_code=case_code,
                by=by,
            )  # fmt: skip
        )

    def record_move_out(self, niks: Sequence[str], destination: str, *, case_code: str = "",
                        by=None, now=None) -> list[PersonData]:  # fmt: skip
        result = self._change(
            "record_move_out", niks=list(niks), destination=destination, case_code=case_code,
            by=by,
        )  # fmt: skip
        return [person_from(p) for p in result]

    def issue_nik(self, person: PersonData, *, region: str, district: str, case_code: str = "",
                  by=None, now=None) -> PersonData:  # fmt: skip
        return person_from(
            self._change(
                "issue_nik",
                person=person_to(person),
                region=region,
                district=district,
                case_code=case_code,
                by=by,
            )  # fmt: skip
        )
