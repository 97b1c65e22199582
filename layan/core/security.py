"""Response headers that protect every page: the content security policy.

Django 5.2 has no built-in CSP (it arrives in 6.0), and one header needs no dependency. The
policy allows only this site's own scripts, styles and images, so a name or message typed by a
resident can never run as script in an officer's browser even if a template forgot to escape it.
"""

from __future__ import annotations

from django.conf import settings

RELAXED = "'unsafe-inline'"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CSP_POLICY
        self.relaxed = self.policy.replace(
            "script-src 'self'", f"script-src 'self' {RELAXED}"
        ).replace("style-src 'self'", f"style-src 'self' {RELAXED}")
        self.relaxed_paths = tuple(settings.CSP_RELAXED_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response  # a view set its own (the framed file viewer)
        relaxed = request.path.startswith(self.relaxed_paths)
        response["Content-Security-Policy"] = self.relaxed if relaxed else self.policy
        return response
