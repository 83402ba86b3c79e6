"""The maintained figures: today's report figures of every organization, read in a few
milliseconds at any level of the tree (``reports.models`` holds the tables).

How they stay right:

- A service that changes what an organization counts (a membership event, a curriculum-vitae
  edit, a restructuring, a new rule version) sends ``core.signals.figures_stale`` inside its
  transaction; ``mark`` appends one ``PendingFigure`` row per organization. That is all a
  recorded event pays, and it touches no shared row.
- ``fold`` (run every few seconds by ``manage.py fold_figures --every N``, and by a reader
  when the day has changed) recounts each pending organization's own figures with the engine
  (``engine.own_figures``), and adds the difference to its own counts and to the subtree totals
  of the organization and every ancestor. Recounting is idempotent, so a mark written while a
  fold runs is simply recounted by the next one.
- Figures that depend on the date (age bands, party-age bands, badge milestones) are counted
  for ``FigureState.day``. When the day moves on, the fold also recounts the organizations of
  the members who crossed a boundary in between: a birthday that starts a new age band, a
  party-age anniversary that starts a band or reaches a milestone (from
  ``Member.party_age_from``), every official member whose party age is not settled (an open
  gap: replayed), and any effect row dated in between. After more than
  ``CATCH_UP_DAYS`` days, or when a rule version starts in between, everything is rebuilt.
- A move of an organization with its subtree (``organizations.signals.moved``) moves its
  subtree totals from the old ancestors to the new ones, under the fold's lock.
- ``read`` returns the stored figures, as of the last fold, except for a page without
  subordinates (a cell) that is marked: it is recounted on the fly. So a recorded event shows
  at once in its own cell and in every organization above after the next fold (the folder runs
  every 20 seconds; ``last_folded`` says when), and a read's cost does not grow with the
  number of marks.
- ``rebuild`` recomputes everything with the engine (``manage.py fold_figures --rebuild``).
- Snapshots (``FigureSnapshot``) keep every organization's figures of a past month's 15th and
  last day, so that a quarter's or a year's report reads stored rows and any other past day is
  at most 8 days from one. When the fold moves on from such a day it copies its figures;
  ``make_snapshot`` counts any past day with the engine (``manage.py snapshot_figures``). A mark
  says from which day figures changed (``since``): the fold recounts the marked organizations in
  each snapshot on or after it, with the tree of the snapshot's day. A move in the tree or a new
  rule version dated on or before a snapshot's day discards the snapshot.
- Any other past day near a snapshot (``read_on``) is the snapshot's figures plus the
  difference, counted by the engine on both days, of the few members whose figures changed
  in between (``changed_members``): seconds for the whole country instead of minutes of the
  ledger.

The tests prove the figures equal to the engine's and to the brute force after events,
transfers, back-dated events, corrections, restructuring, curriculum edits and days passing.
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.core.models import RuleVersion
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import (
    GAP_EVENTS,
    EventEffect,
    Member,
    MembershipEvent,
    PartyAgeDecision,
    Standing,
)
from dangvu.organizations.models import Organization, OrganizationVersion
from dangvu.organizations.selectors import tree_as_of, versions_on
from dangvu.reports import engine, rules
from dangvu.reports.engine import Key
from dangvu.reports.models import (
    FigureSnapshot,
    FigureState,
    OrganizationFigures,
    PendingFigure,
    SnapshotFigures,
)

CATCH_UP_DAYS = 31  # beyond this, rebuilding costs less than finding who crossed a boundary
NEAR_DAYS = 31  # a past day is counted from a snapshot at most this far (snapshot days: ≤ 8)
# Snapshots are kept of each month's 15th and last day (``snapshot_day``): a past day is then
# at most 8 days from one, and counting from it costs about half of counting from the month's
# end alone (the members whose figures change in 15 days against 8).
MID_MONTH = 15
ENGINE_UP_TO = 20_000  # members: a subtree this small is counted from its ledger faster
BATCH = 500


@dataclass
class Folded:
    day: date
    recounted: int  # organizations recounted
    rebuilt: bool = False


def mark(organization_ids: Iterable[int] | None, since: date | None = None) -> None:
    """Note organizations whose own figures may have changed from ``since`` on (None: on any
    day); ``organization_ids`` None: all of them (a None among the ids, a root's parent, is
    ignored)."""
    if organization_ids is None:
        FigureState.objects.filter(pk=1).update(day=None)
        discard_snapshots(since)
        return
    ids = sorted({pk for pk in organization_ids if pk is not None})
    if not ids:
        return
    # plain SQL: every recorded event pays for it (the ORM's insert costs 4× the CPU)
    table = connection.ops.quote_name(PendingFigure._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, since) VALUES "
            + ", ".join(["(%s, %s)"] * len(ids)),
            [value for pk in ids for value in (pk, since)],
        )


def discard_snapshots(since: date | None) -> None:
    """Drop the snapshots of ``since`` and later (None: all): the tree or the rules of their
    day changed, which a recount of a few organizations cannot follow."""
    snapshots = FigureSnapshot.objects.all()
    if since is not None:
        snapshots = snapshots.filter(on__gte=since)
    SnapshotFigures.objects.filter(snapshot__in=snapshots).delete()
    snapshots.delete()


def ancestors(path: str) -> list[int]:
    """The organization of ``path`` and those above it."""
    return [int(part) for part in path.strip("/").split("/") if part]


def _lock() -> FigureState:
    """The state row, locked until the transaction ends: one writer of the figures at a time."""
    state, _created = FigureState.objects.select_for_update().get_or_create(pk=1)
    return state


@transaction.atomic
def fold(today: date | None = None) -> Folded:
    """Recount the pending organizations and bring the figures to ``today``."""
    today = today or timezone.localdate()
    state = _lock()
    if state.day is None or state.day > today or _needs_rebuild(state.day, today):
        return rebuild(today)
    marks = list(PendingFigure.objects.values_list("pk", "organization_id", "since"))
    stale = {organization_id for _pk, organization_id, _since in marks}
    if state.day < today and snapshot_day(state.day):
        # the figures of a snapshot's day: brought up to date, then kept
        recount(stale, state.day)
        copy_snapshot(state.day)
    recount_snapshots(marks)
    if state.day < today:
        stale |= crossed(state.day, today)
    recount(stale, today)
    _forget(marks)
    state.day, state.folded_at = today, timezone.now()
    state.save()
    return Folded(today, len(stale))


def _forget(marks: list[tuple[int, int, date | None]]) -> None:
    for start in range(0, len(marks), BATCH):
        PendingFigure.objects.filter(pk__in=[m[0] for m in marks[start : start + BATCH]]).delete()


def snapshot_day(day: date) -> bool:
    """Whether ``day`` is kept as a snapshot: a month's 15th or last day."""
    return day.day == MID_MONTH or (day + timedelta(days=1)).day == 1


