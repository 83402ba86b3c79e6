"""Scoping: a grant covers its organization's subtree, for its period, and nothing else."""

import pytest
from django.http import Http404
from django.urls import reverse

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.errors import NotPermitted
from dangvu.organizations import selectors


def codes(user) -> set[str]:
    return set(selectors.organizations_for(user).values_list("code", flat=True))


def test_a_commune_clerk_sees_his_commune_and_its_cells_only(world):
    assert codes(world.clerk_a1) == {"A1", "A1-01"}


def test_a_provincial_viewer_sees_all_the_province_and_nothing_of_another(world):
    assert codes(world.viewer_a) == {"A", "A1", "A1-01", "A2", "A2-01"}


def test_an_expired_grant_or_no_grant_gives_nothing(world):
    assert codes(world.expired_a1) == set()
    assert codes(world.outsider) == set()


def test_an_inactive_user_sees_nothing(world):
    world.viewer_a.is_active = False
    world.viewer_a.save()
    assert codes(world.viewer_a) == set()


def test_out_of_scope_answers_exactly_like_missing(world):
    with pytest.raises(Http404) as out_of_scope:
        selectors.organization_for(world.clerk_a1, world.commune_b1.pk)
    with pytest.raises(Http404) as missing:
        selectors.organization_for(world.clerk_a1, 999_999)
    assert str(out_of_scope.value) == str(missing.value)
    assert selectors.organization_for(world.clerk_a1, world.cell_a1.pk) == world.cell_a1


def test_a_role_must_cover_every_organization_involved(world):
    assert scoping.has_role(world.admin_a, Role.ADMIN, world.cell_a1, world.cell_a2)
    assert not scoping.has_role(world.admin_a, Role.ADMIN, world.cell_a1, world.cell_b1)
    assert not scoping.has_role(world.secretary_a1, Role.ADMIN, world.cell_a1)
    assert scoping.has_role(world.secretary_a1, Role.APPROVER, world.cell_a1)
    with pytest.raises(NotPermitted, match="clerk|thư ký|Clerk"):
        scoping.require_role(world.viewer_a, Role.CLERK, world.cell_a1)


def test_the_home_page_shows_only_the_users_subtree(client, world):
    client.force_login(world.clerk_a1)
    page = client.get(reverse("home")).content.decode()
    assert world.commune_a1.name in page
    assert world.commune_b1.name not in page and world.province_a.name not in page


def test_the_home_page_asks_anonymous_visitors_to_sign_in(client, world):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"


def test_a_user_without_staff_rights_signs_in_on_the_login_page(client, world):
    world.clerk_a1.set_password("một mật khẩu dài")
    world.clerk_a1.save()
    form = {"username": "clerk_a1", "password": "một mật khẩu dài"}
    response = client.post(reverse("login"), form, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_within_a_request_the_grants_are_read_once_until_they_or_the_tree_change(
    world, django_assert_num_queries
):
    from datetime import date

    from dangvu.accounts import services
    from dangvu.organizations import services as organizations

    with scoping.reading_grants_once():
        with django_assert_num_queries(1):
            for _ in range(3):
                assert scoping.has_role(world.clerk_a1, Role.CLERK, world.cell_a1)
        services.grant_role(
            actor=world.root, user=world.clerk_a1, organization=world.commune_b1,
            role=Role.CLERK, valid_from=date(2020, 1, 1),
        )  # fmt: skip
        assert scoping.has_role(world.clerk_a1, Role.CLERK, world.commune_b1)
        assert scoping.has_role(world.viewer_a, Role.VIEWER, world.cell_a1)
        # the commune moves to province B: its cell's path changes, and so does the grant's
        organizations.move(
            actor=world.root, organization=world.commune_a1, new_parent=world.province_b,
            on=date(2024, 1, 1),
        )  # fmt: skip
        world.cell_a1.refresh_from_db()
        assert scoping.has_role(world.clerk_a1, Role.CLERK, world.cell_a1)
        assert not scoping.has_role(world.viewer_a, Role.VIEWER, world.cell_a1)
    with django_assert_num_queries(1):  # outside a request, read every time
        scoping.active_grants(world.clerk_a1)


def test_a_page_reads_the_grants_once(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.viewer_a)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("members:list")).status_code == 200
    grants = [q for q in queries.captured_queries if 'FROM "accounts_grant"' in q["sql"]]
    assert len(grants) == 1
