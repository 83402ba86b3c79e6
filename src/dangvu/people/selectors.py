"""Scoped reads of people: who a user may see, search, and a curriculum vitae as of a date."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.db import connection
from django.db.models import Q, QuerySet

from dangvu.accounts import scoping
from dangvu.core.text import search_key
from dangvu.people import rules
from dangvu.people.models import (
    DatedAttribute,
    EducationRecord,
    OccupationRecord,
    Person,
    PoliticalTheoryRecord,
    QualificationRecord,
    ResidenceKind,
    ResidenceRecord,
)

D = TypeVar("D", bound=DatedAttribute)

# What as_of reads: prefetch these on a list of people to read every curriculum in 6 queries.
CURRICULUM_PREFETCH = (
    "education_records",
    "qualification_records",
    "political_theory_records",
    "occupation_records",
    "residence_records",
)


def people_for(user: Any, *, include_merged: bool = False) -> QuerySet[Person]:
    """People whose dossier is kept in the user's scope; merged duplicates left out by default."""
    people = scoping.scope(
        Person.objects.select_related("home_organization"), user, "home_organization__path"
    )
    return people if include_merged else people.filter(merged_into__isnull=True)


def person_for(user: Any, pk: Any) -> Person:
    """One person in the user's scope; 404 for missing and out of scope alike.

    A merged duplicate is found too, so that an old link can lead on to the record kept.
    """
    return scoping.get_or_404(people_for(user, include_merged=True), pk=pk)


def search_people(user: Any, text: str) -> QuerySet[Person]:
    """People in scope whose names (full, birth or other) contain every word of ``text``,
    accents, tone placement and case aside; or whose personal identification number is
    ``text`` when it is 12 digits."""
    words = search_key(text).split()
    if not words:
        return Person.objects.none()
    by_name = Q()
    for word in words:
        by_name &= Q(search_key__contains=word)
    digits = "".join(text.split())
    if len(digits) == rules.NATIONAL_ID_LENGTH and digits.isdigit():
        by_name |= Q(national_id=digits)
    return people_for(user).filter(by_name)


@dataclass(frozen=True)
class CurriculumAsOf:
    """The dated attributes of a curriculum vitae in force on ``on`` (None when unknown)."""

    on: date
    education: EducationRecord | None
    qualification: QualificationRecord | None
    political_theory: PoliticalTheoryRecord | None
    occupation: OccupationRecord | None
    permanent_residence: ResidenceRecord | None
    temporary_residence: ResidenceRecord | None


def as_of(person: Person, on: date) -> CurriculumAsOf:
    """What the curriculum vitae said on ``on``; uses prefetched rows when there are any."""
    residences = list(person.residence_records.all())
    return CurriculumAsOf(
        on=on,
        education=_in_force(person.education_records.all(), on),
        qualification=_in_force(person.qualification_records.all(), on),
        political_theory=_in_force(person.political_theory_records.all(), on),
        occupation=_in_force(person.occupation_records.all(), on),
        permanent_residence=_in_force(
            [r for r in residences if r.kind == ResidenceKind.PERMANENT], on
        ),
        temporary_residence=_in_force(
            [r for r in residences if r.kind == ResidenceKind.TEMPORARY], on
        ),
    )


def _in_force(records: Iterable[D], on: date) -> D | None:
    # Entry order (the primary key) settles two rows starting the same day, whatever order
    # the rows were fetched or prefetched in.
    return rules.attribute_as_of(sorted(records, key=lambda record: record.pk), on)


# --- Name search for the member lists -------------------------------------------------------
# A word typed must begin a word of a name: "hung" finds "Nguyễn Văn Hùng" (and "Hưng"), "ng v h"
# finds him too, "ung" does not. On PostgreSQL the match is a full-text query over the words of
# ``search_key`` served by the GIN index ``person_name_words`` (people migration 0002): the
# planner estimates a text-search match from the index's word statistics, so it does not fall
# into the trap of a trigram ``LIKE '%q%' ... LIMIT`` (research/perf-limits.md §C), whose
# estimate is a fixed guess and which it answers with a sequential scan for rare names.
# SQLite (one office) compares the words with LIKE, and so does a member list within a subtree
# on PostgreSQL, on the members' copy of the key (``membership.list_forms.MemberFilters``).

_WORD = re.compile(r"[a-z0-9]+")


def name_words(text: str) -> list[str]:
    """The words of a search as names are folded for matching (letters and digits only)."""
    return _WORD.findall(search_key(text))


def name_vector(field: str = "search_key") -> SearchVector:
    """The words of a name as the GIN index ``person_name_words`` holds them."""
    return SearchVector(field, config="simple")


def matching_filter(text: str, prefix: str = "", search_key: str | None = None) -> Q | None:
    """A filter on people (on a related model with ``prefix``, e.g. "person__") whose names have
    a word beginning with each word of ``text``, or whose personal identification number is
    ``text`` when it is 12 digits. None when ``text`` holds nothing to search for.

    ``search_key`` names another field holding the folded names (a copy of the person's
    search key on the related model): its words are compared with LIKE, as on SQLite, for a
    query that reads its rows from another index (a subtree's members) rather than the
    people's word index."""
    digits = "".join(text.split())
    if len(digits) == rules.NATIONAL_ID_LENGTH and digits.isdigit():
        return Q(**{f"{prefix}national_id": digits})
    words = name_words(text)
    if not words:
        return None
    if connection.vendor == "postgresql" and search_key is None:
        query = SearchQuery(
            " & ".join(f"{word}:*" for word in words), search_type="raw", config="simple"
        )
        return Q(SearchVectorExact(name_vector(f"{prefix}search_key"), query))
    field = search_key or f"{prefix}search_key"
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})
    return condition
