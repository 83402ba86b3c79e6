"""Movements of members in a period (DOMAIN.md §3.3), for a node and every node below it in
the tree of the period's last day, each total including its subtree.

Counted, by effective date within the period (both days included), as known at T: admitted
(by the admission decision's date), readmitted, restored, recognized, transferred in and out,
exempted, died, removed, expelled, resigned. A voided event is not counted (a correction voids
it from when the correction is recorded); reassignments by restructuring are not movements.

An event counts in the organization where it was recorded (the sender for a transfer out, the
receiver for a transfer in). An organization dissolved by the period's end counts under the
successor that took its records, so a new commune's 2025 report includes the movements of
the communes merged into it on 1/7/2025. A transfer between two organizations of one subtree
is internal to it: the nodes above both sides count neither the out nor the in.

``since`` gives one organization's own figures up to today (the dashboard's) with the same
rules, counted by the database from today's tree instead of building the subtree's report.
"""

from collections import Counter, defaultdict
from datetime import date, datetime

from django.db.models import Case, Count, Exists, OuterRef, Q, When
from django.utils.translation import gettext as _

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.membership.models import EventKind, MembershipEvent
from dangvu.organizations.models import Organization, OrganizationSuccession
from dangvu.organizations.selectors import tree_as_of
from dangvu.reports.engine import Key, Report

K = EventKind
MOVEMENTS = {
    K.ADMISSION: "admitted",
    K.READMISSION: "readmitted",
    K.RESTORATION: "restored",
    K.RECOGNITION: "recognized",
    K.TRANSFER_IN: "transferred_in",
    K.TRANSFER_OUT: "transferred_out",
    K.EXEMPTION: "exempted",
    K.DEATH: "died",
    K.REMOVAL: "removed",
    K.EXPULSION: "expelled",
    K.RESIGNATION: "resigned",
}
TRANSFERS = {K.TRANSFER_IN, K.TRANSFER_OUT}


def movements(
    organization: Organization, start: date, end: date, known_at: datetime | None = None
) -> Report:
    """The movements of ``start``..``end`` for ``organization`` and its subtree on ``end``,
    keyed ``("movement", "admitted")`` ... Unscoped: see ``selectors.movements_for``."""
    return count(organization, start, end, known_at)[0]


def movements_behind(
    organization: Organization, start: date, end: date, key: Key, known_at: datetime | None = None
) -> list[int]:
    """The members behind one movement figure of ``organization`` (one entry per event, so a
    member transferred out twice in the period is listed twice, as he is counted twice)."""
    return sorted(count(organization, start, end, known_at)[1].get(key, []))


def count(
    organization: Organization, start: date, end: date, known_at: datetime | None
) -> tuple[Report, dict[Key, list[int]]]:
    """The movements' figures, and the members behind those of ``organization`` itself."""
    if start > end:
        raise DomainError(_("The end date is before the start date."), field="end")
    forest = tree_as_of(end, root=organization)
    if not forest:
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(end)}
        )
    result = Report(organization.pk, end, known_at, forest[0], since=start)
    nodes = list(result.nodes())
    figures: dict[int, Counter[Key]] = {n.organization_id: Counter() for n in nodes}
    # the tree below the organization is all that is needed: an event elsewhere counts here
    # only if its organization's records came here (a predecessor), see ``place``
    parent = {n.organization_id: n.parent_id for n in nodes}
    successor = dict(
        OrganizationSuccession.objects.filter(takes_records=True, effective_on__lte=end)
        .order_by("effective_on", "pk")
        .values_list("predecessor_id", "successor_id")
    )

    def place(organization_id: int | None) -> int | None:
        """Where an organization's records lie on ``end`` within the subtree: itself, or its
        successor's place (None: outside the subtree). An organization with a successor that
        took its records had ended by then."""
        seen = set()
        while organization_id is not None and organization_id not in parent:
            if organization_id in seen:
                return None
            seen.add(organization_id)
            organization_id = successor.get(organization_id)
        return organization_id

    def above(organization_id: int | None) -> list[int]:
        chain = []
        while organization_id is not None and organization_id in parent:
            chain.append(organization_id)
            organization_id = parent[organization_id]
        return chain

    events = MembershipEvent.objects.filter(
        effective_date__gte=start, effective_date__lte=end, kind__in=list(MOVEMENTS)
    )
    corrections = MembershipEvent.objects.filter(kind=K.CORRECTION, voids__isnull=False)
    if known_at is not None:
        events = events.filter(recorded_at__lte=known_at)
        corrections = corrections.filter(recorded_at__lte=known_at)
    if forest[0].parent_id is not None:  # not the whole tree: only the events recorded here
        here = list(figures) + [p for p in successor if place(p) is not None]
        events = events.filter(organization_id__in=here)
        corrections = corrections.filter(voids__organization_id__in=here)
    voided = set(corrections.values_list("voids_id", flat=True))
    behind: dict[Key, list[int]] = defaultdict(list)
    for pk, kind, organization_id, counterpart_id, member_id in events.values_list(
        "pk", "kind", "organization_id", "counterpart_id", "member_id"
    ):
        if pk in voided:
            continue
        internal = set(above(place(counterpart_id))) if kind in TRANSFERS else set()
        key = ("movement", MOVEMENTS[K(kind)])
        for node in above(place(organization_id)):
            if node in figures and node not in internal:
                figures[node][key] += 1
                if node == organization.pk:
                    behind[key].append(member_id)
    result.figures = figures
    return result, behind