def _needs_rebuild(since: date, today: date) -> bool:
    return (today - since).days > CATCH_UP_DAYS or _changed_between(RuleVersion, since, today)


def _changed_between(model: Any, low: date, high: date) -> bool:
    """Whether a version row of ``model`` (a rule, an organization) starts or ends on a day
    after ``low`` up to ``high``."""
    starts = Q(valid_from__gt=low, valid_from__lte=high)
    ends = Q(valid_to__gt=low, valid_to__lte=high)
    return model.objects.filter(starts | ends).exists()


@transaction.atomic
def rebuild(today: date | None = None) -> Folded:
    """Every organization's figures from scratch."""
    today = today or timezone.localdate()
    state = _lock()
    marks = list(PendingFigure.objects.values_list("pk", "organization_id", "since"))
    recount_snapshots(marks)
    OrganizationFigures.objects.all().delete()
    rows = counted_rows(today)
    _write_all(rows)
    _forget(marks)
    state.day, state.folded_at = today, timezone.now()
    state.save()
    return Folded(today, len(rows), rebuilt=True)


Row = tuple[int, dict[str, dict[str, int]], dict[str, dict[str, int]]]  # id, own, total


def counted_rows(on: date) -> list[Row]:
    """Every organization's own and subtree figures on ``on``, counted by the engine."""
    rows: list[Row] = []
    roots = [node.organization_id for node in tree_as_of(on)]
    for root in Organization.objects.filter(pk__in=roots):
        report, tally = engine.compute(root, on, None)
        rows += [
            (pk, to_json(tally.own[pk]), to_json(report.figures[pk]))
            for node in report.nodes()
            for pk in [node.organization_id]
            if +report.figures[pk]
        ]
    return rows


