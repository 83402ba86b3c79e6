"""Changing the organization tree: establish, rename, reclassify, move, merge, split, dissolve.

Every change is dated. It closes the organization's open ``OrganizationVersion`` on the
effective date and opens the next one, keeps today's columns (name, kind, category, parent,
path, depth) in step, refuses what would break the tree (cycles, children under a cell,
duplicate live codes), and writes one audit entry, all in one transaction. Changes are
recorded in date order per organization: a change dated before the last one is refused.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from dangvu.accounts.models import Role
from dangvu.accounts.scoping import require_role
from dangvu.core import audit
from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import Commune, OrganizationCategory, OrganizationKind, Province
from dangvu.core.signals import figures_stale
from dangvu.organizations import signals
from dangvu.organizations.models import (
    CommitteeSeat,
    CommitteeTerm,
    Organization,
    OrganizationPower,
    OrganizationSuccession,
    OrganizationVersion,
    Power,
    SeatRole,
    SuccessionKind,
)
from dangvu.people.models import Person

TRACKED = (
    "code",
    "name",
    "kind_id",
    "category_id",
    "parent_id",
    "path",
    "established_on",
    "dissolved_on",
)


def _check_date(on: date) -> None:
    if on > timezone.localdate():
        raise DomainError(_("The effective date cannot be later than today."), field="on")


def _check_alive(organization: Organization, on: date) -> None:
    if not organization.is_alive(on):
        raise DomainError(
            _("%(name)s does not exist on %(date)s.")
            % {"name": organization.name, "date": format_date(on)}
        )


def _check_parent(parent: Organization, on: date) -> None:
    _check_alive(parent, on)
    if parent.kind.is_cell:
        raise DomainError(
            _("%(name)s is a cell: a cell has no subordinate organizations.")
            % {"name": parent.name},
            field="parent",
        )


def _live_children(organization: Organization) -> list[Organization]:
    return list(organization.children.filter(dissolved_on__isnull=True).select_related("kind"))


def _open_version(organization: Organization) -> OrganizationVersion:
    return organization.versions.get(valid_to__isnull=True)


def _new_version(organization: Organization, on: date, change: str, **attrs: Any) -> None:
    _new_versions([organization], on, change, **attrs)


def _new_versions(organizations: list[Organization], on: date, change: str, **attrs: Any) -> None:
    """Close each organization's open version on ``on`` and open one with ``attrs`` changed
    (same day: amend it), in a few statements however many organizations there are."""
    by_id = {organization.pk: organization for organization in organizations}
    current = list(OrganizationVersion.objects.filter(organization__in=by_id, valid_to=None))
    for version in current:
        if on < version.valid_from:
            raise DomainError(
                _("%(name)s already has a change dated %(date)s; record changes in date order.")
                % {
                    "name": by_id[version.organization_id].name,
                    "date": format_date(version.valid_from),
                },
                field="on",
            )
    amended = [v for v in current if v.valid_from == on]
    for version in amended:
        for name, value in attrs.items():
            setattr(version, name, value)
        version.change = change
    OrganizationVersion.objects.bulk_update(amended, [*attrs, "change"])
    closed = [v for v in current if v.valid_from < on]
    OrganizationVersion.objects.filter(pk__in=[v.pk for v in closed]).update(valid_to=on)
    opened = []
    for v in closed:
        version = OrganizationVersion(
            organization_id=v.organization_id,
            valid_from=on,
            change=change,
            name=v.name,
            kind_id=v.kind_id,
            category_id=v.category_id,
            parent_id=v.parent_id,
        )
        for name, value in attrs.items():
            setattr(version, name, value)
        opened.append(version)
    OrganizationVersion.objects.bulk_create(opened)
    # a subordinate's kind and category count in its parent's figures (old and new parent)
    parents = {v.parent_id for v in current} | {getattr(attrs.get("parent"), "pk", None)}
    figures_stale.send(sender=Organization, organization_ids=parents, since=on)


def _repath(organization: Organization, parent: Organization | None) -> None:
    """Give the organization and its whole subtree the path under ``parent`` (today's tree)."""
    old_path, old_depth = organization.path, organization.depth
    new_path = (parent.path if parent else "/") + f"{organization.pk}/"
    new_depth = parent.depth + 1 if parent else 0
    Organization.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - old_depth),
    )
    organization.refresh_from_db(fields=["path", "depth"])


def _set_parent(organization: Organization, parent: Organization, on: date, change: str) -> None:
    _set_parents([organization], parent, on, change)


