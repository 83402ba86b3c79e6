"""The dashboard after sign-in: for each organization at the top of the user's scope, today's
members by status and organizations by kind (the maintained figures, subtree totals), the
movements of this month and of this year (``reports.movements``), and the deadlines coming up
(probations ending, transfers not yet received). Every figure opens the list behind it, the
reports' drill-down.

Its cost does not grow with the number of members shown: the figures are one row per
organization, and each deadline list is cut at ``SHOWN`` lines with its full count. Every read
goes through the scoping selectors (``reports.selectors``, ``membership.selectors``,
``organizations.selectors``).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from dangvu.accounts import scoping
from dangvu.core.dates import add_months
from dangvu.core.models import OrganizationKind
from dangvu.core.rulebook import Rulebook
from dangvu.core.text import thousands
from dangvu.membership.models import EventKind, Member, MembershipEvent, Standing
from dangvu.membership.rules import Context, probation_ends_on
from dangvu.membership.selectors import current_members_for, pending_transfers_to
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import live_organizations_for
from dangvu.reports import selectors
from dangvu.reports.engine import Key
from dangvu.reports.layouts import LAYOUTS, ON, PERIOD
from dangvu.reports.views import query

AHEAD = 60  # days: probations ending within this many days are listed
SHOWN = 20  # lines per deadline list; its count says how many there are in all
STATUS: list[Key] = [
    ("total", ""),
    ("standing", "official"),
    ("standing", "probationary"),
    ("activity", "exempted"),
    ("in_transit", ""),
]


@dataclass
class Figure:
    label: Any
    count: int
    url: str = ""  # the list behind it ("" when there is nothing to list)

    @property
    def shown(self) -> str:
        return thousands(self.count)


@dataclass
class Listing:
    """The first ``SHOWN`` lines of a deadline list, its full count, and its full list."""

    lines: list[Any]
    count: int
    url: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.lines)

    @property
    def shown(self) -> str:
        return thousands(self.count)


@dataclass
class MovementRow:
    group: Any  # increase, decrease, of which
    label: Any
    key: Key
    month: Figure
    year: Figure


@dataclass
class Section:
    organization: Organization
    status: list[Figure]
    kinds: list[Figure]
    movements: list[MovementRow]  # this month and this year
    probations: Listing
    incoming: Listing
    outgoing: Listing


def behind_url(pk: int, layout: str, key: Key, on: date, start: date | None = None) -> str:
    """The drill-down list of one figure, linked as the report tables link it."""
    drill = {"dimension": key[0], "value": key[1], "when": PERIOD if start else ON}
    url = reverse("reports:behind", args=[pk, layout])
    return f"{url}?{query(on, start)}&{urlencode(drill)}"


def tops(user: Any, today: date) -> list[Organization]:
    """The organizations shown: each grant's organization alive today (as the grants read
    it), less those inside another one shown; for a superuser, the roots of the tree."""
    if user.is_superuser:
        live = live_organizations_for(user, today)
        candidates = list(live.filter(parent__isnull=True).order_by("path"))
    else:
        granted = {g.organization for g in scoping.active_grants(user, today)}
        candidates = sorted((o for o in granted if o.is_alive(today)), key=lambda o: o.path)
    shown: list[Organization] = []
    for organization in candidates:  # by path: one comes before those inside it
        if not any(organization.path.startswith(above.path) for above in shown):
            shown.append(organization)
    return shown


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One section per organization at the top of the user's scope (none: ask an admin)."""
    today = timezone.localdate()
    kinds = list(OrganizationKind.objects.order_by("sort_order", "code").values_list("pk", "name"))
    sections = [section(request.user, top, today, kinds) for top in tops(request.user, today)]
    return render(
        request, "reports/dashboard.html", {"sections": sections, "today": today, "ahead": AHEAD}
    )


def section(user: Any, organization: Organization, today: date, kinds: list) -> Section:
    pk = organization.pk
    counts = selectors.own_figures_for(user, organization)

    def figure(label: Any, layout: str, key: Key) -> Figure:
        url = behind_url(pk, layout, key, today) if counts[key] else ""
        return Figure(label, counts[key], url)

    labels = {column.key: column.label for column in LAYOUTS["composition"].columns_for(Counter())}
    labels[("total", "")] = gettext_lazy("Total")
    labels[("in_transit", "")] = Member._meta.get_field("is_in_transit").verbose_name
    return Section(
        organization=organization,
        status=[figure(labels[key], "composition", key) for key in STATUS],
        kinds=[
            figure(name, "organizations", ("kind", code))
            for code, name in kinds
            if counts[("kind", code)]
        ],
        movements=movement_rows(user, organization, today),
        **with_members(
            probations=probations(user, organization, today),
            incoming=incoming(user, organization),
            outgoing=outgoing(user, organization, today),
        ),
    )


def movement_rows(user: Any, organization: Organization, today: date) -> list[MovementRow]:
    """Each movement of the movement form, this month and this year."""
    pk = organization.pk
    starts = [today.replace(day=1), today.replace(month=1, day=1)]
    counts = selectors.movements_since_for(user, organization, starts, today)

    def figure(key: Key, start: date) -> Figure:
        count = counts[start][key]
        return Figure("", count, behind_url(pk, "movement", key, today, start) if count else "")

    return [
        MovementRow(c.group, c.label, c.key, figure(c.key, starts[0]), figure(c.key, starts[1]))
        for c in LAYOUTS["movement"].columns_for(Counter())
        if c.when == PERIOD
    ]


