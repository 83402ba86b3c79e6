"""People are read through one scoped selector: a grant's subtree, for its period, and no more."""

from datetime import date

import pytest
from django.http import Http404

from dangvu.core.models import GeneralEducation
from dangvu.people import selectors, services


@pytest.fixture
def people(world, person_factory):
    """One person per cell and one kept by commune A2 itself."""
    return {
        "a1": person_factory(world.cell_a1, full_name="Nguyễn Văn An"),
        "a2": person_factory(world.commune_a2, full_name="Trần Thị Bình", gender="female"),
        "a2_cell": person_factory(world.cell_a2, full_name="Lê Văn Cường"),
        "b1": person_factory(world.cell_b1, full_name="Phạm Văn An"),
    }


def visible(user) -> set[str]:
    return set(selectors.people_for(user).values_list("full_name", flat=True))


def test_a_commune_clerk_sees_the_people_of_his_commune_only(world, people):
    assert visible(world.clerk_a1) == {"Nguyễn Văn An"}


def test_a_provincial_viewer_sees_all_the_province_and_nothing_of_the_other(world, people):
    assert visible(world.viewer_a) == {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"}


def test_an_expired_grant_or_no_grant_sees_nobody(world, people):
    assert visible(world.expired_a1) == set()
    assert visible(world.outsider) == set()


def test_the_superuser_sees_everybody(world, people):
    assert len(visible(world.root)) == 4


def test_a_person_of_another_commune_answers_exactly_like_a_missing_one(world, people):
    assert selectors.person_for(world.clerk_a1, people["a1"].pk) == people["a1"]
    with pytest.raises(Http404):
        selectors.person_for(world.clerk_a1, people["b1"].pk)
    with pytest.raises(Http404):
        selectors.person_for(world.clerk_a1, 999_999)
    with pytest.raises(Http404):
        selectors.person_for(world.clerk_a1, "not a number")


def test_a_search_finds_only_people_in_scope(world, people):
    found = selectors.search_people(world.clerk_b1, "an")
    assert [p.full_name for p in found] == ["Phạm Văn An"]


def test_a_search_by_national_id_stays_in_scope(world, person_factory):
    person_factory(world.cell_b1, national_id="001080012345")
    assert not selectors.search_people(world.clerk_a1, "001080012345").exists()
    assert selectors.search_people(world.clerk_b1, "001080012345").count() == 1


def test_the_curriculum_of_a_whole_list_is_read_without_a_query_per_person(
    world, people, django_assert_num_queries
):
    level = GeneralEducation.objects.first()
    for person in people.values():
        services.record_education(
            actor=world.root, person=person, level=level, valid_from=date(1995, 6, 1)
        )
    listed = list(selectors.people_for(world.root).prefetch_related(*selectors.CURRICULUM_PREFETCH))
    with django_assert_num_queries(0):
        curricula = [selectors.as_of(person, date(2000, 1, 1)) for person in listed]
    assert all(c.education.level_id == level.pk for c in curricula)
    assert all(c.occupation is None for c in curricula)
