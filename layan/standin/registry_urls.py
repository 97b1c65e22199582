"""The registry bridge stand-in's URLs, mounted under ``registry/`` when the stand-in is on
(so ``LAYAN_REGISTRY`` = ``<site>/registry``)."""

from django.urls import path

from layan.standin import registry

app_name = "standin_registry"

urlpatterns = [
    path("residents/<str:nik>", registry.resident, name="resident"),
    path("families/<str:kk_number>", registry.family, name="family"),
    path("search", registry.search, name="search"),
    path("candidates", registry.candidates, name="candidates"),
    path("changes", registry.changes, name="changes"),
]
