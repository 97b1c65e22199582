"""Signing in and out, and choosing the office to work in."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from layan.console.desk import SESSION_KEY, staff_view
from layan.core import locale
from layan.core.errors import Invalid
from layan.offices import staff


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The officer's own language (Indonesian unless they chose another), not the browser's.
        self.request.session[locale.SESSION_KEY] = staff.language_of(self.request.user)
        return response


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
@staff_view
def choose_language(request):
    """Keep the officer's console language (and use it from the next page on)."""
    try:
        language = staff.choose_language(request.user, request.POST.get("language", ""))
    except Invalid:
        return HttpResponseBadRequest()
    request.session[locale.SESSION_KEY] = language
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "console:home")


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
