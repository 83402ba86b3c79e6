"""URL map: The audit log, for admins."""

from django.urls import path  # noqa: F401

app_name = "audit"
urlpatterns: list = []
