from django.urls import path

from layan.documents import views

app_name = "documents"

urlpatterns = [
    path("v/<slug:public_id>", views.verify, name="verify"),
    path("d/<str:token>", views.download, name="download"),
]
