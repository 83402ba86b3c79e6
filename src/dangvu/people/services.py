"""Every change to a person's identity and curriculum vitae: one function per operation.

Each function takes the acting user as ``actor=``, checks the actor's role on the person's home
organization, runs in one transaction and writes one audit entry. Clerks keep curricula vitae;
recording a discipline decision needs an approver.
"""

from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core import audit
from dangvu.core.dates import PartialDate
from dangvu.core.errors import DomainError
from dangvu.core.models import CatalogueVersion, Province
from dangvu.core.signals import figures_stale
from dangvu.core.text import normalize_name, search_key
from dangvu.organizations.models import Organization
from dangvu.people import rules
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

# The fields of the curriculum vitae that create_person and update_person accept. The home
# organization moves with the dossier and ``merged_into`` is set by mark_merged.
PERSON_FIELDS = frozenset(
    {
        "full_name", "birth_name", "aliases", "gender", "birth_year", "birth_month", "birth_day",
        "birthplace", "hometown", "ethnicity", "religion", "social_class", "national_id",
        "old_id_number", "youth_union_joined_on", "foreign_languages", "it_skills", "enlisted_on",
        "discharged_on",
    }
)  # fmt: skip
_NAME_FIELDS = ("full_name", "birth_name", "aliases")
_BIRTH_FIELDS = frozenset({"birth_year", "birth_month", "birth_day"})
_ID_FIELDS = frozenset({"national_id", "old_id_number", "gender", "birth_year"})

M = TypeVar("M", bound=models.Model)


# --- Person -------------------------------------------------------------------------------


@transaction.atomic
def create_person(*, actor: Any, home_organization: Organization, **fields: Any) -> Person:
    """Open the curriculum vitae of a person whose dossier ``home_organization`` keeps."""
    scoping.require_role(actor, Role.CLERK, home_organization)
    person = Person(home_organization=home_organization)
    _apply(person, fields)
    _validate(person, changed=PERSON_FIELDS)
    person.save()
    audit.record("people.person.created", actor=actor, target=person, after=audit.snapshot(person))
    return person


@transaction.atomic
def update_person(*, actor: Any, person: Person, reason: str = "", **changes: Any) -> Person:
    """Correct fields of a curriculum vitae; the audit entry holds only the fields that changed.

    A call that changes nothing writes nothing. On refusal ``person`` is left as it was.
    """
    scoping.require_role(actor, Role.CLERK, person.home_organization)
    _refuse_merged(person)
    names = {f.attname: f.name for f in Person._meta.concrete_fields}
    old = {attname: getattr(person, attname) for attname in names}
    before = audit.snapshot(person)
    _apply(person, changes)
    # Compare raw values, not snapshots: two IDs ending in the same digits mask alike.
    changed = [attname for attname, value in old.items() if getattr(person, attname) != value]
    if not changed:
        return person
    try:
        _validate(person, changed={names[attname] for attname in changed})
    except DomainError:
        for name, value in old.items():
            setattr(person, name, value)
        raise
    person.save(update_fields=[*changed, "updated_at"])
    figures_stale.send(sender=Person, organization_ids=[person.home_organization_id])
    audit.record(
        "people.person.updated", actor=actor, target=person, reason=reason,
        before={name: before[name] for name in changed}, after=audit.snapshot(person, changed),
    )  # fmt: skip
    return person


@transaction.atomic
def mark_merged(*, actor: Any, duplicate: Person, into: Person, reason: str = "") -> Person:
    """Mark ``duplicate`` as a second record of the person ``into``; nothing is deleted.

    Records already merged into ``duplicate`` are pointed at ``into`` so that no chain forms.
    """
    earlier = list(duplicate.merged_duplicates.select_related("home_organization"))
    for person in (duplicate, into, *earlier):
        scoping.require_role(actor, Role.CLERK, person.home_organization)
    if duplicate.pk == into.pk:
        raise DomainError(_("A record cannot be a duplicate of itself."))
    if duplicate.merged_into_id is not None:
        raise DomainError(_("This record is already marked as a duplicate."))
    if into.merged_into_id is not None:
        raise DomainError(
            _("%(name)s is itself marked as a duplicate; choose the record it was merged into.")
            % {"name": into.full_name}
        )
    Person.objects.filter(pk__in=[p.pk for p in earlier]).update(
        merged_into=into, updated_at=timezone.now()
    )
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    figures_stale.send(
        sender=Person, organization_ids=[duplicate.home_organization_id, into.home_organization_id]
    )
    audit.record(
        "people.person.merged", actor=actor, target=duplicate, reason=reason,
        before={"merged_into": None},
        after={"merged_into": into.pk, "repointed": [p.pk for p in earlier]},
    )  # fmt: skip
    return duplicate


