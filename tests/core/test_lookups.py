"""``field__among``: long lists of ids as one array on PostgreSQL, an ``IN`` list elsewhere."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangvu.organizations.models import Organization


@pytest.mark.django_db
def test_among_finds_the_rows_of_the_ids_on_a_field_and_on_a_relation(world):
    wanted = {world.province_a.pk, world.commune_b1.pk}
    found = Organization.objects.filter(pk__among=wanted)
    assert set(found.values_list("pk", flat=True)) == wanted
    # a relation, and a list (which Django looks into) as well as a set
    children = Organization.objects.filter(parent__among=[world.province_a.pk])
    assert set(children) == {world.commune_a1, world.commune_a2}
    assert list(Organization.objects.filter(pk__among=set())) == []
    assert Organization.objects.exclude(pk__among=wanted).count() == (
        Organization.objects.count() - 2
    )


@pytest.mark.django_db
def test_among_sends_one_array_to_postgresql(world):
    ids = set(range(1, 5001)) | {world.central.pk}
    with CaptureQueriesContext(connection) as queries:
        assert list(Organization.objects.filter(pk__among=ids)) != []
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY('{" in sql and sql.count(",") > 5000
    else:
        assert " IN (" in sql
