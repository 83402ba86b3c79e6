"""The demo tree: its history before 1/7/2025, the reform replayed, reproducible by seed."""

import hashlib
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction

from dangvu.organizations import selectors
from dangvu.organizations.models import Organization
from dangvu.people.models import Person

BEFORE, REFORM = date(2025, 6, 30), date(2025, 7, 1)


def seed(**options) -> None:
    call_command("seed_demo", provinces=1, seed=7, people_per_cell=1, **options)


def digest() -> str:
    rows = [
        *Organization.objects.order_by("code").values_list(
            "code", "name", "parent__code", "dissolved_on"
        ),
        *Person.objects.order_by("id").values_list(
            "full_name", "birth_year", "birth_month", "ethnicity_id", "home_organization__code"
        ),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.django_db
def test_the_replayed_reform_leaves_no_district_alive_and_every_commune_under_its_province():
    seed(as_of=date(2026, 1, 1))
    live = Organization.objects.filter(dissolved_on__isnull=True).select_related("parent__kind")
    districts = Organization.objects.filter(kind__code="upper", commune__isnull=True)
    assert districts.exists() and not districts.filter(dissolved_on__isnull=True).exists()
    communes = live.filter(kind__code="upper")
    assert communes.exists()
    assert all(c.parent.kind.code == "provincial" and c.commune is not None for c in communes)
    assert not live.filter(
        kind__code="grassroots_committee", category__code__in=["commune", "ward"]
    )
    assert {o.kind_id for o in live.filter(parent=None)} == {"central"}


@pytest.mark.django_db
def test_the_demo_history_shows_districts_and_old_provinces_on_30_06_2025():
    seed(as_of=date(2026, 1, 1))

    def kinds_under_provinces(on):
        forest = selectors.tree_as_of(on)
        return {
            child.kind_id
            for central in forest
            for province in central.children
            for child in province.children
        }

    assert kinds_under_provinces(BEFORE) == {"upper"}
    assert all(
        n.commune_id
        for n in Organization.objects.filter(
            pk__in=[
                c.organization_id
                for r in selectors.tree_as_of(REFORM)
                for p in r.children
                for c in p.children
            ]
        )
    )
    old_provinces = Organization.objects.filter(kind__code="provincial", province__version="2008")
    assert old_provinces.count() >= 2
    assert all(p.dissolved_on == REFORM for p in old_provinces)


@pytest.mark.django_db
def test_before_the_reform_date_the_demo_has_no_reform():
    seed(as_of=date(2025, 3, 1))
    assert not Organization.objects.filter(dissolved_on__isnull=False).exists()
    assert not Organization.objects.filter(kind__code="upper", commune__isnull=False).exists()


@pytest.mark.django_db
def test_the_same_seed_and_date_give_the_same_data():
    digests = []
    for _ in range(2):
        with transaction.atomic():
            seed(as_of=date(2026, 1, 1))
            digests.append(digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    with transaction.atomic():
        call_command("seed_demo", provinces=1, seed=8, people_per_cell=1, as_of=date(2026, 1, 1))
        assert digest() != digests[0]
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_seed_demo_if_empty_does_nothing_the_second_time():
    seed(as_of=date(2026, 1, 1), if_empty=True)
    count = Organization.objects.count()
    seed(as_of=date(2026, 1, 1), if_empty=True)
    assert Organization.objects.count() == count
