"""URL map: Users and their grants, for admins; one's own password; the large-text switch."""

from django.urls import path

from dangvu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user, name="user"),
    path("users/<int:pk>/grants/", views.user_grant, name="user_grant"),
    path("users/<int:pk>/grants/<int:grant>/end/", views.grant_end, name="grant_end"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("text-size/", views.text_size, name="text_size"),
]
