from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from layan.api.v1 import api
from layan.core import views
from layan.offices import views as offices_views

urlpatterns = [
    path("", offices_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("console/", include("layan.console.urls")),
    path("webhooks/", include("layan.whatsapp.urls")),
    path("", include("layan.documents.urls")),
]

if settings.LAYAN_STANDIN:
    from layan.standin import bsre as standin_bsre

    # The local Graph API stand-in and the phone simulator: demo and tests only.
    urlpatterns += [
        path("graph/", include("layan.standin.urls")),
        path("dev/phone/", include("layan.standin.phone_urls")),
        path("bsre/api/v2/sign/pdf", standin_bsre.sign_pdf, name="standin-bsre-sign"),
        # the registry bridge stand-in (LAYAN_REGISTRY=<site>/registry)
        path("registry/", include("layan.standin.registry_urls")),
    ]
