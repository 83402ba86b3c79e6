"""The demo tree: its history before 1/7/2025, the reform replayed, reproducible by seed."""

import hashlib
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction

from dangvu.demo.generator import DemoBuilder, DemoOptions, Shape
from dangvu.demo.management.commands.seed_demo import system_user
from dangvu.organizations import selectors
from dangvu.organizations.models import Organization, OrganizationSuccession, OrganizationVersion
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


def tree_rows() -> tuple[list, list, list]:
    """The tree's rows with ids replaced by codes (ids depend on the order rows were written)."""
    code = dict(Organization.objects.values_list("pk", "code"))
    organizations = [
        (*row[:-1], [code[int(i)] for i in row[-1].strip("/").split("/")])
        for row in Organization.objects.order_by("code").values_list(
            "code",
            "name",
            "kind_id",
            "category_id",
            "parent__code",
            "depth",
            "established_on",
            "dissolved_on",
            "province_id",
            "commune_id",
            "path",
        )
    ]
    versions = list(
        OrganizationVersion.objects.order_by("organization__code", "valid_from").values_list(
            "organization__code",
            "valid_from",
            "valid_to",
            "name",
            "kind_id",
            "category_id",
            "parent__code",
            "change",
        )
    )
    successions = list(
        OrganizationSuccession.objects.order_by("predecessor__code").values_list(
            "predecessor__code", "successor__code", "kind", "effective_on", "takes_records"
        )
    )
    return organizations, versions, successions


@pytest.mark.django_db
def test_the_bulk_written_history_has_the_rows_the_services_write():
    """The demo writes the tree before the reform in bulk; one by one through
    ``organizations.services.establish`` the same seed gives the same rows."""
    built = []
    for bulk in (True, False):
        with transaction.atomic():
            options = DemoOptions(provinces=1, seed=5, as_of=date(2026, 1, 1), people_per_cell=1)
            DemoBuilder(system_user(), options, bulk=bulk).build()
            built.append(tree_rows())
            transaction.set_rollback(True)
    assert len(built[0][0]) > 50 and built[0][2]
    assert built[0] == built[1]


@pytest.mark.django_db
def test_the_whole_country_is_34_provinces_and_its_tree_is_near_the_real_size():
    options = DemoOptions(provinces=34, seed=1, as_of=date(2026, 1, 1))
    provinces = DemoBuilder(system_user(), options).pick_provinces()
    assert len({p.code for p in provinces}) == 34
    shape = Shape.for_members(6_000_000, 34)
    old_provinces = sum(p.predecessors.count() for p in provinces)
    assert old_provinces == 63
    communes = old_provinces * shape.districts * shape.communes
    organizations = communes * (1 + shape.cells) + old_provinces * shape.districts * shape.units
    # about 10,600 communes and 300,000 organizations, 20 members per cell
    assert 9_000 < communes < 12_000
    assert 250_000 < organizations < 400_000
    assert 15 < 6_000_000 / (communes * shape.cells) < 30
    assert Shape.for_members(2_000, 1).districts == 2