def _set_parents(children: list[Organization], parent: Organization, on: date, change: str) -> None:
    """Place ``children`` under ``parent`` from ``on``: a new version each (or the same-day one
    amended), today's parent and paths. A merge moves a whole commune's cells with a handful of
    statements, whatever their number."""
    if not children:
        return
    for child in children:
        if parent.path.startswith(child.path):
            raise DomainError(
                _("%(name)s cannot be placed under itself or under one of its own subordinates.")
                % {"name": child.name},
                field="parent",
            )
    _check_parent(parent, on)
    moves = [(child, child.path) for child in children]
    _new_versions(children, on, change, parent=parent)
    by_id = {child.pk: child for child in children}
    Organization.objects.filter(pk__in=by_id).update(parent=parent)
    with_subtree = set(
        Organization.objects.filter(parent__in=by_id).values_list("parent_id", flat=True)
    )
    # the leaves (a commune's cells) in one statement, the others with their subtrees
    Organization.objects.filter(pk__in=by_id.keys() - with_subtree).update(
        path=Concat(Value(parent.path), Cast("id", CharField()), Value("/")),
        depth=parent.depth + 1,
    )
    for child in children:
        child.parent = parent
        if child.pk in with_subtree:
            _repath(child, parent)
        else:
            child.path, child.depth = f"{parent.path}{child.pk}/", parent.depth + 1
    signals.moved.send(sender=Organization, moves=moves, on=on)


def _end(organization: Organization, on: date, successor: Organization | None, actor: Any) -> None:
    current = _open_version(organization)
    if on <= current.valid_from:
        raise DomainError(
            _("%(name)s already has a change dated %(date)s; record changes in date order.")
            % {"name": organization.name, "date": format_date(current.valid_from)},
            field="on",
        )
    # the hook first: a receiver that refuses leaves nothing changed, not even this instance
    signals.dissolved.send(
        sender=Organization, organization=organization, successor=successor, on=on, actor=actor
    )
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    organization.dissolved_on = on
    organization.save(update_fields=["dissolved_on"])
    figures_stale.send(
        sender=Organization, organization_ids=[organization.pk, organization.parent_id], since=on
    )


def _check_code_free(code: str, exclude: Organization | None = None) -> None:
    taken = Organization.objects.filter(code=code, dissolved_on__isnull=True)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise DomainError(
            _("The code %(code)s is already used by a live organization.") % {"code": code},
            field="code",
        )


@transaction.atomic
def establish(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: OrganizationKind,
    parent: Organization | None,
    on: date,
    category: OrganizationCategory | None = None,
    province: Province | None = None,
    commune: Commune | None = None,
    reason: str = "",
) -> Organization:
    """Create an organization under ``parent`` (a root only for a superuser); ``reason``: the
    founding decision, kept in the audit entry as for every restructuring."""
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise NotPermitted(_("Only a superuser may establish a root organization."))
    else:
        require_role(actor, Role.ADMIN, parent)
        if kind.code == "central":
            raise DomainError(_("The central organization is the root of the tree."), field="kind")
        _check_parent(parent, on)
    _check_date(on)
    code, name = code.strip(), name.strip()
    _check_code_free(code)
    organization = Organization.objects.create(
        code=code,
        name=name,
        kind=kind,
        category=category,
        parent=parent,
        path="",
        established_on=on,
        province=province,
        commune=commune,
    )
    organization.path = (parent.path if parent else "/") + f"{organization.pk}/"
    organization.depth = parent.depth + 1 if parent else 0
    organization.save(update_fields=["path", "depth"])
    OrganizationVersion.objects.create(
        organization=organization,
        valid_from=on,
        name=name,
        kind=kind,
        category=category,
        parent=parent,
        change="established",
    )
    figures_stale.send(
        sender=Organization, organization_ids=[organization.pk, organization.parent_id], since=on
    )
    audit.record(
        "organizations.organization.established",
        actor=actor,
        target=organization,
        after=audit.snapshot(organization, TRACKED),
        reason=reason,
    )
    return organization


@transaction.atomic
def rename(
    *, actor: Any, organization: Organization, name: str, on: date, reason: str = ""
) -> Organization:
    """Give the organization a new name from ``on``."""
    require_role(actor, Role.ADMIN, organization)
    _check_date(on)
    _check_alive(organization, on)
    before = audit.snapshot(organization, TRACKED)
    _new_version(organization, on, "renamed", name=name.strip())
    organization.name = name.strip()
    organization.save(update_fields=["name"])
    audit.record(
        "organizations.organization.renamed",
        actor=actor,
        target=organization,
        before=before,
        after=audit.snapshot(organization, TRACKED),
        reason=reason,
    )
    return organization


