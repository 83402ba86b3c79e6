"""People services: a curriculum vitae is opened, corrected and extended by clerks, audited."""

import unicodedata
from datetime import date

import pytest

from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import (
    AuditEntry,
    Ethnicity,
    GeneralEducation,
    OccupationGroup,
    PoliticalTheory,
    ProfessionalQualification,
    Religion,
)
from dangvu.people import selectors, services
from dangvu.people.models import Person

HUNG_ID = "001075012345"  # Hà Nội, a man born in 1975


def identity(**fields):
    """The fields every curriculum vitae needs, for a man born in 1975."""
    return {
        "full_name": "Nguyễn Văn Hùng",
        "gender": "male",
        "birth_year": 1975,
        "ethnicity": Ethnicity.objects.get(code="01"),
        "religion": Religion.objects.get(name="Không"),
        **fields,
    }


@pytest.fixture
def hung(world):
    return services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity(national_id=HUNG_ID)
    )


# --- opening a curriculum vitae -----------------------------------------------------------


def test_a_clerk_of_a_commune_may_open_a_dossier_in_a_cell_under_it(world):
    person = services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity()
    )
    assert Person.objects.get().home_organization == world.cell_a1
    assert person.search_key == "nguyen van hung"


def test_a_birth_date_known_by_its_year_only_is_shown_as_the_year(world):
    person = services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity(birth_year=1975)
    )
    person.refresh_from_db()
    assert (person.birth_month, person.birth_day) == (None, None)
    assert str(person.birth_date) == "1975"


def test_names_are_stored_in_nfc_as_typed_with_the_old_tone_placement_kept(world):
    person = services.create_person(
        actor=world.clerk_a1,
        home_organization=world.cell_a1,
        **identity(
            full_name=unicodedata.normalize("NFD", "  Lê  Thị Hoà "),
            gender="female",
            birth_name="Lê Thị Thuỷ",
            aliases="Hoà  Lê",
        ),
    )
    person.refresh_from_db()
    assert (person.full_name, person.birth_name, person.aliases) == (
        "Lê Thị Hoà",
        "Lê Thị Thuỷ",
        "Hoà Lê",
    )
    assert unicodedata.is_normalized("NFC", person.full_name)


@pytest.mark.parametrize(
    ("parts", "field", "message"),
    [
        ({"birth_month": 13}, "birth_month", "The month must be between 1 and 12."),
        (
            {"birth_month": 2, "birth_day": 30},
            "birth_day",
            "This day does not exist in that month.",
        ),
        ({"birth_day": 5}, "birth_day", "A day needs a month."),
        ({"birth_year": 975}, "birth_year", "The year must have four digits."),
        ({"birth_year": 2999}, "birth_year", "The year must have four digits."),
    ],
)
def test_an_impossible_birth_date_is_refused_next_to_its_part(world, parts, field, message):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_a1, home_organization=world.cell_a1, **identity(**parts)
        )
    assert (caught.value.field, str(caught.value)) == (field, message)


def test_a_birth_date_in_the_future_is_refused(world):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_a1, home_organization=world.cell_a1, **identity(birth_year=2199)
        )
    assert caught.value.field == "birth_year"


def test_a_missing_full_name_is_refused(world):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_a1, home_organization=world.cell_a1, **identity(full_name="   ")
        )
    assert caught.value.field == "full_name"


def test_a_national_id_that_disagrees_with_the_gender_is_refused(world):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_a1,
            home_organization=world.cell_a1,
            **identity(gender="female", national_id=HUNG_ID),
        )
    assert caught.value.field == "national_id"
    assert not Person.objects.exists()


def test_a_national_id_typed_with_spaces_is_stored_without_them(world):
    person = services.create_person(
        actor=world.clerk_a1,
        home_organization=world.cell_a1,
        **identity(national_id="001 075 012 345", old_id_number=" 012345678"),
    )
    assert (person.national_id, person.old_id_number) == (HUNG_ID, "012345678")


def test_an_old_identity_card_number_must_have_nine_digits(world):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_a1, home_organization=world.cell_a1, **identity(old_id_number="123")
        )
    assert caught.value.field == "old_id_number"


