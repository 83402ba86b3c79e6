"""URL map: The organization tree on screen: browse, search, an organization's page and the restructuring screens."""

from django.urls import path

from dangvu.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/<slug:operation>/", views.restructure, name="restructure"),
]
