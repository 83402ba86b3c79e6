"""Admission age: from full 18 to full 60 years, in completed months, on the day the cell votes
(Quy định 294-QĐ/TW items 1.1.1 and 1.1.2); over 60 only with the provincial standing
committee's written consent (Hướng dẫn 06-HD/TW item 1.1). Whether a month is completed to the
day or by the calendar month is a rule parameter ("day" by default); no version before
30/4/1975 (members admitted young before then keep their admission, 294 item 5.2.3)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangvu.core.dates import PartialDate, add_months
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules, services
from dangvu.membership.models import EventKind, Member, Standing


@pytest.fixture
def candidate(world, person_factory, decide):
    """Admit a person born on ``birth`` after a cell vote on ``vote`` (decided a week later)."""

    def admit(birth: tuple, vote: date, consent=None) -> Member:
        year, month, day = (*birth, None, None)[:3]
        person = person_factory(world.cell_a1, birth_year=year, birth_month=month, birth_day=day)
        return services.admit_member(
            actor=world.root,
            person=person,
            organization=world.cell_a1,
            decision=decide(vote + timedelta(days=7)),
            resolution_date=vote,
            provincial_consent=consent,
        )

    return admit


# --- completed months (the counting convention) --------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2008, 5, 15), date(2026, 5, 15), 216),  # 18 years on the day
        (date(2008, 5, 15), date(2026, 5, 14), 215),  # one day short
        (date(1966, 5, 15), date(2026, 5, 16), 720),  # 60 years and 1 day
        (date(1966, 5, 15), date(2026, 6, 15), 721),  # 60 years and 1 month
        (date(2025, 1, 31), date(2025, 2, 28), 1),  # 31 February does not exist: last day
        (date(2025, 1, 31), date(2025, 2, 27), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # leap year: 29 February
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 2, 29), date(2025, 2, 28), 12),  # born 29 February: 28 February
        (date(2024, 2, 29), date(2025, 2, 27), 11),
        (date(2025, 3, 31), date(2025, 4, 30), 1),  # 31 April does not exist
        (date(2025, 3, 31), date(2025, 4, 29), 0),
        (date(2025, 3, 10), date(2025, 3, 10), 0),
    ],
)
def test_completed_months_count_to_the_day(start, end, months):
    assert rules.completed_months(start, end) == months


def test_completed_months_with_the_first_day_of_next_month_convention():
    overflow = "first_day_of_next_month"
    assert rules.completed_months(date(2025, 1, 31), date(2025, 2, 28), overflow=overflow) == 0
    assert rules.completed_months(date(2025, 1, 31), date(2025, 3, 1), overflow=overflow) == 1
    assert rules.completed_months(date(2024, 2, 29), date(2025, 2, 28), overflow=overflow) == 11
    assert rules.completed_months(date(2024, 2, 29), date(2025, 3, 1), overflow=overflow) == 12


def test_completed_months_by_calendar_month_ignore_the_days():
    assert rules.completed_months(date(2008, 5, 20), date(2026, 5, 10), "month") == 216
    assert rules.completed_months(date(2008, 5, 20), date(2026, 4, 30), "month") == 215
    assert rules.completed_months(date(2008, 5, 1), date(2026, 5, 31), "month") == 216


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(min_value=1, max_value=1200),
)
def test_a_month_is_completed_exactly_on_its_anniversary(start, months):
    anniversary = add_months(start, months)
    assert rules.completed_months(start, anniversary) == months
    assert rules.completed_months(start, anniversary - timedelta(days=1)) == months - 1


# --- the lower bound: 18 years ----------------------------------------------------------------


def test_turning_18_on_the_day_of_the_vote_is_eligible(candidate):
    member = candidate((2008, 5, 15), vote=date(2026, 5, 15))
    assert member.standing == Standing.PROBATIONARY
    assert member.events.get().kind == EventKind.ADMISSION


def test_one_day_before_turning_18_is_refused_with_the_age_it_reached(candidate):
    with pytest.raises(DomainError) as refused:
        candidate((2008, 5, 15), vote=date(2026, 5, 14))
    assert "On 14/05/2026 the person is 17 years and 11 months old" in str(refused.value)
    assert "216 full months (18 years) on the day the cell votes" in str(refused.value)
    assert "294-QĐ/TW" in str(refused.value)
    assert refused.value.field == "resolution_date"
    assert not Member.objects.exists()


def test_the_age_is_taken_on_the_day_the_cell_votes_not_on_the_decision(
    world, person_factory, decide
):
    person = person_factory(world.cell_a1, birth_year=2008, birth_month=5, birth_day=15)
    with pytest.raises(DomainError, match="17 years and 11 months"):
        services.admit_member(
            actor=world.root,
            person=person,
            organization=world.cell_a1,
            decision=decide(date(2026, 6, 1)),
            resolution_date=date(2026, 5, 14),
        )


def test_born_on_29_february_the_person_is_18_on_28_february(candidate):
    """The nonexistent day falls on the last day of the month (the rulebook's convention)."""
    with pytest.raises(DomainError, match="17 years and 11 months"):
        candidate((2008, 2, 29), vote=date(2026, 2, 27))
    assert candidate((2008, 2, 29), vote=date(2026, 2, 28)).standing == Standing.PROBATIONARY


def test_born_on_29_february_under_the_first_day_of_next_month_convention_the_person_is_18_on_1_march(
    candidate, replace_national_rule
):
    replace_national_rule("dates.nonexistent_day", date(2020, 1, 1), rule="first_day_of_next_month")
    with pytest.raises(DomainError, match="17 years and 11 months"):
        candidate((2008, 2, 29), vote=date(2026, 2, 28))
    assert candidate((2008, 2, 29), vote=date(2026, 3, 1)).standing == Standing.PROBATIONARY


# --- the upper bound: 60 years ------------------------------------------------------------------


def test_60_years_and_1_day_is_still_eligible_with_720_completed_months(candidate):
    assert rules.completed_months(date(1966, 5, 15), date(2026, 5, 16)) == 720
    member = candidate((1966, 5, 15), vote=date(2026, 5, 16))
    assert member.standing == Standing.PROBATIONARY


def test_60_years_and_1_month_is_refused_without_the_provincial_consent(candidate):
    with pytest.raises(DomainError) as refused:
        candidate((1966, 5, 15), vote=date(2026, 6, 15))
    assert "past 60 years (721 completed months)" in str(refused.value)
    assert "provincial standing committee's written consent" in str(refused.value)
    assert not Member.objects.exists()


def test_60_years_and_1_month_is_admitted_with_the_provincial_consent(candidate, decide, world):
    consent = decide(date(2026, 6, 1), issuer=world.province_a, subject="Đồng ý kết nạp")
    member = candidate((1966, 5, 15), vote=date(2026, 6, 15), consent=consent)
    assert member.standing == Standing.PROBATIONARY
    assert member.events.get().details["provincial_consent"] == consent.pk


# --- what the birth date must say ---------------------------------------------------------------


def test_a_birth_year_alone_is_refused_with_the_full_date_of_birth_message(candidate):
    with pytest.raises(DomainError) as refused:
        candidate((1990,), vote=date(2026, 5, 15))
    assert str(refused.value) == "The full date of birth is needed to check the admission age."
    assert refused.value.field == "birth_date"


def test_a_month_and_year_of_birth_is_not_enough_to_count_to_the_day(candidate):
    with pytest.raises(DomainError, match="full date of birth"):
        candidate((1990, 5), vote=date(2026, 5, 15))


# --- another reading: counting by calendar month, as a new rule version --------------------------


def test_counting_by_calendar_month_is_one_new_rule_version(candidate, replace_national_rule):
    """Born 20/05/2008, the cell votes on 10/05/2026: 215 months to the day, 216 by month."""
    with pytest.raises(DomainError, match="17 years and 11 months"):
        candidate((2008, 5, 20), vote=date(2026, 5, 10))

    replace_national_rule("admission.age", date(2026, 1, 1), counting="month")

    member = candidate((2008, 5, 20), vote=date(2026, 5, 10))
    assert member.standing == Standing.PROBATIONARY
    # Born in the next month, he is still refused: the month is what counts.
    with pytest.raises(DomainError, match="17 years and 11 months"):
        candidate((2008, 6, 1), vote=date(2026, 5, 31))


def test_a_vote_is_judged_by_the_version_in_force_on_its_own_date(candidate, replace_national_rule):
    replace_national_rule("admission.age", date(2026, 1, 1), counting="month")
    # A vote of December 2025 is still judged to the day, by the version in force then.
    with pytest.raises(DomainError, match="17 years and 11 months"):
        candidate((2007, 12, 20), vote=date(2025, 12, 10))


def test_counting_by_month_accepts_a_month_and_year_of_birth_but_not_a_year_alone(
    candidate, replace_national_rule
):
    replace_national_rule("admission.age", date(2026, 1, 1), counting="month")
    assert candidate((1990, 5), vote=date(2026, 5, 15)).standing == Standing.PROBATIONARY
    with pytest.raises(DomainError, match="month of birth is needed"):
        candidate((1990,), vote=date(2026, 5, 15))


# --- the historical exception -----------------------------------------------------------------


def test_an_admission_before_30_april_1975_is_not_age_checked(candidate):
    """Members admitted under 18 before 30/4/1975 keep their admission (294 item 5.2.3)."""
    member = candidate((1960, 3, 1), vote=date(1975, 4, 22))  # 15 years old
    assert member.standing == Standing.PROBATIONARY
    assert member.first_admission_date == date(1975, 4, 29)


def test_from_30_april_1975_the_same_young_age_is_refused(candidate):
    with pytest.raises(DomainError, match="15 years and 1 months"):
        candidate((1960, 3, 1), vote=date(1975, 4, 30))


def test_the_age_rule_is_pure_and_reads_only_the_rulebook(db):
    book = Rulebook.load()
    rules.check_admission_age(PartialDate(2008, 5, 15), date(2026, 5, 15), book)
    with pytest.raises(DomainError):
        rules.check_admission_age(PartialDate(2008, 5, 15), date(2026, 5, 14), book)
    rules.check_admission_age(
        PartialDate(1966, 5, 15), date(2026, 6, 15), book, provincial_consent=True
    )
