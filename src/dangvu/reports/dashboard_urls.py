"""A temporary address for the dashboard while it is built apart: the lead points the root URL
("home") at ``dashboard.home`` when merging, and this file can then go."""

from django.urls import path

from dangvu.reports import dashboard

urlpatterns = [
    path("dashboard/", dashboard.home, name="dashboard"),
]
