"""HTTP face of the Graph API stand-in: parse, call :mod:`layan.standin.services`, answer.

Every Graph endpoint goes through :func:`graph_endpoint`, which does what Meta does before any
work: refuse other methods, check the bearer token, and (here only) apply an injected failure.
"""

from __future__ import annotations

import json
from functools import wraps
from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from layan.standin import services
from layan.standin.models import FailureRule


def _fault_response(fault: services.GraphFault) -> HttpResponse:
    if not fault.body:  # a gateway timeout: no Meta JSON, as from a real proxy
        return HttpResponse(
            "upstream request timeout", status=fault.status, content_type="text/plain"
        )
    response = JsonResponse(fault.body, status=fault.status)
    for name, value in fault.headers.items():
        response[name] = value
    return response


def graph_endpoint(method: str, scope: str | None = None):
    """Meta's preamble for one endpoint: method, bearer token, then injected failures."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method != method:
                    raise services.fault(
                        100, message=f"Unsupported {request.method.lower()} request.", details=""
                    )
                services.check_bearer(request.headers.get("Authorization"))
                if scope:
                    number = kwargs.get("phone_number_id") or request.GET.get("phone_number_id", "")
                    services.apply_failure(scope, number)
                return view(request, *args, **kwargs)
            except services.GraphFault as fault:
                return _fault_response(fault)

        return wrapper

    return decorate


@graph_endpoint("POST", scope="messages")
def messages(request, version: str, phone_number_id: str):
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        raise services.invalid("the request body must be JSON") from None
    message = services.record_sent(phone_number_id, payload)
    return JsonResponse(services.send_response(message))


@graph_endpoint("POST", scope="media")
def upload_media(request, version: str, phone_number_id: str):
    upload = request.FILES.get("file")
    if upload is None:
        raise services.invalid("the multipart field 'file' is required")
    if request.POST.get("messaging_product") != "whatsapp":
        raise services.invalid("messaging_product must be 'whatsapp'")
    media = services.store_media(
        upload.read(),
        mime_type=request.POST.get("type") or upload.content_type or "",
        filename=upload.name or "",
        phone_number_id=phone_number_id,
    )
    return JsonResponse({"id": media.pk})


@graph_endpoint("GET", scope="media")
def media_object(request, version: str, media_id: str):
    media = services.get_media(media_id, request.GET.get("phone_number_id", ""))
    path = reverse("standin:media-download", args=[media.pk])
    url = request.build_absolute_uri(
        f"{path}?{urlencode({'token': services.download_token(media)})}"
    )
    return JsonResponse(services.media_info(media, url))


@graph_endpoint("GET", scope="media")
def download_media(request, media_id: str):
    media = services.check_download(media_id, request.GET.get("token", ""))
    return FileResponse(media.file.open("rb"), content_type=media.mime_type)


def _rule_json(rule: FailureRule) -> dict:
    return {
        "id": rule.pk,
        "scope": rule.scope,
        "kind": rule.kind,
        "code": rule.code,
        "seconds": rule.seconds,
        "remaining": rule.remaining,
        "phone_number_id": rule.phone_number_id,
    }


@csrf_exempt
@require_http_methods(["GET", "POST", "DELETE"])
def failures(request):
    """Demo control: list (GET), add (POST JSON) or clear (DELETE) injected failures.

    POST must be ``application/json``: a cross-site page cannot send that without a CORS
    preflight, which this endpoint never grants.
    """
    if request.method == "DELETE":
        return JsonResponse({"deleted": services.clear_failures()})
    if request.method == "GET":
        rules = FailureRule.objects.filter(remaining__gt=0)
        return JsonResponse({"data": [_rule_json(rule) for rule in rules]})
    if request.content_type != "application/json":
        return JsonResponse({"error": "expected application/json"}, status=415)
    try:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        code = data.get("code")
        rule = services.add_failure(
            scope=str(data.get("scope") or "any"),
            kind=str(data.get("kind") or "error"),
            code=None if code in (None, "") else int(code),
            count=int(data.get("count") or 1),
            seconds=float(data.get("seconds") or 0),
            phone_number_id=str(data.get("phone_number_id") or ""),
        )
    except (TypeError, ValueError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(_rule_json(rule), status=201)