def _apply(person: Person, fields: dict[str, Any]) -> None:
    """Set the given fields in their stored form: names NFC as typed, IDs without spaces."""
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise TypeError(f"Not a curriculum-vitae field: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(person, name, value)
    for name in _NAME_FIELDS:
        setattr(person, name, normalize_name(getattr(person, name) or ""))
    person.national_id = "".join((person.national_id or "").split())
    person.old_id_number = "".join((person.old_id_number or "").split())
    # The birth name and other names are searchable too: a woman is often found by either.
    person.search_key = search_key(" ".join(getattr(person, n) for n in _NAME_FIELDS))[:200]


def _validate(person: Person, *, changed: set[str] | frozenset[str]) -> None:
    """Refuse a person whose changed fields break a rule; unchanged stored data is not rejudged."""
    _full_clean(person, validate_unique=False, validate_constraints=False)
    if changed & _BIRTH_FIELDS:
        _check_birth_date(person.birth_year, person.birth_month, person.birth_day)
    if changed & _ID_FIELDS:
        _check_identifiers(person)


def _check_birth_date(year: int, month: int | None, day: int | None) -> None:
    """Check the partial birth date part by part so that the message sits next to its part."""
    parts: tuple[tuple[str, tuple[int, int | None, int | None]], ...] = (
        ("birth_year", (year, None, None)),
        ("birth_month", (year, month, None)),
        ("birth_day", (year, month, day)),
    )
    for field, (y, m, d) in parts:
        try:
            birth_date = PartialDate(y, m, d)
        except DomainError as error:
            raise DomainError(error.message, field=field) from None
    if birth_date.earliest() > timezone.localdate():
        raise DomainError(_("The date of birth is in the future."), field="birth_year")


def _check_identifiers(person: Person) -> None:
    """Refuse malformed identifiers, and a national ID that another record already holds."""
    if person.national_id:
        provinces = Province.objects.filter(version=CatalogueVersion.V2008)
        rules.check_national_id(
            person.national_id,
            gender=person.gender,
            birth_year=person.birth_year,
            province_codes=set(provinces.values_list("code", flat=True)),
        )
        others = Person.objects.filter(national_id=person.national_id).exclude(pk=person.pk)
        if others.exists():
            # Never say who holds it: the holder may be outside the actor's scope.
            raise DomainError(
                _(
                    "This personal identification number is already recorded for another "
                    "person. If it is the same person, ask your superior organization to merge "
                    "the two records."
                ),
                field="national_id",
            )
    if person.old_id_number:
        rules.check_old_id_number(person.old_id_number)


def _refuse_merged(person: Person) -> None:
    if person.merged_into_id is not None:
        raise DomainError(
            _("This record was marked as a duplicate of another one; make the change there.")
        )


def _full_clean(obj: models.Model, **options: Any) -> None:
    """Django's field checks (required, choices, lengths), raised as one DomainError."""
    try:
        obj.full_clean(**options)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == NON_FIELD_ERRORS else field) from None


# --- Dated records of the curriculum vitae ------------------------------------------------


def _add(
    action: str,
    row: M,
    *,
    actor: Any,
    role: Role = Role.CLERK,
    period: tuple[str, str] | None = None,
) -> M:
    """Save a new row of ``row.person``'s curriculum vitae and audit it against the person.

    ``period`` names the row's start and end fields when the end may not precede the start.
    """
    person: Person = row.person  # type: ignore[attr-defined]
    scoping.require_role(actor, role, person.home_organization)
    _refuse_merged(person)
    _full_clean(row)
    if period:
        start, end = (getattr(row, name) for name in period)
        if start and end and end < start:
            raise DomainError(_("The end date is before the start date."), field=period[1])
    row.save()
    figures_stale.send(sender=Person, organization_ids=[person.home_organization_id])
    audit.record(action, actor=actor, target=person, after=audit.snapshot(row))
    return row


@transaction.atomic
def record_education(
    *, actor: Any, person: Person, level: Any, valid_from: date | None = None, note: str = ""
) -> EducationRecord:
    """Record the general education level reached from ``valid_from``."""
    row = EducationRecord(person=person, level=level, valid_from=valid_from, note=note)
    return _add("people.education.recorded", row, actor=actor)


@transaction.atomic
def record_qualification(
    *,
    actor: Any,
    person: Person,
    level: Any,
    field: str = "",
    institution: str = "",
    valid_from: date | None = None,
    note: str = "",
) -> QualificationRecord:
    """Record a professional qualification obtained on ``valid_from``."""
    row = QualificationRecord(
        person=person, level=level, field=field, institution=institution,
        valid_from=valid_from, note=note,
    )  # fmt: skip
    return _add("people.qualification.recorded", row, actor=actor)


@transaction.atomic
def record_political_theory(
    *, actor: Any, person: Person, level: Any, valid_from: date | None = None, note: str = ""
) -> PoliticalTheoryRecord:
    """Record the political theory level reached from ``valid_from``."""
    row = PoliticalTheoryRecord(person=person, level=level, valid_from=valid_from, note=note)
    return _add("people.political_theory.recorded", row, actor=actor)


