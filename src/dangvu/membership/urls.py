"""URL map: Member lists, search and the dossier."""

from django.urls import path  # noqa: F401

app_name = "members"
urlpatterns: list = []
