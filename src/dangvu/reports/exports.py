"""A filled-in standard form as an xlsx workbook laid out like the paper form (title block,
organization and date, numbered rows and columns, the total row, signature block) and as a
PDF for print (the same layout in HTML, printed by WeasyPrint on A4 landscape)."""

import csv
from datetime import date
from io import BytesIO, StringIO
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from dangvu.core.dates import format_date
from dangvu.organizations.models import Organization
from dangvu.reports.tables import Table, header_rows

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BOLD = Font(bold=True)


def filename(table: Table) -> str:
    day = table.on.strftime("%Y-%m-%d")
    return f"{table.layout.code}-{slugify(table.name) or table.organization_id}-{day}"


def when(table: Table) -> str:
    if table.start:
        return _("From %(start)s to %(end)s") % {
            "start": format_date(table.start),
            "end": format_date(table.on),
        }
    return _("As of %(date)s") % {"date": format_date(table.on)}


def dated_line(day: date) -> str:
    return _("......, day %(day)02d month %(month)02d year %(year)d") % {
        "day": day.day,
        "month": day.month,
        "year": day.year,
    }


def signatures(organization: Organization) -> tuple[str, str]:
    """The two signature boxes: who made the form, who signs for the organization."""
    signer = (
        _("ON BEHALF OF THE CELL")
        if organization.kind.is_cell
        else _("ON BEHALF OF THE STANDING COMMITTEE")
    )
    return _("PREPARED BY"), signer


def context(table: Table, organization: Organization) -> dict[str, Any]:
    made, signer = signatures(organization)
    return {
        "table": table,
        "when": when(table),
        "dated": dated_line(timezone.localdate()),
        "parent": table.parent_name,
        "made": made,
        "signer": signer,
    }


def xlsx(table: Table, organization: Organization) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.layout.code[:31]
    width = len(table.columns) + 2  # No., unit, then the figures
    info = context(table, organization)
    half = max(2, width // 2)

    def put(row: int, column: int, text: Any, **style: Any) -> Any:
        cell = sheet.cell(row=row, column=column, value=text)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def merged(row: int, first: int, last: int, text: Any, **style: Any) -> None:
        put(row, first, text, **style)
        if last > first:
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    # title block: the organizations on the left, the Party and the date on the right
    merged(1, 1, half, info["parent"].upper(), alignment=CENTER)
    merged(2, 1, half, table.name.upper(), alignment=CENTER, font=BOLD)
    merged(1, half + 1, width, _("COMMUNIST PARTY OF VIETNAM"), alignment=CENTER, font=BOLD)
    merged(2, half + 1, width, info["dated"], alignment=CENTER, font=Font(italic=True))
    merged(
        4,
        1,
        width,
        str(table.layout.title).upper(),
        alignment=CENTER,
        font=Font(bold=True, size=14),
    )
    merged(5, 1, width, info["when"], alignment=CENTER)
    merged(
        6, 1, width, f"({table.layout.follows})", alignment=CENTER, font=Font(italic=True, size=9)
    )

    # header: a group's label over its columns, then the column numbers
    top, below = 8, 9
    for column_number, label in [(1, _("No.")), (2, _("Organization"))]:
        put(top, column_number, label, alignment=CENTER, font=BOLD, border=BOX)
        put(below, column_number, None, border=BOX)
        sheet.merge_cells(
            start_row=top, start_column=column_number, end_row=below, end_column=column_number
        )
    position = 3
    for index, column in enumerate(table.columns):
        at = position + index
        if column.group:
            previous = table.columns[index - 1] if index else None
            if previous is None or previous.group != column.group:
                span = 1
                while (
                    index + span < len(table.columns)
                    and table.columns[index + span].group == column.group
                ):
                    span += 1
                put(top, at, str(column.group), alignment=CENTER, font=BOLD, border=BOX)
                for other in range(at + 1, at + span):
                    put(top, other, None, border=BOX)
                if span > 1:
                    sheet.merge_cells(
                        start_row=top, start_column=at, end_row=top, end_column=at + span - 1
                    )
            put(below, at, str(column.label), alignment=CENTER, border=BOX)
        else:
            put(top, at, str(column.label), alignment=CENTER, font=BOLD, border=BOX)
            put(below, at, None, border=BOX)
            sheet.merge_cells(start_row=top, start_column=at, end_row=below, end_column=at)
    numbers = below + 1
    put(numbers, 1, "A", alignment=CENTER, border=BOX, font=Font(italic=True))
    put(numbers, 2, "B", alignment=CENTER, border=BOX, font=Font(italic=True))
    for index in range(len(table.columns)):
        put(
            numbers,
            position + index,
            f"({index + 1})",
            alignment=CENTER,
            border=BOX,
            font=Font(italic=True),
        )

    # rows: the total first, then each subordinate organization, numbered
    line = numbers + 1
    for row in table.rows:
        total = row.number is None
        put(
            line,
            1,
            _("Total") if total else row.number,
            alignment=CENTER,
            border=BOX,
            font=BOLD if total else Font(),
        )
        put(line, 2, row.name, border=BOX, font=BOLD if total else Font())
        for index, count in enumerate(row.values):
            put(line, position + index, count, border=BOX, font=BOLD if total else Font())
        line += 1

    # signature block
    line += 1
    merged(line, 1, half, info["made"], alignment=CENTER, font=BOLD)
    merged(line, half + 1, width, info["signer"], alignment=CENTER, font=BOLD)
    merged(line + 1, 1, half, _("(signature, full name)"), alignment=CENTER, font=Font(italic=True))
    merged(
        line + 1,
        half + 1,
        width,
        _("(signature, full name, seal)"),
        alignment=CENTER,
        font=Font(italic=True),
    )

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 36
    for index in range(len(table.columns)):
        sheet.column_dimensions[get_column_letter(position + index)].width = 11
    sheet.row_dimensions[below].height = 45
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{top}:{numbers}"
    output = BytesIO()
    book.save(output)
    return output.getvalue()


def csv_text(table: Table) -> str:
    """The form as CSV (UTF-8 with a byte-order mark, so that Excel reads the diacritics): a
    header line with the column labels, then the total and one line per subordinate."""
    output = StringIO()
    writer = csv.writer(output)
    labels = [f"{c.group}: {c.label}" if c.group else str(c.label) for c in table.columns]
    writer.writerow([_("No."), _("Organization"), *labels])
    for row in table.rows:
        writer.writerow([_("Total") if row.number is None else row.number, row.name, *row.values])
    return "\ufeff" + output.getvalue()


def print_html(table: Table, organization: Organization) -> str:
    """The form as a page to print: the same layout, no links."""
    cells = [(row, [(count, "") for count in row.values]) for row in table.rows]
    return render_to_string(
        "reports/print.html", {**context(table, organization), **header(table), "rows_cells": cells}
    )


def pdf(table: Table, organization: Organization) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which a page view never needs

    return bytes(HTML(string=print_html(table, organization)).write_pdf())


def header(table: Table) -> dict[str, Any]:
    top, below = header_rows(table.columns)
    return {"header_top": top, "header_below": below}
