"""The dashboard charts: their series equal the engine's and the brute force's figures, and the
pictures are self-contained SVG (nothing fetched, no script to run)."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from dangvu.organizations.models import Organization
from dangvu.reports import charts
from dangvu.reports.engine import report
from tests.reports.test_movements import brute_force as brute_force_movements
from tests.reports.test_tables import demo  # noqa: F401  (fixture: the 1,500-member demo)


@pytest.mark.django_db
def test_the_series_equal_the_engine_and_the_brute_force(demo):  # noqa: F811
    today = timezone.localdate()
    province = Organization.objects.filter(parent=demo, dissolved_on=None).first()
    for organization in [demo, province]:
        headcount = {p.label: p.count for p in charts.headcount_per_year(organization, today)}
        assert len(headcount) >= 2
        for label, count in headcount.items():
            day = today if "/" in label else date(int(label), 12, 31)
            assert count == report(organization, day).of(organization.pk)[("total", "")], label
        for point in charts.admissions_per_year(organization, today):
            label, count, year = point.label, point.count, int(point.label)
            end = min(date(year, 12, 31), today)
            expected = brute_force_movements(demo.pk, date(year, 1, 1), end)
            assert count == expected[organization.pk][("movement", "admitted")], label
    assert charts.headcount_per_year(demo, today)[0].label == str(today.year - charts.YEARS + 1)
    composition = charts.composition(demo, today)
    now = report(demo, today).of(demo.pk)
    assert sum(p.count for p in composition["age"]) == now[("total", "")]
    assert sum(p.count for p in composition["ethnicity"]) == now[("total", "")]
    assert {p.label: p.count for p in composition["age"]}["≤ 30"] == now[("age", "≤ 30")]


@pytest.mark.django_db
def test_the_charts_page_and_its_pictures_stay_inside(client, world, admit):
    admit(date(2024, 3, 1))
    client.force_login(world.viewer_a)
    page = client.get(reverse("reports:charts", args=[world.province_a.pk]))
    assert page.status_code == 200
    for name in charts_names(page.content.decode()):
        picture = client.get(reverse("reports:chart", args=[world.province_a.pk, name]))
        assert picture.status_code == 200 and picture["Content-Type"] == "image/svg+xml"
        body = picture.content.decode()
        assert body.lstrip().startswith("<?xml") and "<svg" in body
        assert not re.search(r'(href|src)="(https?:)?//', body), name  # nothing from outside
    # each figure under a chart opens the list of as many members
    for url, count in re.findall(
        r'<a href="([^"]+/members/[^"]+)">(\d+)</a>', page.content.decode()
    ):
        listed = client.get(url.replace("&amp;", "&")).content.decode()
        assert f"<strong>{count} đảng viên</strong>" in listed, url
    client.force_login(world.clerk_b1)
    assert client.get(reverse("reports:charts", args=[world.province_a.pk])).status_code == 404
    assert (
        client.get(reverse("reports:chart", args=[world.province_a.pk, "age"])).status_code == 404
    )


def charts_names(html: str) -> list[str]:
    names = re.findall(r"/charts/([a-z]+)\.svg", html)
    assert len(names) == 6
    return names
