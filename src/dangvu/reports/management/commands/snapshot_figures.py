"""Keep the report figures of past months' 15th and last days
(``reports.figures.make_snapshot``)."""

import time
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dangvu.reports import figures
from dangvu.reports.models import FigureSnapshot


def snapshot_days(count: int, today: date) -> list[date]:
    """The last and the 15th days of the ``count`` months before ``today``'s, latest first
    (``figures.snapshot_day``)."""
    days, end = [], today.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        days += [end, end.replace(day=figures.MID_MONTH)]
        end = end.replace(day=1) - timedelta(days=1)
    return days


class Command(BaseCommand):
    help = (
        "Count and keep the figures of every organization on the 15th and the last day of "
        "each of the past N months that have no snapshot yet (--months, 12 by default), or on "
        "the days given with --on (again, if one exists)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=12, metavar="N")
        parser.add_argument(
            "--on", type=date.fromisoformat, action="append", metavar="YYYY-MM-DD", default=[]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["on"]
        if not days:
            kept = set(FigureSnapshot.objects.values_list("on", flat=True))
            days = [
                d for d in snapshot_days(options["months"], timezone.localdate()) if d not in kept
            ]
        for day in days:
            started = time.monotonic()
            snapshot = figures.make_snapshot(day)
            self.stdout.write(
                f"snapshot of {day:%d/%m/%Y}: {snapshot.rows.count()} organizations "
                f"in {time.monotonic() - started:.1f} s"
            )