@transaction.atomic
def reclassify(
    *,
    actor: Any,
    organization: Organization,
    on: date,
    kind: OrganizationKind | None = None,
    category: OrganizationCategory | None = None,
    reason: str = "",
) -> Organization:
    """Change the kind and/or category from ``on`` (commune committees changed kind in 2025)."""
    require_role(actor, Role.ADMIN, organization)
    _check_date(on)
    _check_alive(organization, on)
    kind = kind or organization.kind
    category = category or organization.category
    if kind.is_cell and _live_children(organization):
        raise DomainError(
            _("%(name)s has subordinate organizations and cannot become a cell.")
            % {"name": organization.name},
            field="kind",
        )
    before = audit.snapshot(organization, TRACKED)
    _new_version(organization, on, "reclassified", kind=kind, category=category)
    organization.kind, organization.category = kind, category
    organization.save(update_fields=["kind", "category"])
    audit.record(
        "organizations.organization.reclassified",
        actor=actor,
        target=organization,
        before=before,
        after=audit.snapshot(organization, TRACKED),
        reason=reason,
    )
    return organization


@transaction.atomic
def move(
    *, actor: Any, organization: Organization, new_parent: Organization, on: date, reason: str = ""
) -> Organization:
    """Place the organization (with its subtree) under ``new_parent`` from ``on``.

    Needs an admin grant on an organization above both the old and the new place."""
    require_role(actor, Role.ADMIN, organization, new_parent)
    _check_date(on)
    _check_alive(organization, on)
    before = audit.snapshot(organization, TRACKED)
    _set_parent(organization, new_parent, on, "moved")
    audit.record(
        "organizations.organization.moved",
        actor=actor,
        target=organization,
        before=before,
        after=audit.snapshot(organization, TRACKED),
        reason=reason,
    )
    return organization


@transaction.atomic
def merge(
    *, actor: Any, sources: Iterable[Organization], into: Organization, on: date, reason: str = ""
) -> Organization:
    """Merge ``sources`` into ``into`` on ``on``: their children pass to ``into`` and each source
    is dissolved with a successor link. ``into`` may be an existing organization or one just
    established for the merger."""
    sources = list(sources)
    if not sources or into in sources:
        raise DomainError(_("Choose the organizations to merge and a different successor."))
    require_role(actor, Role.ADMIN, into, *sources)
    _check_date(on)
    _check_alive(into, on)
    for source in sources:
        _check_alive(source, on)
        if into.path.startswith(source.path):
            raise DomainError(
                _("%(name)s cannot be merged into its own subordinate.") % {"name": source.name}
            )
        _set_parents(_live_children(source), into, on, "merged")
        _end(source, on, into, actor)
        OrganizationSuccession.objects.create(
            predecessor=source, successor=into, kind=SuccessionKind.MERGE, effective_on=on
        )
        audit.record(
            "organizations.organization.merged",
            actor=actor,
            target=source,
            after={"successor": into.pk, "on": on.isoformat()},
            reason=reason,
        )
    return into


