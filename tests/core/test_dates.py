"""Partial dates (a birth year alone is a valid birth date) and month arithmetic."""

from datetime import date

import pytest

from dangvu.core.dates import PartialDate, add_months, format_date
from dangvu.core.errors import DomainError


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1975", PartialDate(1975)),
        ("03/1975", PartialDate(1975, 3)),
        ("05/03/1975", PartialDate(1975, 3, 5)),
        ("5/3/1975", PartialDate(1975, 3, 5)),
        (" 05.03.1975 ", PartialDate(1975, 3, 5)),
        ("29/02/2024", PartialDate(2024, 2, 29)),
    ],
)
def test_a_partial_date_is_read_as_typed_in_vietnam(text, parsed):
    assert PartialDate.parse(text) == parsed


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (PartialDate(1975), "1975"),
        (PartialDate(1975, 3), "03/1975"),
        (PartialDate(1975, 3, 5), "05/03/1975"),
    ],
)
def test_a_partial_date_is_shown_with_only_the_parts_known(value, shown):
    assert str(value) == shown
    assert PartialDate.parse(shown) == value


@pytest.mark.parametrize(
    "text", ["31/04/2024", "29/02/2023", "13/1975", "00/1975", "32/01/1975", "75", "abc", ""]
)
def test_a_date_that_does_not_exist_is_refused(text):
    with pytest.raises(DomainError):
        PartialDate.parse(text)


def test_a_day_without_a_month_is_refused():
    with pytest.raises(DomainError):
        PartialDate(1975, None, 5)


@pytest.mark.parametrize(
    ("value", "earliest", "latest"),
    [
        (PartialDate(1975), date(1975, 1, 1), date(1975, 12, 31)),
        (PartialDate(2024, 2), date(2024, 2, 1), date(2024, 2, 29)),
        (PartialDate(2023, 2), date(2023, 2, 1), date(2023, 2, 28)),
        (PartialDate(1975, 3, 5), date(1975, 3, 5), date(1975, 3, 5)),
    ],
)
def test_a_partial_date_spans_from_its_earliest_to_its_latest_day(value, earliest, latest):
    assert (value.earliest(), value.latest()) == (earliest, latest)


def test_only_a_date_with_a_day_is_complete():
    assert PartialDate(1975, 3, 5).is_complete
    assert not PartialDate(1975, 3).is_complete


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # no 29 February in 2025
        (date(2025, 3, 31), 1, date(2025, 4, 30)),  # April has 30 days
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 11, 15), 2, date(2025, 1, 15)),  # across a year end
        (date(2025, 3, 31), -1, date(2025, 2, 28)),  # backwards
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
    ],
)
def test_adding_months_falls_on_the_last_day_when_the_day_does_not_exist(start, months, expected):
    assert add_months(start, months) == expected


def test_dates_are_written_day_month_year():
    assert format_date(date(1975, 3, 5)) == "05/03/1975"
    assert format_date(None) == ""
