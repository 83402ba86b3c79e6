"""The audit log pages: administrators read the entries about their subtrees, filtered and
paginated, each with its values before and after; everyone else is refused."""

from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangvu.accounts import services as accounts
from dangvu.core.models import AuditEntry

LIST = reverse("audit:list")


@pytest.fixture
def en(client: Client) -> Client:
    """The test client asking for English pages (texts are asserted in the source language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def listed(client: Client, **params: str) -> list[AuditEntry]:
    response = client.get(LIST, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [entry for entry, _kind in response.context["rows"]]


def at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def entry_about(organization, when: datetime, action: str = "test.touched") -> AuditEntry:
    return AuditEntry.objects.create(
        at=when,
        action=action,
        target_type="organizations.organization",
        target_id=str(organization.pk),
        target_repr=organization.name,
    )


@pytest.mark.django_db
def test_an_administrator_reads_the_entries_about_his_subtree_only(en, world):
    en.force_login(world.admin_a)
    seen = listed(en)
    targets = {(e.target_type, e.target_id) for e in seen}
    assert ("organizations.organization", str(world.cell_a1.pk)) in targets
    assert ("accounts.grant", str(world.clerk_a1.grants.get().pk)) in targets
    assert ("organizations.organization", str(world.cell_b1.pk)) not in targets
    assert ("accounts.grant", str(world.clerk_b1.grants.get().pk)) not in targets
    assert ("organizations.organization", str(world.central.pk)) not in targets
    en.force_login(world.root)
    everything = listed(en)
    assert len(everything) == AuditEntry.objects.count() > len(seen)


@pytest.mark.django_db
def test_entries_about_people_and_users_follow_their_organizations(en, world, person_factory):
    in_a = person_factory(world.cell_a1)
    in_b = person_factory(world.cell_b1)
    accounts.set_password(actor=world.root, user=world.clerk_a1, password="Mật-khẩu-2025!")
    accounts.set_password(actor=world.root, user=world.clerk_b1, password="Mật-khẩu-2025!")
    en.force_login(world.admin_a)
    targets = {(e.target_type, e.target_id) for e in listed(en)}
    assert ("people.person", str(in_a.pk)) in targets
    assert ("people.person", str(in_b.pk)) not in targets
    assert ("accounts.user", str(world.clerk_a1.pk)) in targets
    assert ("accounts.user", str(world.clerk_b1.pk)) not in targets


@pytest.mark.django_db
def test_users_who_administer_nothing_are_refused_with_the_reason(en, world):
    for user in (world.viewer_a, world.clerk_a1, world.secretary_a1, world.outsider):
        en.force_login(user)
        response = en.get(LIST)
        assert response.status_code == 403, user
        assert "you hold no administrator grant" in response.content.decode()
        some = AuditEntry.objects.first()
        assert en.get(reverse("audit:detail", args=[some.pk])).status_code == 403
    en.logout()
    assert en.get(LIST).status_code == 302


@pytest.mark.django_db
def test_an_entry_outside_the_subtree_answers_404_like_a_missing_one(en, world):
    outside = entry_about(world.cell_b1, timezone.now())
    inside = entry_about(world.cell_a1, timezone.now())
    en.force_login(world.admin_a)
    assert en.get(reverse("audit:detail", args=[outside.pk])).status_code == 404
    assert en.get(reverse("audit:detail", args=[999_999])).status_code == 404
    assert en.get(reverse("audit:detail", args=[inside.pk])).status_code == 200


@pytest.mark.django_db
def test_the_date_range_takes_whole_local_days(en, world):
    before = entry_about(world.cell_a1, at(date(2025, 3, 31), 23, 59))
    first = entry_about(world.cell_a1, at(date(2025, 4, 1), 0, 0))
    last = entry_about(world.cell_a1, at(date(2025, 4, 30), 23, 59))
    after = entry_about(world.cell_a1, at(date(2025, 5, 1), 0, 0))
    en.force_login(world.admin_a)
    seen = listed(en, start="01/04/2025", end="30/04/2025")
    assert seen == [last, first]
    assert before not in listed(en, start="01/04/2025") and after in listed(en, start="01/04/2025")


@pytest.mark.django_db
def test_filters_by_actor_action_kind_and_organization_subtree(en, world):
    accounts.end_grant(actor=world.admin_a, grant=world.clerk_a1.grants.get(), on=date(2025, 6, 30))
    entry_about(world.commune_a2, timezone.now(), action="organizations.organization.renamed")
    en.force_login(world.admin_a)
    by_admin = listed(en, actor="ADMIN_a")
    assert [e.action for e in by_admin] == ["accounts.grant.ended"]
    renamed = listed(en, action="organizations.organization.ren")
    assert [e.target_id for e in renamed] == [str(world.commune_a2.pk)]
    grants = listed(en, target_type="accounts.grant")
    assert grants and all(e.target_type == "accounts.grant" for e in grants)
    in_a1 = listed(en, organization="A1")
    about = {(e.target_type, e.target_id) for e in in_a1}
    assert ("organizations.organization", str(world.cell_a1.pk)) in about
    assert ("accounts.grant", str(world.clerk_a1.grants.get().pk)) in about
    assert ("organizations.organization", str(world.commune_a2.pk)) not in about


@pytest.mark.django_db
def test_a_wrong_filter_is_explained_next_to_its_field_and_kept(en, world):
    en.force_login(world.admin_a)
    response = en.get(LIST, {"start": "31/02/2025", "organization": "B1"})
    text = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_start-error"' in text and "Type the date as dd/mm/yyyy." in text
    assert 'value="31/02/2025"' in text
    # B1 exists, but outside province A: the same answer as a code that does not exist
    response = en.get(LIST, {"organization": "B1"})
    assert "No organization with this code in your scope." in response.content.decode()
    assert response.context["rows"] == []


@pytest.mark.django_db
def test_the_detail_shows_each_field_before_and_after(en, world):
    grant = world.clerk_a1.grants.get()
    accounts.end_grant(
        actor=world.admin_a, grant=grant, on=date(2025, 6, 30), reason="Hết nhiệm kỳ"
    )
    ended = AuditEntry.objects.get(action="accounts.grant.ended")
    en.force_login(world.admin_a)
    response = en.get(reverse("audit:detail", args=[ended.pk]))
    changes = {c.label: c for c in response.context["changes"]}
    assert (changes["Valid until"].before, changes["Valid until"].after) == ("—", "30/06/2025")
    assert changes["Valid until"].changed and not changes["Role"].changed
    assert changes["Role"].after == "clerk"  # the label of the choice (English here)
    assert changes["Organization"].after == f"Đảng bộ xã A1 (#{world.commune_a1.pk})"
    assert (changes["Valid from"].before, changes["Valid from"].after) == ("01/01/1950",) * 2
    text = response.content.decode()
    assert "Hết nhiệm kỳ" in text and "admin_a" in text and "accounts.grant.ended" in text


@pytest.mark.django_db
def test_the_list_pages_fifty_entries_and_keeps_its_filters(en, world):
    for minute in range(60):
        entry_about(world.cell_a1, at(date(2025, 4, 2), 8, minute), action="test.paged")
    en.force_login(world.admin_a)
    response = en.get(LIST, {"action": "test.paged"})
    assert len(response.context["rows"]) == 50
    assert "?action=test.paged&amp;page=2" in response.content.decode()
    second = en.get(LIST, {"action": "test.paged", "page": "2"}).context["rows"]
    assert [e.at.minute for e, _kind in second] == list(range(9, -1, -1))


@pytest.mark.django_db
def test_the_list_and_the_detail_do_not_query_more_with_more_entries(
    en, world, django_assert_max_num_queries
):
    en.force_login(world.admin_a)
    en.get(LIST)  # the session and the user are loaded once, as on every page
    with django_assert_max_num_queries(8) as few:
        en.get(LIST)
    for minute in range(40):
        entry_about(world.cell_a1, at(date(2025, 4, 2), 9, minute))
    with django_assert_max_num_queries(len(few.captured_queries)):
        en.get(LIST)
    grant = AuditEntry.objects.filter(action="accounts.grant.created").first()
    # session, user, grants, the entry, and one per reference shown (user, organization)
    with django_assert_max_num_queries(6):
        en.get(reverse("audit:detail", args=[grant.pk]))
