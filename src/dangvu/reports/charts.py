"""The series behind the dashboard charts of an organization's subtree, and their pictures.

Composition (age, ethnic group, education, political theory) is today's maintained figures;
admissions per year are the movement figures of each calendar year; the headcount at each
year's end is the sum of the ledger's headcount deltas of the organizations of that day's
subtree (each member counts once per organization and standing, so the sum is the count: the
tests hold it to the engine). Charts are SVG drawn on the server by pygal and served as
images: no script runs and nothing is fetched from outside.
"""

from datetime import date

import pygal
from django.db.models import Sum
from django.utils.translation import gettext as _
from pygal.style import Style

from dangvu.core.models import Ethnicity
from dangvu.membership.models import Counter as LedgerCounter
from dangvu.membership.models import EventEffect
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import tree_as_of
from dangvu.reports import figures, movements, rules

YEARS = 10  # the trend charts look this many years back
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

Series = list[tuple[str, int]]


def composition(organization: Organization, today: date) -> dict[str, Series]:
    """Today's composition of the subtree: (label, count) per chart."""
    counts = figures.read(organization, today)[organization.pk]

    def by_catalogue(dimension: str, limit: int | None = None) -> Series:
        names = dict(Ethnicity.objects.values_list("pk", "name"))
        grouped: dict[str, int] = {}
        for (d, value), count in counts.items():
            if d == dimension:
                label = names.get(value, value) or _("not recorded")
                grouped[label] = grouped.get(label, 0) + count
        series = sorted(grouped.items(), key=lambda item: -item[1])
        if limit and len(series) > limit:
            series = series[: limit - 1] + [(_("Other ethnic groups"), sum(n for _l, n in series[limit - 1 :]))]
        return series

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
        "age": [(label, counts[("age", label)]) for label, _l, _h in rules.AGE_BANDS],
        "ethnicity": by_catalogue("ethnicity", limit=8),
        "education": [
            (label, counts[("education", key)]) for key, label in education_groups.items()
        ],
        "theory": [(label, counts[("theory", key)]) for key, label in theory_groups.items()],
    }


def admissions_per_year(organization: Organization, today: date) -> Series:
    """Members admitted in each of the last calendar years (the movement figure)."""
    series = []
    for year in range(today.year - YEARS + 1, today.year + 1):
        end = min(date(year, 12, 31), today)
        if not tree_as_of(end, root=organization):
            continue  # the organization did not exist yet
        counted = movements.movements(organization, date(year, 1, 1), end)
        series.append((str(year), counted.of(organization.pk)[("movement", "admitted")]))
    return series


def headcount_per_year(organization: Organization, today: date) -> Series:
    """The headcount on 31 December of each of the last years (today for this year)."""
    series = []
    for year in range(today.year - YEARS + 1, today.year + 1):
        day = min(date(year, 12, 31), today)
        forest = tree_as_of(day, root=organization)
        if not forest:
            continue
        ids, stack = [], [forest[0]]
        while stack:
            node = stack.pop()
            ids.append(node.organization_id)
            stack.extend(node.children)
        rows = EventEffect.objects.filter(
            effective_date__lte=day,
            counter__in=[LedgerCounter.PROBATIONARY, LedgerCounter.OFFICIAL],
        )
        if forest[0].parent_id is not None:  # the root's subtree is everything
            rows = rows.filter(organization_id__in=ids)
        total = rows.aggregate(total=Sum("delta"))["total"] or 0
        series.append((day.strftime("%d/%m/%Y") if day == today else str(year), total))
    return series


def svg(title: str, series: Series, horizontal: bool = False) -> bytes:
    """A bar chart as an SVG document."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    longest = max((len(label) for label, _count in series), default=0)
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
    chart.x_labels = [label for label, _count in series]
    chart.add(title, [count for _label, count in series])
    return bytes(chart.render())
