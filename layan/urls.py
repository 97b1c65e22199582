from django.contrib import admin
from django.urls import path

from layan.api.v1 import api
from layan.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
