"""Dates as Vietnamese dossiers hold them: partial dates, month arithmetic, dd/mm/yyyy."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from dangvu.core.errors import DomainError

_PARTIAL = re.compile(r"^\s*(?:(?:(\d{1,2})[/.-])?(\d{1,2})[/.-])?(\d{4})\s*$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date of which only the year, or the month and year, may be known (a birth date)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1800 <= self.year <= 2200:
            raise DomainError(_("The year must have four digits."))
        if self.day is not None and self.month is None:
            raise DomainError(_("A day needs a month."))
        if self.month is not None and not 1 <= self.month <= 12:
            raise DomainError(_("The month must be between 1 and 12."))
        if self.day is not None:
            assert self.month is not None
            if not 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]:
                raise DomainError(_("This day does not exist in that month."))

    @classmethod
    def parse(cls, text: str) -> "PartialDate":
        """Read "05/03/1975", "03/1975" or "1975" (dd/mm/yyyy as typed in Vietnam)."""
        match = _PARTIAL.match(text or "")
        if not match:
            raise DomainError(_("Type the date as dd/mm/yyyy, mm/yyyy or yyyy."))
        day, month, year = (int(part) if part else None for part in match.groups())
        return cls(year=year, month=month, day=day)  # type: ignore[arg-type]

    @classmethod
    def from_date(cls, value: date) -> "PartialDate":
        return cls(value.year, value.month, value.day)

    @property
    def is_complete(self) -> bool:
        return self.day is not None

    def earliest(self) -> date:
        """The first day the partial date can mean (1 January for a year alone)."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """The last day the partial date can mean."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.day:02d}/{self.month:02d}/{self.year}"
        if self.month is not None:
            return f"{self.month:02d}/{self.year}"
        return str(self.year)


def add_months(start: date, months: int, overflow: str = "last_day_of_month") -> date:
    """``start`` moved by whole months. A day that does not exist in the target month falls on
    that month's last day (29/02/2024 + 12 months = 28/02/2025; 31/03/2025 + 1 month =
    30/04/2025), or with ``overflow="first_day_of_next_month"`` on the next month's first day.
    The rulebook's ``dates.nonexistent_day`` says which convention is in force.
    """
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if start.day <= 28:  # in every month (most dates: the month's length is not needed)
        return date(year, month + 1, start.day)
    last = calendar.monthrange(year, month + 1)[1]
    if start.day <= last:
        return date(year, month + 1, start.day)
    if overflow == "first_day_of_next_month":
        return date(year, month + 1, last) + timedelta(days=1)
    return date(year, month + 1, last)


def format_date(value: date | None) -> str:
    """dd/mm/yyyy, the way every Vietnamese form writes a date."""
    return value.strftime("%d/%m/%Y") if value else ""
