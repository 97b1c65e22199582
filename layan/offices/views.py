"""The public face of the offices: the home page lists each office, its services and numbers."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from layan.offices.models import Office


@require_GET
def home(request):
    offices = Office.objects.filter(is_active=True).prefetch_related("services", "channels")
    return render(request, "offices/home.html", {"offices": offices})