def _write_all(rows: list[Row], snapshot: FigureSnapshot | None = None) -> None:
    """Write a rebuild's rows (or a snapshot's): with COPY on PostgreSQL (a national rebuild
    writes some 370,000 rows; multi-row INSERTs cost several times more), in batches
    elsewhere."""
    model = OrganizationFigures if snapshot is None else SnapshotFigures
    if connection.vendor != "postgresql":
        made = [_new_row(snapshot, pk, own, total) for pk, own, total in rows]
        model.objects.bulk_create(made, batch_size=2000)
        return
    fields = ["organization_id", "own", "total"] + (["snapshot_id"] if snapshot else [])
    table = connection.ops.quote_name(model._meta.db_table)
    copy_sql = f"COPY {table} ({', '.join(fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for pk, own, total in rows:
            copy.write_row(
                (pk, json.dumps(own), json.dumps(total), *([snapshot.pk] if snapshot else []))
            )


def _rows(snapshot: FigureSnapshot | None) -> Any:
    """Today's stored figures, or a snapshot's."""
    if snapshot is None:
        return OrganizationFigures.objects.all()
    return SnapshotFigures.objects.filter(snapshot=snapshot)


def _new_row(snapshot: FigureSnapshot | None, pk: int, own: Any = None, total: Any = None) -> Any:
    if snapshot is None:
        return OrganizationFigures(organization_id=pk, own=own or {}, total=total or {})
    return SnapshotFigures(snapshot=snapshot, organization_id=pk, own=own or {}, total=total or {})


@transaction.atomic
def make_snapshot(on: date) -> FigureSnapshot:
    """Every organization's figures on the past day ``on``, counted by the engine from the
    ledger (minutes at national scale: once per snapshot day), replacing any snapshot of that
    day. Holds the fold's lock, so that no mark is folded while it counts."""
    if on >= timezone.localdate():
        raise DomainError(_("A snapshot is made of a past day."), field="on")
    _lock()
    discard = FigureSnapshot.objects.filter(on=on)
    SnapshotFigures.objects.filter(snapshot__in=discard).delete()
    discard.delete()
    snapshot = FigureSnapshot.objects.create(on=on, made_at=timezone.now())
    _write_all(counted_rows(on), snapshot)
    _analyze_snapshots()
    return snapshot


def copy_snapshot(on: date) -> FigureSnapshot:
    """Keep today's stored figures, which are those of ``on``, as the snapshot of ``on``
    (one statement; the fold calls it when it moves on from a snapshot day)."""
    discard = FigureSnapshot.objects.filter(on=on)
    SnapshotFigures.objects.filter(snapshot__in=discard).delete()
    discard.delete()
    snapshot = FigureSnapshot.objects.create(on=on, made_at=timezone.now())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(SnapshotFigures._meta.db_table)}"
            f" (snapshot_id, organization_id, own, total)"
            f" SELECT %s, organization_id, own, total"
            f" FROM {quote(OrganizationFigures._meta.db_table)}",
            [snapshot.pk],
        )
    _analyze_snapshots()
    return snapshot


def _analyze_snapshots() -> None:
    """Bring PostgreSQL's statistics of the snapshot rows up to date after a snapshot is
    written (a sample of the table, a fraction of a second). Until its autovacuum did, the
    planner took the new snapshot for an empty one and read all its rows to find a node's
    (at national scale 280,000 rows: 170–470 ms for the root instead of 5 ms)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(SnapshotFigures._meta.db_table)}")


def recount_snapshots(marks: list[tuple[int, int, date | None]]) -> None:
    """Recount the marked organizations in every snapshot on or after the day they changed."""
    if not marks:
        return
    days = [since for _pk, _organization, since in marks]
    snapshots = FigureSnapshot.objects.all()
    if None not in days:
        snapshots = snapshots.filter(on__gte=min(d for d in days if d is not None))
    for snapshot in snapshots:
        changed = {pk for _m, pk, since in marks if since is None or since <= snapshot.on}
        recount(changed, snapshot.on, snapshot)


def to_json(counts: Counter[Key]) -> dict[str, dict[str, int]]:
    """``{dimension: {value: count}}``, zero counts left out."""
    nested: dict[str, dict[str, int]] = {}
    for (dimension, value), count in counts.items():
        if count:
            nested.setdefault(dimension, {})[value] = count
    return nested


def from_json(nested: dict[str, dict[str, int]]) -> Counter[Key]:
    return Counter(
        {
            (dimension, value): count
            for dimension, values in nested.items()
            for value, count in values.items()
        }
    )


def recount(
    organization_ids: set[int], today: date, snapshot: FigureSnapshot | None = None
) -> None:
    """Count these organizations' own figures again and carry the differences upwards: in
    today's figures, or in a snapshot (``today`` is then its day)."""
    ids = sorted(organization_ids)
    own_changes: Counter[tuple[int, str, str]] = Counter()
    total_changes: Counter[tuple[int, str, str]] = Counter()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        now = engine.own_figures(chunk, today)
        stored = stored_own(chunk, snapshot)
        if snapshot is None:
            paths = dict(Organization.objects.filter(pk__in=chunk).values_list("pk", "path"))
            above = {pk: ancestors(paths[pk]) for pk in chunk}
        else:
            above = ancestors_on(chunk, today)
        for pk in chunk:
            for key, change in difference(now[pk], stored[pk]).items():
                own_changes[(pk, *key)] += change
                for organization_id in above[pk]:
                    total_changes[(organization_id, *key)] += change
    _add(own_changes, total_changes, snapshot)


