from django.urls import path

from layan.whatsapp import views

urlpatterns = [path("whatsapp", views.webhook, name="whatsapp-webhook")]
