"""A standard form filled in: the layout's columns for an organization (the total row) and its
direct subordinates on the report's date (numbered rows), with the members or organizations
behind each figure for the drill-down.

Today's figures come from the maintained table (``reports.figures``, a few milliseconds), and
so do a month's last day that has a snapshot; another date from the engine
(``reports.engine``), which reads the ledger and the tree of that date; a period's movements from ``reports.movements``. All three count the same way
(the tests hold them to the same brute force), so a drill-down always lists as many as the
figure says. Unscoped: views go through ``reports.selectors``.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import tree_as_of, versions_on
from dangvu.reports import engine, figures, movements
from dangvu.reports.engine import Key
from dangvu.reports.layouts import ALL, END, ON, PERIOD, START, Column, Layout


@dataclass
class Row:
    organization_id: int
    name: str
    values: list[int]
    number: int | None = None  # None: the organization's own total row


@dataclass
class Table:
    layout: Layout
    organization_id: int
    name: str  # the organization's name on the report's date
    parent_name: str  # its parent's name that day ("" for the root)
    on: date  # the date, or a period's last day
    start: date | None  # a period's first day
    columns: list[Column]
    rows: list[Row]

    @property
    def total(self) -> Row:
        return self.rows[0]


def figures_on(organization: Organization, on: date) -> dict[int, Counter[Key]]:
    """Subtree totals of ``organization`` and its direct subordinates on ``on``."""
    if on == timezone.localdate():
        return figures.read(organization, on)
    stored = figures.read_on(organization, on)
    if stored is not None:
        return stored
    report = engine.report(organization, on)
    return {
        node.organization_id: report.of(node.organization_id)
        for node in [report.root, *report.root.children]
    }


def value(counts: Counter[Key], key: Key) -> int:
    dimension, wanted = key
    if wanted == ALL:
        return sum(count for (d, _v), count in counts.items() if d == dimension)
    return counts[key]


def build(layout: Layout, organization: Organization, on: date, start: date | None = None) -> Table:
    """The layout filled in for ``organization`` on ``on`` (a period: ``start``..``on``)."""
    version = versions_on(on).filter(organization=organization).first()
    if version is None:
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(on)}
        )
    children = list(
        versions_on(on)
        .filter(parent=organization)
        .order_by("name")
        .values_list("organization_id", "name")
    )
    sources: dict[str, dict[int, Counter[Key]]] = {}
    whens = {column.when for column in layout.columns if isinstance(column, Column)}
    if layout.period:
        if start is None:
            raise DomainError(_("A period report needs its first day."), field="start")
        whens |= {END}
        sources[PERIOD] = movements.movements(organization, start, on).figures
        if START in whens:
            keys = {c.key for c in layout.columns if isinstance(c, Column) and c.when == START}
            sources[START] = _start_figures(organization, start - timedelta(days=1), keys)
        sources[END] = figures_on(organization, on)
    else:
        sources[ON] = figures_on(organization, on)
    totals_source = sources[END] if layout.period else sources[ON]
    columns = layout.columns_for(totals_source[organization.pk])

    def values(pk: int) -> list[int]:
        return [value(sources[c.when].get(pk, Counter()), c.key) for c in columns]

    rows = [Row(organization.pk, version.name, values(organization.pk))]
    rows += [
        Row(pk, name, values(pk), number) for number, (pk, name) in enumerate(children, start=1)
    ]
    parent_name = (
        versions_on(on)
        .filter(organization=version.parent_id)
        .values_list("name", flat=True)
        .first()
        if version.parent_id
        else None
    )
    return Table(layout, organization.pk, version.name, parent_name or "", on, start, columns, rows)


def _start_figures(
    organization: Organization, day: date, keys: set[Key]
) -> dict[int, Counter[Key]]:
    """The figures of the day before a period, for the organizations of its last day (an
    organization founded during the period starts from nothing). The headcount alone is
    counted without the rest (``engine.headcounts``)."""
    try:
        if keys == {("total", "")}:
            return {
                pk: Counter({("total", ""): count})
                for pk, count in engine.headcounts(organization, day).items()
            }
        return figures_on(organization, day)
    except DomainError:
        return {}


def header_rows(columns: list[Column]) -> tuple[list[dict[str, Any]], list[Column]]:
    """The two header rows: a group's label over its columns, an ungrouped column on both."""
    top: list[dict[str, Any]] = []
    below: list[Column] = []
    for column in columns:
        if column.group and top and top[-1]["group"] == column.group:
            top[-1]["span"] += 1
        else:
            top.append({"group": column.group, "label": column.group or column.label, "span": 1})
        if column.group:
            below.append(column)
    return top, below


@dataclass
class Behind:
    """What makes one figure: member ids, or organization ids for the organization counts."""

    members: list[int]
    organizations: list[int]

    def __len__(self) -> int:
        return len(self.members) + len(self.organizations)


def behind(
    column: Column, organization: Organization, on: date, start: date | None = None
) -> Behind:
    """The members (or organizations) counted in ``column`` for ``organization``: exactly as
    many as the figure."""
    dimension, wanted = column.key
    if column.when == PERIOD:
        assert start is not None
        return Behind(movements.movements_behind(organization, start, on, column.key), [])
    day = start - timedelta(days=1) if column.when == START and start else on
    if dimension in ("kind", "category"):
        forest = tree_as_of(day, root=organization)
        nodes = []
        stack = list(forest[0].children) if forest else []
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.children)
        field = "kind_id" if dimension == "kind" else "category_id"
        return Behind(
            [],
            sorted(
                n.organization_id
                for n in nodes
                if wanted == ALL or (getattr(n, field) or "") == wanted
            ),
        )
    try:
        return Behind(engine.members_behind(organization, day, column.key), [])
    except DomainError:
        if column.when == START:  # founded during the period: nobody at its start
            return Behind([], [])
        raise
