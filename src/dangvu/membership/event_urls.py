"""URL map: the forms that record membership events (admission, transfers, exits, ...)."""

from django.urls import path  # noqa: F401

app_name = "events"
urlpatterns: list = []
