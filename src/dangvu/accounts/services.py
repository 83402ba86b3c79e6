"""Managing users and grants; every change is audited.

An administrator manages users and grants within his own subtree: he may grant roles only on
organizations his admin grant covers.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Grant, Role, User
from dangvu.accounts.scoping import has_role, require_role
from dangvu.core import audit
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.organizations.models import Organization

USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "person_id")
GRANT_FIELDS = ("user_id", "organization_id", "role", "valid_from", "valid_to")


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str | None,
    organization: Organization,
    role: Role,
    valid_from: date | None = None,
    **fields: Any,
) -> User:
    """Create a user together with his first grant (a user without a grant sees nothing)."""
    require_role(actor, Role.ADMIN, organization)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This user name is already taken."), field="username")
    user = User(username=username, **fields)
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    audit.record(
        "accounts.user.created", actor=actor, target=user, after=audit.snapshot(user, USER_FIELDS)
    )
    grant_role(
        actor=actor,
        user=user,
        organization=organization,
        role=role,
        valid_from=valid_from or timezone.localdate(),
    )
    return user


@transaction.atomic
def grant_role(
    *,
    actor: Any,
    user: User,
    organization: Organization,
    role: Role,
    valid_from: date,
    valid_to: date | None = None,
) -> Grant:
    """Give ``user`` the ``role`` on ``organization``'s subtree for [valid_from, valid_to)."""
    require_role(actor, Role.ADMIN, organization)
    if valid_to is not None and valid_to <= valid_from:
        raise DomainError(_("A grant must end after it starts."), field="valid_to")
    grant = Grant.objects.create(
        user=user, organization=organization, role=role, valid_from=valid_from, valid_to=valid_to
    )
    scoping.forget_grants()
    audit.record(
        "accounts.grant.created",
        actor=actor,
        target=grant,
        after=audit.snapshot(grant, GRANT_FIELDS),
    )
    return grant


@transaction.atomic
def end_grant(*, actor: Any, grant: Grant, on: date, reason: str = "") -> Grant:
    """End a grant on ``on`` (e.g. when a secretary's term ends)."""
    require_role(actor, Role.ADMIN, grant.organization)
    if on < grant.valid_from:
        raise DomainError(_("A grant cannot end before it starts."), field="on")
    before = audit.snapshot(grant, GRANT_FIELDS)
    grant.valid_to = on
    grant.save(update_fields=["valid_to"])
    scoping.forget_grants()
    audit.record(
        "accounts.grant.ended",
        actor=actor,
        target=grant,
        before=before,
        after=audit.snapshot(grant, GRANT_FIELDS),
        reason=reason,
    )
    return grant


@transaction.atomic
def set_password(*, actor: Any, user: User, password: str) -> User:
    """Reset a user's password: an administrator over one of the user's grants, or the user."""
    if actor != user:
        organizations = [g.organization for g in user.grants.select_related("organization")]
        if not any(has_role(actor, Role.ADMIN, org) for org in organizations):
            raise NotPermitted(_("You may only reset the passwords of users in your scope."))
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record("accounts.user.password_reset", actor=actor, target=user)
    return user
