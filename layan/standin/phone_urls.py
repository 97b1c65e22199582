"""The phone simulator's URLs, mounted under ``dev/phone/`` when the stand-in is on."""

from django.urls import path

from layan.standin import phone

app_name = "phone"

urlpatterns = [
    path("", phone.page, name="page"),
    path("api/send", phone.api_send, name="send"),
    path("api/upload", phone.api_upload, name="upload"),
    path("api/messages", phone.api_messages, name="messages"),
    path("api/fail", phone.api_fail, name="fail"),
    path("api/fail/clear", phone.api_fail_clear, name="fail-clear"),
    path("media/<str:media_id>", phone.media, name="media"),
]