@transaction.atomic
def split(
    *,
    actor: Any,
    organization: Organization,
    assignments: dict[Organization, Organization],
    on: date,
    records_to: Organization,
    reason: str = "",
) -> list[Organization]:
    """Split ``organization`` on ``on``: each live child passes to the successor it is assigned to
    (``assignments`` maps child → successor), its own records pass to ``records_to``, and the
    organization is dissolved with a successor link to every successor."""
    children = _live_children(organization)
    missing = [c.name for c in children if c not in assignments]
    if missing:
        raise DomainError(
            _("Say where each subordinate organization goes: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    successors = list(dict.fromkeys([*assignments.values(), records_to]))
    if organization in successors:
        raise DomainError(_("An organization cannot be its own successor."))
    require_role(actor, Role.ADMIN, organization, *successors)
    _check_date(on)
    _check_alive(organization, on)
    for child in children:
        _set_parent(child, assignments[child], on, "split")
    _end(organization, on, records_to, actor)
    for successor in successors:
        _check_alive(successor, on)
        OrganizationSuccession.objects.create(
            predecessor=organization,
            successor=successor,
            kind=SuccessionKind.SPLIT,
            effective_on=on,
            takes_records=successor == records_to,
        )
    audit.record(
        "organizations.organization.split",
        actor=actor,
        target=organization,
        after={"successors": [s.pk for s in successors], "on": on.isoformat()},
        reason=reason,
    )
    return successors


@transaction.atomic
def dissolve(
    *,
    actor: Any,
    organization: Organization,
    on: date,
    target: Organization | None = None,
    reason: str = "",
) -> Organization:
    """Dissolve the organization on ``on``. Refused while it has live children, unless a
    ``target`` is given: the children and records then pass to the target."""
    require_role(actor, Role.ADMIN, organization, *([target] if target else []))
    _check_date(on)
    _check_alive(organization, on)
    children = _live_children(organization)
    if children and target is None:
        raise DomainError(
            ngettext_lazy(
                "%(name)s still has %(count)d subordinate organization: move it first or "
                "choose the organization that takes it over.",
                "%(name)s still has %(count)d subordinate organizations: move them first or "
                "choose the organization that takes them over.",
                "count",
            )
            % {"name": organization.name, "count": len(children)},
            field="target",
        )
    if target is not None:
        if target.path.startswith(organization.path):
            raise DomainError(
                _("The organization taking over cannot be one of its subordinates."), field="target"
            )
        _set_parents(children, target, on, "dissolved")
    before = audit.snapshot(organization, TRACKED)
    _end(organization, on, target, actor)
    if target is not None:
        OrganizationSuccession.objects.create(
            predecessor=organization,
            successor=target,
            kind=SuccessionKind.DISSOLVE,
            effective_on=on,
        )
    audit.record(
        "organizations.organization.dissolved",
        actor=actor,
        target=organization,
        before=before,
        after=audit.snapshot(organization, TRACKED),
        reason=reason,
    )
    return organization


@transaction.atomic
def set_power(
    *,
    actor: Any,
    organization: Organization,
    power: Power,
    allowed: bool,
    on: date,
    basis: str = "",
) -> OrganizationPower:
    """Delegate (or withdraw) a decision power from ``on``; the kind's default applies otherwise.

    Set by an administrator of the level above, since a power is delegated from above."""
    require_role(actor, Role.ADMIN, organization.parent or organization)
    OrganizationPower.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on),
        organization=organization,
        power=power,
        valid_from__lt=on,
    ).update(valid_to=on)
    row = OrganizationPower.objects.create(
        organization=organization, power=power, allowed=allowed, valid_from=on, basis=basis
    )
    audit.record(
        "organizations.power.set",
        actor=actor,
        target=organization,
        after={"power": power, "allowed": allowed, "on": on.isoformat(), "basis": basis},
    )
    return row


@transaction.atomic
def open_committee_term(
    *,
    actor: Any,
    organization: Organization,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
) -> CommitteeTerm:
    """Record a committee's congress term (nhiệm kỳ)."""
    require_role(actor, Role.APPROVER, organization)
    if ends_on is not None and ends_on <= starts_on:
        raise DomainError(_("A term must end after it starts."), field="ends_on")
    term = CommitteeTerm.objects.create(
        organization=organization, name=name.strip(), starts_on=starts_on, ends_on=ends_on
    )
    audit.record(
        "organizations.committee_term.opened", actor=actor, target=term, after=audit.snapshot(term)
    )
    return term


@transaction.atomic
def assign_seat(
    *,
    actor: Any,
    term: CommitteeTerm,
    person: Person,
    role: SeatRole,
    starts_on: date,
    ends_on: date | None = None,
) -> CommitteeSeat:
    """Seat a person on a committee term (a secretary, a deputy secretary, a member)."""
    require_role(actor, Role.APPROVER, term.organization)
    if starts_on < term.starts_on or (term.ends_on and starts_on >= term.ends_on):
        raise DomainError(_("The seat must start within the term."), field="starts_on")
    if (
        role == SeatRole.SECRETARY
        and term.seats.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on), role=SeatRole.SECRETARY
        ).exists()
    ):
        raise DomainError(
            _("This committee already has a secretary on that date; end that seat first."),
            field="role",
        )
    seat = CommitteeSeat.objects.create(
        term=term, person=person, role=role, starts_on=starts_on, ends_on=ends_on
    )
    audit.record(
        "organizations.committee_seat.assigned",
        actor=actor,
        target=seat,
        after=audit.snapshot(seat),
    )
    return seat


@transaction.atomic
def end_seat(*, actor: Any, seat: CommitteeSeat, on: date, reason: str = "") -> CommitteeSeat:
    require_role(actor, Role.APPROVER, seat.term.organization)
    if on <= seat.starts_on:
        raise DomainError(_("A seat must end after it starts."), field="on")
    before = audit.snapshot(seat)
    seat.ends_on = on
    seat.save(update_fields=["ends_on"])
    audit.record(
        "organizations.committee_seat.ended",
        actor=actor,
        target=seat,
        before=before,
        after=audit.snapshot(seat),
        reason=reason,
    )
    return seat
