"""Login security: Argon2 hashes, throttling by user name and address together, admin unlock."""

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.urls import reverse

from dangvu.accounts import services
from dangvu.accounts.models import Role, User
from dangvu.core.errors import NotPermitted

LOGIN = reverse("admin:login")


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def staff(db):
    return User.objects.create_user("thu_ky", password="correct horse battery", is_staff=True)


def test_passwords_are_hashed_with_argon2(staff):
    assert staff.password.startswith("argon2$")


def test_five_failures_lock_that_user_from_that_address_only(client, staff):
    User.objects.create_user("dong_nghiep", password="another good pass", is_staff=True)
    for _ in range(5):
        attempt(client, "thu_ky", "wrong")
    assert attempt(client, "thu_ky", "correct horse battery").status_code == 429
    # a colleague behind the same office address still signs in
    assert attempt(client, "dong_nghiep", "another good pass").status_code == 302
    # the same user from another address is not locked either
    assert attempt(client, "thu_ky", "correct horse battery", "10.0.0.2").status_code == 302


def test_an_administrator_can_unlock_a_locked_user(client, staff):
    for _ in range(5):
        attempt(client, "thu_ky", "wrong")
    assert AccessAttempt.objects.filter(username="thu_ky").exists()
    reset(username="thu_ky")
    assert attempt(client, "thu_ky", "correct horse battery").status_code == 302


def test_an_admin_creates_users_only_inside_his_subtree(world):
    user = services.create_user(
        actor=world.admin_a,
        username="thu_ky_a2",
        password=None,
        organization=world.commune_a2,
        role=Role.CLERK,
    )
    assert user.grants.get().organization == world.commune_a2
    with pytest.raises(NotPermitted):
        services.create_user(
            actor=world.admin_a,
            username="thu_ky_b",
            password=None,
            organization=world.commune_b1,
            role=Role.CLERK,
        )


def test_only_an_admin_over_the_user_may_reset_his_password(world):
    services.set_password(actor=world.admin_a, user=world.clerk_a1, password="new good password")
    world.clerk_a1.refresh_from_db()
    assert world.clerk_a1.check_password("new good password")
    with pytest.raises(NotPermitted):
        services.set_password(actor=world.admin_a, user=world.clerk_b1, password="x" * 12)
