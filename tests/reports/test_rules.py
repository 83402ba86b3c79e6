"""Ages on the report date and the bands of the standard reports, with the dates that matter."""

from datetime import date

import pytest

from dangvu.reports.rules import (
    AGE_BANDS,
    FIVE_YEAR_BANDS,
    PARTY_AGE_BANDS,
    age_on,
    band,
    birth_date,
)


def test_a_partial_birth_date_counts_from_the_first_day_it_can_be():
    assert birth_date(1970) == date(1970, 1, 1)
    assert birth_date(1970, 5) == date(1970, 5, 1)
    assert birth_date(1970, 5, 17) == date(1970, 5, 17)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1995, 12, 31), date(2026, 12, 31), 31),  # the birthday is the report date
        (date(1995, 12, 31), date(2026, 12, 30), 30),  # one day before
        (date(2000, 2, 29), date(2018, 2, 28), 18),  # 29 February: the last day of February
        (date(2000, 2, 29), date(2018, 2, 27), 17),
        (date(2000, 2, 29), date(2024, 2, 29), 24),  # a leap year has the day itself
        (birth_date(1996), date(2025, 12, 31), 29),  # year only: 1 January
        (birth_date(1996), date(2026, 1, 1), 30),
    ],
)
def test_age_in_completed_years_on_the_report_date(born, on, age):
    assert age_on(born, on) == age


def test_a_member_turning_31_on_31_december_leaves_the_youngest_band_that_day():
    born = date(1995, 12, 31)
    assert band(age_on(born, date(2026, 12, 30)), AGE_BANDS) == "≤ 30"
    assert band(age_on(born, date(2026, 12, 31)), AGE_BANDS) == "31–40"


@pytest.mark.parametrize(
    ("age", "ten", "five"),
    [
        (18, "≤ 30", "≤ 30"),
        (30, "≤ 30", "≤ 30"),
        (31, "31–40", "31–35"),
        (36, "31–40", "36–40"),
        (60, "51–60", "56–60"),
        (61, "≥ 61", "61–65"),
        (80, "≥ 61", "76–80"),
        (81, "≥ 61", "≥ 81"),
        (104, "≥ 61", "≥ 81"),
    ],
)
def test_every_age_falls_in_exactly_one_band_of_each_layout(age, ten, five):
    assert band(age, AGE_BANDS) == ten
    assert band(age, FIVE_YEAR_BANDS) == five
    assert sum(1 for _, lo, hi in FIVE_YEAR_BANDS if (lo or 0) <= age <= (hi or 999)) == 1


def test_party_age_bands_cover_every_year():
    assert [band(years, PARTY_AGE_BANDS) for years in (0, 9, 10, 29, 30, 49, 50, 75)] == [
        "< 10",
        "< 10",
        "10–19",
        "20–29",
        "30–39",
        "40–49",
        "≥ 50",
        "≥ 50",
    ]