def since(organization: Organization, starts: list[date], today: date) -> dict[date, Counter[Key]]:
    """The movements of ``organization`` from each of ``starts`` to ``today``, both included:
    ``movements(organization, start, today).of(organization.pk)`` for each start, counted by
    the database. No change of the tree takes effect after today, so the subtree of today's
    tree is a path prefix, and an organization's records lie inside it when it is alive
    inside it, or when the chain of its successors (``place`` of ``count``) ends on one that
    is. Reads only the subtree's events of the period (index ``event_org_date``)."""
    heirs = _placed_inside(organization, today)
    alive_inside = Organization.objects.filter(_alive_inside("", organization, today))
    voided = MembershipEvent.objects.filter(kind=K.CORRECTION, voids=OuterRef("pk"))
    # a transfer between two organizations of the subtree is internal to it; told apart in the
    # counts rather than filtered out, which would mislead the planner's estimate of the rows
    internal = Q(kind__in=list(TRANSFERS)) & (
        Q(counterpart__in=alive_inside.values("pk")) | Q(counterpart_id__in=heirs)
    )
    events = (
        MembershipEvent.objects.filter(kind__in=list(MOVEMENTS))
        .filter(effective_date__gte=min(starts), effective_date__lte=today)
        .filter(~Exists(voided))
        .annotate(internal=Case(When(internal, then=True), default=False))
    )
    inside = _alive_inside("organization__", organization, today)
    parts = [events.filter(inside)]
    if heirs:  # a query apart: an OR would read every event of the period, and a UNION would
        # run in parallel workers, slower than two queries on a small server
        parts.append(events.filter(organization_id__in=heirs).exclude(inside))
    counts = {
        f"from_{i}": Count("pk", filter=Q(effective_date__gte=s)) for i, s in enumerate(starts)
    }
    counted: dict[date, Counter[Key]] = {start: Counter() for start in starts}
    for part in parts:
        for row in part.values("kind", "internal").annotate(**counts).order_by():
            if row["internal"]:
                continue
            for i, start in enumerate(starts):
                counted[start][("movement", MOVEMENTS[K(row["kind"])])] += row[f"from_{i}"]
    return counted


def _alive_inside(prefix: str, organization: Organization, today: date) -> Q:
    """The organization (at ``prefix``, e.g. "successor__") is alive today in
    ``organization``'s subtree."""
    alive = Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": today})
    return Q(
        alive,
        **{f"{prefix}path__startswith": organization.path, f"{prefix}established_on__lte": today},
    )


def _placed_inside(organization: Organization, today: date) -> list[int]:
    """Organizations whose records lie in the subtree today through the chain of their
    successors that took the records: it ends on an organization alive in the subtree."""
    rows = (
        OrganizationSuccession.objects.filter(takes_records=True, effective_on__lte=today)
        .order_by("effective_on", "pk")
        .annotate(inside=Case(When(_alive_inside("successor__", organization, today), then=True)))
        .values_list("predecessor_id", "successor_id", "inside")
    )
    successor: dict[int, int] = {}
    heirs_inside = set()
    for predecessor_id, successor_id, inside in rows:
        successor[predecessor_id] = successor_id
        if inside:
            heirs_inside.add(successor_id)
    placed = []
    for predecessor in successor:
        seen, heir = {predecessor}, successor.get(predecessor)
        while heir is not None and heir not in heirs_inside and heir not in seen:
            seen.add(heir)
            heir = successor.get(heir)
        if heir in heirs_inside:
            placed.append(predecessor)
    return placed
