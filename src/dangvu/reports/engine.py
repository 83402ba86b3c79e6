"""The statistics engine: for an organization and a date, the counts of the standard reports
(DOMAIN.md §3.3) for the node and every descendant, each total including its subtree.

Where a member counts, and as what, comes from the ledger's effect rows: a member counts in an
organization on D, as known at T, when the deltas of that counter, effective by D and recorded
by T, add up to more than zero (see ``membership.models.EventEffect``). So a past date and "as
known at" are exact, back-dated events and corrections included. The tree is the tree of D:
names, kinds, categories and parents of that day (organization versions; the tree's history
has no recording time, so it is always as known now). Curriculum attributes (education,
qualification, political theory, occupation) are the rows valid on D: the last one dated on or
before D, an undated row counting as always valid; gender, ethnicity, religion and birth date
are as currently known.

Party age (official members only) is computed by ``membership.rules.party_age`` from each
member's events known at T, a recalculation decision winning. From today on, as known now, it
is the span from ``Member.party_age_from`` (the same rule, kept on the member), and only members
in an open gap are replayed. ``("badge", "30")`` counts the
official members whose party age has reached 30 years, compared in months as the rulebook's
``badges.milestones`` says (none before its first version).

Counted: probationary and official members in their organization (the headcount), with their
activity flags there (exempted, suspended, lost contact, temporarily away: counted within their
standing, in their home organization); members in transit under the sending organization,
apart from the headcount; members hosted on a temporary transfer, apart, where they are hosted.
Demographic figures describe the headcount.

This engine reads the ledger and the member tables on every call, for any date; today's
figures are also kept up to date in a table for fast reading (``reports.figures``), counted by
``own_figures`` below so that both agree by construction.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import Counter as LedgerCounter
from dangvu.membership.models import EventEffect, Member, MembershipEvent, PartyAgeDecision
from dangvu.membership.rules import GAP_EVENTS, PartyAge, completed_months, party_age, state_on
from dangvu.membership.rules import Event as LedgerEvent
from dangvu.membership.services import EVENT_FIELDS, organization_lookup
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import NodeAsOf, tree_as_of, versions_on
from dangvu.people.models import (
    EducationRecord,
    OccupationRecord,
    PoliticalTheoryRecord,
    QualificationRecord,
)
from dangvu.reports import rules

Key = tuple[str, str]  # (dimension, value): ("gender", "female"), ("age", "31–40") ...
HEADCOUNT = {LedgerCounter.PROBATIONARY, LedgerCounter.OFFICIAL}
APART = {LedgerCounter.IN_TRANSIT: "in_transit", LedgerCounter.HOSTED: "hosted"}
# Curriculum rows counted by the catalogue's report group: (dimension, model, field).
CURRICULUM = [
    ("education", EducationRecord, "level"),
    ("qualification", QualificationRecord, "level"),
    ("theory", PoliticalTheoryRecord, "level"),
    ("occupation", OccupationRecord, "group"),
]
DIMENSIONS = [
    "total",
    "standing",
    "activity",
    "in_transit",
    "hosted",
    "gender",
    "ethnicity",
    "minority",
    "religion",
    "religious",
    "age",
    "age5",
    *(dimension for dimension, _model, _field in CURRICULUM),
    "party_age",
    "badge",
    "kind",
    "category",
]
CHUNK = 500  # ids per IN list


@dataclass
class Report:
    """The figures of ``organization_id`` and each node below it on ``on`` (or in the period
    ``since``..``on``)."""

    organization_id: int
    on: date
    known_at: datetime | None
    root: NodeAsOf
    figures: dict[int, Counter[Key]] = field(default_factory=dict)
    since: date | None = None  # a period's first day (movements); ``on`` is its last

    def of(self, organization_id: int) -> Counter[Key]:
        return self.figures[organization_id]

    def nodes(self) -> Iterator[NodeAsOf]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class Counted:
    """One member in the headcount of ``organization_id`` on the report's date."""

    member_id: int
    organization_id: int
    standing: str