# --- deadlines ---------------------------------------------------------------------------------


def probations(user: Any, organization: Organization, today: date) -> Listing:
    """Probationary members of the subtree whose probation ends within ``AHEAD`` days, or has
    ended without their recognition recorded yet, the nearest end first. The end is the
    ledger's rule (``membership.rules.probation_end``): the ceremony plus the months of the
    rule version in force for the member's organization, plus any extension."""
    last = today + timedelta(days=AHEAD)
    book = Rulebook.load()
    shortest, longest_extension = _probation_months(book)
    # a month-end ceremony can end a few days later than ``last`` minus the months: margin
    latest_ceremony = add_months(last, -shortest) + timedelta(days=3)
    candidates = current_members_for(user, within=organization).filter(
        standing=Standing.PROBATIONARY, ceremony_date__lte=latest_ceremony
    )
    rows = list(
        candidates.values_list("pk", "ceremony_date", "organization_id", "organization__path")
    )
    extensions = _extensions(candidates) if longest_extension else {}
    paths = {organization_id: path for _pk, _c, organization_id, path in rows}
    ctx = Context(book, lambda organization_id: _Path(paths[organization_id]))
    ends = []
    for pk, ceremony, organization_id, _path in rows:
        assert ceremony is not None  # the filter on it leaves no empty one
        extended = sum(n for on, n in extensions.get(pk, []) if on >= ceremony)  # this one's
        end = probation_ends_on(ceremony, extended, organization_id, ctx)
        if end <= last:
            ends.append((end, pk))
    ends.sort()
    return Listing([(pk, end, end < today) for end, pk in ends[:SHOWN]], len(ends))


class _Path:
    """An organization as the rulebook needs it (its ancestors, from its path)."""

    def __init__(self, path: str):
        self.path = path

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


def _probation_months(book: Rulebook) -> tuple[int, int]:
    """The shortest probation of any rule version, and the longest extension any allows."""
    params = [rule.params for rule in book.versions("probation")]
    return (
        min(p["months"] for p in params),
        max(p.get("max_extension_months", 0) for p in params),
    )


def _extensions(members: QuerySet[Member]) -> dict[int, list[tuple[date, int]]]:
    """The probation extensions in force of these members: (date, months)."""
    voided = MembershipEvent.objects.filter(voids__isnull=False).values("voids_id")
    events = MembershipEvent.objects.filter(
        kind=EventKind.PROBATION_EXTENSION, member__in=members.values("pk")
    ).exclude(pk__in=voided)
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for member_id, on, details in events.values_list("member_id", "effective_date", "details"):
        found[member_id].append((on, int(details.get("months", 0))))
    return found


def _oldest_sent(members: QuerySet[Member]) -> tuple[list[tuple[int, date]], int]:
    """Members in transit oldest first: the first ``SHOWN`` of them with the day each one's
    transfer out took effect, and how many there are in all, in one reading of their ids and
    days (nothing joined to the members: a province has a hundred or two in transit)."""
    voided = MembershipEvent.objects.filter(voids__isnull=False).values("voids_id")
    sent = Subquery(
        MembershipEvent.objects.filter(member=OuterRef("pk"), kind=EventKind.TRANSFER_OUT)
        .exclude(pk__in=voided)
        .order_by("-effective_date", "-pk")
        .values("effective_date")[:1]
    )
    days = list(
        members.annotate(sent_on=sent).order_by("sent_on", "pk").values_list("pk", "sent_on")
    )
    return days[:SHOWN], len(days)


def with_members(probations: Listing, incoming: Listing, outgoing: Listing) -> dict[str, Listing]:
    """The deadline lists with their members in place of their ids, the members shown by the
    three read in one query: a probation line (id, end, ended) becomes (member, end, ended),
    a transfer line (id, day) the member with the day as ``sent_on``."""
    ids = {line[0] for listing in (probations, incoming, outgoing) for line in listing.lines}
    members = (
        Member.objects.select_related("person", "organization", "pending_transfer_to")
        .only("person__full_name", "organization__name", "pending_transfer_to__name")
        .in_bulk(ids)
    )
    probations.lines = [(members[pk], end, ended) for pk, end, ended in probations.lines]
    for listing in (incoming, outgoing):
        for pk, day in listing.lines:
            members[pk].sent_on = day  # type: ignore[attr-defined]  # the same in both lists
        listing.lines = [members[pk] for pk, _day in listing.lines]
    return {"probations": probations, "incoming": incoming, "outgoing": outgoing}


def incoming(user: Any, organization: Organization) -> Listing:
    """Members sent to an organization of the subtree and not yet received."""
    return Listing(*_oldest_sent(pending_transfers_to(user, within=organization)))


def outgoing(user: Any, organization: Organization, today: date) -> Listing:
    """Members sent from the subtree and not yet received where they were sent (counted under
    the sender as in transit)."""
    members = current_members_for(user, within=organization).filter(
        pending_transfer_to__isnull=False
    )
    lines, count = _oldest_sent(members)
    url = behind_url(organization.pk, "composition", ("in_transit", ""), today) if count else ""
    return Listing(lines, count, url)
