"""Scoped reads for administrators: the users and the audit entries of their subtrees.

An administrator is a superuser or a user with an active ``admin`` grant; his subtrees are the
organizations of those grants (viewer or clerk grants do not count here). Superusers see all.

Audit entries carry no organization of their own: an entry belongs to the subtree that holds
its *target* today (a member's current organization, a grant's organization, a user's grants,
...), as listed in ``AUDIT_TARGETS``. Entries about other kinds of objects (the national
calendar, the demo seed) are shown to superusers only.
"""

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, F, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Grant, Role, User
from dangvu.core.models import AuditEntry
from dangvu.organizations.models import Organization

# Audited kind of object -> the lookup from it to the path of the organization it belongs to.
AUDIT_TARGETS = {
    "organizations.organization": "path",
    "organizations.committeeterm": "organization__path",
    "organizations.committeeseat": "term__organization__path",
    "people.person": "home_organization__path",
    "membership.member": "organization__path",
    "accounts.user": "grants__organization__path",
    "accounts.grant": "organization__path",
    "reports.filedreport": "organization__path",
    "core.ruleversion": "organization__path",
}


def admin_paths(user: Any) -> list[str] | None:
    """Paths of the organizations the user administers; None for a superuser (everything)."""
    if not getattr(user, "is_active", False):
        return []
    if user.is_superuser:
        return None
    if not hasattr(user, "_admin_paths"):  # asked by the view and by the menu: read once
        grants = scoping.active_grants(user)
        user._admin_paths = sorted({g.organization.path for g in grants if g.role == Role.ADMIN})
    return list(user._admin_paths)


def is_administrator(user: Any) -> bool:
    return admin_paths(user) != []


def require_administrator(user: Any, message: str) -> list[str] | None:
    """The user's admin paths, or 403 with ``message`` when he administers nothing."""
    paths = admin_paths(user)
    if paths == []:
        raise PermissionDenied(message)
    return paths


def _covering(paths: list[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def organization_by_code(user: Any, code: str) -> Organization | None:
    """The organization with ``code`` in the user's scope (the live one before dissolved ones)."""
    return (
        scoping.visible_organizations(user)
        .filter(code__iexact=code.strip())
        .order_by(F("dissolved_on").desc(nulls_first=True))
        .first()
    )


# --- users -----------------------------------------------------------------------------------


def users_for(admin: Any) -> QuerySet[User]:
    """Users holding a grant (active or ended) within the admin's subtrees, with those grants."""
    paths = require_administrator(admin, _("Only administrators manage users."))
    grants = Grant.objects.select_related("organization").order_by("valid_from", "pk")
    users = User.objects.order_by("username")
    if paths is not None:
        grants = grants.filter(_covering(paths, "organization__path"))
        users = users.filter(pk__in=grants.values("user_id"))
    return users.prefetch_related(Prefetch("grants", queryset=grants, to_attr="grants_in_scope"))


def user_for(admin: Any, pk: Any) -> User:
    """One user the admin manages; 404 for missing and out of scope alike."""
    return scoping.get_or_404(users_for(admin), pk=pk)


# --- audit -----------------------------------------------------------------------------------


def about_subtrees(paths: list[str]) -> Q:
    """Entries whose target lies today within one of the subtrees at ``paths``."""
    condition = Q(pk__in=[])
    for label, lookup in AUDIT_TARGETS.items():
        model = apps.get_model(label)
        keys = (
            model._default_manager.filter(_covering(paths, lookup))
            .annotate(audit_key=Cast("pk", CharField()))
            .values("audit_key")
        )
        condition |= Q(target_type=label, target_id__in=keys)
    return condition


def audit_entries_for(admin: Any) -> QuerySet[AuditEntry]:
    """The audit entries the admin may read, newest first; 403 for a non-administrator."""
    paths = require_administrator(
        admin, _("The audit log is for administrators: you hold no administrator grant.")
    )
    entries = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    return entries if paths is None else entries.filter(about_subtrees(paths))


def audit_entry_for(admin: Any, pk: Any) -> AuditEntry:
    return scoping.get_or_404(audit_entries_for(admin), pk=pk)
