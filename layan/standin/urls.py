"""The stand-in's URLs, mounted under ``graph/`` (so ``WHATSAPP_GRAPH_URL`` = ``<site>/graph``).

The version segment must look like Meta's (``v23.0``), which keeps ``_control`` and ``media``
apart from Graph paths.
"""

from django.urls import path, re_path

from layan.standin import views

app_name = "standin"

VERSION = r"(?P<version>v\d+\.\d+)"

urlpatterns = [
    path("_control/failures", views.failures, name="failures"),
    path("media/<str:media_id>/download", views.download_media, name="media-download"),
    re_path(rf"^{VERSION}/(?P<phone_number_id>[^/]+)/messages$", views.messages, name="messages"),
    re_path(rf"^{VERSION}/(?P<phone_number_id>[^/]+)/media$", views.upload_media, name="media"),
    re_path(rf"^{VERSION}/(?P<media_id>[^/]+)$", views.media_object, name="media-object"),
]
