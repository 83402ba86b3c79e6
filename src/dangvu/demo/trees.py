"""Two ways to write the demo tree: through the services, or in memory and then in bulk.

A national demo tree has about 300,000 organizations, and the 2025 reform touches most of them
(every commune merged, its cells moved, every district dissolved): through the services that is
several hundred thousand statements. ``BulkTree`` applies the same changes to objects in memory,
with the services' rules for versions, paths and successions, and writes the rows once with
COPY, with one audit entry for the run. ``ServiceTree`` calls the services; the tests build the
same seed both ways and compare every row, so the two cannot drift apart.
"""

from datetime import date
from typing import Any

from dangvu.core import audit
from dangvu.demo.bulk import BulkWriter
from dangvu.organizations import services
from dangvu.organizations.models import (
    Organization,
    OrganizationSuccession,
    OrganizationVersion,
    SuccessionKind,
)


class ServiceTree:
    """Every change through ``organizations.services`` (one audit entry each)."""

    def __init__(self, actor: Any, as_of: date):
        self.actor = actor

    def establish(self, on: date, **values: Any) -> Organization:
        return services.establish(actor=self.actor, on=on, **values)

    def merge(self, sources: list[Organization], into: Organization, on: date) -> None:
        services.merge(actor=self.actor, sources=sources, into=into, on=on)

    def move(self, organization: Organization, new_parent: Organization, on: date) -> None:
        services.move(actor=self.actor, organization=organization, new_parent=new_parent, on=on)

    def dissolve(self, organization: Organization, on: date, target: Organization | None = None):
        services.dissolve(actor=self.actor, organization=organization, on=on, target=target)

    def flush(self) -> None:
        pass


class BulkTree:
    """The same changes on objects in memory, written by ``flush`` (ids assigned here)."""

    def __init__(self, actor: Any, as_of: date):
        self.actor, self.as_of = actor, as_of
        self.organizations: list[Organization] = []
        self.children: dict[int, list[Organization]] = {}
        self.versions: list[dict[str, Any]] = []
        self.open: dict[int, dict[str, Any]] = {}  # each organization's open version
        self.successions: list[dict[str, Any]] = []
        self.next_id = BulkWriter().next_id(Organization)

    def establish(self, on: date, *, parent: Organization | None, **values: Any) -> Organization:
        organization = Organization(pk=self.next_id, parent=parent, established_on=on, **values)
        self.next_id += 1
        organization.path = f"{parent.path if parent else '/'}{organization.pk}/"
        organization.depth = parent.depth + 1 if parent else 0
        self.organizations.append(organization)
        self.children[organization.pk] = []
        if parent is not None:
            self.children[parent.pk].append(organization)
        version = {
            "organization_id": organization.pk,
            "valid_from": on,
            "valid_to": None,
            "name": organization.name,
            "kind_id": organization.kind_id,
            "category_id": organization.category_id,
            "parent_id": organization.parent_id,
            "change": "established",
        }
        self.versions.append(version)
        self.open[organization.pk] = version
        return organization

    def live_children(self, organization: Organization) -> list[Organization]:
        return sorted(
            (c for c in self.children[organization.pk] if c.dissolved_on is None),
            key=lambda c: c.path,
        )

    def set_parent(self, child: Organization, parent: Organization, on: date, change: str) -> None:
        """As ``services._set_parents``: a new version (or the same-day one amended)."""
        current = self.open[child.pk]
        if current["valid_from"] == on:
            current.update(parent_id=parent.pk, change=change)
        else:
            current["valid_to"] = on
            new = {**current, "valid_from": on, "valid_to": None}
            new.update(parent_id=parent.pk, change=change)
            self.versions.append(new)
            self.open[child.pk] = new
        self.children[child.parent_id].remove(child)  # type: ignore[index]
        self.children[parent.pk].append(child)
        child.parent = parent
        self.repath(child)

    def repath(self, organization: Organization) -> None:
        parent = organization.parent
        organization.path = f"{parent.path if parent else '/'}{organization.pk}/"
        organization.depth = parent.depth + 1 if parent else 0
        for child in self.children[organization.pk]:
            self.repath(child)

    def end(self, organization: Organization, on: date) -> None:
        self.open.pop(organization.pk)["valid_to"] = on
        organization.dissolved_on = on

    def succession(
        self, predecessor: Organization, successor: Organization, kind: str, on: date
    ) -> None:
        self.successions.append(
            {
                "predecessor_id": predecessor.pk,
                "successor_id": successor.pk,
                "kind": kind,
                "effective_on": on,
            }
        )

    def merge(self, sources: list[Organization], into: Organization, on: date) -> None:
        for source in sources:
            for child in self.live_children(source):
                self.set_parent(child, into, on, "merged")
            self.end(source, on)
            self.succession(source, into, SuccessionKind.MERGE, on)

    def move(self, organization: Organization, new_parent: Organization, on: date) -> None:
        self.set_parent(organization, new_parent, on, "moved")

    def dissolve(self, organization: Organization, on: date, target: Organization | None = None):
        children = self.live_children(organization)
        if children and target is None:
            raise ValueError(f"{organization.code} still has live children")
        for child in children:
            self.set_parent(child, target, on, "dissolved")  # type: ignore[arg-type]
        self.end(organization, on)
        if target is not None:
            self.succession(organization, target, SuccessionKind.DISSOLVE, on)

    def flush(self) -> None:
        """Write everything held in memory, then one audit entry for the run."""
        if not self.organizations:
            return
        writer = BulkWriter()
        fields = [f.attname for f in Organization._meta.concrete_fields]
        writer.write_dicts(
            Organization, ({name: getattr(o, name) for name in fields} for o in self.organizations)
        )
        first = writer.next_id(OrganizationVersion)
        writer.write_dicts(
            OrganizationVersion, ({"id": first + i, **v} for i, v in enumerate(self.versions))
        )
        first = writer.next_id(OrganizationSuccession)
        writer.write_dicts(
            OrganizationSuccession,
            ({"id": first + i, **s} for i, s in enumerate(self.successions)),
        )
        models = (Organization, OrganizationVersion, OrganizationSuccession)
        writer.reset_sequences(*models)
        writer.analyze(*models)
        audit.record(
            "demo.tree.seeded",
            actor=self.actor,
            target=self.organizations[0],
            after={"organizations": len(self.organizations), "as_of": self.as_of.isoformat()},
        )
        self.organizations, self.versions, self.successions = [], [], []
        self.children, self.open = {}, {}
