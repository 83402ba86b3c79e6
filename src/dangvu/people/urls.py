"""URL map: Creating and editing a person's curriculum vitae."""

from django.urls import path

from dangvu.people import views

app_name = "people"
urlpatterns = [
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
]
