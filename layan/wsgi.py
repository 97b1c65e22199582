"""WSGI entry point: Django, with a fast path for WhatsApp webhook POSTs.

A webhook POST is machine to machine: no session, no user, no language, no CSRF. Running it
through Django's whole middleware stack costs more than the work itself, so those POSTs go
straight to :func:`layan.whatsapp.intake.intake` (the same function the Django view uses), with
Django's request signals still sent so database connections are managed as for any request.
Everything else, including the GET handshake, is Django as usual.
"""

import json
import logging
import os
from http import HTTPStatus

from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - needs the settings configured above

from layan.whatsapp.intake import PATH, Answer, intake  # noqa: E402

logger = logging.getLogger("layan.webhook")


def _respond(start_response, answer: Answer):
    body = json.dumps(answer.body).encode()
    status = HTTPStatus(answer.status)
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def webhook_fast_path(environ, start_response):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    if length < 0 or length > limit:
        return _respond(start_response, Answer(413 if length > 0 else 400, {"error": "size"}))
    request_started.send(sender=webhook_fast_path, environ=environ)
    try:
        body = environ["wsgi.input"].read(length) if length else b""
        answer = intake(body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
    except Exception:
        # Not stored: answer 503 so Meta delivers it again later.
        logger.exception("webhook intake failed")
        answer = Answer(503, {"error": "temporarily unavailable"})
    finally:
        request_finished.send(sender=webhook_fast_path)
    return _respond(start_response, answer)


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == PATH:
        return webhook_fast_path(environ, start_response)
    return django_application(environ, start_response)
