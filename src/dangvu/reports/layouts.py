"""The standard report forms as data: each layout's title, the form it follows and its
columns. Rows are always the organization itself (the total) and then its direct subordinates
on the report's date, numbered, as each level's paper form lists the units under it.

Which forms were found is in ``research/rules-cadres-reports.md`` §8.1 (copied in
``docs/reports.md``): the current forms of Hướng dẫn 11-HD/BTCTW (13/12/2021) were not found,
so each layout says honestly which older form it follows ("after form 3-TCTW, 2012") or that it
is dangvu's own. A new layout is a new entry in ``LAYOUTS``, not new code.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dangvu.core.models import Ethnicity, OrganizationCategory, OrganizationKind, Religion
from dangvu.reports import rules
from dangvu.reports.engine import Key

HD_2012 = "Hướng dẫn 12-HD/BTCTW (Ban Tổ chức Trung ương, 17/5/2012)"

ALL = "*"  # a column whose key's value is ALL adds up every value of its dimension

# Where a column's figure is read in a period report: on the day before its first day, on
# its last day, or among the movements of the period.
ON, START, END, PERIOD = "on", "start", "end", "period"


@dataclass(frozen=True)
class Column:
    key: Key
    label: str | Promise
    group: str | Promise = ""  # the header over a run of columns ("Age")
    when: str = ON


@dataclass(frozen=True)
class Spread:
    """One column per value of ``dimension`` with a figure in the report's total row (54 ethnic
    groups would not fit on a page; the empty ones say nothing): in the catalogue's order with
    its names, or, without a catalogue, in numeric order (the badge milestones of the
    rulebook version in force)."""

    dimension: str
    catalogue: type[Model] | None
    group: str | Promise
    only: tuple[tuple[str, Any], ...] = ()  # catalogue filter, e.g. (("is_religious", True),)
    blank: str | Promise = ""  # the label of the empty value, when it is counted

    def columns(self, totals: Counter[Key]) -> list[Column]:
        blank = [Column((self.dimension, ""), self.blank, self.group)] if self.blank else []
        blank = [column for column in blank if totals[column.key]]
        if self.catalogue is None:
            values = sorted(
                (v for d, v in totals if d == self.dimension and totals[(d, v)]), key=int
            )
            return [Column((self.dimension, value), value, self.group) for value in values]
        entries = self.catalogue._default_manager.filter(**dict(self.only)).order_by(
            "sort_order", "code"
        )
        return [
            Column((self.dimension, entry.pk), str(entry), self.group)
            for entry in entries
            if totals[(self.dimension, entry.pk)]
        ] + blank


@dataclass(frozen=True)
class Layout:
    code: str
    title: str | Promise
    follows: str | Promise  # the paper form it follows, or that it is dangvu's own
    columns: tuple[Column | Spread, ...]
    period: bool = False  # a period (movements) rather than one date

    def columns_for(self, totals: Counter[Key]) -> list[Column]:
        """The columns of a report whose total row is ``totals`` (spreads expanded)."""
        expanded: list[Column] = []
        for column in self.columns:
            expanded += column.columns(totals) if isinstance(column, Spread) else [column]
        return expanded


def bands(dimension: str, rows: list[tuple[str, int | None, int | None]], group: Any) -> tuple:
    return tuple(Column((dimension, label), label, group) for label, _low, _high in rows)


TOTAL = Column(("total", ""), _("Party members"))
AGE = _("Age (years)")
EDUCATION = _("General education")
QUALIFICATION = _("Professional qualification")
THEORY = _("Political theory")
NOT_RECORDED = _("not recorded")
INCREASE, DECREASE, OTHER = _("Increase"), _("Decrease"), _("Of which in the period")

LAYOUTS = {
    layout.code: layout
    for layout in [
        Layout(
            "movement",
            _("Increase and decrease of party members"),
            _(
                "after form 1-TCTW of %(guide)s; the current form of HD 11-HD/BTCTW (2021) was not found"
            )
            % {"guide": HD_2012},
            (
                Column(("total", ""), _("At the start of the period"), when=START),
                Column(("movement", "admitted"), _("Admitted"), INCREASE, PERIOD),
                Column(("movement", "readmitted"), _("Readmitted"), INCREASE, PERIOD),
                Column(("movement", "restored"), _("Restored"), INCREASE, PERIOD),
                Column(("movement", "transferred_in"), _("Transferred in"), INCREASE, PERIOD),
                Column(("movement", "died"), _("Died"), DECREASE, PERIOD),
                Column(("movement", "removed"), _("Removed"), DECREASE, PERIOD),
                Column(("movement", "expelled"), _("Expelled"), DECREASE, PERIOD),
                Column(("movement", "resigned"), _("Resigned"), DECREASE, PERIOD),
                Column(("movement", "transferred_out"), _("Transferred out"), DECREASE, PERIOD),
                Column(("total", ""), _("At the end of the period"), when=END),
                Column(("movement", "recognized"), _("Recognized as official"), OTHER, PERIOD),
                Column(("movement", "exempted"), _("Exempted"), OTHER, PERIOD),
            ),
            period=True,
        ),
        Layout(
            "quality",
            _("Quality of party members"),
            _(
                "after form 3-TCTW of %(guide)s; the current form of HD 11-HD/BTCTW (2021) was not found"
            )
            % {"guide": HD_2012},
            (
                TOTAL,
                *bands("age", rules.AGE_BANDS, AGE),
                Column(("education", "below_primary"), _("Below primary"), EDUCATION),
                Column(("education", "primary"), _("Primary"), EDUCATION),
                Column(("education", "lower_secondary"), _("Lower secondary"), EDUCATION),
                Column(("education", "upper_secondary"), _("Upper secondary"), EDUCATION),
                Column(("education", ""), NOT_RECORDED, EDUCATION),
                Column(("qualification", "none"), _("Untrained"), QUALIFICATION),
                Column(("qualification", "elementary"), _("Elementary"), QUALIFICATION),
                Column(("qualification", "intermediate"), _("Intermediate"), QUALIFICATION),
                Column(
                    ("qualification", "college_university"),
                    _("College, university"),
                    QUALIFICATION,
                ),
                Column(("qualification", "postgraduate"), _("Postgraduate"), QUALIFICATION),
                Column(("qualification", ""), NOT_RECORDED, QUALIFICATION),
                Column(("theory", "none"), _("Untrained"), THEORY),
                Column(("theory", "elementary"), _("Elementary"), THEORY),
                Column(("theory", "intermediate"), _("Intermediate"), THEORY),
                Column(("theory", "advanced"), _("Advanced, bachelor"), THEORY),
                Column(("theory", ""), NOT_RECORDED, THEORY),
            ),
        ),
        Layout(
            "ethnicity_religion",
            _("Party members by ethnic group and religion"),
            _(
                "after form 4-TCTW of %(guide)s; the current form of HD 11-HD/BTCTW (2021) was not found"
            )
            % {"guide": HD_2012},
            (
                TOTAL,
                Column(("gender", "female"), _("Women")),
                Column(("minority", ""), _("Ethnic minorities")),
                Spread("ethnicity", Ethnicity, _("By ethnic group")),
                Column(("religious", ""), _("Religious")),
                Spread("religion", Religion, _("By religion"), (("is_religious", True),)),
            ),
        ),
        Layout(
            "composition",
            _("Party members by standing, party age and occupation"),
            _("dangvu's own layout (DOMAIN.md §3.3); no official form was found for it"),
            (
                TOTAL,
                Column(("standing", "probationary"), _("Probationary"), _("Standing")),
                Column(("standing", "official"), _("Official"), _("Standing")),
                Column(("activity", "exempted"), _("Exempted"), _("Activity")),
                Column(("activity", "suspended"), _("Suspended"), _("Activity")),
                Column(("activity", "temporarily_away"), _("Temporarily away"), _("Activity")),
                Column(("activity", "lost_contact"), _("Lost contact"), _("Activity")),
                Column(("in_transit", ""), _("In transit (not in the total)")),
                Column(("hosted", ""), _("Hosted (not in the total)")),
                Column(("gender", "female"), _("Women")),
                *bands("party_age", rules.PARTY_AGE_BANDS, _("Party age (years)")),
                Spread("badge", None, _("Badge milestones reached (years)")),
            ),
        ),
        Layout(
            "organizations",
            _("Party organizations by kind and category"),
            _("dangvu's own layout; the organizations form of HD 11-HD/BTCTW (2021) was not found"),
            (
                Column(("kind", ALL), _("Subordinate organizations")),
                Spread("kind", OrganizationKind, _("By kind")),
                Spread("category", OrganizationCategory, _("By category"), blank=_("no category")),
            ),
        ),
    ]
}
