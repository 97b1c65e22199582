"""What every API module shares: the bearer token, the documented error answers, file answers."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from layan.api import schemas as s
from layan.api.models import ApiToken, hash_token
from layan.documents import exports


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        token_row = (
            ApiToken.objects.select_related("user")
            .filter(digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token_row is None:
            return None
        now = timezone.now()
        if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token_row.pk).update(last_used_at=now)
        request.user = token_row.user
        return token_row.user


staff = BearerToken()

# What an endpoint may answer besides its success, as {"code", "message", "details"}: a body
# that is not JSON (400), no valid token (401), the wrong role (403), not found or another
# office's (404), stale or impossible (409), bad input (422), a part of the change that could
# not be recorded (503).
PUBLIC_ERRORS = {400: s.ErrorOut, 404: s.ErrorOut, 422: s.ErrorOut}
ERRORS = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    422: s.ErrorOut,
    503: s.ErrorOut,
}


def file_answer(media_type: str, description: str) -> dict:
    """``openapi_extra`` of an endpoint that answers a file rather than JSON."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


PDF = "application/pdf"
XLSX = exports.XLSX