class Tally:
    """Each organization's own figures (not its subtree's) and, for a drill-down, the members
    behind each of them: a list is made of exactly the members that were counted."""

    def __init__(self, organization_ids: Iterable[int] | None, keep_members: bool = False):
        """``organization_ids`` None: any organization (counting chosen members)."""
        self.own: dict[int, Counter[Key]] = defaultdict(Counter)
        if organization_ids is not None:
            self.own = {pk: Counter() for pk in organization_ids}
        self.any = organization_ids is None
        self.behind: dict[tuple[int, Key], list[int]] | None = (
            defaultdict(list) if keep_members else None
        )

    def covers(self, organization_id: int) -> bool:
        return self.any or organization_id in self.own

    def add(self, organization_id: int, key: Key, member_id: int) -> None:
        self.own[organization_id][key] += 1
        if self.behind is not None:
            self.behind[(organization_id, key)].append(member_id)

    def add_all(self, organization_id: int, keys: list[Key], member_id: int) -> None:
        self.own[organization_id].update(keys)
        if self.behind is not None:
            for key in keys:
                self.behind[(organization_id, key)].append(member_id)


def report(organization: Organization, on: date, known_at: datetime | None = None) -> Report:
    """The figures of ``organization`` and its subtree on ``on`` (as known at ``known_at``).
    Unscoped: views and the API call ``reports.selectors.report_for``."""
    return compute(organization, on, known_at)[0]


def members_behind(
    organization: Organization, on: date, key: Key, known_at: datetime | None = None
) -> list[int]:
    """The members counted in the figure ``key`` of ``organization`` (its subtree on ``on``):
    as many as the figure says, by construction."""
    result, tally = compute(organization, on, known_at, keep_members=True)
    assert tally.behind is not None
    return sorted(
        member_id
        for node in result.nodes()
        for member_id in tally.behind.get((node.organization_id, key), [])
    )


def compute(
    organization: Organization, on: date, known_at: datetime | None, keep_members: bool = False
) -> tuple[Report, Tally]:
    forest = tree_as_of(on, root=organization)
    if not forest:
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(on)}
        )
    result = Report(organization.pk, on, known_at, forest[0])
    nodes = list(result.nodes())
    tally = Tally((node.organization_id for node in nodes), keep_members)
    # a root on D needs no filter: every organization alive then is in its subtree, and
    # reading whole tables is faster than long lists of ids
    everyone = result.root.parent_id is None
    headcount = count_ledger(tally, on, known_at, None if everyone else list(tally.own))
    describe(tally, headcount, on, known_at, everyone)
    for node in reversed(nodes):  # children before parents
        for child in node.children:
            tally.own[node.organization_id].update(kind_keys(child))
        total = Counter(tally.own[node.organization_id])
        for child in node.children:
            total.update(result.figures[child.organization_id])
        result.figures[node.organization_id] = total
    return result, tally


