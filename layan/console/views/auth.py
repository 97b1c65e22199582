"""Signing in and out, and choosing the office to work in."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from layan.console.desk import SESSION_KEY, staff_view


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
@staff_view
def switch_office(request):
    """Work in another office where the officer holds a role (others are ignored)."""
    code = request.POST.get("office", "")
    if code not in {office.code for office in request.desk.offices}:
        return HttpResponseBadRequest()
    request.session[SESSION_KEY] = code
    request.session.pop("console_role", None)
    return redirect("console:home")