def ancestors_on(organization_ids: list[int], on: date) -> dict[int, list[int]]:
    """Each organization and those above it in the tree of ``on`` (none if it did not exist
    then): one query per level (per level and chunk on SQLite)."""
    parent_of: dict[int, int | None] = {}
    wanted = sorted(set(organization_ids))
    while wanted:
        found: dict[int, int | None] = {}
        for chunk in engine.chunks(wanted):
            found.update(
                versions_on(on)
                .filter(organization_id__among=chunk)
                .values_list("organization_id", "parent_id")
            )
        parent_of.update(found)
        wanted = sorted({p for p in found.values() if p is not None and p not in parent_of})
    chains: dict[int, list[int]] = {}
    for pk in organization_ids:
        chain: list[int] = []
        node: int | None = pk
        while node is not None and node in parent_of:
            chain.append(node)
            node = parent_of[node]
        chains[pk] = chain
    return chains


def stored_own(
    organization_ids: list[int], snapshot: FigureSnapshot | None = None
) -> dict[int, Counter[Key]]:
    own: dict[int, Counter[Key]] = {pk: Counter() for pk in organization_ids}
    rows = _rows(snapshot).filter(organization_id__in=organization_ids)
    for pk, counts in rows.values_list("organization_id", "own"):
        own[pk] = from_json(counts)
    return own


def difference(now: Counter[Key], before: Counter[Key]) -> dict[Key, int]:
    return {
        key: now[key] - before[key] for key in now.keys() | before.keys() if now[key] != before[key]
    }


def _add(
    own: Counter[tuple[int, str, str]],
    total: Counter[tuple[int, str, str]],
    snapshot: FigureSnapshot | None = None,
) -> None:
    """Add the changes to the stored counts (rows created as needed, emptied rows removed)."""
    changes: dict[int, tuple[Counter[Key], Counter[Key]]] = {}
    for changed, which in ((own, 0), (total, 1)):
        for (pk, dimension, value), count in changed.items():
            if count:
                changes.setdefault(pk, (Counter(), Counter()))[which][(dimension, value)] += count
    touched = sorted(changes)
    for start in range(0, len(touched), BATCH):
        chunk = touched[start : start + BATCH]
        stored = {
            row.organization_id: row for row in _rows(snapshot).filter(organization_id__in=chunk)
        }
        updated, created, emptied = [], [], []
        for pk in chunk:
            row = stored.get(pk) or _new_row(snapshot, pk)
            own_now, total_now = from_json(row.own), from_json(row.total)
            own_now.update(changes[pk][0])
            total_now.update(changes[pk][1])
            row.own, row.total = to_json(own_now), to_json(total_now)
            if not row.own and not row.total:
                emptied.append(pk)
            elif pk in stored:
                updated.append(row)
            else:
                created.append(row)
        model = OrganizationFigures if snapshot is None else SnapshotFigures
        model.objects.bulk_update(updated, ["own", "total"])
        model.objects.bulk_create(created)
        _rows(snapshot).filter(organization_id__in=emptied).delete()


