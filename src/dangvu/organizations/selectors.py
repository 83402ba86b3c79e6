"""Scoped reads of the organization tree, today and as of a past date."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from dangvu.accounts import scoping
from dangvu.organizations.models import Organization, OrganizationVersion, Power


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
    rows = versions_on(on).values_list(
        "organization_id", "organization__code", "name", "kind_id", "category_id", "parent_id"
    )
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
