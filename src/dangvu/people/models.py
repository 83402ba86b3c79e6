"""Person: one identity and curriculum vitae shared by the candidate, member and cadre roles.

Attributes that reports count and that change over a life (education, qualifications, political
theory, occupation, residence, work) are dated rows, never overwritten fields.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dangvu.core.dates import PartialDate
from dangvu.core.models import (
    Commune,
    Ethnicity,
    GeneralEducation,
    OccupationGroup,
    PoliticalTheory,
    ProfessionalQualification,
    Religion,
)


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class Person(models.Model):
    """Identity and curriculum vitae (lý lịch), after the fields of form 2-KNĐ.

    Names are stored as typed (NFC); ``search_key`` folds diacritics for search and matching.
    ``home_organization`` is the organization whose records hold the person's dossier: it
    decides who may see the person.
    """

    full_name = models.CharField(_("full name"), max_length=120)
    birth_name = models.CharField(_("birth name"), max_length=120, blank=True)
    aliases = models.CharField(_("other names"), max_length=200, blank=True)
    search_key = models.CharField(_("search key"), max_length=200, editable=False, db_index=True)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    birth_month = models.PositiveSmallIntegerField(_("month of birth"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("day of birth"), null=True, blank=True)
    birthplace = models.CharField(_("place of birth"), max_length=300, blank=True)
    hometown = models.CharField(_("home town"), max_length=300, blank=True)
    ethnicity = models.ForeignKey(Ethnicity, models.PROTECT, verbose_name=_("ethnic group"))
    religion = models.ForeignKey(Religion, models.PROTECT, verbose_name=_("religion"))
    social_class = models.CharField(_("social class of origin"), max_length=120, blank=True)
    national_id = models.CharField(_("personal identification number"), max_length=12, blank=True)
    old_id_number = models.CharField(_("old identity card number"), max_length=9, blank=True)
    youth_union_joined_on = models.DateField(_("joined the Youth Union on"), null=True, blank=True)
    foreign_languages = models.CharField(_("foreign languages"), max_length=200, blank=True)
    it_skills = models.CharField(_("IT skills"), max_length=200, blank=True)
    enlisted_on = models.DateField(_("enlisted on"), null=True, blank=True)
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    home_organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        related_name="people",
        verbose_name=_("dossier kept by"),
    )
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        verbose_name=_("duplicate of"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["search_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id"],
                condition=~Q(national_id=""),
                name="person_national_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True, birth_day__isnull=True)
                | Q(birth_month__gte=1, birth_month__lte=12),
                name="person_birth_month_valid",
            ),
            models.CheckConstraint(
                condition=Q(birth_day__isnull=True) | Q(birth_month__isnull=False),
                name="person_birth_day_needs_month",
            ),
        ]
        indexes = [
            # member lists in order of birth, a date known in part first among its year's or
            # month's (membership.list_forms.SORTS): the first page of a province read along
            # it rather than all its members sorted
            models.Index(
                F("birth_year"),
                Coalesce("birth_month", 0),
                Coalesce("birth_day", 0),
                name="person_birth_order",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def birth_date(self) -> PartialDate:
        return PartialDate(self.birth_year, self.birth_month, self.birth_day)


class DatedAttribute(models.Model):
    """A value of a person's curriculum vitae that holds from ``valid_from`` until the next row."""

    person = models.ForeignKey(Person, models.CASCADE)
    valid_from = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["person_id", "valid_from"]

    def __str__(self) -> str:
        since = f" ({self.valid_from:%d/%m/%Y})" if self.valid_from else ""
        return f"{self._meta.verbose_name}: {self.person_id}{since}"


class CountedAttribute(DatedAttribute):
    """A curriculum attribute the report figures count (``reports.engine.CURRICULUM``)."""

    class Meta(DatedAttribute.Meta):
        abstract = True
        # the rows dated between two days: whose figures differ between them
        # (``reports.figures.changed_members``), read from the index alone
        indexes = [models.Index(fields=["valid_from", "person"], name="%(class)s_dated")]


class EducationRecord(CountedAttribute):
    """General education reached (e.g. 12/12) from a date."""

    level = models.ForeignKey(GeneralEducation, models.PROTECT, verbose_name=_("level"))

    class Meta(CountedAttribute.Meta):
        verbose_name = _("general education")
        verbose_name_plural = _("general education")
        default_related_name = "education_records"


