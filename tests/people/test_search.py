"""The name search of the member lists: a word typed begins a word of the name, accents, tone
placement, đ and case aside; 12 digits are a personal identification number. On PostgreSQL it
is a full-text match served by the GIN index ``person_name_words`` (research/perf-limits.md §C:
a trigram ``LIKE '%q%' ... LIMIT`` turns into a sequential scan for rare names)."""

import pytest
from django.db import connection

from dangvu.people.models import Person
from dangvu.people.selectors import matching_filter, name_words


def found(text: str) -> list[str]:
    condition = matching_filter(text)
    assert condition is not None
    return sorted(Person.objects.filter(condition).values_list("full_name", flat=True))


@pytest.fixture
def people(world, person_factory):
    for name, national_id in [
        ("Nguyễn Văn Hùng", "001080012345"),
        ("Nguyễn Thị Hưng", ""),
        ("Đặng Văn Trung", ""),
        ("Hoà Văn Lâm", ""),
        ("Y Moan Ênuôl", ""),
    ]:
        gender = "female" if "Thị" in name else "male"
        person_factory(world.cell_a1, full_name=name, national_id=national_id, gender=gender)


def test_the_words_typed_are_folded_like_the_names():
    assert name_words("  Nguyễn  VĂN hùng ") == ["nguyen", "van", "hung"]
    assert name_words("Đặng; H'Leo") == ["dang", "hleo"]
    assert name_words("%_*&") == []


def test_every_word_typed_must_begin_a_word_of_the_name(people):
    assert found("nguyen van hung") == ["Nguyễn Văn Hùng"]
    assert found("hung") == ["Nguyễn Thị Hưng", "Nguyễn Văn Hùng"]
    assert found("HÙNG nguyễn v") == ["Nguyễn Văn Hùng"]
    assert found("ung") == []  # inside a word, not at its start
    assert found("trung van dang") == ["Đặng Văn Trung"]
    assert found("dang") == ["Đặng Văn Trung"]  # đ folds to d
    assert found("hòa") == ["Hoà Văn Lâm"]  # old and new tone placement
    assert found("enuol") == ["Y Moan Ênuôl"]


def test_twelve_digits_are_a_national_id_and_nothing_else(people):
    assert found("001080012345") == ["Nguyễn Văn Hùng"]
    assert found("0010 8001 2345") == ["Nguyễn Văn Hùng"]
    assert found("001080012346") == []
    assert matching_filter("   ") is None
    assert matching_filter("!!") is None


def test_characters_of_the_query_language_are_plain_text(people):
    assert found("hung & | ! :* (") == ["Nguyễn Thị Hưng", "Nguyễn Văn Hùng"]
    assert found("hung%") == ["Nguyễn Thị Hưng", "Nguyễn Văn Hùng"]


def test_the_search_can_use_its_index_and_never_needs_a_substring_scan(people):
    condition = matching_filter("nguyen hu")
    sql = str(Person.objects.filter(condition).query)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # only a bitmap scan is left to the planner: it must find an index for the match
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            plan = "\n".join(row[0] for row in _explain(cursor, Person.objects.filter(condition)))
        assert "person_name_words" in plan, plan
        assert "LIKE" not in sql
    else:
        # SQLite (one office): a word starts the name or follows a space
        assert '"search_key" LIKE nguyen% ESCAPE' in sql
        assert '"search_key" LIKE % hu% ESCAPE' in sql


def _explain(cursor, queryset):
    query_sql, params = queryset.query.sql_with_params()
    cursor.execute(f"EXPLAIN {query_sql}", params)
    return cursor.fetchall()
