"""The users and grants pages: an administrator lists the users of his subtree, creates users,
grants and ends roles, resets passwords, all through the audited services; a user changes his
own password."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangvu.accounts.forms import PASSWORD_ALPHABET
from dangvu.accounts.models import Grant, Role, User
from dangvu.core.models import AuditEntry
from tests.world import make_user

USERS = reverse("accounts:users")
CREATE = reverse("accounts:user_create")
TODAY = timezone.localdate()


@pytest.fixture
def en(client: Client) -> Client:
    """The test client asking for English pages (texts are asserted in the source language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def names(response) -> list[str]:
    return [user.username for user in response.context["page"].object_list]


def new_user(**changes: str) -> dict[str, str]:
    return {
        "username": "thu_ky_a2",
        "full_name": "Trần Thị Mai",
        "email": "",
        "organization": "A2-01",
        "role": "clerk",
        "valid_from": "",
        "password": "",
        **changes,
    }


@pytest.mark.django_db
def test_an_administrator_lists_the_users_of_his_subtree_and_a_superuser_all(en, world):
    en.force_login(world.admin_a)
    seen = names(en.get(USERS))
    assert seen == sorted(
        ["admin_a", "viewer_a", "clerk_a1", "approver_a1", "secretary_a1", "expired_a1"]
    )
    assert names(en.get(USERS, {"q": "CLERK"})) == ["clerk_a1"]
    en.force_login(world.root)
    assert {"clerk_b1", "outsider", "root"} <= set(names(en.get(USERS)))


@pytest.mark.django_db
def test_users_who_administer_nothing_are_refused_and_others_users_are_not_found(en, world):
    for user in (world.viewer_a, world.clerk_a1, world.outsider):
        en.force_login(user)
        response = en.get(USERS)
        assert response.status_code == 403
        assert "Only administrators manage users." in response.content.decode()
        assert en.get(CREATE).status_code == 403
    en.force_login(world.admin_a)
    assert en.get(reverse("accounts:user", args=[world.clerk_b1.pk])).status_code == 404
    assert en.get(reverse("accounts:user", args=[999_999])).status_code == 404
    url = reverse("accounts:user_password", args=[world.clerk_b1.pk])
    assert en.post(url, {"password-password": ""}).status_code == 404
    assert en.get(reverse("accounts:user", args=[world.clerk_a1.pk])).status_code == 200


@pytest.mark.django_db
def test_creating_a_user_with_a_generated_password_shows_it_once(en, world):
    en.force_login(world.admin_a)
    response = en.post(CREATE, new_user(valid_from="01/07/2025"))
    assert response.status_code == 200
    password = response.context["new_password"]
    assert len(password) == 14 and set(password) <= set(PASSWORD_ALPHABET + "-")
    assert password in response.content.decode()
    created = User.objects.get(username="thu_ky_a2")
    assert created.check_password(password) and created.get_full_name() == "Trần Thị Mai"
    grant = created.grants.get()
    assert (grant.organization, grant.role, grant.valid_from) == (
        world.cell_a2,
        Role.CLERK,
        date(2025, 7, 1),
    )
    assert AuditEntry.objects.filter(action="accounts.user.created", actor=world.admin_a).exists()
    # the page shown later does not show it again
    assert password not in en.get(reverse("accounts:user", args=[created.pk])).content.decode()


@pytest.mark.django_db
def test_a_wrong_new_user_is_explained_next_to_each_field_and_nothing_is_written(en, world):
    en.force_login(world.admin_a)
    typed = new_user(
        username="clerk_a1", organization="B1-01", valid_from="31/06/2025", password="123"
    )
    response = en.post(CREATE, typed)
    text = response.content.decode()
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["organization"] == ["No organization with this code in your scope."]
    assert errors["valid_from"] == ["Type the date as dd/mm/yyyy."]
    assert any("too short" in message for message in errors["password"])
    assert (
        'id="id_organization-error"' in text and 'aria-describedby="id_organization-error"' in text
    )
    for value in ("B1-01", "31/06/2025", "Trần Thị Mai"):
        assert f'value="{value}"' in text
    # the organization in scope now: the service refuses the taken user name, next to it
    response = en.post(CREATE, new_user(username="CLERK_A1", password="a good long password"))
    assert response.context["form"].errors["username"] == ["This user name is already taken."]
    assert not User.objects.filter(username__iexact="thu_ky_a2").exists()
    assert User.objects.filter(username__iexact="clerk_a1").count() == 1


@pytest.mark.django_db
def test_an_administrator_grants_a_role_in_his_subtree_only(en, world):
    en.force_login(world.admin_a)
    url = reverse("accounts:user_grant", args=[world.viewer_a.pk])
    response = en.post(
        url, {"grant-organization": "a1", "grant-role": "approver", "grant-valid_from": ""}
    )
    assert response.status_code == 302
    grant = world.viewer_a.grants.get(role=Role.APPROVER)
    assert (grant.organization, grant.valid_from, grant.valid_to) == (world.commune_a1, TODAY, None)
    elsewhere = en.post(url, {"grant-organization": "B1", "grant-role": "clerk"})
    assert elsewhere.context["grant_form"].errors["organization"] == [
        "No organization with this code in your scope."
    ]
    wrong = en.post(
        url,
        {
            "grant-organization": "A2",
            "grant-role": "clerk",
            "grant-valid_from": "01/01/2026",
            "grant-valid_to": "01/01/2026",
        },
    )
    assert wrong.context["grant_form"].errors["valid_to"] == ["A grant must end after it starts."]
    assert 'value="A2"' in wrong.content.decode() and 'value="01/01/2026"' in wrong.content.decode()
    assert world.viewer_a.grants.count() == 2
    assert (
        AuditEntry.objects.filter(action="accounts.grant.created", actor=world.admin_a).count() == 1
    )
    # an admin of commune A1 who may also read province A: A2 is seen, not administered
    admin_a1 = make_user(
        world.root, "admin_a1", (world.commune_a1, Role.ADMIN), (world.province_a, Role.VIEWER)
    )
    en.force_login(admin_a1)
    refused = en.post(url, {"grant-organization": "A2", "grant-role": "clerk"})
    assert refused.status_code == 400
    assert "You need the administrator role" in " ".join(
        refused.context["grant_form"].errors["organization"]
    )


@pytest.mark.django_db
def test_an_administrator_ends_a_grant_with_a_reason(en, world):
    grant = world.clerk_a1.grants.get()
    en.force_login(world.admin_a)
    url = reverse("accounts:grant_end", args=[world.clerk_a1.pk, grant.pk])
    early = en.post(url, {f"end-{grant.pk}-on": "31/12/1949", f"end-{grant.pk}-reason": ""})
    assert early.status_code == 400
    assert "A grant cannot end before it starts." in early.content.decode()
    assert 'value="31/12/1949"' in early.content.decode()
    ended = en.post(
        url, {f"end-{grant.pk}-on": "30/06/2025", f"end-{grant.pk}-reason": "Chuyển công tác"}
    )
    assert ended.status_code == 302
    grant.refresh_from_db()
    assert grant.valid_to == date(2025, 6, 30)
    entry = AuditEntry.objects.get(action="accounts.grant.ended")
    assert (entry.actor, entry.reason) == (world.admin_a, "Chuyển công tác")
    # a grant of another subtree is not found through a user of this one
    other = world.clerk_b1.grants.get()
    url = reverse("accounts:grant_end", args=[world.clerk_a1.pk, other.pk])
    assert en.post(url, {f"end-{other.pk}-on": "30/06/2025"}).status_code == 404
    assert Grant.objects.get(pk=other.pk).valid_to is None


@pytest.mark.django_db
def test_an_administrator_resets_a_password_typed_or_generated(en, world):
    en.force_login(world.admin_a)
    url = reverse("accounts:user_password", args=[world.clerk_a1.pk])
    weak = en.post(url, {"password-password": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.context["password_form"].errors["password"]
    assert en.post(url, {"password-password": "Hai-con-mèo-2025"}).status_code == 302
    world.clerk_a1.refresh_from_db()
    assert world.clerk_a1.check_password("Hai-con-mèo-2025")
    shown = en.post(url, {"password-password": ""})
    password = shown.context["new_password"]
    world.clerk_a1.refresh_from_db()
    assert world.clerk_a1.check_password(password) and password in shown.content.decode()
    assert AuditEntry.objects.filter(action="accounts.user.password_reset").count() == 2


@pytest.mark.django_db
def test_a_user_changes_his_own_password_and_stays_signed_in(en, world):
    world.clerk_a1.set_password("Mật-khẩu-cũ-2024")
    world.clerk_a1.save()
    en.force_login(world.clerk_a1)
    url = reverse("accounts:password")
    wrong = en.post(
        url,
        {
            "old_password": "not it",
            "new_password1": "Mật-khẩu-mới-2025",
            "new_password2": "Mật-khẩu-mới-2025",
        },
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors["old_password"]
    assert 'aria-describedby="id_old_password-error"' in wrong.content.decode()
    changed = en.post(
        url,
        {
            "old_password": "Mật-khẩu-cũ-2024",
            "new_password1": "Mật-khẩu-mới-2025",
            "new_password2": "Mật-khẩu-mới-2025",
        },
    )
    assert changed.status_code == 302
    world.clerk_a1.refresh_from_db()
    assert world.clerk_a1.check_password("Mật-khẩu-mới-2025")
    entry = AuditEntry.objects.get(action="accounts.user.password_reset")
    assert entry.actor == entry_target(entry) == world.clerk_a1
    assert en.get(USERS).status_code == 403  # still signed in (and still no administrator)


def entry_target(entry: AuditEntry) -> User:
    return User.objects.get(pk=entry.target_id)


@pytest.mark.django_db
def test_the_users_list_does_not_query_more_with_more_users(
    en, world, django_assert_max_num_queries
):
    en.force_login(world.admin_a)
    en.get(USERS)
    with django_assert_max_num_queries(7) as few:
        en.get(USERS)
    for number in range(30):
        user = User.objects.create_user(f"thu_ky_{number}")
        Grant.objects.create(
            user=user, organization=world.cell_a1, role=Role.CLERK, valid_from=TODAY
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = en.get(USERS)
    assert len(response.context["page"].object_list) == 36


@pytest.mark.django_db
def test_the_menu_shows_users_and_audit_to_administrators_only(en, world):
    en.force_login(world.admin_a)
    page = en.get(reverse("accounts:password")).content.decode()
    assert f'href="{USERS}"' in page and f'href="{reverse("audit:list")}"' in page
    en.force_login(world.viewer_a)
    page = en.get(reverse("accounts:password")).content.decode()
    assert f'href="{USERS}"' not in page and f'href="{reverse("audit:list")}"' not in page


@pytest.mark.django_db
def test_an_ended_grant_is_listed_as_ended(en, world):
    en.force_login(world.admin_a)
    page = en.get(reverse("accounts:user", args=[world.expired_a1.pk]))
    [(grant, active, form)] = page.context["grants"]
    assert grant.valid_to == TODAY - timedelta(days=1) and not active and form is None
