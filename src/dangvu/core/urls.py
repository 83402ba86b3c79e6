"""URL map: The audit log, for admins."""

from django.urls import path

from dangvu.core import views

app_name = "audit"
urlpatterns = [
    path("", views.entries, name="list"),
    path("<int:pk>/", views.entry, name="detail"),
]
