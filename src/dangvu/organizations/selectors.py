"""Scoped reads of the organization tree, today and as of a past date."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from dangvu.accounts import scoping
from dangvu.core.text import search_key
from dangvu.organizations.models import (
    CommitteeSeat,
    CommitteeTerm,
    Organization,
    OrganizationSuccession,
    OrganizationVersion,
    Power,
    SeatRole,
)


def organizations_for(user: Any) -> QuerySet[Organization]:
    """Organizations in the user's scope, live or dissolved, today's tree."""
    return scoping.visible_organizations(user).select_related("kind", "category")


def live_organizations_for(user: Any, on: date) -> QuerySet[Organization]:
    return organizations_for(user).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on), established_on__lte=on
    )


def organization_for(user: Any, pk: Any) -> Organization:
    """One organization in the user's scope; 404 for missing and out of scope alike."""
    return scoping.get_or_404(organizations_for(user), pk=pk)


def subtree(organization: Organization) -> QuerySet[Organization]:
    """The organization and all its descendants in today's tree."""
    return Organization.objects.filter(path__startswith=organization.path)


@dataclass
class NodeAsOf:
    """An organization as it stood on a date: its name, kind, category and parent then."""

    organization_id: int
    code: str
    name: str
    kind_id: str
    category_id: str | None
    parent_id: int | None
    children: list["NodeAsOf"] = field(default_factory=list)
    depth: int = 0


def versions_on(on: date) -> QuerySet[OrganizationVersion]:
    """The version rows in force on ``on`` (one per organization alive that day)."""
    return OrganizationVersion.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on), valid_from__lte=on
    )


def tree_as_of(on: date, root: Organization | None = None) -> list[NodeAsOf]:
    """The forest of organizations alive on ``on`` (under ``root`` if given), with their
    attributes of that day, children ordered by name. Built from the version rows, so a
    node that has since moved, merged or been renamed appears where and as it was."""
    if root is None:
        rows = list(versions_on(on).values_list(*NODE_FIELDS))
    else:
        rows = _subtree_rows(on, root.pk)
    nodes = {row[0]: NodeAsOf(*row) for row in rows}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.name)
    if root is not None:
        roots = [nodes[root.pk]] if root.pk in nodes else []
    _set_depths(roots)
    return sorted(roots, key=lambda n: n.name)


NODE_FIELDS = (
    "organization_id",
    "organization__code",
    "name",
    "kind_id",
    "category_id",
    "parent_id",
)


def _subtree_rows(on: date, root_id: int) -> list[tuple[Any, ...]]:
    """The version rows of ``root_id`` and everything under it on ``on``, one level at a time
    (a commune's report reads its own few hundred rows, not the country's tree)."""
    rows = list(versions_on(on).filter(organization_id=root_id).values_list(*NODE_FIELDS))
    frontier = [row[0] for row in rows]
    while frontier:
        level: list[tuple[Any, ...]] = []
        for start in range(0, len(frontier), 5000):
            below = versions_on(on).filter(parent_id__in=frontier[start : start + 5000])
            level += below.values_list(*NODE_FIELDS)
        rows += level
        frontier = [row[0] for row in level]
    return rows


def _set_depths(nodes: list[NodeAsOf], depth: int = 0) -> None:
    for node in nodes:
        node.depth = depth
        _set_depths(node.children, depth + 1)


def node_as_of(organization: Organization, on: date) -> OrganizationVersion | None:
    """The organization's name, kind, category and parent on ``on`` (None if not alive then)."""
    return versions_on(on).filter(organization=organization).first()


# The kind's flag that gives each power by default, when no delegation row says otherwise.
POWER_DEFAULTS = {Power.DECIDE_ADMISSION: "may_decide_admission"}


def has_power(organization: Organization, power: Power, on: date) -> bool:
    """Whether the organization holds ``power`` on ``on``: the delegation row in force, else the
    default of the kind it had that day."""
    row = (
        organization.powers.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=on), power=power, valid_from__lte=on
        )
        .order_by("-valid_from")
        .first()
    )
    if row is not None:
        return row.allowed
    version = node_as_of(organization, on)
    kind = version.kind if version else organization.kind
    return bool(getattr(kind, POWER_DEFAULTS[power]))


# --- the tree on screen: tops, children, search, history -------------------------------------


def tops_for(user: Any) -> list[Organization]:
    """The live organizations at the top of the user's scope: the organizations of his grants
    that lie under no other grant of his, or the roots of the tree for a superuser."""
    live = live_organizations_for(user, timezone.localdate())
    if getattr(user, "is_superuser", False) and user.is_active:
        return list(live.filter(parent__isnull=True).order_by("name"))
    paths = {grant.organization.path for grant in scoping.active_grants(user)}
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return list(live.filter(path__in=tops).order_by("name"))