def test_a_national_id_already_recorded_is_refused_without_saying_for_whom(world, hung):
    with pytest.raises(DomainError) as caught:
        services.create_person(
            actor=world.clerk_b1,
            home_organization=world.cell_b1,
            **identity(full_name="Trần Văn Nam", national_id=HUNG_ID),
        )
    assert caught.value.field == "national_id"
    message = str(caught.value)
    assert "already recorded for another person" in message
    assert "Hùng" not in message and world.cell_a1.name not in message
    assert Person.objects.count() == 1


def test_an_unknown_field_is_a_programming_error(world):
    with pytest.raises(TypeError):
        services.create_person(
            actor=world.clerk_a1, home_organization=world.cell_a1, **identity(salary=1)
        )


def test_opening_a_dossier_writes_an_audit_entry_with_the_id_masked(world, hung):
    entry = AuditEntry.objects.get(action="people.person.created")
    assert entry.actor == world.clerk_a1
    assert (entry.target_type, entry.target_id) == ("people.person", str(hung.pk))
    assert entry.after["national_id"] == "•••••••••345"
    assert HUNG_ID not in str(entry.after)


# --- searching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["nguyen van hung", "Hùng", "NGUYỄN VĂN HÙNG", "hung nguyen", HUNG_ID, "001 075 012345"],
)
def test_a_person_is_found_by_any_spelling_of_the_name_or_by_national_id(world, hung, query):
    assert list(selectors.search_people(world.clerk_a1, query)) == [hung]


def test_a_person_is_found_by_the_birth_name_in_either_tone_placement(world):
    person = services.create_person(
        actor=world.clerk_a1,
        home_organization=world.cell_a1,
        **identity(full_name="Lê Thị Hoa", gender="female", birth_name="Trần Thị Thuỷ"),
    )
    assert list(selectors.search_people(world.clerk_a1, "Thủy")) == [person]


def test_a_search_with_no_letters_finds_nobody(world, hung):
    assert not selectors.search_people(world.clerk_a1, "  ' ").exists()


# --- correcting ---------------------------------------------------------------------------


def test_an_update_audits_only_the_fields_that_changed(world, hung):
    services.update_person(
        actor=world.clerk_a1, person=hung, reason="sai chính tả", full_name="Nguyễn Văn Hưng",
        birth_month=3, birth_day=5, hometown="",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="people.person.updated")
    # "Hưng" and "Hùng" share the search key, so the key is not among the changes
    assert entry.before == {"full_name": "Nguyễn Văn Hùng", "birth_month": None, "birth_day": None}
    assert entry.after == {"full_name": "Nguyễn Văn Hưng", "birth_month": 3, "birth_day": 5}
    assert entry.reason == "sai chính tả"
    hung.refresh_from_db()
    assert (hung.full_name, str(hung.birth_date)) == ("Nguyễn Văn Hưng", "05/03/1975")


def test_an_update_that_changes_nothing_writes_nothing(world, hung):
    services.update_person(actor=world.clerk_a1, person=hung, full_name=" Nguyễn Văn Hùng ")
    assert not AuditEntry.objects.filter(action="people.person.updated").exists()


def test_a_new_national_id_ending_in_the_same_digits_is_still_saved(world, hung):
    services.update_person(actor=world.clerk_a1, person=hung, national_id="079075999345")
    hung.refresh_from_db()
    assert hung.national_id == "079075999345"
    entry = AuditEntry.objects.get(action="people.person.updated")
    assert entry.after == {"national_id": "•••••••••345"}


def test_a_refused_update_leaves_the_person_as_it_was(world, hung):
    with pytest.raises(DomainError):
        services.update_person(
            actor=world.clerk_a1, person=hung, full_name="Nguyễn Thị Hà", gender="female"
        )
    assert (hung.full_name, hung.gender) == ("Nguyễn Văn Hùng", "male")
    hung.refresh_from_db()
    assert hung.gender == "male"


def test_an_update_may_not_take_another_persons_national_id(world, hung):
    other = services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity(full_name="Lê Văn An")
    )
    with pytest.raises(DomainError) as caught:
        services.update_person(actor=world.clerk_a1, person=other, national_id=HUNG_ID)
    assert caught.value.field == "national_id"


# --- dated records ------------------------------------------------------------------------