def changed_members(low: date, high: date) -> list[int]:
    """The members whose figures may differ between the days ``low`` and ``high`` (either
    may be the later one's snapshot) with the tree and the rules unchanged in between: those
    with an effect row or a curriculum row dated after ``low`` up to ``high``, and, among the
    members then in the Party, those who crossed an age or party-age boundary on one of those
    days and those whose party age is replayed (an open gap, a gap or a recalculation
    decision at any time). A superset is harmless: both days are counted exactly."""
    days = [low + timedelta(days=n) for n in range(1, (high - low).days + 1)]
    dated = EventEffect.objects.filter(effective_date__gt=low, effective_date__lte=high)
    found = set(dated.values_list("member_id", flat=True).distinct())
    left_since = Q(exit_date__gt=low)
    then_members = Member.objects.filter(
        Q(standing__in=[Standing.PROBATIONARY, Standing.OFFICIAL]) | left_since
    )
    # party age is an official member's (becoming one is an effect row, found above). It is
    # the span from ``party_age_from`` on any day after his last event, or from his first
    # admission for a member who left since and never had a gap; the others are replayed:
    # a gap open now, a gap or a decision followed by an event after ``low`` (the exit
    # itself, for most who left), a decision taking effect after it.
    then_officials = Member.objects.filter(Q(standing=Standing.OFFICIAL) | left_since)
    anniversaries = _anniversaries(days, high)
    # the members with a gap or a decision, a few in a hundred (index ``event_gap``), then
    # among them those with an event after ``low``: fewer look-ups than the other way round
    event_since = MembershipEvent.objects.filter(
        member_id=OuterRef("member_id"), effective_date__gt=low
    )
    unsettled_since: set[int] = set()
    for unsettled in (
        MembershipEvent.objects.filter(kind__in=GAP_EVENTS),
        PartyAgeDecision.objects.all(),
    ):
        replayed = unsettled.filter(Exists(event_since)).order_by().values_list("member_id")
        unsettled_since.update(pk for (pk,) in replayed.distinct())
    for members, condition in (
        (
            then_members.alias(
                birth_month=Coalesce("person__birth_month", 0),
                birth_day=Coalesce("person__birth_day", 0),
            ),
            _born_on_a_boundary(days),
        ),
        (then_officials, Q(party_age_from__in=anniversaries)),
        (Member.objects.filter(left_since), Q(first_admission_date__in=anniversaries)),
        (Member.objects.filter(standing=Standing.OFFICIAL), Q(party_age_from__isnull=True)),
        (then_officials, Q(pk__among=unsettled_since)),
        (
            then_officials,
            Q(pk__in=PartyAgeDecision.objects.filter(as_of__gt=low).values("member_id")),
        ),
    ):
        found.update(members.filter(condition).values_list("pk", flat=True))
    for _dimension, model, _field in engine.CURRICULUM:
        rows = model._default_manager.filter(valid_from__gt=low, valid_from__lte=high)
        found.update(
            Member.objects.filter(person__in=rows.values("person_id")).values_list("pk", flat=True)
        )
    return sorted(found)


def crossed(since: date, today: date) -> set[int]:
    """The organizations whose figures may differ between ``since`` and ``today``: those of
    the effect rows dated in between, and the organizations of the members in the Party whose
    figures may differ with no event (``changed_members``: a band or badge reached, a party
    age replayed). A superset is harmless: recounting is exact."""
    dated = EventEffect.objects.filter(effective_date__gt=since, effective_date__lte=today)
    organizations = set(dated.values_list("organization_id", flat=True).distinct())
    changed = changed_members(since, today)
    counted = Member.objects.filter(standing__in=[Standing.PROBATIONARY, Standing.OFFICIAL])
    for chunk in engine.chunks(changed):
        members = counted.filter(pk__among=chunk)
        organizations.update(members.values_list("organization_id", flat=True).distinct())
    return organizations


# A member's age band changes only on the birthday that reaches a band's lowest age.
AGE_BOUNDARIES = sorted(
    {low for bands in (rules.AGE_BANDS, rules.FIVE_YEAR_BANDS) for _l, low, _h in bands if low}
)
PARTY_AGE_BOUNDARIES = sorted({low for _l, low, _h in rules.PARTY_AGE_BANDS if low})


