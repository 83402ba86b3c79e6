"""Scoped reads of the statistics: a report only for an organization in the user's scope."""

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dangvu.accounts import scoping
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import organization_for
from dangvu.reports import figures, tables
from dangvu.reports.engine import Key, Report, members_behind, report
from dangvu.reports.layouts import Column, Layout
from dangvu.reports.models import FiledReport
from dangvu.reports.movements import movements, since
from dangvu.reports.tables import Table


def report_for(
    user: Any, organization_id: Any, on: date, known_at: datetime | None = None
) -> Report:
    """The report of an organization the user may see (404 for missing and out of scope
    alike), with its subtree as it stood on ``on``."""
    return report(organization_for(user, organization_id), on, known_at)


def movements_for(
    user: Any, organization_id: Any, start: date, end: date, known_at: datetime | None = None
) -> Report:
    """The movements of a period for an organization the user may see (404 otherwise)."""
    return movements(organization_for(user, organization_id), start, end, known_at)


def movements_since_for(
    user: Any, organization: Any, starts: list[date], today: date
) -> dict[date, Counter[Key]]:
    """An organization's own movements from each start to today (``movements.since``), for
    an organization the user may see (404 otherwise; ``_scoped``)."""
    return since(_scoped(user, organization), starts, today)


def members_behind_for(
    user: Any, organization_id: Any, on: date, key: Key, known_at: datetime | None = None
) -> list[int]:
    """The members behind one figure of an organization the user may see: only members counted
    in its subtree on ``on``, so never one outside the user's scope on that date."""
    return members_behind(organization_for(user, organization_id), on, key, known_at)


def figures_for(user: Any, organization: Any) -> dict[int, Counter[Key]]:
    """Today's maintained figures of an organization the user may see and of its direct
    subordinates (404 for missing and out of scope alike; ``_scoped``)."""
    return figures.read(_scoped(user, organization))


def own_figures_for(user: Any, organization: Any) -> Counter[Key]:
    """Today's maintained figures of an organization the user may see, without its
    subordinates' (``figures.read_own``; 404 for missing and out of scope alike)."""
    return figures.read_own(_scoped(user, organization))


def _scoped(user: Any, organization: Any) -> Organization:
    """The organization (its id, or the organization already read) if the user may see it;
    404 for missing and out of scope alike. One already read is checked against the user's
    grants, without reading it again."""
    if not isinstance(organization, Organization):
        return organization_for(user, organization)
    if not scoping.sees(user, organization):
        raise Http404
    return organization


def table_for(
    user: Any, organization_id: Any, layout: Layout, on: date, start: date | None = None
) -> Table:
    """A standard form filled in for an organization the user may see (404 otherwise)."""
    return tables.build(layout, organization_for(user, organization_id), on, start)


def behind_for(
    user: Any, organization_id: Any, column: Column, on: date, start: date | None = None
) -> tables.Behind:
    """The members or organizations behind one figure of an organization the user may see:
    only those counted in its subtree on the figure's date, so never any outside his scope."""
    return tables.behind(column, organization_for(user, organization_id), on, start)


def filed_reports_for(user: Any, organization_id: Any) -> QuerySet[FiledReport]:
    """The reports an organization the user may see has filed, and those sent to it."""
    organization = organization_for(user, organization_id)
    return FiledReport.objects.filter(
        Q(organization=organization) | Q(addressed_to=organization)
    ).select_related("organization", "filed_by")


def filed_report_for(user: Any, pk: Any) -> FiledReport:
    """One filed report whose organization the user may see (404 otherwise, as if missing)."""
    reports = scoping.scope(FiledReport.objects.all(), user, "organization__path")
    return scoping.get_or_404(reports.select_related("organization", "addressed_to"), pk=pk)
