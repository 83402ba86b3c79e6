"""Member lists as xlsx workbooks: the rows of the list on screen (same filters, same order),
every page of it, laid out for A4 landscape with the header row repeated on each printed page.

Written in openpyxl's write-only mode, row by row from a database iterator, so that a
province's list does not sit in memory. Personal identification numbers are masked unless the
view says the user may export them in clear (``views.may_export_clear_ids``).
"""

from collections.abc import Iterable
from datetime import date
from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dangvu.core.dates import format_date
from dangvu.core.text import mask_identifier
from dangvu.membership.models import Member, Standing
from dangvu.membership.rules import calendar_span

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER = Alignment(horizontal="center", vertical="center", wrap_text=True)
CHUNK = 2000
FIRST_ROW = 4  # title, subtitle, a blank line, then the header


def status(member: Member) -> str:
    """Standing and the activity flags, as one cell: "official, exempted"."""
    parts = [member.get_standing_display()]
    flags = [
        ("is_exempted", _("exempted")),
        ("is_suspended", _("suspended")),
        ("is_in_transit", _("in transit")),
        ("is_temporarily_away", _("temporarily away")),
        ("is_lost_contact", _("lost contact")),
    ]
    parts += [label for name, label in flags if getattr(member, name)]
    return ", ".join(str(part) for part in parts)


def party_years(member: Member, today: date) -> int | None:
    """Completed years of party age when it is settled on the member (else the dossier says)."""
    if member.standing != Standing.OFFICIAL or member.party_age_from is None:
        return None
    return calendar_span(member.party_age_from, today)[0]


def national_id(member: Member, clear: bool) -> str:
    value = member.person.national_id
    return value if clear else mask_identifier(value)


def current_rows(members: QuerySet[Member], today: date, clear: bool) -> Iterable[list[Any]]:
    members = members.select_related("person__ethnicity")
    for number, member in enumerate(members.iterator(chunk_size=CHUNK), start=1):
        person = member.person
        yield [
            number,
            person.full_name,
            person.get_gender_display(),
            str(person.birth_date),
            person.ethnicity.name,
            national_id(member, clear),
            member.organization.name,
            format_date(member.admission_date),
            format_date(member.official_date),
            status(member),
            party_years(member, today),
        ]


CURRENT_HEADERS = [
    (gettext_lazy("No."), 6),
    (gettext_lazy("Full name"), 28),
    (gettext_lazy("Gender"), 8),
    (gettext_lazy("Born"), 12),
    (gettext_lazy("Ethnic group"), 12),
    (gettext_lazy("Personal identification number"), 18),
    (gettext_lazy("Organization"), 32),
    (gettext_lazy("Admission decision"), 13),
    (gettext_lazy("Official since"), 13),
    (gettext_lazy("Standing"), 20),
    (gettext_lazy("Party age (years)"), 10),
]


def former_rows(members: QuerySet[Member], clear: bool) -> Iterable[list[Any]]:
    for number, member in enumerate(members.iterator(chunk_size=CHUNK), start=1):
        yield [
            number,
            member.person.full_name,
            str(member.person.birth_date),
            national_id(member, clear),
            format_date(getattr(member, "left_on", None)),
            status(member),
            member.organization.name if member.standing != Standing.LEFT else "",
            format_date(member.exit_date),
        ]


FORMER_HEADERS = [
    (gettext_lazy("No."), 6),
    (gettext_lazy("Full name"), 28),
    (gettext_lazy("Born"), 12),
    (gettext_lazy("Personal identification number"), 18),
    (gettext_lazy("Left the organization on"), 14),
    (gettext_lazy("Standing today"), 20),
    (gettext_lazy("Organization today"), 32),
    (gettext_lazy("Left the Party on"), 14),
]


def workbook(
    title: str, subtitle: str, headers: list[tuple[Any, int]], rows: Iterable[list[Any]]
) -> bytes:
    """A one-sheet workbook: title lines, a bordered header row, then ``rows``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Members"))
    _page_setup(sheet, [width for _label, width in headers])
    sheet.append([_cell(sheet, title, bold=True, size=14)])
    sheet.append([subtitle])
    sheet.append([])
    sheet.append([_cell(sheet, str(label), bold=True, header=True) for label, _w in headers])
    for row in rows:
        sheet.append(row)
    output = BytesIO()
    book.save(output)
    return output.getvalue()


def _page_setup(sheet: Any, widths: list[int]) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{FIRST_ROW}:{FIRST_ROW}"
    sheet.freeze_panes = f"A{FIRST_ROW + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _cell(
    sheet: Any, value: str, bold: bool = False, size: int = 11, header: bool = False
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=bold, size=size)
    if header:
        cell.alignment = HEADER
        cell.border = BOX
    return cell
