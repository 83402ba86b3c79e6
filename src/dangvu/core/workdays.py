"""Working days of the public sector: Monday to Friday, minus public holidays and announced
days off, plus announced make-up Saturdays.

The ``holidays`` package gives the rules (Tết, substitutions it knows); ``core.DayOverride`` rows
(loaded from vn_public_sector_days_2024_2027.csv, editable by admins) win where they exist,
because each cites the decision that announced it and the package lacks some swaps (2/1/2026).
"""

from datetime import date, timedelta

import holidays

from dangvu.core.models import DayKind, DayOverride


class WorkingCalendar:
    """Answers working-day questions for a range of years, with the overrides read once."""

    def __init__(self, overrides: dict[date, str], years: range):
        self.overrides = overrides
        self.public = holidays.Vietnam(years=list(years))

    @classmethod
    def load(cls, first_year: int, last_year: int) -> "WorkingCalendar":
        rows = DayOverride.objects.filter(date__year__gte=first_year, date__year__lte=last_year)
        return cls({row.date: row.kind for row in rows}, range(first_year, last_year + 1))

    def is_working_day(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == DayKind.WORKING_SATURDAY
        return bool(self.public.is_working_day(day))

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` ("within N working days from D")."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )


def load_day_overrides(apps: object, schema_editor: object = None) -> None:
    """Load the announced days off and make-up Saturdays from the data file (run by migration)."""
    from dangvu.core.catalogues import read_rows

    model = apps.get_model("core", "DayOverride")  # type: ignore[attr-defined]
    for row in read_rows("vn_public_sector_days_2024_2027.csv"):
        basis = {
            "official": "Thông báo của Chính phủ / Bộ LĐTBXH (xem core/data/README.md)",
            "estimated": "ước tính theo Bộ luật Lao động Điều 111–112, chưa công bố",
            "provisional": "tạm tính (Nghị quyết 80-NQ/TW), chưa có trong Bộ luật Lao động",
        }
        model.objects.update_or_create(
            date=row["date"],
            defaults={
                "kind": row["kind"],
                "name": row["name"],
                "basis": basis.get(row["basis"], row["basis"]),
            },
        )
