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
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import (
    GAP_EVENTS,
    EventEffect,
    Member,
    MembershipEvent,
    PartyAgeDecision,
)
from dangvu.membership.models import Counter as LedgerCounter
from dangvu.membership.rules import Event as LedgerEvent
from dangvu.membership.rules import PartyAge, State, completed_months, party_age, state_on
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
CHUNK = 500  # ids per IN list (SQLite)


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
    days = [Day(on, tally)]
    count_ledger(days, known_at, None if everyone else list(tally.own))
    describe(days, known_at, everyone)
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
    days = [Day(on, tally)]
    count_ledger(days, None, alive)
    describe(days, None, everyone=False)
    for child in versions_on(on).filter(parent_id__in=alive):
        assert child.parent_id is not None
        tally.own[child.parent_id].update(kind_keys(child))
    return {pk: tally.own.get(pk, Counter()) for pk in ids}


def members_own_figures(member_ids: list[int], days: list[date]) -> list[dict[int, Counter[Key]]]:
    """What these members add to the own figures of their organizations on each of ``days``,
    by organization (as ``own_figures`` counts them, without the subordinate organizations),
    the days counted in one reading of the rows. The figures of a day near a snapshot's are the
    snapshot's plus the difference this makes for the few members whose figures changed in
    between (``reports.figures.read_on``)."""
    counted = [Day(on, Tally(None)) for on in days]
    count_ledger(counted, None, None, member_ids)
    describe(counted, None, everyone=False)
    return [dict(day.tally.own) for day in counted]


@dataclass
class Day:
    """One day counted: its figures (``tally``) and the members in its headcount that day. The
    functions below count several days in one reading of the rows (a past day near a
    snapshot is counted with the snapshot's day: ``members_own_figures``)."""

    on: date
    tally: Tally
    headcount: dict[int, Counted] = field(default_factory=dict)  # by member


def count_ledger(
    days: list[Day],
    known_at: datetime | None,
    organization_ids: list[int] | None,
    member_ids: list[int] | None = None,
) -> None:
    """Add each organization's own ledger counters to each day's tally, apart from the
    headcount, which it notes for ``describe`` to count. Only the effect rows of
    ``organization_ids``, or of ``member_ids`` (None: all)."""
    effects = EventEffect.objects.filter(effective_date__lte=max(day.on for day in days))
    if known_at is not None:
        effects = effects.filter(recorded_at__lte=known_at)
    field, ids_wanted = (
        ("organization_id", organization_ids) if member_ids is None else ("member_id", member_ids)
    )
    # one sum of the deltas per day; a row counts on the days its sum is above zero
    sums = {
        f"on{n}": Sum("delta", filter=Q(effective_date__lte=day.on)) for n, day in enumerate(days)
    }
    counts_somewhere = Q()
    for name in sums:
        counts_somewhere |= Q(**{f"{name}__gt": 0})
    for ids in chunks(ids_wanted) if ids_wanted is not None else [None]:
        rows = effects if ids is None else effects.filter(**{f"{field}__among": ids})
        for member_id, organization_id, counter, *totals in (
            rows.values("member_id", "organization_id", "counter")
            .annotate(**sums)
            .filter(counts_somewhere)
            .values_list("member_id", "organization_id", "counter", *sums)
        ):
            for day, total in zip(days, totals, strict=True):
                if not total or total <= 0 or not day.tally.covers(organization_id):
                    continue  # (a root report reads every organization)
                if counter in HEADCOUNT:  # counted with his description (``describe``)
                    day.headcount[member_id] = Counted(member_id, organization_id, counter)
                elif counter in APART:
                    day.tally.add(organization_id, (APART[counter], ""), member_id)
                else:
                    day.tally.add(organization_id, ("activity", counter), member_id)


