"""The language of every page: Bahasa Indonesia, whatever the browser asks for, unless the
signed-in officer chose another one (kept in the session; the console stores the choice per
user and puts it back at each sign-in)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

SESSION_KEY = "layan_language"


def chosen(request) -> str:
    session = getattr(request, "session", None)
    language = session.get(SESSION_KEY) if session is not None else None
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Django's LocaleMiddleware follows ``Accept-Language``; an office's staff and residents
    read Indonesian unless they chose otherwise, so the browser's wish is not asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
