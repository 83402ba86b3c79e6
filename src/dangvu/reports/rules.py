"""Pure rules of the statistics: ages on a date, the bands of the standard reports.

Bands are the report layouts' rows (DOMAIN.md §3.3; after the practice of the provincial
reports in research/rules-cadres-reports.md §8.1), not rules of the Party: a new layout is a
new list here, not a rulebook version.
"""

from datetime import date

from dangvu.membership.rules import completed_months

# (label, lowest age, highest age) in completed years; None = open.
AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("≤ 30", None, 30),
    ("31–40", 31, 40),
    ("41–50", 41, 50),
    ("51–60", 51, 60),
    ("≥ 61", 61, None),
]
FIVE_YEAR_BANDS: list[tuple[str, int | None, int | None]] = [
    ("≤ 30", None, 30),
    *((f"{low}–{low + 4}", low, low + 4) for low in range(31, 81, 5)),
    ("≥ 81", 81, None),
]

# Party age of official members, in completed years.
PARTY_AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("< 10", None, 9),
    ("10–19", 10, 19),
    ("20–29", 20, 29),
    ("30–39", 30, 39),
    ("40–49", 40, 49),
    ("≥ 50", 50, None),
]


def birth_date(year: int, month: int | None = None, day: int | None = None) -> date:
    """The date a partial birth date counts as: a year alone is 1 January, a month its first
    day (so a member's age never comes later than it can be)."""
    return date(year, month or 1, day or 1 if month else 1)


def age_on(birth: date, on: date) -> int:
    """Completed years on ``on``: a birthday on 29 February is reached on 28 February in other
    years, as every date rule here (the rulebook's ``dates.nonexistent_day``)."""
    return completed_months(birth, on) // 12


def band(value: int, bands: list[tuple[str, int | None, int | None]]) -> str:
    for label, low, high in bands:
        if (low is None or value >= low) and (high is None or value <= high):
            return label
    raise ValueError(f"{value} is in no band")
