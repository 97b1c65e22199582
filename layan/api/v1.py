"""JSON API v1 (OpenAPI at ``/api/docs``).

Offices and SOPs are public information (a published SOP is a public document); everything about
requests needs a staff token: ``Authorization: Bearer <token>`` from ``layan token create``.
Errors are ``{"code", "message", "details"}`` with the message in Indonesian.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from layan.api import cases, editing, inbox, offices, registry, reports
from layan.core.errors import LayanError

api = NinjaAPI(
    title="Layan API",
    version="1",
    description=__doc__,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


@api.exception_handler(LayanError)
def layan_error(request, exc: LayanError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return _error(
        request,
        422,
        "invalid_input",
        _("The request data is not valid."),
        {"errors": [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors]},
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, "unauthorized", _("A valid staff token is required."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    message = _("The request body is not valid JSON.") if exc.status_code == 400 else str(exc)
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), message)


api.add_router("/v1/", offices.router)
api.add_router("/v1/", cases.router)
api.add_router("/v1/", inbox.router)
api.add_router("/v1/", reports.router)
api.add_router("/v1/", editing.router)
api.add_router("/v1/", registry.router)
