"""URL map: The organization tree on screen: browse, search, an organization's page and the restructuring screens."""

from django.urls import path  # noqa: F401

app_name = "organizations"
urlpatterns: list = []
