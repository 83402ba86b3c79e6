from django.contrib import admin
from django.urls import path

from dangvu.organizations import views as organization_views

admin.site.site_header = "dangvu"
admin.site.site_title = "dangvu"

urlpatterns = [
    path("", organization_views.home, name="home"),
    path("admin/", admin.site.urls),
]