@transaction.atomic
def record_occupation(
    *,
    actor: Any,
    person: Person,
    group: Any,
    description: str = "",
    valid_from: date | None = None,
    note: str = "",
) -> OccupationRecord:
    """Record the person's occupation from ``valid_from``."""
    row = OccupationRecord(
        person=person, group=group, description=description, valid_from=valid_from, note=note
    )
    return _add("people.occupation.recorded", row, actor=actor)


@transaction.atomic
def record_residence(
    *,
    actor: Any,
    person: Person,
    kind: str,
    address: str,
    commune: Any = None,
    valid_from: date | None = None,
    note: str = "",
) -> ResidenceRecord:
    """Record a permanent or temporary residence from ``valid_from``."""
    row = ResidenceRecord(
        person=person, kind=kind, address=normalize_name(address), commune=commune,
        valid_from=valid_from, note=note,
    )  # fmt: skip
    return _add("people.residence.recorded", row, actor=actor)


@transaction.atomic
def record_work(
    *,
    actor: Any,
    person: Person,
    position: str,
    workplace: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    note: str = "",
) -> WorkHistoryEntry:
    """Record one period of the career summary (item 16 of form 2-KNĐ)."""
    row = WorkHistoryEntry(
        person=person, position=position, workplace=workplace,
        valid_from=valid_from, valid_to=valid_to, note=note,
    )  # fmt: skip
    return _add("people.work.recorded", row, actor=actor, period=("valid_from", "valid_to"))


@transaction.atomic
def add_family_relation(
    *,
    actor: Any,
    person: Person,
    relation: str,
    full_name: str,
    birth_year: int | None = None,
    occupation: str = "",
    residence: str = "",
    notes: str = "",
) -> FamilyRelation:
    """Declare a family member (item 22 of form 2-KNĐ)."""
    row = FamilyRelation(
        person=person, relation=relation, full_name=normalize_name(full_name),
        birth_year=birth_year, occupation=occupation, residence=residence, notes=notes,
    )  # fmt: skip
    return _add("people.family.added", row, actor=actor)


@transaction.atomic
def add_award(
    *,
    actor: Any,
    person: Person,
    title: str,
    decided_on: date,
    decided_by: str = "",
    decision_number: str = "",
) -> Award:
    """Record an award or commendation (item 20 of form 2-KNĐ)."""
    row = Award(
        person=person, title=title, decided_on=decided_on, decided_by=decided_by,
        decision_number=decision_number,
    )  # fmt: skip
    return _add("people.award.added", row, actor=actor)


@transaction.atomic
def record_discipline(
    *,
    actor: Any,
    person: Person,
    form: str,
    deciding_body: str,
    decided_on: date,
    decision_number: str = "",
    effects_end_on: date | None = None,
    reason: str = "",
) -> Discipline:
    """Record a discipline decision (item 21 of form 2-KNĐ); it records a decision, so it needs
    an approver."""
    row = Discipline(
        person=person, form=form, deciding_body=deciding_body, decided_on=decided_on,
        decision_number=decision_number, effects_end_on=effects_end_on, reason=reason,
    )  # fmt: skip
    return _add(
        "people.discipline.recorded", row, actor=actor, role=Role.APPROVER,
        period=("decided_on", "effects_end_on"),
    )  # fmt: skip


# --- Reading a personal identification number in clear -------------------------------------


def _require_keeper(actor: Any, person: Person) -> None:
    """Refuse unless the actor's grants cover the organization that keeps the dossier."""
    # Imported here so that this block stays an addition at the end of the module.
    from dangvu.core.errors import NotPermitted
    from dangvu.people.selectors import people_for

    if not people_for(actor, include_merged=True).filter(pk=person.pk).exists():
        raise NotPermitted(
            _("Only the organizations that keep this dossier may read the number in full.")
        )


@transaction.atomic
def reveal_national_id(*, actor: Any, person: Person) -> str:
    """The person's personal identification number in clear, for one look on screen.

    Numbers are masked everywhere by default; every look is recorded
    (``people.national_id.revealed``). Any role on the organization keeping the dossier may
    look: the audit log, not the role, is the safeguard here.
    """
    _require_keeper(actor, person)
    audit.record(
        "people.national_id.revealed",
        actor=actor,
        target=person,
        after={"national_id": audit.snapshot(person, ["national_id"])["national_id"]},
    )
    return person.national_id


@transaction.atomic
def export_national_ids(*, actor: Any, organization: Organization, count: int, query: str) -> None:
    """Record that ``actor`` exported the clear numbers of ``count`` people of ``organization``'s
    subtree (``people.national_id.exported``, with the list's filters). Needs the
    administrator role on the organization: a file leaves the screen, and nothing masks it."""
    scoping.require_role(actor, Role.ADMIN, organization)
    audit.record(
        "people.national_id.exported",
        actor=actor,
        target=organization,
        after={"count": count, "filters": query},
    )
