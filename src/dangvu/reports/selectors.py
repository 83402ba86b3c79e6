"""Scoped reads of the statistics: a report only for an organization in the user's scope."""

from datetime import date, datetime
from typing import Any

from dangvu.organizations.selectors import organization_for
from dangvu.reports.engine import Report, report


def report_for(
    user: Any, organization_id: Any, on: date, known_at: datetime | None = None
) -> Report:
    """The report of an organization the user may see (404 for missing and out of scope
    alike), with its subtree as it stood on ``on``."""
    return report(organization_for(user, organization_id), on, known_at)
