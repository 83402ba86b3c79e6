"""Filing reports: an organization freezes a standard form and sends it to the level above,
which accepts it or returns it with a reason (the quarterly headcount reconciliation). Each
service runs in one transaction and writes its audit entry."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.accounts.models import Role
from dangvu.accounts.scoping import has_role, require_role
from dangvu.core import audit
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.membership.models import MembershipEvent
from dangvu.organizations.models import Organization
from dangvu.reports import exports, tables
from dangvu.reports.layouts import LAYOUTS, Column, Layout
from dangvu.reports.models import FiledReport, FiledStatus
from dangvu.reports.tables import Row, Table

# Roles that may file their organization's reports.
FILERS = (Role.CLERK, Role.APPROVER, Role.ADMIN)


@transaction.atomic
def file_report(
    *, actor: Any, organization: Organization, layout: Layout, on: date, start: date | None = None
) -> FiledReport:
    """Freeze ``layout`` for ``organization`` (on ``on``, or the period ``start``..``on``) with
    its xlsx and PDF files, and send it to the organization above."""
    if not any(has_role(actor, role, organization) for role in FILERS):
        require_role(actor, Role.CLERK, organization)  # raises with the usual message
    table = tables.build(layout, organization, on, start)
    report = FiledReport.objects.create(
        organization=organization,
        addressed_to_id=organization.parent_id,
        layout=layout.code,
        start=start,
        on=on,
        figures=freeze(table),
        xlsx=exports.xlsx(table, organization),
        pdf=exports.pdf(table, organization),
        filed_by=actor,
        filed_at=timezone.now(),
    )
    audit.record(
        "reports.report.filed",
        actor=actor,
        target=report,
        after={
            **audit.snapshot(report, ["layout", "start", "on", "addressed_to"]),
            "total": table.total.values,
        },
    )
    return report


def _decide(actor: Any, report: FiledReport) -> Organization:
    if report.status != FiledStatus.SUBMITTED:
        raise DomainError(_("This report has already been accepted or returned."))
    above = report.addressed_to
    if above is None:
        raise DomainError(_("This report was not sent to any organization."))
    if not (has_role(actor, Role.APPROVER, above) or has_role(actor, Role.ADMIN, above)):
        raise NotPermitted(
            _("Only an approver of %(organization)s can accept or return this report.")
            % {"organization": above.name}
        )
    return above


@transaction.atomic
def accept_report(*, actor: Any, report: FiledReport) -> FiledReport:
    _decide(actor, report)
    report.status, report.decided_by, report.decided_at = (
        FiledStatus.ACCEPTED,
        actor,
        timezone.now(),
    )
    report.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        "reports.report.accepted", actor=actor, target=report, after={"status": "accepted"}
    )
    return report


@transaction.atomic
def return_report(*, actor: Any, report: FiledReport, reason: str) -> FiledReport:
    """Send the report back: the organization files it again once it is put right."""
    _decide(actor, report)
    if not reason.strip():
        raise DomainError(_("Say why the report is returned."), field="reason")
    report.status, report.decided_by, report.decided_at, report.reason = (
        FiledStatus.RETURNED,
        actor,
        timezone.now(),
        reason.strip(),
    )
    report.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit.record(
        "reports.report.returned",
        actor=actor,
        target=report,
        after={"status": "returned"},
        reason=reason.strip(),
    )
    return report


# --- the frozen form -------------------------------------------------------------------------


def freeze(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "parent_name": table.parent_name,
        "columns": [
            [c.key[0], c.key[1], str(c.label), str(c.group), c.when] for c in table.columns
        ],
        "rows": [[r.organization_id, r.name, r.number, r.values] for r in table.rows],
    }


def frozen_table(report: FiledReport) -> Table:
    """The form exactly as it was filed."""
    stored = report.figures
    columns = [Column((d, v), label, group, when) for d, v, label, group, when in stored["columns"]]
    rows = [Row(pk, name, values, number) for pk, name, number, values in stored["rows"]]
    return Table(
        LAYOUTS[report.layout],
        report.organization_id,
        stored["name"],
        stored["parent_name"],
        report.on,
        report.start,
        columns,
        rows,
    )


@dataclass
class Difference:
    row: str  # the organization's name
    column: Column
    filed: int
    today: int


def differences(report: FiledReport) -> tuple[list[Difference], list[MembershipEvent]]:
    """Where the same form made today differs from the filed one, and the events recorded
    since it was filed that fall into its date or period under the organization (why)."""
    filed = frozen_table(report)
    now = tables.build(filed.layout, report.organization, report.on, report.start)
    now_values = {
        (row.organization_id, column.key, column.when): value
        for row in now.rows
        for column, value in zip(now.columns, row.values, strict=True)
    }
    found = []
    for row in filed.rows:
        for column, value in zip(filed.columns, row.values, strict=True):
            today = now_values.get((row.organization_id, column.key, column.when), 0)
            if today != value:
                found.append(Difference(row.name, column, value, today))
    filed_keys = {(c.key, c.when) for c in filed.columns}
    for row in now.rows:  # a value that had no column when filed (a new ethnic group ...)
        for column, value in zip(now.columns, row.values, strict=True):
            if (column.key, column.when) not in filed_keys and value:
                found.append(Difference(row.name, column, 0, value))
    events = MembershipEvent.objects.filter(
        recorded_at__gt=report.filed_at,
        effective_date__lte=report.on,
        organization__path__startswith=report.organization.path,
    )
    return found, list(
        events.select_related("member__person", "organization").order_by("recorded_at")
    )
