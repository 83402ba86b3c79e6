"""Web pages of the organization tree: the tree of the user's scope opened one level at a time,
a search over names and codes, an organization's page, and the restructuring screens.

Reads go through the selectors (404 outside the scope, as for a missing organization); member
counts are the maintained figures of the reports (``reports.selectors.figures_for``); the
restructuring screens preview a change, then call the service only on confirmation.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.text import thousands
from dangvu.organizations import forms, selectors
from dangvu.organizations.models import Organization
from dangvu.reports import figures as report_figures
from dangvu.reports.engine import Key
from dangvu.reports.selectors import figures_for

CHILDREN_PAGE = 100  # subordinates shown at once under a node (a big commune has ~150 cells)
SEARCH_PAGE = 50
TOTAL: Key = ("total", "")
# the subtree counts on an organization's page, each opening its list in the reports
STANDING: list[tuple[Key, Any]] = [
    (TOTAL, _("Party members")),
    (("standing", "probationary"), _("Probationary")),
    (("standing", "official"), _("Official")),
    (("activity", "exempted"), _("Exempted")),
    (("in_transit", ""), _("In transit (not in the total)")),
]
CHANGES = {
    "established": _("Established"),
    "renamed": _("Renamed"),
    "reclassified": _("Kind or category changed"),
    "moved": _("Moved"),
    "merged": _("Its parent organization was merged"),
    "split": _("Its parent organization was split"),
    "dissolved": _("Its parent organization was dissolved"),
    "ended": _("Dissolved"),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The organizations of the user's scope as an indented tree."""
    today = timezone.localdate()
    organizations = selectors.live_organizations_for(request.user, today).order_by("path")
    return render(
        request, "organizations/home.html", {"organizations": organizations, "today": today}
    )


# --- the tree --------------------------------------------------------------------------------


@dataclass
class Node:
    """An organization in the tree with its subtree's headcount (None: not counted)."""

    organization: Organization
    count: int | None
    has_children: bool

    @property
    def members(self) -> str | None:
        return None if self.count is None else thousands(self.count)


def _figures(request: HttpRequest, organization: Organization) -> dict[int, Counter[Key]]:
    """Today's figures of the organization and its direct subordinates ({} once dissolved)."""
    try:
        return figures_for(request.user, organization.pk)
    except DomainError:
        return {}


def _count(figures: dict[int, Counter[Key]], pk: int) -> int | None:
    return figures[pk][TOTAL] if pk in figures else None


def _children(
    request: HttpRequest, organization: Organization, figures: dict[int, Counter[Key]]
) -> tuple[list[Node], Any]:
    """One page of an organization's live subordinates, each with its headcount (from
    ``figures``, those of the organization and its direct subordinates)."""
    below = selectors.live_children_for(request.user, organization).select_related("kind")
    page = Paginator(below, CHILDREN_PAGE).get_page(request.GET.get("page"))
    nodes = [Node(o, _count(figures, o.pk), o.has_children) for o in page.object_list]
    return nodes, page


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """The tree of the user's scope (its top organizations opened one level), or the
    organizations whose name or code matches the search box."""
    text = request.GET.get("q", "").strip()
    if text:
        return _search(request, text)
    tops = []
    for top in selectors.tops_for(request.user):
        figures = _figures(request, top)
        nodes, page = _children(request, top, figures)
        tops.append((Node(top, _count(figures, top.pk), bool(nodes)), nodes, page))
    return render(
        request,
        "organizations/tree.html",
        {"tops": tops, "text": text, "folded_at": report_figures.last_folded()},
    )


def _search(request: HttpRequest, text: str) -> HttpResponse:
    found = selectors.search_organizations(request.user, text).select_related("kind", "parent")
    page = Paginator(found, SEARCH_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/tree.html",
        {
            "text": text,
            "page": page,
            "results": page.object_list,
            "count": thousands(page.paginator.count),
            "query": urlencode({"q": text}) + "&",
        },
    )


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """An organization's subordinates: the piece of the tree htmx opens under a node, or a
    page of its own without script."""
    organization = selectors.organization_for(request.user, pk)
    nodes, page = _children(request, organization, _figures(request, organization))
    context = {"organization": organization, "nodes": nodes, "page": page}
    if request.headers.get("HX-Request") == "true":  # htmx asks for the list items only
        return render(request, "organizations/_nodes.html", context)
    context["ancestors"] = selectors.ancestors_for(request.user, organization)
    return render(request, "organizations/children.html", context)