def live_children_for(user: Any, organization: Organization) -> QuerySet[Organization]:
    """Today's live subordinates of an organization, by name, each knowing whether it has
    live subordinates of its own (``has_children``), so the tree opens one level at a time."""
    below = Organization.objects.filter(parent=OuterRef("pk"), dissolved_on__isnull=True)
    return (
        live_organizations_for(user, timezone.localdate())
        .filter(parent=organization)
        .annotate(has_children=Exists(below))
        .order_by("name", "pk")
    )


def ancestors_for(user: Any, organization: Organization) -> list[Organization]:
    """The organizations above ``organization`` that the user may see, from the top down."""
    above = organization.ancestor_ids()[:-1]
    return list(organizations_for(user).filter(pk__in=above).order_by("depth"))


def _letter_classes() -> dict[str, str]:
    """Each letter a–z of a search key → every character that folds to it, in either case
    ("d" → "DdĐđ", "o" → "OoÒòÓó…ỢợƠơ…")."""
    classes: dict[str, set[str]] = {}
    for char in map(chr, range(0x41, 0x1EFA)):
        key = search_key(char)
        if len(key) == 1 and key.isascii() and key.isalpha():
            classes.setdefault(key, set()).add(char)
    return {letter: "".join(sorted(chars)) for letter, chars in classes.items()}


LETTERS = _letter_classes()
APOSTROPHE = "['’‘`´]?"  # folded away by search_key: "hleo" finds "H'Leo"


def _pattern(word: str) -> str:
    """A regular expression matching ``word`` (a search key's word) in a text as typed, with
    its diacritics, capitals and apostrophes: the database does the folding."""
    return "".join(
        f"[{LETTERS[char]}]{APOSTROPHE}" if char in LETTERS else re.escape(char) for char in word
    )


def search_organizations(user: Any, text: str) -> QuerySet[Organization]:
    """The organizations of the user's scope whose name or code holds every word typed,
    diacritics, capitals and apostrophes ignored ("dong" finds "Đông"): an exact code first,
    then live before dissolved, higher levels first, by name. Organizations have no folded
    column: each word becomes a regular expression over the name as typed (a scan of the
    scope, as folding every name in Python would be, but some thirty times faster)."""
    words = search_key(text).split()
    found = organizations_for(user)
    if not words:
        return found.none()
    for word in words:
        pattern = _pattern(word)
        found = found.filter(Q(name__regex=pattern) | Q(code__regex=pattern))
    exact = Case(When(code__iexact=text.strip(), then=Value(0)), default=Value(1))
    live = Case(When(dissolved_on__isnull=True, then=Value(0)), default=Value(1))
    return found.annotate(exact=exact, live=live).order_by("exact", "live", "depth", "name", "pk")


@dataclass
class Change:
    """One period of an organization's history: its values from ``on``, those of the period
    before (None for the first), and which of them changed."""

    on: date
    change: str
    version: OrganizationVersion | None
    before: OrganizationVersion | None = None

    @property
    def renamed(self) -> bool:
        return bool(self.before and self.version and self.before.name != self.version.name)

    @property
    def moved(self) -> bool:
        return bool(
            self.before and self.version and self.before.parent_id != self.version.parent_id
        )

    @property
    def kind_changed(self) -> bool:
        return bool(self.before and self.version and self.before.kind_id != self.version.kind_id)

    @property
    def category_changed(self) -> bool:
        return bool(
            self.before and self.version and self.before.category_id != self.version.category_id
        )


def history(organization: Organization) -> list[Change]:
    """The organization's changes from its versions, oldest first: establishment, renames,
    moves, changes of kind and category (a merge or split above it shows as the move it
    caused; its own merger or split in ``successions``); its dissolution last, with
    ``version`` None."""
    versions = organization.versions.select_related("kind", "category", "parent").order_by(
        "valid_from"
    )
    changes: list[Change] = []
    before: OrganizationVersion | None = None
    for version in versions:
        changes.append(Change(version.valid_from, version.change, version, before))
        before = version
    if organization.dissolved_on is not None:
        changes.append(Change(organization.dissolved_on, "ended", None, before))
    return changes


def successions(organization: Organization) -> tuple[list[Any], list[Any]]:
    """(links from its predecessors, links to its successors), by date."""
    links = OrganizationSuccession.objects.select_related("predecessor", "successor")
    return (
        list(links.filter(successor=organization).order_by("effective_on", "predecessor__name")),
        list(links.filter(predecessor=organization).order_by("effective_on", "successor__name")),
    )


def committee(organization: Organization) -> list[CommitteeTerm]:
    """The organization's committee terms, latest first, with their seats (person loaded)."""
    rank = Case(
        *[When(role=role, then=Value(number)) for number, role in enumerate(SeatRole)],
        output_field=IntegerField(),
    )
    seats = CommitteeSeat.objects.select_related("person").order_by(rank, "starts_on")
    return list(
        organization.committee_terms.order_by("-starts_on").prefetch_related(
            Prefetch("seats", queryset=seats)
        )
    )
