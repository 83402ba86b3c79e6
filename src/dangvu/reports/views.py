"""Report pages: the standard forms on screen, as xlsx and as PDF, and the drill-down list
behind every figure. Every read goes through ``reports.selectors`` (404 outside the user's
scope, exactly as for a missing organization)."""

from collections import Counter
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.paging import query_without
from dangvu.membership.models import Member
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import organization_for, organizations_for, versions_on
from dangvu.reports import charts, checks, exports, figures, selectors, services
from dangvu.reports.layouts import LAYOUTS, PERIOD, START, Layout
from dangvu.reports.models import FiledReport, FiledStatus
from dangvu.reports.tables import Table, header_rows

DATE_FORMAT = "%d/%m/%Y"
PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DateInput(forms.DateField):
    widget = forms.DateInput(format=DATE_FORMAT, attrs={"placeholder": "dd/mm/yyyy"})

    def __init__(self, **kwargs: Any):
        super().__init__(
            input_formats=[DATE_FORMAT],
            required=False,
            error_messages={"invalid": gettext_lazy("Type the date as dd/mm/yyyy.")},
            **kwargs,
        )


class ReportDates(forms.Form):
    """The report's date, or its period (first and last day); empty fields take defaults."""

    on = DateInput(label=gettext_lazy("As of"))
    start = DateInput(label=gettext_lazy("From"))
    end = DateInput(label=gettext_lazy("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        if data.get("on") and data["on"] > today:
            self.add_error("on", _("A report cannot be made for a day after today."))
        if data.get("end") and data["end"] > today:
            self.add_error("end", _("A report cannot be made for a day after today."))
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date is before the start date."))
        return data

    def dates(self, layout: Layout) -> tuple[date, date | None]:
        """(the date or the period's last day, the period's first day)."""
        today = timezone.localdate()
        data = self.cleaned_data
        if layout.period:
            end = data.get("end") or today
            return end, data.get("start") or date(end.year, 1, 1)
        return data.get("on") or today, None


def layout_or_404(code: str) -> Layout:
    if code not in LAYOUTS:
        raise Http404
    return LAYOUTS[code]


def query(on: date, start: date | None) -> str:
    params = {"end" if start else "on": on.strftime(DATE_FORMAT)}
    if start:
        params["start"] = start.strftime(DATE_FORMAT)
    return urlencode(params)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The reports of the organization at the top of the user's scope."""
    grants = scoping.active_grants(request.user)
    tops = sorted({grant.organization for grant in grants}, key=lambda o: o.path)
    top = tops[0] if tops else organizations_for(request.user).order_by("path").first()
    if top is None:
        return render(request, "reports/no_scope.html")
    return redirect("reports:table", pk=top.pk, code="quality")


def table_context(request: HttpRequest, table: Table, form: ReportDates) -> dict[str, Any]:
    top, below = header_rows(table.columns)
    params = query(table.on, table.start)
    cells = []
    for row in table.rows:
        links = []
        for column, count in zip(table.columns, row.values, strict=True):
            drill = {"dimension": column.key[0], "value": column.key[1], "when": column.when}
            url = reverse("reports:behind", args=[row.organization_id, table.layout.code])
            links.append((count, f"{url}?{params}&{urlencode(drill)}" if count else ""))
        cells.append((row, links))
    return {
        "table": table,
        "layout": table.layout,
        "layouts": LAYOUTS.values(),
        "form": form,
        "header_top": top,
        "header_below": below,
        "cells": cells,
        "params": params,
        "past": table.on != timezone.localdate() or bool(table.start),
        "folded_at": figures.last_folded() if table.on == timezone.localdate() else None,
    }


def _table(request: HttpRequest, pk: int, code: str) -> tuple[Table | None, ReportDates]:
    layout = layout_or_404(code)
    organization_for(request.user, pk)  # 404 before anything else
    form = ReportDates(request.GET)  # empty fields take the defaults
    if not form.is_valid():
        return None, form
    on, start = form.dates(layout)
    try:
        return selectors.table_for(request.user, pk, layout, on, start), form
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return None, form


@login_required
def table(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    filled, form = _table(request, pk, code)
    organization = organization_for(request.user, pk)
    context: dict[str, Any] = {
        "organization": organization,
        "layout": LAYOUTS[code],
        "layouts": LAYOUTS.values(),
        "form": form,
        "parent": _visible_parent(request, organization),
        "may_check": scoping.has_role(request.user, Role.ADMIN, organization),
        "may_file": any(
            scoping.has_role(request.user, role, organization) for role in services.FILERS
        ),
    }
    if filled is not None:
        context.update(table_context(request, filled, form))
    return render(request, "reports/table.html", context, status=200 if filled else 400)


def _visible_parent(request: HttpRequest, organization: Organization) -> Organization | None:
    if organization.parent_id is None:
        return None
    return organizations_for(request.user).filter(pk=organization.parent_id).first()


@login_required
def export(request: HttpRequest, pk: int, code: str, format: str) -> HttpResponse:
    filled, form = _table(request, pk, code)
    if filled is None:
        return table(request, pk, code)
    organization = organization_for(request.user, pk)
    content: bytes | str
    if format == "xlsx":
        content = exports.xlsx(filled, organization)
        kind = XLSX
    elif format == "csv":
        content, kind = exports.csv_text(filled), "text/csv; charset=utf-8"
    else:
        content = exports.pdf(filled, organization)
        kind = "application/pdf"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(filled)}.{format}"'
    return response


@login_required
def behind(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """The list behind one figure: as many lines as the figure says."""
    layout = layout_or_404(code)
    organization = organization_for(request.user, pk)
    form = ReportDates(request.GET)
    if not form.is_valid():
        raise Http404
    on, start = form.dates(layout)
    key = (request.GET.get("dimension", ""), request.GET.get("value", ""))
    when = request.GET.get("when", "")
    column = next(
        (c for c in layout.columns_for(Counter({key: 1})) if c.key == key and c.when == when),
        None,
    )
    if column is None:
        raise Http404
    found = selectors.behind_for(request.user, pk, column, on, start)
    page = Paginator(found.members or found.organizations, PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = list(page.object_list)
    if found.members:
        by_pk = Member.objects.select_related("person", "organization").in_bulk(ids)
        lines: list[Any] = [by_pk[i] for i in ids]
    else:
        by_pk_org = Organization.objects.select_related("kind", "category").in_bulk(ids)
        lines = [by_pk_org[i] for i in ids]
    day = start - timedelta(days=1) if column.when == START and start else on
    return render(
        request,
        "reports/behind.html",
        {
            "organization": organization,
            "layout": layout,
            "column": column,
            "count": len(found),
            "page": page,
            "lines": lines,
            "members": bool(found.members),
            "day": day,
            "period": column.when == PERIOD,
            "on": on,
            "start": start,
            "back": reverse("reports:table", args=[pk, code]) + "?" + query(on, start),
            "query": query_without(request, "page"),
        },
    )


# --- filed reports ---------------------------------------------------------------------------


@login_required
@require_POST
def file(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Freeze the form shown (same organization, date or period) and send it up."""
    layout = layout_or_404(code)
    organization = organization_for(request.user, pk)
    form = ReportDates(request.POST)
    if not form.is_valid():
        return table(request, pk, code)
    on, start = form.dates(layout)
    try:
        filed = services.file_report(
            actor=request.user, organization=organization, layout=layout, on=on, start=start
        )
    except NotPermitted as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(reverse("reports:table", args=[pk, code]) + "?" + query(on, start))
    if filed.addressed_to_id:
        messages.success(request, _("The report is filed and sent to the level above."))
    else:
        messages.success(request, _("The report is filed."))
    return redirect("reports:filed", pk=filed.pk)


@login_required
def filed_list(request: HttpRequest, pk: int) -> HttpResponse:
    organization = organization_for(request.user, pk)
    reports = selectors.filed_reports_for(request.user, pk)
    return render(
        request,
        "reports/filed_list.html",
        {
            "organization": organization,
            "own": [r for r in reports if r.organization_id == organization.pk],
            "received": [r for r in reports if r.addressed_to_id == organization.pk],
            "layouts": LAYOUTS,
        },
    )


@login_required
def filed(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.filed_report_for(request.user, pk)
    return _filed_page(request, report)


def _filed_page(
    request: HttpRequest, report: FiledReport, reason_error: str = "", status: int = 200
) -> HttpResponse:
    frozen = services.frozen_table(report)
    found, events = services.differences(report)
    above = report.addressed_to
    may_decide = (
        report.status == FiledStatus.SUBMITTED
        and above is not None
        and (
            scoping.has_role(request.user, Role.APPROVER, above)
            or scoping.has_role(request.user, Role.ADMIN, above)
        )
    )
    top, below = header_rows(frozen.columns)
    return render(
        request,
        "reports/filed.html",
        {
            "report": report,
            "table": frozen,
            "layout": frozen.layout,
            "header_top": top,
            "header_below": below,
            "cells": [(row, [(count, "") for count in row.values]) for row in frozen.rows],
            "differences": found,
            "events": events,
            "may_decide": may_decide,
            "reason_error": reason_error,
            "reason": request.POST.get("reason", ""),
        },
        status=status,
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the filed report, or return it with a reason."""
    report = selectors.filed_report_for(request.user, pk)
    try:
        if request.POST.get("action") == "accept":
            services.accept_report(actor=request.user, report=report)
            messages.success(request, _("The report is accepted."))
        else:
            services.return_report(
                actor=request.user, report=report, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The report is returned."))
    except NotPermitted as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        if error.field == "reason":
            return _filed_page(request, report, str(error), status=400)
        messages.error(request, str(error))
    return redirect("reports:filed", pk=report.pk)


@login_required
def filed_file(request: HttpRequest, pk: int, format: str) -> HttpResponse:
    """The xlsx or PDF exactly as it was filed."""
    report = selectors.filed_report_for(request.user, pk)
    content = bytes(report.xlsx if format == "xlsx" else report.pdf)
    kind = XLSX if format == "xlsx" else "application/pdf"
    response = HttpResponse(content, content_type=kind)
    name = f"{report.layout}-{report.organization_id}-{report.on:%Y-%m-%d}-filed-{report.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response


# --- consistency checks ----------------------------------------------------------------------

CHECK_LABELS = {
    "official_date": gettext_lazy("Official date not at the end of probation"),
    "under_age": gettext_lazy("Under age on the cell's resolution date"),
    "dissolved_organization": gettext_lazy("Member of a dissolved organization"),
    "missing_fields": gettext_lazy("Mandatory fields missing"),
}


def _findings(request: HttpRequest, pk: int) -> Any:
    try:
        return checks.inconsistencies_for(request.user, pk)
    except NotPermitted as error:
        raise PermissionDenied(str(error)) from error


@login_required
def consistency(request: HttpRequest, pk: int) -> HttpResponse:
    """Members whose data contradict each other, counted for the organization and each direct
    subordinate (today's tree), each count opening its list. For administrators."""
    organization = organization_for(request.user, pk)
    findings = _findings(request, pk)
    today = timezone.localdate()
    children = list(
        versions_on(today)
        .filter(parent=organization)
        .order_by("name")
        .values_list("organization_id", "name")
    )
    rows: list[tuple[int | None, int, str]] = [(None, organization.pk, organization.name)]
    rows += [(n, child, name) for n, (child, name) in enumerate(children, start=1)]
    table = [
        (number, child, name, [findings.counts[child][check] for check in checks.CHECKS])
        for number, child, name in rows
    ]
    return render(
        request,
        "reports/consistency.html",
        {
            "organization": organization,
            "checks": [(check, CHECK_LABELS[check]) for check in checks.CHECKS],
            "table": table,
        },
    )


@login_required
def consistency_members(request: HttpRequest, pk: int, check: str) -> HttpResponse:
    if check not in CHECK_LABELS:
        raise Http404
    organization = organization_for(request.user, pk)
    ids = _findings(request, pk).members[check]
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    by_pk = Member.objects.select_related("person", "organization").in_bulk(list(page.object_list))
    return render(
        request,
        "reports/consistency_members.html",
        {
            "organization": organization,
            "label": CHECK_LABELS[check],
            "count": len(ids),
            "page": page,
            "lines": [by_pk[i] for i in page.object_list],
        },
    )


# --- charts ----------------------------------------------------------------------------------

CHARTS = {
    "age": gettext_lazy("Members by age"),
    "ethnicity": gettext_lazy("Members by ethnic group"),
    "education": gettext_lazy("Members by general education"),
    "theory": gettext_lazy("Members by political theory"),
    "admissions": gettext_lazy("Admissions per year"),
    "headcount": gettext_lazy("Members at the end of each year"),
}


def _series(organization: Organization, name: str) -> charts.Series:
    today = timezone.localdate()
    if name == "admissions":
        return charts.admissions_per_year(organization, today)
    if name == "headcount":
        return charts.headcount_per_year(organization, today)
    return charts.composition(organization, today)[name]


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Charts of the organization's subtree, each with its figures as a table beside it."""
    organization = organization_for(request.user, pk)
    today = timezone.localdate()
    composition = charts.composition(organization, today)
    series = {
        **composition,
        "admissions": charts.admissions_per_year(organization, today),
        "headcount": charts.headcount_per_year(organization, today),
    }

    def link(point: charts.Point) -> str:
        if not point.layout or not point.count or point.on is None:
            return ""
        when = PERIOD if point.start else "on"
        drill = {"dimension": point.key[0], "value": point.key[1], "when": when}
        url = reverse("reports:behind", args=[organization.pk, point.layout])
        return f"{url}?{query(point.on, point.start)}&{urlencode(drill)}"

    return render(
        request,
        "reports/charts.html",
        {
            "organization": organization,
            "today": today,
            "charts": [
                (name, title, [(p, link(p)) for p in series[name]])
                for name, title in CHARTS.items()
            ],
        },
    )


@login_required
def chart(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in CHARTS:
        raise Http404
    organization = organization_for(request.user, pk)
    series = _series(organization, name)
    picture = charts.svg(
        str(CHARTS[name]),
        series,
        horizontal=name == "ethnicity",
    )
    return HttpResponse(picture, content_type="image/svg+xml")
