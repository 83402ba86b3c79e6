"""The standard forms filled in, checked figure by figure against the brute forces written apart
from the engine (tests/reports/test_engine.py and test_movements.py), their drill-downs, their
pages, and their xlsx and PDF files."""

from collections import Counter
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from weasyprint import HTML

from dangvu.membership.models import Member
from dangvu.organizations.models import Organization, OrganizationVersion
from dangvu.reports import exports
from dangvu.reports.layouts import LAYOUTS, PERIOD, START, Column
from dangvu.reports.tables import behind, build
from tests.reports.test_engine import brute_force
from tests.reports.test_movements import brute_force as brute_force_movements

AS_OF = date(2026, 6, 30)
AS_OF_LAYOUTS = [code for code, layout in LAYOUTS.items() if not layout.period]


@pytest.fixture
def demo(db):
    call_command("seed_demo", provinces=1, seed=11, members=1500, as_of=AS_OF)
    return Organization.objects.get(parent=None)


def expected(counts: Counter, column: Column) -> int:
    dimension, value = column.key
    if value == "*":
        return sum(n for (d, _v), n in counts.items() if d == dimension)
    return counts[column.key]


def children_on(organization: Organization, on: date) -> list[int]:
    """The direct subordinates on ``on``, read from the version rows by hand."""
    return sorted(
        v.organization_id
        for v in OrganizationVersion.objects.filter(parent=organization)
        if v.valid_from <= on and (v.valid_to is None or v.valid_to > on)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "on", [None, AS_OF, date(2025, 6, 30), date(2015, 12, 31)], ids=str
)  # None: today, read from the maintained figures
def test_every_figure_of_every_form_equals_the_brute_force(demo, on):
    on = on or timezone.localdate()
    brute = brute_force(demo.pk, on)
    province = Organization.objects.get(pk=children_on(demo, on)[0])
    for organization in [demo, province]:
        for code in AS_OF_LAYOUTS:
            table = build(LAYOUTS[code], organization, on)
            rows = [row.organization_id for row in table.rows]
            assert rows[0] == organization.pk and rows[1:] != []
            assert sorted(rows[1:]) == children_on(organization, on)
            for row in table.rows:
                for column, count in zip(table.columns, row.values, strict=True):
                    assert count == expected(brute[row.organization_id], column), (
                        code,
                        row.name,
                        column.key,
                    )
            # spread columns leave nothing out: every value with a figure has its column
            shown = {column.key for column in table.columns}
            for dimension in ("ethnicity", "kind"):
                if any(key[0] == dimension for key in shown):
                    present = {
                        k for k, n in brute[organization.pk].items() if k[0] == dimension and n
                    }
                    assert present <= shown
    quality = build(LAYOUTS["quality"], demo, on).total
    assert quality.values[0] > 100  # the comparison is not of empty forms


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, end",
    [(date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), AS_OF)],  # the 2025 merge inside
    ids=str,
)
def test_every_figure_of_the_movement_form_equals_the_brute_force(demo, start, end):
    before = brute_force(demo.pk, start - timedelta(days=1))
    after = brute_force(demo.pk, end)
    moved = brute_force_movements(demo.pk, start, end)
    table = build(LAYOUTS["movement"], demo, end, start)
    assert table.total.values[table.columns.index(LAYOUTS["movement"].columns[-3])] > 100
    for row in table.rows:
        for column, count in zip(table.columns, row.values, strict=True):
            source = {START: before, PERIOD: moved}.get(column.when, after)
            assert count == source.get(row.organization_id, Counter())[column.key], (
                row.name,
                column,
            )
    assert sum(table.total.values[1:5]) > 0  # admissions and transfers in the demo's periods


@pytest.mark.django_db
def test_every_figure_opens_a_list_exactly_as_long(demo):
    today = timezone.localdate()
    checked = 0
    for code in AS_OF_LAYOUTS:
        table = build(LAYOUTS[code], demo, today)
        for column, count in zip(table.columns, table.total.values, strict=True):
            assert len(behind(column, demo, today)) == count, (code, column.key)
            checked += bool(count)
    period = build(LAYOUTS["movement"], demo, AS_OF, date(2025, 1, 1))
    for column, count in zip(period.columns, period.total.values, strict=True):
        assert len(behind(column, demo, AS_OF, date(2025, 1, 1))) == count, column
        checked += bool(count)
    assert checked > 50


# --- the pages ------------------------------------------------------------------------------


def url(name, organization, code="quality", query=""):
    return reverse(f"reports:{name}", args=[organization.pk, code]) + query


