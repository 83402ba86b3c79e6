"""URL map: the forms that record membership events (admission, transfers, exits, ...)."""

from django.urls import path

from dangvu.membership import event_views as views

app_name = "events"
urlpatterns = [
    path("<int:pk>/events/<slug:slug>/", views.record, name="record"),
    path("admit/<int:person>/", views.admit, name="admit"),
    path("transfers/proposals/", views.proposals, name="proposals"),
    path("transfers/proposals/<int:pk>/", views.proposal, name="proposal"),
    path("transfers/incoming/", views.incoming, name="incoming"),
]
