"""The one scoping chokepoint: which organizations a user may see, and which roles he holds where.

A grant (user, organization, role, period) covers the organization's whole subtree as the tree
stands today (a path-prefix match). Every role may read; writing needs the role the service names.
Superusers see and may do everything. Out-of-scope objects are answered exactly like missing ones.

Within a web request the user's grants are read once (``reading_grants_once``, entered by
``accounts.middleware``): the menu, the filters, the list and the permission checks of one page
all ask for them. A change of grants or of the tree forgets what was read.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangvu.accounts.models import Grant, Role
from dangvu.core.errors import NotPermitted
from dangvu.organizations.models import Organization

M = TypeVar("M", bound=models.Model)

# (user id, day) -> that user's grants on that day, read during the current request; None
# outside a request (services called from commands and tests always read the database).
_read: ContextVar[dict[tuple[int, date], list[Grant]] | None] = ContextVar(
    "grants_read", default=None
)


@contextmanager
def reading_grants_once() -> Iterator[None]:
    """Within this block, each user's grants of a day are read from the database once."""
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def forget_grants() -> None:
    """Read the grants again: they, or the paths of their organizations, have changed."""
    if _read.get() is not None:
        _read.set({})


def active_grants(user: Any, on: date | None = None) -> list[Grant]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    on = on or timezone.localdate()
    read = _read.get()
    if read is None:
        return list(Grant.objects.active_on(on).filter(user=user).select_related("organization"))
    if (user.pk, on) not in read:
        grants = Grant.objects.active_on(on).filter(user=user).select_related("organization")
        read[(user.pk, on)] = list(grants)
    return list(read[(user.pk, on)])


def _covering(paths: Iterable[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def subtree_filter(user: Any, field: str = "path", on: date | None = None) -> Q | None:
    """A filter on ``field`` (an organization path) limited to the user's grants; None means all."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return _covering({g.organization.path for g in active_grants(user, on)}, field)


def scope(queryset: models.QuerySet[M], user: Any, path_field: str) -> models.QuerySet[M]:
    """``queryset`` restricted to rows whose organization path lies under one of the user's grants."""
    condition = subtree_filter(user, path_field)
    return queryset if condition is None else queryset.filter(condition)


def within(
    queryset: models.QuerySet[M], user: Any, organization: Organization, path_field: str
) -> models.QuerySet[M]:
    """``queryset`` restricted to the subtree of ``organization``, which the user must see
    (nothing otherwise). A grant covers its whole subtree, so the subtree's path is the only
    condition: the grants' paths beside it would make the planner expect far fewer rows."""
    if not sees(user, organization):
        return queryset.none()
    return queryset.filter(**{f"{path_field}__startswith": organization.path})


def sees(user: Any, organization: Organization) -> bool:
    """Whether one of the user's grants covers ``organization`` (a superuser sees all)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(organization.path.startswith(g.organization.path) for g in active_grants(user))


def visible_organizations(user: Any) -> models.QuerySet[Organization]:
    return scope(Organization.objects.all(), user, "path")


def get_or_404(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """One object of an already scoped queryset; missing and out of scope both answer 404."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def has_role(user: Any, role: Role | str, *organizations: Organization) -> bool:
    """Whether one active grant with ``role`` covers every organization given."""
    if not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    return any(
        grant.role == role
        and all(org.path.startswith(grant.organization.path) for org in organizations)
        for grant in active_grants(user)
    )


def require_role(user: Any, role: Role | str, *organizations: Organization) -> None:
    """Refuse with a clear message unless one grant with ``role`` covers all the organizations."""
    if not has_role(user, role, *organizations):
        raise NotPermitted(
            _("You need the %(role)s role on %(organizations)s (or on an organization above it).")
            % {"role": Role(role).label, "organizations": ", ".join(o.name for o in organizations)}
        )