def test_the_curriculum_as_of_a_date_gives_the_records_then_in_force(world, hung):
    low, high = GeneralEducation.objects.all()[:2]
    services.record_education(actor=world.clerk_a1, person=hung, level=low)
    services.record_education(
        actor=world.clerk_a1, person=hung, level=high, valid_from=date(1993, 6, 1)
    )
    theory = services.record_political_theory(
        actor=world.clerk_a1, person=hung, level=PoliticalTheory.objects.first(),
        valid_from=date(2010, 1, 15),
    )  # fmt: skip
    services.record_residence(
        actor=world.clerk_a1, person=hung, kind="permanent", address="Thôn Đông",
        valid_from=date(1975, 1, 1),
    )  # fmt: skip

    in_1990 = selectors.as_of(hung, date(1990, 1, 1))
    assert in_1990.education.level == low
    assert in_1990.political_theory is None
    assert in_1990.permanent_residence.address == "Thôn Đông"
    assert in_1990.temporary_residence is None

    in_2024 = selectors.as_of(hung, date(2024, 12, 31))
    assert (in_2024.education.level, in_2024.political_theory) == (high, theory)


def test_every_dated_record_is_audited_against_the_person(world, hung):
    services.record_qualification(
        actor=world.clerk_a1, person=hung, level=ProfessionalQualification.objects.first(),
        field="Luật", valid_from=date(1998, 6, 30),
    )  # fmt: skip
    services.record_occupation(
        actor=world.clerk_a1, person=hung, group=OccupationGroup.objects.first(),
        description="Giáo viên",
    )  # fmt: skip
    services.record_work(
        actor=world.clerk_a1, person=hung, position="Giáo viên", valid_from=date(1998, 9, 1),
        valid_to=date(2005, 8, 31),
    )  # fmt: skip
    services.add_family_relation(
        actor=world.clerk_a1, person=hung, relation="father", full_name="Nguyễn Văn  Ba"
    )
    services.add_award(
        actor=world.clerk_a1, person=hung, title="Giấy khen", decided_on=date(2020, 5, 19)
    )
    services.record_discipline(
        actor=world.approver_a1, person=hung, form="reprimand", deciding_body="Chi bộ",
        decided_on=date(2021, 3, 1),
    )  # fmt: skip
    actions = set(
        AuditEntry.objects.filter(target_type="people.person", target_id=str(hung.pk))
        .exclude(action="people.person.created")
        .values_list("action", flat=True)
    )
    assert actions == {
        "people.qualification.recorded", "people.occupation.recorded", "people.work.recorded",
        "people.family.added", "people.award.added", "people.discipline.recorded",
    }  # fmt: skip
    assert hung.family.get().full_name == "Nguyễn Văn Ba"


def test_a_work_period_ending_before_it_starts_is_refused(world, hung):
    with pytest.raises(DomainError) as caught:
        services.record_work(
            actor=world.clerk_a1, person=hung, position="Cán bộ", valid_from=date(2005, 1, 1),
            valid_to=date(2004, 12, 31),
        )  # fmt: skip
    assert caught.value.field == "valid_to"


def test_a_residence_of_an_unknown_kind_is_refused(world, hung):
    with pytest.raises(DomainError) as caught:
        services.record_residence(actor=world.clerk_a1, person=hung, kind="abroad", address="x")
    assert caught.value.field == "kind"


def test_a_discipline_decision_needs_an_approver_not_a_clerk(world, hung):
    with pytest.raises(NotPermitted):
        services.record_discipline(
            actor=world.clerk_a1, person=hung, form="warning", deciding_body="Đảng ủy",
            decided_on=date(2021, 3, 1),
        )  # fmt: skip
    services.record_discipline(
        actor=world.secretary_a1, person=hung, form="warning", deciding_body="Chi bộ",
        decided_on=date(2021, 3, 1),
    )  # fmt: skip


# --- duplicates ---------------------------------------------------------------------------


@pytest.fixture
def twin(world):
    return services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity()
    )


def test_a_duplicate_is_marked_not_deleted_and_leaves_the_lists(world, hung, twin):
    services.mark_merged(actor=world.clerk_a1, duplicate=twin, into=hung, reason="trùng")
    twin.refresh_from_db()
    assert twin.merged_into == hung
    assert list(selectors.people_for(world.clerk_a1)) == [hung]
    assert list(selectors.search_people(world.clerk_a1, "hung")) == [hung]
    assert selectors.person_for(world.clerk_a1, twin.pk) == twin
    entry = AuditEntry.objects.get(action="people.person.merged")
    assert entry.after == {"merged_into": hung.pk, "repointed": []}


def test_a_record_cannot_be_merged_into_itself(world, hung):
    with pytest.raises(DomainError):
        services.mark_merged(actor=world.clerk_a1, duplicate=hung, into=hung)


