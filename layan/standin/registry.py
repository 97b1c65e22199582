"""A stand-in for a registry bridge: the protocol of :mod:`layan.registry.remote`, served from
Layan's own registry tables (:class:`layan.registry.backend.LocalRegistry`).

Mounted at ``registry/`` when ``LAYAN_STANDIN`` is on, so ``LAYAN_REGISTRY=<site>/registry``
makes Layan use its own tables over HTTP, and the HTTP client is tested against a real server.
When ``LAYAN_REGISTRY_TOKEN`` is set every request must carry ``Authorization: Bearer <token>``.
Errors are ``{"code", "message"}`` with the status of the error (400, 401, 404, 405, 409, 422).
Demo and tests only.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from layan.core.errors import Invalid, LayanError, NotFound
from layan.registry.backend import LocalRegistry
from layan.registry.dedup import SearchKeys
from layan.registry.remote import family_from, family_to, person_from, person_to, record_to


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _authorised(request) -> bool:
    token = getattr(settings, "LAYAN_REGISTRY_TOKEN", "")
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and secrets.compare_digest(header[7:], token)


def endpoint(method: str):
    """A protocol view: the method and the token checked, the JSON body read, a
    :class:`LayanError` answered as ``{code, message}`` with its status."""

    def wrap(view: Callable[..., Any]):
        @csrf_exempt
        def handle(request, *args, **kwargs):
            if request.method != method:
                return _error(405, "method_not_allowed", f"{method} only")
            if not _authorised(request):
                return _error(401, "unauthorized", "a valid bearer token is required")
            body = None
            if method == "POST":
                try:
                    body = json.loads(request.body or b"null")
                except ValueError:
                    return _error(400, "bad_json", "the body is not JSON")
                if not isinstance(body, dict):
                    return _error(400, "bad_request", "the body is a JSON object")
                kwargs["body"] = body
            try:
                return JsonResponse(view(request, *args, **kwargs), safe=False)
            except LayanError as exc:
                return _error(exc.status, exc.code, str(exc.message))
            except (KeyError, TypeError, ValueError) as exc:
                return _error(400, "bad_request", f"the request does not follow the protocol: "
                                                  f"{exc.__class__.__name__} {exc}")  # fmt: skip

        return handle

    return wrap


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@endpoint("GET")
def resident(request, nik: str):
    person = LocalRegistry().by_nik(nik)
    if person is None:
        raise NotFound(f"no resident with NIK {nik}", "resident_unknown")
    return person_to(person)


@endpoint("GET")
def family(request, kk_number: str):
    found = LocalRegistry().by_kk(kk_number)
    if found is None:
        raise NotFound(f"no family with KK number {kk_number}", "family_unknown")
    return family_to(found)


@endpoint("POST")
def search(request, body):
    limit = int(body.get("limit") or 20)
    if not 1 <= limit <= 100:
        raise Invalid("limit is 1–100", "bad_limit")
    results = LocalRegistry().search(str(body["name"]), _day(body["birth_date"]), limit=limit)
    return {"results": [person_to(p) for p in results]}


@endpoint("POST")
def candidates(request, body):
    keys = SearchKeys(
        niks={str(n) for n in body.get("niks") or []},
        dates={date.fromisoformat(d) for d in body.get("dates") or []},
        names={str(k): {str(v) for v in values} for k, values in (body.get("names") or {}).items()},
    )
    if set(keys.names) - {"name", "mother_name"}:
        raise Invalid("names: only name and mother_name", "bad_names")
    return {"records": [record_to(r) for r in LocalRegistry().candidates(keys)]}


def _user(username: str):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _register_family(registry, args, by):
    found = registry.register_family(
        family_from(args["family"]), region=args["region"], case_code=args.get("case_code", ""),
        by=by,
    )  # fmt: skip
    return family_to(found)


def _add_child(registry, args, by):
    child = registry.add_child(
        args["kk_number"], person_from(args["child"]), region=args["region"],
        district=args["district"], case_code=args.get("case_code", ""), by=by,
    )  # fmt: skip
    return person_to(child)


def _record_death(registry, args, by):
    person = registry.record_death(
        args["nik"], _day(args.get("died_on")), case_code=args.get("case_code", ""), by=by
    )
    return person_to(person)


def _record_move_out(registry, args, by):
    moved = registry.record_move_out(
        [str(n) for n in args["niks"]], str(args["destination"]),
        case_code=args.get("case_code", ""), by=by,
    )  # fmt: skip
    return [person_to(p) for p in moved]


def _issue_nik(registry, args, by):
    person = registry.issue_nik(
        person_from(args["person"]), region=args["region"], district=args["district"],
        case_code=args.get("case_code", ""), by=by,
    )  # fmt: skip
    return person_to(person)


OPERATIONS = {
    "register_family": _register_family,
    "add_child": _add_child,
    "record_death": _record_death,
    "record_move_out": _record_move_out,
    "issue_nik": _issue_nik,
}


@endpoint("POST")
def changes(request, body):
    operation = OPERATIONS.get(body.get("op"))
    if operation is None:
        raise Invalid(f"unknown op {body.get('op')!r}; one of {', '.join(OPERATIONS)}", "bad_op")
    args = body.get("args")
    if not isinstance(args, dict):
        raise Invalid("args is a JSON object", "bad_args")
    return {"result": operation(LocalRegistry(), args, _user(str(args.get("by") or "")))}
