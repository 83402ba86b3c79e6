from django.contrib import admin
from django.urls import include, path

from dangvu.accounts import views as account_views
from dangvu.core.health import health
from dangvu.reports import dashboard

admin.site.site_header = "dangvu"
admin.site.site_title = "dangvu"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("organizations/", include("dangvu.organizations.urls")),
    path("members/", include("dangvu.membership.urls")),
    path("members/", include("dangvu.membership.event_urls")),
    path("people/", include("dangvu.people.urls")),
    path("accounts/", include("dangvu.accounts.urls")),
    path("audit/", include("dangvu.core.urls")),
    path("reports/", include("dangvu.reports.urls")),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
]