def test_a_record_cannot_be_merged_into_a_duplicate(world, hung, twin):
    third = services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity()
    )
    services.mark_merged(actor=world.clerk_a1, duplicate=twin, into=hung)
    with pytest.raises(DomainError):
        services.mark_merged(actor=world.clerk_a1, duplicate=third, into=twin)
    with pytest.raises(DomainError):
        services.mark_merged(actor=world.clerk_a1, duplicate=twin, into=third)


def test_records_merged_into_a_new_duplicate_follow_it_so_no_chain_forms(world, hung, twin):
    third = services.create_person(
        actor=world.clerk_a1, home_organization=world.cell_a1, **identity()
    )
    services.mark_merged(actor=world.clerk_a1, duplicate=twin, into=third)
    services.mark_merged(actor=world.clerk_a1, duplicate=third, into=hung)
    twin.refresh_from_db()
    assert twin.merged_into == hung


def test_a_duplicate_is_no_longer_edited(world, hung, twin):
    services.mark_merged(actor=world.clerk_a1, duplicate=twin, into=hung)
    with pytest.raises(DomainError):
        services.update_person(actor=world.clerk_a1, person=twin, hometown="Hà Nội")
    with pytest.raises(DomainError):
        services.add_award(actor=world.clerk_a1, person=twin, title="x", decided_on=date.today())


def test_merging_needs_a_clerk_on_both_home_organizations(world, hung):
    other = services.create_person(
        actor=world.clerk_b1, home_organization=world.cell_b1, **identity()
    )
    with pytest.raises(NotPermitted):
        services.mark_merged(actor=world.clerk_a1, duplicate=hung, into=other)
    services.mark_merged(actor=world.root, duplicate=hung, into=other)


# --- permissions: every service refuses whoever may not keep this curriculum vitae -------

OPERATIONS = {
    "create_person": lambda actor, person, w: services.create_person(
        actor=actor, home_organization=w.cell_a1, **identity()
    ),
    "update_person": lambda actor, person, w: services.update_person(
        actor=actor, person=person, hometown="Hà Nội"
    ),
    "record_education": lambda actor, person, w: services.record_education(
        actor=actor, person=person, level=GeneralEducation.objects.first()
    ),
    "record_qualification": lambda actor, person, w: services.record_qualification(
        actor=actor, person=person, level=ProfessionalQualification.objects.first()
    ),
    "record_political_theory": lambda actor, person, w: services.record_political_theory(
        actor=actor, person=person, level=PoliticalTheory.objects.first()
    ),
    "record_occupation": lambda actor, person, w: services.record_occupation(
        actor=actor, person=person, group=OccupationGroup.objects.first()
    ),
    "record_residence": lambda actor, person, w: services.record_residence(
        actor=actor, person=person, kind="permanent", address="Thôn Đông"
    ),
    "record_work": lambda actor, person, w: services.record_work(
        actor=actor, person=person, position="Giáo viên"
    ),
    "add_family_relation": lambda actor, person, w: services.add_family_relation(
        actor=actor, person=person, relation="mother", full_name="Lê Thị Mai"
    ),
    "add_award": lambda actor, person, w: services.add_award(
        actor=actor, person=person, title="Giấy khen", decided_on=date(2020, 5, 19)
    ),
    "record_discipline": lambda actor, person, w: services.record_discipline(
        actor=actor,
        person=person,
        form="reprimand",
        deciding_body="Chi bộ",
        decided_on=date(2021, 3, 1),
    ),  # fmt: skip
    "mark_merged": lambda actor, person, w: services.mark_merged(
        actor=actor,
        duplicate=services.create_person(actor=w.root, home_organization=w.cell_a1, **identity()),
        into=person,
    ),  # fmt: skip
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("actor", ["outsider", "viewer_a", "clerk_b1", "expired_a1"])
def test_every_service_refuses_an_outsider_a_viewer_and_a_clerk_elsewhere(
    world, hung, operation, actor
):
    audited = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        OPERATIONS[operation](getattr(world, actor), hung, world)
    # mark_merged's own set-up writes one entry as root; the refused call writes none
    assert AuditEntry.objects.count() == audited + (operation == "mark_merged")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_service_lets_the_person_in_charge_act(world, hung, operation):
    actor = world.approver_a1 if operation == "record_discipline" else world.clerk_a1
    OPERATIONS[operation](actor, hung, world)
