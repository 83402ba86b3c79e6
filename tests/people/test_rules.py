"""Rules on identity papers and dated records, with worked examples."""

from datetime import date
from types import SimpleNamespace

import pytest

from dangvu.core.errors import DomainError
from dangvu.people.rules import attribute_as_of, check_national_id, check_old_id_number

# A few 2-digit codes of the 2008 province list: Hà Nội, Hải Phòng, Đà Nẵng, TP HCM, Cà Mau.
PROVINCES = {"01", "31", "48", "79", "96"}


def cccd(province: str = "001", century_gender: str = "0", year: str = "75") -> str:
    """A personal identification number built from its parts; the last 6 digits are random."""
    return f"{province}{century_gender}{year}012345"


def refusal(value: str, *, gender: str = "male", birth_year: int = 1975) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check_national_id(value, gender=gender, birth_year=birth_year, province_codes=PROVINCES)
    assert caught.value.field == "national_id"
    return caught.value


@pytest.mark.parametrize(
    ("value", "gender", "birth_year"),
    [
        (cccd("001", "0", "75"), "male", 1975),  # Hà Nội, a man born in 1975
        (cccd("001", "1", "75"), "female", 1975),  # Hà Nội, a woman born in 1975
        (cccd("079", "0", "99"), "male", 1999),  # TP HCM, the last year of the 20th century
        (cccd("079", "2", "00"), "male", 2000),  # the first year of the 21st
        (cccd("096", "3", "10"), "female", 2010),  # Cà Mau, a girl born in 2010
        (cccd("048", "5", "01"), "female", 2101),  # 22nd century: 4 for men, 5 for women
    ],
)
def test_a_well_formed_personal_identification_number_is_accepted(value, gender, birth_year):
    check_national_id(value, gender=gender, birth_year=birth_year, province_codes=PROVINCES)


@pytest.mark.parametrize(
    "value",
    ["00107501234", "0010750123456", "00107501234x", "001 075 01234", "００１０７５０１２３４５"],
)
def test_a_number_that_is_not_exactly_twelve_ascii_digits_is_refused(value):
    assert str(refusal(value).message) == (
        "The personal identification number must have exactly 12 digits."
    )


@pytest.mark.parametrize("prefix", ["003", "097", "101", "100"])
def test_a_number_that_does_not_start_with_a_province_code_is_refused(prefix):
    message = str(refusal(cccd(province=prefix)).message)
    assert message.startswith("The personal identification number must start with the code")
    assert f"{prefix} is not one" in message


def test_a_womans_century_digit_on_a_man_is_refused():
    message = str(refusal(cccd(century_gender="1"), gender="male").message)
    assert message == (
        "The fourth digit of the personal identification number (1) is the code of a woman; "
        "it does not match the gender given."
    )


def test_a_mans_century_digit_on_a_woman_is_refused():
    message = str(
        refusal(cccd(century_gender="2", year="05"), gender="female", birth_year=2005).message
    )
    assert "(2) is the code of a man" in message


def test_a_century_digit_of_another_century_is_refused():
    # 2 = a man born 2000–2099, but the person was born in 1975
    message = str(refusal(cccd(century_gender="2")).message)
    assert message == (
        "The fourth digit of the personal identification number (2) means born between 2000 "
        "and 2099; it does not match the year of birth 1975."
    )


def test_year_digits_that_differ_from_the_year_of_birth_are_refused():
    message = str(refusal(cccd(year="80"), birth_year=1975).message)
    assert message == (
        "Digits 5 and 6 of the personal identification number (80) must be the last two digits "
        "of the year of birth (75)."
    )


def test_the_year_digits_of_a_year_ending_in_zero_keep_their_leading_zero():
    check_national_id(cccd(century_gender="2", year="05"), gender="male", birth_year=2005,
                      province_codes=PROVINCES)  # fmt: skip
    assert "(05)" in str(refusal(cccd(century_gender="2", year="50"), birth_year=2005).message)


def test_an_old_identity_card_number_has_nine_digits():
    check_old_id_number("012345678")


@pytest.mark.parametrize("value", ["01234567", "0123456789", "001075012345", "01234567a"])
def test_an_old_identity_card_number_of_another_length_is_refused(value):
    with pytest.raises(DomainError) as caught:
        check_old_id_number(value)
    assert caught.value.field == "old_id_number"
    assert str(caught.value.message).startswith(
        "The old identity card number must have exactly 9 digits"
    )


# Worked example: 9/12 education recorded without a date, 12/12 from 1 September 2010,
# a master's degree from 30 June 2015.
UNDATED = SimpleNamespace(valid_from=None, level="9/12")
SCHOOL = SimpleNamespace(valid_from=date(2010, 9, 1), level="12/12")
MASTER = SimpleNamespace(valid_from=date(2015, 6, 30), level="master")
HISTORY = [UNDATED, SCHOOL, MASTER]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(1990, 1, 1), UNDATED),  # an undated record counts from the beginning
        (date(2010, 8, 31), UNDATED),
        (date(2010, 9, 1), SCHOOL),  # in force from its first day
        (date(2015, 6, 29), SCHOOL),
        (date(2024, 12, 31), MASTER),
    ],
)
def test_the_record_in_force_is_the_latest_started_on_or_before_the_date(on, expected):
    assert attribute_as_of(HISTORY, on) is expected


def test_the_order_of_the_records_does_not_matter_for_different_start_dates():
    assert attribute_as_of([MASTER, UNDATED, SCHOOL], date(2012, 1, 1)) is SCHOOL


def test_nothing_is_in_force_before_the_first_dated_record_or_without_records():
    assert attribute_as_of([SCHOOL, MASTER], date(2009, 12, 31)) is None
    assert attribute_as_of([], date(2024, 1, 1)) is None


def test_of_two_records_starting_the_same_day_the_later_entered_wins():
    correction = SimpleNamespace(valid_from=SCHOOL.valid_from, level="12/12 (corrected)")
    assert attribute_as_of([SCHOOL, correction], date(2012, 1, 1)) is correction
