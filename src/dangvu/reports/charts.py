"""The series behind the dashboard charts of an organization's subtree, and their pictures.

Composition (age, ethnic group, education, political theory) is today's maintained figures;
admissions per year are the movement figures of each calendar year; the headcount at each
year's end is ``engine.headcounts`` of that day (the headcount alone, counted in SQL as the
engine counts it). Charts are SVG drawn on the server by pygal and served as
images: no script runs and nothing is fetched from outside.
"""

from dataclasses import dataclass
from datetime import date

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from dangvu.core.models import Ethnicity
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import tree_as_of
from dangvu.reports import engine, figures, movements, rules
from dangvu.reports.engine import Key

YEARS = 10  # the trend charts look this many years back
ETHNIC_BARS = 8  # the largest groups, the rest in one bar
STYLE = Style(
    font_family="DejaVu Sans, Noto Sans, sans-serif",
    colors=("#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"),
    background="white",
    plot_background="white",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
)


@dataclass
class Point:
    """One bar: its label and count, and where its drill-down list is (a form's figure)."""

    label: str
    count: int
    layout: str = ""  # the form whose figure it is; empty: no single list (a group of values)
    key: Key = ("", "")
    on: date | None = None
    start: date | None = None  # a period's first day (movements)


Series = list[Point]


def composition(organization: Organization, today: date) -> dict[str, Series]:
    """Today's composition of the subtree, per chart."""
    counts = figures.read_own(organization, today)

    def point(layout: str, key: Key, label: str) -> Point:
        return Point(label, counts[key], layout, key, today)

    names = dict(Ethnicity.objects.values_list("pk", "name"))
    ethnicities = sorted(
        (
            point("ethnicity_religion", key, names.get(key[1], key[1]))
            for key in counts
            if key[0] == "ethnicity"
        ),
        key=lambda p: -p.count,
    )
    if len(ethnicities) > ETHNIC_BARS:
        rest = ethnicities[ETHNIC_BARS - 1 :]
        ethnicities = ethnicities[: ETHNIC_BARS - 1]
        ethnicities.append(Point(_("Other ethnic groups"), sum(p.count for p in rest)))
    # the report groups of the GeneralEducation and PoliticalTheory catalogues
    education_groups = {
        "below_primary": _("Below primary"),
        "primary": _("Primary"),
        "lower_secondary": _("Lower secondary"),
        "upper_secondary": _("Upper secondary"),
        "": _("not recorded"),
    }
    theory_groups = {
        "none": _("Untrained"),
        "elementary": _("Elementary"),
        "intermediate": _("Intermediate"),
        "advanced": _("Advanced, bachelor"),
        "": _("not recorded"),
    }
    return {
        "age": [point("quality", ("age", label), label) for label, _l, _h in rules.AGE_BANDS],
        "ethnicity": ethnicities,
        "education": [
            point("quality", ("education", key), label) for key, label in education_groups.items()
        ],
        "theory": [
            point("quality", ("theory", key), label) for key, label in theory_groups.items()
        ],
    }


def admissions_per_year(organization: Organization, today: date) -> Series:
    """Members admitted in each of the last calendar years (the movement figure)."""
    series = []
    for year in range(today.year - YEARS + 1, today.year + 1):
        start, end = date(year, 1, 1), min(date(year, 12, 31), today)
        if not tree_as_of(end, root=organization):
            continue  # the organization did not exist yet
        counted = movements.movements(organization, start, end).of(organization.pk)
        key = ("movement", "admitted")
        series.append(Point(str(year), counted[key], "movement", key, end, start))
    return series


def headcount_per_year(organization: Organization, today: date) -> Series:
    """The headcount on 31 December of each of the last years (today for this year)."""
    series = []
    for year in range(today.year - YEARS + 1, today.year + 1):
        day = min(date(year, 12, 31), today)
        if not tree_as_of(day, root=organization):
            continue  # the organization did not exist yet
        total = engine.headcounts(organization, day)[organization.pk]
        label = day.strftime("%d/%m/%Y") if day == today else str(year)
        series.append(Point(label, total, "quality", ("total", ""), day))
    return series


def svg(title: str, series: Series, horizontal: bool = False) -> bytes:
    """A bar chart as an SVG document."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    longest = max((len(p.label) for p in series), default=0)
    chart = kind(
        style=STYLE,
        js=[],  # no tooltip script: the picture is served as an image
        show_legend=False,
        print_values=True,
        width=720,
        height=420,
        title=title,
        x_label_rotation=0 if horizontal or longest * len(series) < 60 else 20,
        truncate_label=-1,  # never cut a label ("Trung học phổ thông")
        margin=20,
    )
    chart.x_labels = [p.label for p in series]
    chart.add(title, [p.count for p in series])
    return bytes(chart.render())
