"""Consistency checks: each contradiction found, counted up the tree, and shown to admins only."""

from datetime import date

import pytest
from django.http import Http404
from django.urls import reverse

from dangvu.core.errors import NotPermitted
from dangvu.membership.models import Member
from dangvu.people.models import Person
from dangvu.reports.checks import inconsistencies, inconsistencies_for


@pytest.mark.django_db
def test_each_contradiction_is_found_and_counted_in_every_node_above(world, admit):
    clean = admit(date(2020, 3, 1), ceremony=date(2020, 3, 20), recognized=True)
    early = admit(date(2020, 3, 1), ceremony=date(2020, 3, 20), recognized=True)
    young = admit(date(2020, 3, 1), birth=(2002, 3, 1))
    for member, national_id in [
        (clean, "001070012345"),
        (early, "001070012346"),
        (young, "001202012347"),
    ]:
        Person.objects.filter(member=member).update(national_id=national_id, hometown="Xã An")
    # typed in by hand: official a month early, and a birth date that makes him 17 at the vote
    Member.objects.filter(pk=early.pk).update(official_date=date(2021, 2, 20))
    Person.objects.filter(member=young).update(birth_year=2002, birth_month=3, birth_day=10)

    found = inconsistencies(world.province_a)
    assert found.members["official_date"] == [early.pk]
    assert found.members["under_age"] == [young.pk]
    assert clean.pk not in {pk for ids in found.members.values() for pk in ids}
    for node in (world.province_a, world.commune_a1, world.cell_a1):
        assert found.counts[node.pk]["official_date"] == 1
        assert found.counts[node.pk]["under_age"] == 1
    assert world.central.pk not in found.counts  # nothing above the organization asked for


@pytest.mark.django_db
def test_missing_fields_are_listed_and_a_partial_birth_date_is_not_called_under_age(world, admit):
    member = admit(date(2020, 3, 1), birth=(2002, 1, 1))
    Person.objects.filter(member=member).update(birth_month=None, birth_day=None, hometown="")
    found = inconsistencies(world.cell_a1)
    assert found.members["missing_fields"] == [member.pk]
    # born "2002" counts from 1/1/2002: 18 years and 2 months at the vote, not under age
    assert found.members["under_age"] == []


@pytest.mark.django_db
def test_the_checks_are_for_admins_of_the_organization(world):
    assert inconsistencies_for(world.admin_a, world.cell_a1.pk).organization_id == world.cell_a1.pk
    with pytest.raises(NotPermitted):
        inconsistencies_for(world.viewer_a, world.cell_a1.pk)
    with pytest.raises(Http404):
        inconsistencies_for(world.outsider, world.cell_a1.pk)


@pytest.mark.django_db
def test_an_official_date_after_a_provincial_extension_is_not_a_contradiction(
    world, admit, rule_version
):
    member = admit(date(2020, 3, 1), ceremony=date(2020, 3, 20), recognized=True)
    # typed in: official 14 months after the ceremony, as after a 2-month extension
    Member.objects.filter(pk=member.pk).update(official_date=date(2021, 5, 20))
    assert inconsistencies(world.province_a).members["official_date"] == [member.pk]
    rule_version(
        "probation",
        date(2019, 1, 1),
        organization=world.province_a,
        months=12,
        max_extension_months=12,
    )
    assert inconsistencies(world.province_a).members["official_date"] == []


@pytest.mark.django_db
def test_the_checks_page_counts_per_organization_and_opens_the_lists(client, world, admit):
    member = admit(date(2024, 3, 1))
    member.person.hometown = ""
    member.person.save()
    client.force_login(world.admin_a)
    page = client.get(reverse("reports:checks", args=[world.province_a.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Thiếu trường bắt buộc" in text and world.commune_a1.name in text
    listed = client.get(
        reverse("reports:check_members", args=[world.commune_a1.pk, "missing_fields"])
    ).content.decode()
    assert member.person.full_name in listed and "1 đảng viên" in listed
    client.force_login(world.viewer_a)  # in scope, not an admin: refused, with the reason
    assert client.get(reverse("reports:checks", args=[world.province_a.pk])).status_code == 403
    client.force_login(world.clerk_b1)  # out of scope: missing
    assert client.get(reverse("reports:checks", args=[world.province_a.pk])).status_code == 404
