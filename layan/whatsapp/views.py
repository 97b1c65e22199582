"""The WhatsApp webhook: Meta's verification handshake and the signed event intake."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from layan.whatsapp import inbox
from layan.whatsapp.signatures import verify

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    body = request.body
    if not verify(body, request.headers.get("X-Hub-Signature-256"), settings.WHATSAPP_APP_SECRET):
        logger.warning("webhook with a missing or wrong signature refused")
        return JsonResponse({"error": "invalid signature"}, status=403)
    try:
        payload = json.loads(body.decode("utf-8"))  # Meta sends UTF-8; anything else is refused
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": "malformed JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "expected a JSON object"}, status=400)
    inbox.store(body, payload)
    return JsonResponse({"status": "ok"})


def _handshake(request):
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    expected = settings.WHATSAPP_VERIFY_TOKEN
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("forbidden", status=403, content_type="text/plain")
