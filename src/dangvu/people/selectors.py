"""Scoped reads of people: who a user may see, search, and a curriculum vitae as of a date."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

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
