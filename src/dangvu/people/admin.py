"""Django admin for people: read-only, scoped, identifiers masked.

Every write to a curriculum vitae goes through ``people.services``, which check the actor's
role and write the audit log; the admin's generic forms would bypass both, so the admin only
shows. Lists and pages show only the people in the user's scope, as everywhere else.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dangvu.core.readonly_admin import ReadOnlyAdmin, ReadOnlyInline
from dangvu.core.text import mask_identifier
from dangvu.people import selectors
from dangvu.people.models import (
    Award,
    Discipline,
    EducationRecord,
    FamilyRelation,
    OccupationRecord,
    Person,
    PoliticalTheoryRecord,
    QualificationRecord,
    ResidenceRecord,
    WorkHistoryEntry,
)


def _inline(record_model: type) -> type[ReadOnlyInline]:
    return type(f"{record_model.__name__}Inline", (ReadOnlyInline,), {"model": record_model})


# Every field as shown: the identifiers only masked, the birth date with the parts known.
_SHOWN = (
    "full_name", "birth_name", "aliases", "gender", "birth_date_display", "birthplace",
    "hometown", "ethnicity", "religion", "social_class", "masked_national_id",
    "masked_old_id_number", "youth_union_joined_on", "foreign_languages", "it_skills",
    "enlisted_on", "discharged_on", "home_organization", "merged_into", "created_at",
    "updated_at",
)  # fmt: skip


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """People in the user's scope; identifiers shown masked (revealing one is an audited act)."""

    list_display = [
        "full_name", "birth_date_display", "gender", "masked_national_id", "home_organization",
        "merged_into",
    ]  # fmt: skip
    list_filter = ["gender"]
    # A search box over the folded names; get_search_results does the matching.
    search_fields = ["search_key"]
    fields = _SHOWN
    readonly_fields = _SHOWN
    inlines = [
        _inline(model)
        for model in (
            EducationRecord, QualificationRecord, PoliticalTheoryRecord, OccupationRecord,
            ResidenceRecord, WorkHistoryEntry, FamilyRelation, Award, Discipline,
        )
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return selectors.people_for(request.user, include_merged=True).select_related("merged_into")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        if not search_term.strip():
            return queryset, False
        found = selectors.search_people(request.user, search_term).values("pk")
        return queryset.filter(pk__in=found), False

    @admin.display(description=_("date of birth"), ordering="birth_year")
    def birth_date_display(self, person: Person) -> str:
        return str(person.birth_date)

    @admin.display(description=_("personal identification number"))
    def masked_national_id(self, person: Person) -> str:
        return mask_identifier(person.national_id)

    @admin.display(description=_("old identity card number"))
    def masked_old_id_number(self, person: Person) -> str:
        return mask_identifier(person.old_id_number)
