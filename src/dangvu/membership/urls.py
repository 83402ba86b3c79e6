"""URL map: Member lists, search and the dossier."""

from django.urls import path

from dangvu.membership import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("export.xlsx", views.member_export, name="export"),
    path("former/", views.former_list, name="former"),
    path("former/export.xlsx", views.former_export, name="former_export"),
    path("<int:pk>/", views.dossier, name="dossier"),
    path("<int:pk>/national-id/", views.reveal_national_id, name="reveal_national_id"),
]
