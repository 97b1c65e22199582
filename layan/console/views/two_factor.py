"""The second factor of a privileged sign-in: enrolling an authenticator app (TOTP) and typing
its code (layan.console.two_factor decides who must)."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from layan.console import two_factor

DEVICE_NAME = "Layan"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return target


def _check(request, device: TOTPDevice) -> tuple[bool, int, str]:
    """Verify the typed code against ``device`` with django-otp's throttling: (verified, HTTP
    status, error)."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return False, 429, _("Too many wrong codes. Wait a moment, then type the newest code.")
    code = "".join(request.POST.get("code", "").split())
    if not code.isdigit() or not device.verify_token(code):
        return False, 400, _("The code is wrong or has expired. Type the code the app shows now.")
    return True, 200, ""


def _signed_in(request, device: TOTPDevice):
    otp_login(request, device)
    request.session.pop(two_factor.SESSION_KEY, None)
    return redirect(_next(request) or "console:home")


def _secret(device: TOTPDevice) -> str:
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def enrol(request):
    """Set up an authenticator app: a QR code (and its secret as text), confirmed by a code."""
    if request.user.is_verified():
        return redirect(_next(request) or "console:home")
    if two_factor.has_device(request.user):
        return redirect("console:two_factor_verify")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    status, error = 200, ""
    if request.method == "POST":
        verified, status, error = _check(request, device)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            return _signed_in(request, device)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, light="#fff")
    context = {"qr": qr, "secret": _secret(device), "error": error, "next": _next(request)}
    return render(request, "console/two_factor/enrol.html", context, status=status)


@login_required
def verify(request):
    """Type the code of the enrolled authenticator app."""
    if request.user.is_verified():
        return redirect(_next(request) or "console:home")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).order_by("pk").first()
    if device is None:
        return redirect("console:two_factor_enrol")
    status, error = 200, ""
    if request.method == "POST":
        verified, status, error = _check(request, device)
        if verified:
            return _signed_in(request, device)
    context = {"error": error, "next": _next(request)}
    return render(request, "console/two_factor/verify.html", context, status=status)