class QualificationRecord(CountedAttribute):
    """A professional qualification obtained (level, field, institution)."""

    level = models.ForeignKey(ProfessionalQualification, models.PROTECT, verbose_name=_("level"))
    field = models.CharField(_("field of study"), max_length=200, blank=True)
    institution = models.CharField(_("institution"), max_length=200, blank=True)

    class Meta(CountedAttribute.Meta):
        verbose_name = _("professional qualification")
        verbose_name_plural = _("professional qualifications")
        default_related_name = "qualification_records"


class PoliticalTheoryRecord(CountedAttribute):
    """A level of political theory reached."""

    level = models.ForeignKey(PoliticalTheory, models.PROTECT, verbose_name=_("level"))

    class Meta(CountedAttribute.Meta):
        verbose_name = _("political theory")
        verbose_name_plural = _("political theory")
        default_related_name = "political_theory_records"


class OccupationRecord(CountedAttribute):
    """The person's occupation (group counted by the statistics, and its wording)."""

    group = models.ForeignKey(OccupationGroup, models.PROTECT, verbose_name=_("occupation group"))
    description = models.CharField(_("occupation"), max_length=200, blank=True)

    class Meta(CountedAttribute.Meta):
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        default_related_name = "occupation_records"


class ResidenceKind(models.TextChoices):
    PERMANENT = "permanent", _("permanent residence")
    TEMPORARY = "temporary", _("temporary residence")


class ResidenceRecord(DatedAttribute):
    """Where the person lives; the commune is stored with its catalogue version."""

    kind = models.CharField(_("kind"), max_length=10, choices=ResidenceKind)
    address = models.CharField(_("address"), max_length=300)
    commune = models.ForeignKey(Commune, models.PROTECT, null=True, blank=True)

    class Meta(DatedAttribute.Meta):
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        default_related_name = "residence_records"


class WorkHistoryEntry(DatedAttribute):
    """One period of the career summary (item 16 of form 2-KNĐ)."""

    valid_to = models.DateField(_("until"), null=True, blank=True)
    position = models.CharField(_("work and position"), max_length=300)
    workplace = models.CharField(_("workplace"), max_length=300, blank=True)

    class Meta(DatedAttribute.Meta):
        verbose_name = _("work history")
        verbose_name_plural = _("work history")
        default_related_name = "work_history"


class Relation(models.TextChoices):
    FATHER = "father", _("father")
    MOTHER = "mother", _("mother")
    SPOUSE = "spouse", _("spouse")
    FATHER_IN_LAW = "father_in_law", _("father-in-law")
    MOTHER_IN_LAW = "mother_in_law", _("mother-in-law")
    SIBLING = "sibling", _("brother or sister")
    CHILD = "child", _("child")
    OTHER = "other", _("other")


class FamilyRelation(models.Model):
    """A family member as declared in item 22 of the curriculum vitae."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="family")
    relation = models.CharField(_("relation"), max_length=20, choices=Relation)
    full_name = models.CharField(_("full name"), max_length=120)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    residence = models.CharField(_("residence"), max_length=300, blank=True)
    notes = models.TextField(_("political history and attitude"), blank=True)

    class Meta:
        verbose_name = _("family relation")
        verbose_name_plural = _("family relations")
        ordering = ["person_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()}: {self.full_name}"


class Award(models.Model):
    """An award or commendation (khen thưởng)."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="awards")
    title = models.CharField(_("form of award"), max_length=200)
    decided_by = models.CharField(_("decided by"), max_length=200, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decided_on = models.DateField(_("decided on"))

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["person_id", "decided_on"]

    def __str__(self) -> str:
        return self.title


class DisciplineForm(models.TextChoices):
    REPRIMAND = "reprimand", _("reprimand")
    WARNING = "warning", _("warning")
    DISMISSAL = "dismissal", _("dismissal")
    EXPULSION = "expulsion", _("expulsion")


class Discipline(models.Model):
    """A party discipline decision; its effects end on ``effects_end_on`` (badges, cadre waits)."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="disciplines")
    form = models.CharField(_("form"), max_length=12, choices=DisciplineForm)
    deciding_body = models.CharField(_("deciding body"), max_length=200)
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decided_on = models.DateField(_("decided on"))
    effects_end_on = models.DateField(_("effects end on"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["person_id", "decided_on"]

    def __str__(self) -> str:
        return f"{self.get_form_display()} ({self.decided_on:%d/%m/%Y})"