def headcounts(organization: Organization, on: date) -> dict[int, int]:
    """Only the headcount (``("total", "")``) of ``organization`` and every node below it on
    ``on``, each including its subtree: counted in SQL as ``count_ledger`` counts it (a member
    counts in an organization when his deltas there add up to more than zero), without the
    demographic figures. A period's opening figure and the yearly trend need nothing more."""
    forest = tree_as_of(on, root=organization)
    if not forest:
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(on)}
        )
    effects = connection.ops.quote_name(EventEffect._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id, COUNT(*) FROM (SELECT member_id, organization_id"
            f" FROM {effects} WHERE effective_date <= %s AND counter IN (%s, %s)"
            f" GROUP BY member_id, organization_id, counter HAVING SUM(delta) > 0) AS counted"
            f" GROUP BY organization_id",
            [on, LedgerCounter.PROBATIONARY.value, LedgerCounter.OFFICIAL.value],
        )
        own = dict(cursor.fetchall())
    totals: dict[int, int] = {}

    def add_up(node: NodeAsOf) -> int:
        total = own.get(node.organization_id, 0) + sum(add_up(child) for child in node.children)
        totals[node.organization_id] = total
        return total

    add_up(forest[0])
    return totals


def kind_keys(node: Any) -> list[Key]:
    """What a subordinate organization adds to its parent's own figures."""
    return [("kind", node.kind_id), ("category", node.category_id or "")]


def own_figures(organization_ids: Iterable[int], on: date) -> dict[int, Counter[Key]]:
    """The figures of each organization itself on ``on`` (its members, its direct subordinates
    by kind and category), as ``compute`` counts them before adding the subtrees; empty for
    an organization not alive that day. The maintained figures recount pending organizations
    with it (``reports.figures``)."""
    ids = list(organization_ids)
    alive = list(
        versions_on(on).filter(organization_id__in=ids).values_list("organization_id", flat=True)
    )
    tally = Tally(alive)
    headcount = count_ledger(tally, on, None, alive)
    describe(tally, headcount, on, None, everyone=False)
    for child in versions_on(on).filter(parent_id__in=alive):
        assert child.parent_id is not None
        tally.own[child.parent_id].update(kind_keys(child))
    return {pk: tally.own.get(pk, Counter()) for pk in ids}


def members_own_figures(member_ids: list[int], on: date) -> dict[int, Counter[Key]]:
    """What these members add to the own figures of their organizations on ``on``, by
    organization (as ``own_figures`` counts them, without the subordinate organizations).
    The figures of a day near a snapshot's are the snapshot's plus the difference this makes
    for the few members whose figures changed in between (``reports.figures.read_on``)."""
    tally = Tally(None)
    headcount = count_ledger(tally, on, None, None, member_ids)
    describe(tally, headcount, on, None, everyone=False)
    return dict(tally.own)


def count_ledger(
    tally: Tally,
    on: date,
    known_at: datetime | None,
    organization_ids: list[int] | None,
    member_ids: list[int] | None = None,
) -> list[Counted]:
    """Add each organization's own ledger counters to ``tally``; return the headcount.
    Only the effect rows of ``organization_ids``, or of ``member_ids`` (None: all)."""
    effects = EventEffect.objects.filter(effective_date__lte=on)
    if known_at is not None:
        effects = effects.filter(recorded_at__lte=known_at)
    field, ids_wanted = (
        ("organization_id", organization_ids) if member_ids is None else ("member_id", member_ids)
    )
    headcount = []
    for ids in chunks(ids_wanted) if ids_wanted is not None else [None]:
        rows = effects if ids is None else effects.filter(**{f"{field}__in": ids})
        for member_id, organization_id, counter in (
            rows.values("member_id", "organization_id", "counter")
            .annotate(total=Sum("delta"))
            .filter(total__gt=0)
            .values_list("member_id", "organization_id", "counter")
        ):
            if not tally.covers(organization_id):  # a root report reads every organization
                continue
            if counter in HEADCOUNT:
                headcount.append(Counted(member_id, organization_id, counter))
                tally.add_all(organization_id, [("total", ""), ("standing", counter)], member_id)
            elif counter in APART:
                tally.add(organization_id, (APART[counter], ""), member_id)
            else:
                tally.add(organization_id, ("activity", counter), member_id)
    return headcount


def describe(
    tally: Tally, headcount: list[Counted], on: date, known_at: datetime | None, everyone: bool
) -> None:
    """Add the demographic figures of the headcount members to their organizations.
    ``everyone``: the report covers the whole tree (read whole tables, keep what counts)."""
    by_member = {c.member_id: c for c in headcount}
    member_of: dict[int, int] = {}  # person → member
    for rows in among(Member.objects.all(), "pk", list(by_member), everyone):
        for row in rows.values(
            "pk",
            "person_id",
            "person__gender",
            "person__ethnicity_id",
            "person__ethnicity__is_minority",
            "person__religion_id",
            "person__religion__is_religious",
            "person__birth_year",
            "person__birth_month",
            "person__birth_day",
        ):
            member_id = row["pk"]
            if member_id not in by_member:
                continue
            member_of[row["person_id"]] = member_id
            born = rules.birth_date(
                row["person__birth_year"], row["person__birth_month"], row["person__birth_day"]
            )
            age = rules.age_on(born, on)
            keys = [
                ("gender", row["person__gender"]),
                ("ethnicity", row["person__ethnicity_id"]),
                ("religion", row["person__religion_id"]),
                ("age", rules.band(age, rules.AGE_BANDS)),
                ("age5", rules.band(age, rules.FIVE_YEAR_BANDS)),
            ]
            if row["person__ethnicity__is_minority"]:
                keys.append(("minority", ""))
            if row["person__religion__is_religious"]:
                keys.append(("religious", ""))
            tally.add_all(by_member[member_id].organization_id, keys, member_id)
    for dimension, group in curriculum_on(list(member_of), on, everyone):
        for person_id, member_id in member_of.items():
            key = (dimension, group.get(person_id, ""))
            tally.add(by_member[member_id].organization_id, key, member_id)
    officials = [c for c in headcount if c.standing == LedgerCounter.OFFICIAL]
    book = Rulebook.load()
    # before the first version in the rulebook (1/7/2016) there are no milestone figures
    rule = book.find("badges.milestones", on=on)
    milestones = rule["years"] if rule is not None else []
    officials_ids = [c.member_id for c in officials]
    for member_id, months in party_age_months(officials_ids, on, known_at, book, everyone):
        keys = [("party_age", rules.band(months // 12, rules.PARTY_AGE_BANDS))]
        keys += [("badge", str(years)) for years in milestones if months >= years * 12]
        tally.add_all(by_member[member_id].organization_id, keys, member_id)


def party_age_months(
    member_ids: list[int], on: date, known_at: datetime | None, book: Rulebook, everyone: bool
) -> Iterator[tuple[int, int]]:
    """Each official member's party age on ``on`` in completed months, from the events known
    at ``known_at``. As known now, the day it counts from is on the member
    (``Member.party_age_from``): from today on it holds unless a gap is open, and on a past day
    for every member who never had a gap nor a recalculation decision (his party age then
    counts from his first admission, whatever the day). Only the others are replayed."""
    replay = member_ids
    if known_at is None:
        past = on < timezone.localdate()
        unsettled = _with_gaps_or_decisions(member_ids, everyone) if past else set()
        gaps_rule_changed = past and book.find("party_age.gaps", on=on) != book.find(
            "party_age.gaps", on=timezone.localdate()
        )
        replay = []
        for ids in chunks(member_ids):
            settled = dict(Member.objects.filter(pk__in=ids).values_list("pk", "party_age_from"))
            for member_id in ids:
                since = settled[member_id]
                if since is None or member_id in unsettled or gaps_rule_changed:
                    replay.append(member_id)
                else:
                    yield member_id, completed_months(since, on)
    for member_id, age in party_ages(replay, on, known_at, book):
        yield member_id, age.total_months


def _with_gaps_or_decisions(member_ids: list[int], everyone: bool) -> set[int]:
    """The members among ``member_ids`` with an event that opens a party-age gap, or with a
    party-age recalculation decision, at any time."""
    found: set[int] = set()
    gap_events = MembershipEvent.objects.filter(kind__in=GAP_EVENTS)
    for rows in (gap_events, PartyAgeDecision.objects.all()):
        for selected in among(rows, "member_id", member_ids, everyone):
            found.update(selected.values_list("member_id", flat=True).distinct())
    return found


def party_ages(
    member_ids: list[int], on: date, known_at: datetime | None, book: Rulebook
) -> Iterator[tuple[int, PartyAge]]:
    """Each official member's party age on ``on`` from the events known at ``known_at``."""
    lookup = organization_lookup()
    for ids in chunks(member_ids):
        rows = MembershipEvent.objects.filter(member_id__in=ids)
        if known_at is not None:
            rows = rows.filter(recorded_at__lte=known_at)
        events: dict[int, list[LedgerEvent]] = {member_id: [] for member_id in ids}
        for row in rows.values("member_id", *EVENT_FIELDS):
            events[row.pop("member_id")].append(LedgerEvent(**row))
        decided = {  # the latest decision by ``on`` wins
            row.member_id: row.decided
            for row in PartyAgeDecision.objects.filter(member_id__in=ids, as_of__lte=on).order_by(
                "as_of", "pk"
            )
        }
        for member_id in ids:
            state = state_on(events[member_id], on, book, lookup)
            age = party_age(state, on, book, decided.get(member_id))
            if age is not None:
                yield member_id, age


def curriculum_on(
    person_ids: list[int], on: date, everyone: bool
) -> Iterable[tuple[str, dict[int, str]]]:
    """Per curriculum dimension: each person's report group on ``on`` (absent: not known;
    with ``everyone``, other persons' groups too)."""
    for dimension, model, name in CURRICULUM:
        groups: dict[int, str] = {}
        known = model._default_manager.filter(Q(valid_from__lte=on) | Q(valid_from__isnull=True))
        for selected in among(known, "person_id", person_ids, everyone):
            rows = selected.values_list(
                "person_id", "valid_from", "pk", f"{name}__report_group", f"{name}_id"
            )
            # undated rows first, then by date and entry: the last one wins
            for person_id, _since, _pk, report_group, code in sorted(
                rows, key=lambda r: (r[0], r[1] is not None, r[1] or on, r[2])
            ):
                groups[person_id] = report_group or code
        yield dimension, groups


def among(queryset: Any, field: str, ids: list[Any], everyone: bool) -> Iterator[Any]:
    """``queryset`` narrowed to ``field`` in ``ids``, as one query per chunk of ids; or, with
    ``everyone``, the whole queryset once, the caller keeping the rows it needs."""
    if everyone:
        yield queryset
        return
    for ids_chunk in chunks(ids):
        yield queryset.filter(**{f"{field}__in": ids_chunk})


def chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