def _born_on_a_boundary(days: list[date]) -> Q:
    """Members whose birthday on one of ``days`` reaches a band's lowest age. A partial birth
    date counts as its first possible day (1 January, the month's first day); 29 February
    reaches its birthday on 28 February in other years (with 1 March added, to be safe). For
    the query to read the index ``person_birth_order``, a missing month or day is 0 (the
    caller adds ``birth_month`` and ``birth_day`` so)."""
    years: dict[tuple[int, int], set[int]] = {}  # (month, day) → birth years
    for day in days:
        born = {day.year - age for age in AGE_BOUNDARIES}
        dates = [(day.month, day.day)]
        if day.day == 1:
            dates.append((day.month, 0))
            if day.month == 1:
                dates.append((0, 0))
        if (day.month, day.day) in ((2, 28), (3, 1)):
            dates.append((2, 29))
        for month_day in dates:
            years.setdefault(month_day, set()).update(born)
    condition = Q(pk__in=[])
    for (month, day_of_month), born in sorted(years.items()):
        condition |= Q(
            person__birth_year__in=sorted(born), birth_month=month, birth_day=day_of_month
        )
    return condition


def _anniversaries(days: list[date], today: date) -> list[date]:
    """The dates party age may have counted from for a member whose band or milestone changes
    on one of ``days``: whole years before, 29 February included as above."""
    milestones = {
        years
        for day in (days[0], today)
        for rule in [Rulebook.load().find("badges.milestones", on=day)]
        if rule is not None
        for years in rule["years"]
    }
    dates = set()
    for day in days:
        for years in set(PARTY_AGE_BOUNDARIES) | milestones:
            year = day.year - years
            dates.add(_valid(year, day.month, day.day))
            if (day.month, day.day) in ((2, 28), (3, 1)):
                dates.add(_valid(year, 2, 29))
    return sorted(d for d in dates if d is not None)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def shift(moves: list[tuple[Organization, str]]) -> None:
    """Carry the subtree totals of moved organizations from their old ancestors to the new."""
    state = _lock()
    if state.day is None:  # everything will be rebuilt anyway
        return
    total: Counter[tuple[int, str, str]] = Counter()
    for organization, old_path in moves:
        before, after = set(ancestors(old_path)), set(ancestors(organization.path))
        row = OrganizationFigures.objects.filter(organization=organization).first()
        moved = from_json(row.total) if row else Counter()
        for (dimension, value), count in moved.items():
            for pk in before - after:
                total[(pk, dimension, value)] -= count
            for pk in after - before:
                total[(pk, dimension, value)] += count
    _add(Counter(), total)


def read_all(today: date | None = None) -> dict[int, Counter[Key]]:
    """Every organization's figures for today (subtree totals, every dimension), as of the last
    fold: the national report of every node in one pass over the table."""
    today = today or timezone.localdate()
    _fold_if_a_new_day(today)
    rows = OrganizationFigures.objects.values_list("organization_id", "total")
    return {pk: from_json(total) for pk, total in rows.iterator(chunk_size=5000)}


def _fold_if_a_new_day(today: date) -> None:
    """Bring the stored figures to ``today`` first when the last fold was on another day (a
    reader does it when the folder has not yet)."""
    state = FigureState.objects.filter(pk=1).first()
    if state is None or state.day != today:
        fold(today)


def last_folded() -> datetime | None:
    """When the stored figures were last brought up to date."""
    return FigureState.objects.filter(pk=1).values_list("folded_at", flat=True).first()


def read(organization: Organization, today: date | None = None) -> dict[int, Counter[Key]]:
    """Today's figures of ``organization`` and of each direct subordinate (subtree totals,
    every dimension), the organization first. Unscoped: views go through the selectors."""
    today = today or timezone.localdate()
    _fold_if_a_new_day(today)
    children = _children(organization, today)
    shown = [organization.pk, *children]
    # a page without subordinates (a cell) is recounted on the fly when it is marked: an event
    # shows at once in its own cell, and everywhere above after the next fold (seconds later).
    # Recounting more would make a read's cost grow with the number of marks.
    marked = PendingFigure.objects.filter(organization_id=organization.pk).exists()
    pending = {organization.pk: organization.path} if marked and not children else {}
    figures: dict[int, Counter[Key]] = {pk: Counter() for pk in shown}
    stored: dict[int, Counter[Key]] = {pk: Counter() for pk in pending}
    # one statement, so the totals and the pending organizations' own counts agree
    rows = OrganizationFigures.objects.filter(organization_id__in=[*shown, *pending])
    for pk, own, total in rows.values_list("organization_id", "own", "total"):
        if pk in figures:
            figures[pk] = from_json(total)
        if pk in stored:
            stored[pk] = from_json(own)
    if pending:
        now = engine.own_figures(list(pending), today)
        for pk, path in pending.items():
            above = set(ancestors(path))
            for key, change in difference(now[pk], stored[pk]).items():
                for shown_pk in above.intersection(figures):
                    figures[shown_pk][key] += change
    return {pk: +counter for pk, counter in figures.items()}


