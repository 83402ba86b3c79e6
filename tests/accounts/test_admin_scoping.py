"""The read-only admin lists only what the user's grants cover, like every other read."""

from django.contrib.admin.sites import site
from django.test import RequestFactory

from dangvu.accounts.models import Grant
from dangvu.core.models import AuditEntry
from dangvu.organizations.models import Organization


def listed(model, user):
    request = RequestFactory().get("/")
    request.user = user
    return site._registry[model].get_queryset(request)


def test_the_organization_admin_lists_only_the_users_subtree(world):
    codes = set(listed(Organization, world.clerk_a1).values_list("code", flat=True))
    assert codes == {"A1", "A1-01"}
    assert listed(Organization, world.root).count() == Organization.objects.count()


def test_grants_of_another_province_are_not_listed(world):
    organizations = set(listed(Grant, world.admin_a).values_list("organization__code", flat=True))
    assert "B1" not in organizations and "A1" in organizations


def test_only_the_system_administrator_views_the_audit_log(world):
    request = RequestFactory().get("/")
    request.user = world.admin_a
    assert not site._registry[AuditEntry].has_view_permission(request)
    request.user = world.root
    assert site._registry[AuditEntry].has_view_permission(request)