# --- an organization's page ------------------------------------------------------------------


def _standing(organization: Organization, figures: dict[int, Counter[Key]]) -> list[Any]:
    """(label, count, link to the members behind it) of the subtree's counts by standing."""
    if organization.pk not in figures:
        return []
    url = reverse("reports:behind", args=[organization.pk, "composition"])
    rows = []
    for key, label in STANDING:
        count = figures[organization.pk][key]
        query = urlencode({"dimension": key[0], "value": key[1], "when": "on"})
        rows.append((label, thousands(count), f"{url}?{query}" if count else ""))
    return rows


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_for(request.user, pk)
    figures = _figures(request, organization)
    nodes, page = _children(request, organization, figures)
    predecessors, successors = selectors.successions(organization)
    alive = organization.dissolved_on is None
    return render(
        request,
        "organizations/detail.html",
        {
            "organization": organization,
            "ancestors": selectors.ancestors_for(request.user, organization),
            "standing": _standing(organization, figures),
            "folded_at": report_figures.last_folded() if figures else None,
            "nodes": nodes,
            "page": page,
            "terms": selectors.committee(organization),
            "history": [
                (c, CHANGES.get(c.change, c.change)) for c in selectors.history(organization)
            ],
            "predecessors": predecessors,
            "successors": successors,
            "visible": _visible(request, organization, [*predecessors, *successors]),
            "may_restructure": alive and scoping.has_role(request.user, Role.ADMIN, organization),
            "may_establish": alive and not organization.kind.is_cell,
        },
    )


def _visible(request: HttpRequest, organization: Organization, links: list[Any]) -> set[int]:
    """Which of the parent and the linked organizations the user may open."""
    ids = {organization.parent_id} | {link.predecessor_id for link in links}
    ids |= {link.successor_id for link in links}
    visible = selectors.organizations_for(request.user).filter(pk__in=ids - {None})
    return set(visible.values_list("pk", flat=True))


# --- restructuring ---------------------------------------------------------------------------


def _require_admin(request: HttpRequest, organization: Organization) -> None:
    """403 with the reason for a user who sees the organization without administering it."""
    try:
        scoping.require_role(request.user, Role.ADMIN, organization)
    except NotPermitted as error:
        raise PermissionDenied(str(error)) from error


def _form_page(request: HttpRequest, form: forms.Restructuring, status: int = 200) -> HttpResponse:
    return render(
        request,
        "organizations/restructure.html",
        {"organization": form.organization, "form": form},
        status=status,
    )


@login_required
def restructure(request: HttpRequest, pk: int, operation: str) -> HttpResponse:
    """A restructuring screen: the form, then a preview of what will change (the service run
    in a transaction that is rolled back, so its own checks speak), then the confirmation,
    which alone records the change."""
    if operation not in forms.OPERATIONS:
        raise Http404
    organization = selectors.organization_for(request.user, pk)
    _require_admin(request, organization)
    form_class = forms.OPERATIONS[operation]
    if request.method != "POST":
        return _form_page(request, form_class(user=request.user, organization=organization))
    form = form_class(request.POST, user=request.user, organization=organization)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    if "edit" in request.POST:
        return _form_page(request, form)
    if "confirm" in request.POST:
        return _confirm(request, form)
    preview = form.describe()
    if form.record(request.user, dry_run=True) is None:
        return _form_page(request, form, status=400)
    return render(
        request,
        "organizations/restructure.html",
        {"organization": organization, "form": form, "preview": preview},
    )


def _confirm(request: HttpRequest, form: forms.Restructuring) -> HttpResponse:
    result = form.record(request.user)
    if result is None:
        return _form_page(request, form, status=400)
    message, url = form.done(result)
    messages.success(request, message)
    return redirect(url)