@pytest.mark.django_db
def test_a_report_outside_the_scope_answers_like_a_missing_one(client, world):
    client.force_login(world.clerk_b1)
    missing = Organization(pk=999_999, path="/999999/")
    for name in ("table", "xlsx", "pdf", "behind"):
        query = "?dimension=total&value=&when=on" if name == "behind" else ""
        outside = client.get(url(name, world.commune_a1, query=query))
        absent = client.get(url(name, missing, query=query))
        assert outside.status_code == absent.status_code == 404, name
    assert client.get(url("table", world.commune_b1)).status_code == 200


@pytest.mark.django_db
def test_a_viewer_reads_the_forms_of_his_scope_and_opens_the_figures(client, world, admit):
    member = admit(date(2024, 3, 1))
    client.force_login(world.viewer_a)
    for code in LAYOUTS:
        page = client.get(url("table", world.province_a, code))
        assert page.status_code == 200, code
        assert world.commune_a1.name in page.content.decode()
    page = client.get(url("behind", world.province_a, query="?dimension=total&value=&when=on"))
    assert page.status_code == 200
    assert member.person.full_name in page.content.decode()
    assert client.get(reverse("reports:index")).status_code == 302


@pytest.mark.django_db
def test_a_wrong_date_is_explained_next_to_the_field_and_kept(client, world):
    client.force_login(world.viewer_a)
    page = client.get(url("table", world.province_a, query="?on=31/02/2025"))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Nhập ngày theo dạng dd/mm/yyyy." in text and 'value="31/02/2025"' in text
    later = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    page = client.get(url("table", world.province_a, "movement", f"?start=01/01/2026&end={later}"))
    assert page.status_code == 400 and "sau ngày hôm nay" in page.content.decode()


@pytest.mark.django_db
def test_the_xlsx_is_laid_out_like_the_paper_form(client, world, admit):
    for _ in range(3):
        admit(date(2024, 3, 1))
    client.force_login(world.viewer_a)
    response = client.get(url("xlsx", world.province_a))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    text = [str(value) for row in cells for value in row if value is not None]
    assert "CHẤT LƯỢNG ĐẢNG VIÊN" in text
    assert world.province_a.name.upper() in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert any("3-TCTW" in value for value in text)
    numbers = next(row for row in cells if row[0] == "A")
    assert numbers[2:5] == ["(1)", "(2)", "(3)"]
    total = next(row for row in cells if row[0] == "Tổng số")
    assert total[1] == world.province_a.name and total[2] == 3  # three members, column (1)
    numbered = [row for row in cells if isinstance(row[0], int)]
    assert [row[0] for row in numbered] == [1, 2]  # the two communes of province A
    commune = next(row for row in numbered if row[1] == world.commune_a1.name)
    assert commune[2] == 3
    assert "NGƯỜI LẬP BIỂU" in text


@pytest.mark.django_db
def test_the_pdf_is_an_a4_print_of_the_form(client, world):
    client.force_login(world.viewer_a)
    response = client.get(url("pdf", world.province_a, "organizations"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    table = build(LAYOUTS["organizations"], world.province_a, timezone.localdate())
    pages = HTML(string=exports.print_html(table, world.province_a)).render().pages
    assert len(pages) == 1
    assert (round(pages[0].width), round(pages[0].height)) == (1123, 794)  # A4 landscape, CSS px


@pytest.mark.django_db
def test_the_list_behind_a_figure_is_paginated_and_complete(client, world, admit):
    members = [admit(date(2024, 3, 1)) for _ in range(3)]
    client.force_login(world.viewer_a)
    query = "?dimension=total&value=&when=on"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dangvu.reports.views.PAGE_SIZE", 2)
        first = client.get(url("behind", world.province_a, query=query)).content.decode()
        second = client.get(url("behind", world.province_a, query=query + "&page=2"))
    listed = [m for m in Member.objects.filter(pk__in=[m.pk for m in members])]
    shown = [m.person.full_name in first + second.content.decode() for m in listed]
    assert all(shown) and "3 đảng viên" in first


@pytest.mark.django_db
def test_the_csv_has_one_line_per_row_of_the_form(client, world, admit):
    admit(date(2024, 3, 1))
    client.force_login(world.viewer_a)
    response = client.get(url("csv", world.province_a))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("STT,Tổ chức đảng,Đảng viên,Tuổi đời: ≤ 30")
    assert lines[1].startswith(f"Tổng số,{world.province_a.name},1,")
    assert len(lines) == 1 + 1 + 2  # header, total, the two communes
