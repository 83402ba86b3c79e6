"""URL map of the reports: the standard forms on screen, as xlsx and PDF, and the drill-down."""

from django.urls import path

from dangvu.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/filed/", views.filed_list, name="filed_list"),
    path("<int:pk>/checks/", views.consistency, name="checks"),
    path("<int:pk>/charts/", views.dashboard, name="charts"),
    path("<int:pk>/charts/<slug:name>.svg", views.chart, name="chart"),
    path("<int:pk>/checks/<slug:check>/", views.consistency_members, name="check_members"),
    path("<int:pk>/<slug:code>/", views.table, name="table"),
    path("<int:pk>/<slug:code>/members/", views.behind, name="behind"),
    path("<int:pk>/<slug:code>.xlsx", views.export, {"format": "xlsx"}, name="xlsx"),
    path("<int:pk>/<slug:code>.pdf", views.export, {"format": "pdf"}, name="pdf"),
    path("<int:pk>/<slug:code>.csv", views.export, {"format": "csv"}, name="csv"),
    path("<int:pk>/<slug:code>/file/", views.file, name="file"),
    path("filed/<int:pk>/", views.filed, name="filed"),
    path("filed/<int:pk>/decide/", views.decide, name="decide"),
    path("filed/<int:pk>.xlsx", views.filed_file, {"format": "xlsx"}, name="filed_xlsx"),
    path("filed/<int:pk>.pdf", views.filed_file, {"format": "pdf"}, name="filed_pdf"),
]
