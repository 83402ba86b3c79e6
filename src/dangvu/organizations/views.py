"""Web pages of the organization tree (the full web UI is its own issue)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dangvu.organizations import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The organizations of the user's scope as an indented tree."""
    today = timezone.localdate()
    organizations = selectors.live_organizations_for(request.user, today).order_by("path")
    return render(
        request, "organizations/home.html", {"organizations": organizations, "today": today}
    )