def read_snapshot(organization: Organization, on: date) -> dict[int, Counter[Key]] | None:
    """The figures of ``organization`` and each direct subordinate on ``on`` from the
    snapshot of that day, as of the last fold; None when there is no snapshot of that day."""
    snapshot = FigureSnapshot.objects.filter(on=on).first()
    if snapshot is None:
        return None
    shown = [organization.pk, *_children(organization, on)]
    figures: dict[int, Counter[Key]] = {pk: Counter() for pk in shown}
    rows = _rows(snapshot).filter(organization_id__in=shown)
    for pk, total in rows.values_list("organization_id", "total"):
        figures[pk] = +from_json(total)
    return figures


def read_on(organization: Organization, on: date) -> dict[int, Counter[Key]] | None:
    """The figures of ``organization`` and each direct subordinate on the past day ``on``
    from the snapshots: the snapshot of that day; or the nearest one, at most ``NEAR_DAYS``
    away, plus what changes for the members whose figures differ between the two days
    (``changed_members``, counted on both days by the engine). None when no snapshot serves:
    none near enough, the tree or the rules changed in between, the party-age gap rule of
    that time differs from today's (party ages are then replayed for everyone), or a subtree
    of at most ``ENGINE_UP_TO`` members, whose own ledger the engine reads faster than the
    country's changes. The caller then counts with the engine."""
    exact = read_snapshot(organization, on)
    if exact is not None:
        return exact
    nearby = FigureSnapshot.objects.filter(
        on__gte=on - timedelta(days=NEAR_DAYS), on__lte=on + timedelta(days=NEAR_DAYS)
    )
    snapshot = min(nearby, key=lambda s: abs((s.on - on).days), default=None)
    if snapshot is None:
        return None
    low, high = sorted((snapshot.on, on))
    book = Rulebook.load()
    gaps_now = book.find("party_age.gaps", on=timezone.localdate())
    if (
        _changed_between(OrganizationVersion, low, high)
        or _changed_between(RuleVersion, low, high)
        or book.find("party_age.gaps", on=low) != gaps_now
    ):
        return None
    shown = read_snapshot(organization, snapshot.on)
    assert shown is not None
    if shown[organization.pk][("total", "")] <= ENGINE_UP_TO:
        return None
    members = changed_members(low, high)
    before, after = engine.members_own_figures(members, [snapshot.on, on])
    changes = {
        pk: change
        for pk in before.keys() | after.keys()
        for change in [difference(after.get(pk, Counter()), before.get(pk, Counter()))]
        if change
    }
    for pk, chain in ancestors_on(list(changes), on).items():
        for shown_pk in shown.keys() & set(chain):
            shown[shown_pk].update(changes[pk])
    return {pk: +counter for pk, counter in shown.items()}


def _children(organization: Organization, on: date) -> list[int]:
    """The direct subordinates of ``organization`` on ``on``; an error if it did not exist."""
    alive = versions_on(on)
    if not alive.filter(organization=organization).exists():
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(on)}
        )
    return list(alive.filter(parent=organization).values_list("organization_id", flat=True))


def read_own(organization: Organization, today: date | None = None) -> Counter[Key]:
    """``read(organization, today)[organization.pk]`` without reading the subordinates'
    rows: the figures of one organization (the dashboard's). An organization with
    subordinates is its one stored row; one without (a cell) goes through ``read``, which
    recounts it when it is marked."""
    today = today or timezone.localdate()
    if not versions_on(today).filter(parent=organization).exists():
        return read(organization, today)[organization.pk]
    _fold_if_a_new_day(today)
    rows = OrganizationFigures.objects.filter(organization=organization)
    total = rows.values_list("total", flat=True).first()
    return +from_json(total) if total is not None else Counter()