def describe(days: list[Day], known_at: datetime | None, everyone: bool) -> None:
    """Add each day's headcount to their organizations: its total, standing and demographic
    figures. ``everyone``: the report covers the whole tree (read whole tables, keep what
    counts)."""
    counted = {member_id for day in days for member_id in day.headcount}
    # each member's keys on each day, gathered then added at once (one update per member-day)
    keys_on: list[dict[int, list[Key]]] = [{} for _day in days]
    person_of: dict[int, int] = {}  # member → person
    settled: dict[int, date | None] = {}  # member → party_age_from
    for rows in among(Member.objects.all(), "pk", sorted(counted), everyone):
        for (
            member_id,
            person_id,
            gender,
            ethnicity,
            is_minority,
            religion,
            is_religious,
            birth_year,
            birth_month,
            birth_day,
            party_age_from,
        ) in rows.values_list(
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
            "party_age_from",
        ):
            if member_id not in counted:
                continue
            person_of[member_id] = person_id
            settled[member_id] = party_age_from
            born = rules.birth_date(birth_year, birth_month, birth_day)
            keys = [("gender", gender), ("ethnicity", ethnicity), ("religion", religion)]
            if is_minority:
                keys.append(("minority", ""))
            if is_religious:
                keys.append(("religious", ""))
            for day, keys_of in zip(days, keys_on, strict=True):
                if (counted_there := day.headcount.get(member_id)) is not None:
                    age = rules.age_on(born, day.on)
                    keys_of[member_id] = [
                        ("total", ""),
                        ("standing", counted_there.standing),
                        *keys,
                        ("age", rules.band(age, rules.AGE_BANDS)),
                        ("age5", rules.band(age, rules.FIVE_YEAR_BANDS)),
                    ]
    ons = [day.on for day in days]
    for dimension, groups in curriculum_on(list(person_of.values()), ons, everyone):
        for keys_of, group in zip(keys_on, groups, strict=True):
            for member_id, keys in keys_of.items():
                keys.append((dimension, group.get(person_of[member_id], "")))
    book = Rulebook.load()
    officials = {
        member_id
        for day in days
        for member_id, counted_there in day.headcount.items()
        if counted_there.standing == LedgerCounter.OFFICIAL
    }
    # before the first version in the rulebook (1/7/2016) there are no milestone figures
    milestones = []
    for day in days:
        rule = book.find("badges.milestones", on=day.on)
        milestones.append(rule["years"] if rule is not None else [])
    for n, member_id, months in party_age_months(
        {member_id: settled[member_id] for member_id in sorted(officials)},
        ons,
        known_at,
        book,
        everyone,
    ):
        counted_there = days[n].headcount.get(member_id)
        if counted_there is None or counted_there.standing != LedgerCounter.OFFICIAL:
            continue  # official on another of the days only
        keys = keys_on[n][member_id]
        keys.append(("party_age", rules.band(months // 12, rules.PARTY_AGE_BANDS)))
        keys += [("badge", str(years)) for years in milestones[n] if months >= years * 12]
    for day, keys_of in zip(days, keys_on, strict=True):
        for member_id, keys in keys_of.items():
            day.tally.add_all(day.headcount[member_id].organization_id, keys, member_id)


def party_age_months(
    settled: dict[int, date | None],
    days: list[date],
    known_at: datetime | None,
    book: Rulebook,
    everyone: bool,
) -> Iterator[tuple[int, int, int]]:
    """Each official member's party age on each of ``days`` in completed months, from the
    events known at ``known_at``, as (the day's index, member, months). ``settled`` gives each
    member's ``Member.party_age_from``: as known now, the day his party age counts from. It
    holds from today on unless a gap is open, and on a past day for every member who never
    had a gap nor a recalculation decision (his party age then counts from his first
    admission, whatever the day), or whose last event and decision are on or before that day
    (his state then is today's). Only the others are replayed."""
    member_ids = list(settled)
    replay = {member_id: list(range(len(days))) for member_id in member_ids}
    if known_at is None:
        today = timezone.localdate()
        past = [on < today for on in days]
        last_change = _last_changes(member_ids, everyone) if any(past) else {}
        gaps_now = book.find("party_age.gaps", on=today)
        gaps_rule_changed = [
            is_past and book.find("party_age.gaps", on=on) != gaps_now
            for on, is_past in zip(days, past, strict=True)
        ]
        replay = {}
        for member_id, since in settled.items():
            for n, on in enumerate(days):
                if (
                    since is None
                    or gaps_rule_changed[n]
                    or (past[n] and last_change.get(member_id, on) > on)
                ):
                    replay.setdefault(member_id, []).append(n)
                else:
                    yield n, member_id, completed_months(since, on)
    for member_id, n, age in party_ages(replay, days, known_at, book):
        yield n, member_id, age.total_months


def _last_changes(member_ids: list[int], everyone: bool) -> dict[int, date]:
    """For the members among ``member_ids`` with an event that opens a party-age gap, or
    with a party-age recalculation decision, at any time: the latest date of their events
    and decisions."""
    found: set[int] = set()
    gap_events = MembershipEvent.objects.filter(kind__in=GAP_EVENTS)
    for rows in (gap_events, PartyAgeDecision.objects.all()):
        for selected in among(rows, "member_id", member_ids, everyone):
            found.update(selected.order_by().values_list("member_id", flat=True).distinct())
    last: dict[int, date] = {}
    dated: list[tuple[Any, str]] = [
        (MembershipEvent.objects.all(), "effective_date"),
        (PartyAgeDecision.objects.all(), "as_of"),
    ]
    for every, field_name in dated:
        for ids in chunks(found):
            for member_id, latest in (
                every.filter(member_id__among=ids)
                .values("member_id")
                .annotate(latest=Max(field_name))
                .values_list("member_id", "latest")
            ):
                last[member_id] = max(latest, last.get(member_id, latest))
    return last


def party_ages(
    wanted: dict[int, list[int]], days: list[date], known_at: datetime | None, book: Rulebook
) -> Iterator[tuple[int, int, PartyAge]]:
    """The party age of official members, each on the ``days`` whose indexes ``wanted`` gives
    for him (member → indexes), from the events known at ``known_at``, as (member, the day's
    index, age): one reading of each member's events for all the days."""
    lookup = organization_lookup()
    for ids in chunks(sorted(wanted)):
        rows = MembershipEvent.objects.filter(member_id__among=ids)
        if known_at is not None:
            rows = rows.filter(recorded_at__lte=known_at)
        events: dict[int, list[LedgerEvent]] = {member_id: [] for member_id in ids}
        for member_id, *fields in rows.values_list("member_id", *EVENT_FIELDS):
            events[member_id].append(LedgerEvent(*fields))
        decisions: dict[int, list[tuple[date, Any]]] = defaultdict(list)
        for decision in PartyAgeDecision.objects.filter(
            member_id__among=ids, as_of__lte=max(days)
        ).order_by("as_of", "pk"):
            decisions[decision.member_id].append((decision.as_of, decision.decided))
        for member_id in ids:
            states: dict[int, State] = {}  # by the number of his events known on the day
            for n in wanted[member_id]:
                on = days[n]
                # the latest decision by ``on`` wins
                decided = [value for as_of, value in decisions[member_id] if as_of <= on]
                # the days with the same events share one replay
                known = sum(1 for event in events[member_id] if event.effective_date <= on)
                if known not in states:
                    states[known] = state_on(events[member_id], on, book, lookup)
                state = states[known]
                age = party_age(state, on, book, decided[-1] if decided else None)
                if age is not None:
                    yield member_id, n, age


def curriculum_on(
    person_ids: list[int], days: list[date], everyone: bool
) -> Iterable[tuple[str, list[dict[int, str]]]]:
    """Per curriculum dimension, for each of ``days``: each person's report group that day
    (absent: not known; with ``everyone``, other persons' groups too)."""
    for dimension, model, name in CURRICULUM:
        groups: list[dict[int, str]] = [{} for _day in days]
        known = model._default_manager.filter(
            Q(valid_from__lte=max(days)) | Q(valid_from__isnull=True)
        )
        for selected in among(known, "person_id", person_ids, everyone):
            rows = selected.values_list(
                "person_id", "valid_from", "pk", f"{name}__report_group", f"{name}_id"
            )
            # undated rows first, then by date and entry: the last one valid that day wins
            for person_id, since, _pk, report_group, code in sorted(
                rows, key=lambda r: (r[0], r[1] is not None, r[1] or date.min, r[2])
            ):
                for on, group in zip(days, groups, strict=True):
                    if since is None or since <= on:
                        group[person_id] = report_group or code
        yield dimension, groups


def among(queryset: Any, field: str, ids: list[Any], everyone: bool) -> Iterator[Any]:
    """``queryset`` narrowed to ``field`` in ``ids``, as one query per chunk of ids; or, with
    ``everyone``, the whole queryset once, the caller keeping the rows it needs."""
    if everyone:
        yield queryset
        return
    for ids_chunk in chunks(ids):
        yield queryset.filter(**{f"{field}__among": ids_chunk})


def chunks(ids: Collection[Any]) -> Iterator[Collection[Any]]:
    """``ids`` in groups small enough for one query each (``field__among``): all at once on
    PostgreSQL (one array), ``CHUNK`` at a time elsewhere. A group is a set, which a filter
    takes as it is (Django looks at each element of a list)."""
    ordered = list(ids)
    size = max(len(ordered), 1) if connection.vendor == "postgresql" else CHUNK
    for start in range(0, len(ordered), size):
        yield frozenset(ordered[start : start + size])
