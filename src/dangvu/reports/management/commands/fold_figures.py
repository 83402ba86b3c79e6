"""Bring the maintained report figures up to date (``reports.figures``)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangvu.reports import figures


class Command(BaseCommand):
    help = (
        "Recount the organizations whose figures changed and move the figures to today; "
        "--rebuild recounts every organization; --every N keeps folding every N seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recount everything first")
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="fold again every SECONDS until stopped"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.say(figures.rebuild(), time.monotonic())
        while True:
            started = time.monotonic()
            folded = figures.fold()
            if folded.recounted or not options["every"]:
                self.say(folded, started)
            if not options["every"]:
                return
            time.sleep(options["every"])

    def say(self, folded: figures.Folded, started: float) -> None:
        what = "rebuilt" if folded.rebuilt else "folded"
        self.stdout.write(
            f"figures of {folded.day:%d/%m/%Y} {what}: {folded.recounted} organizations "
            f"recounted in {time.monotonic() - started:.2f} s"
        )
