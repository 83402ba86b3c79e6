"""Report pages: the standard forms on screen, as xlsx and as PDF, and the drill-down list
behind every figure. Every read goes through ``reports.selectors`` (404 outside the user's
scope, exactly as for a missing organization)."""

from collections import Counter
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvu.accounts import scoping
from dangvu.core.errors import DomainError
from dangvu.membership.models import Member
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import organization_for, organizations_for
from dangvu.reports import exports, selectors
from dangvu.reports.layouts import LAYOUTS, PERIOD, START, Layout
from dangvu.reports.tables import Table, header_rows

DATE_FORMAT = "%d/%m/%Y"
PAGE_SIZE = 100


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
    if format == "xlsx":
        content = exports.xlsx(filled, organization)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
            "params": request.GET.copy(),
        },
    )
