"""Two-factor sign-in (TOTP, django-otp) for the staff who can do the most harm with a stolen
password: heads of office, administrators (the ``admin`` role, superusers and anyone who may
open the Django admin) and whoever can sign or revoke documents (docs/data-protection.md).

After the password, such a user without a confirmed authenticator is sent to enrol one, and with
one to type its code; until then every console page and the admin redirect there. The API's
bearer tokens are not affected. ``LAYAN_REQUIRE_2FA`` switches it off (the demo, the tests).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from layan.documents.models import SigningKey
from layan.documents.services import REVOKERS
from layan.offices.models import Role, StaffRole
from layan.offices.staff import APPROVER_ROLE, EDITOR_ROLE
from layan.sop.models import SopVersion, current_version_ids

# Roles that always need a second factor, besides those acting at a signing step.
PRIVILEGED_ROLES = frozenset({APPROVER_ROLE, EDITOR_ROLE, *REVOKERS})
SESSION_KEY = "layan_2fa_required"
RECHECK_SECONDS = 300  # how long a session trusts its answer (roles change rarely)

# Console pages a signed-in user reaches before the second factor.
OPEN_NAMES = ("console:login", "console:logout", "console:two_factor_enrol")
OPEN_NAMES += ("console:two_factor_verify",)


def enabled() -> bool:
    return bool(getattr(settings, "LAYAN_REQUIRE_2FA", True))


def signing_roles(office_ids) -> set[tuple[int, str]]:
    """(office id, role code) of the roles that work a signing step (``document: sign``) in the
    offices' current SOP versions."""
    sop_versions = current_version_ids(
        SopVersion.objects.filter(sop__office_id__in=office_ids).values_list("sop_id", flat=True)
    )
    found = set()
    for version in SopVersion.objects.filter(pk__in=sop_versions.values()).select_related("sop"):
        definition = version.parsed
        for step in definition.all_steps:
            if step.document == "sign":
                role = definition.acting_role(step)
                if role:
                    found.add((version.sop.office_id, role))
    return found


def requires_two_factor(user) -> bool:
    """Whether ``user`` must sign in with a second factor."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.is_staff:
        return True
    held = set(
        StaffRole.objects.filter(user=user, role__kind=Role.Kind.STAFF).values_list(
            "role__office_id", "role__code"
        )
    )
    if any(code in PRIVILEGED_ROLES for _office, code in held):
        return True
    if SigningKey.objects.filter(user=user, is_active=True).exists():
        return True
    return bool(held & signing_roles({office for office, _code in held}))


def required_for(request) -> bool:
    """:func:`requires_two_factor` for the signed-in user, remembered in the session a while."""
    user = request.user
    cached = request.session.get(SESSION_KEY)
    now = time.time()
    if cached and cached[0] == user.pk and now - cached[2] < RECHECK_SECONDS:
        return cached[1]
    answer = requires_two_factor(user)
    request.session[SESSION_KEY] = [user.pk, answer, now]
    return answer


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class TwoFactorMiddleware:
    """Sends a privileged user who has not passed the second factor to enrol or verify, from
    every console page and the admin. Installed after django-otp's ``OTPMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        guarded = enabled() and self._guarded(request) and not request.user.is_verified()
        if guarded and required_for(request):
            return self._send_on(request)
        return self.get_response(request)

    @staticmethod
    def _guarded(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        path = request.path
        roots = (reverse("console:home"), reverse("admin:index"))
        if not path.startswith(roots):
            return False
        return path not in {reverse(name) for name in OPEN_NAMES}

    @staticmethod
    def _send_on(request):
        target = reverse(
            "console:two_factor_verify" if has_device(request.user) else "console:two_factor_enrol"
        )
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
