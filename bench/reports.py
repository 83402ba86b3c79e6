"""Statistics engine benchmark on the SQLite demo (issue 6, Performance: "the whole SQLite demo
province (20,000 members), every node, for today: ≤ 0.5 s").

Run from the project root::

    .venv/bin/python bench/reports.py                 # 20,000 members, 2 provinces
    .venv/bin/python bench/reports.py --members 5000  # to try it out

It builds the demo in a throw-away SQLite database (``seed_demo``), rebuilds the maintained
figures, then times every node's figures for today read from them (``figures.read_all``, what
a national export of today's report reads) and, as the reference they are tested against,
``reports.engine.report`` for the root (every node, all dimensions, from the ledger) for today
and for 30/06/2025 (the tree before the 2025 merge): one warm-up, then the median of five runs,
printed with the ratio to the target. Not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT / "src"), str(ROOT)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

TARGET_S = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--provinces", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="dvbench-reports."))
    (folder / "static").mkdir()
    os.environ["DANGVU_VAR_DIR"] = str(folder)
    os.environ["DANGVU_DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.pop("DANGVU_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangvu.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from dangvu.organizations.models import Organization
    from dangvu.reports import figures
    from dangvu.reports.engine import report

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", provinces=args.provinces, members=args.members)
    print(
        f"demo: {args.members:,} members, {args.provinces} provinces, built in "
        f"{time.monotonic() - started:.1f} s ({folder})"
    )
    root = Organization.objects.get(parent=None)
    begin = time.perf_counter()
    folded = figures.rebuild()
    print(
        f"maintained figures rebuilt: {folded.recounted:,} organizations in {time.perf_counter() - begin:.2f} s"
    )
    figures.read_all()  # warm-up
    times = []
    for _ in range(args.runs):
        begin = time.perf_counter()
        every = figures.read_all()
        times.append(time.perf_counter() - begin)
    median = statistics.median(times)
    print(
        f"every node, today, from the maintained figures (figures.read_all): {len(every):,} nodes,"
        f" {every[root.pk][('total', '')]:,} members; median {median * 1000:.0f} ms of {args.runs};"
        f" ratio to the {TARGET_S} s target {median / TARGET_S:.2f} -> {'PASS' if median <= TARGET_S else 'FAIL'}"
    )
    print(
        "the engine, reading the ledger (any date; the reference the figures are tested against):"
    )
    for label, on in [("today", timezone.localdate()), ("30/06/2025", date(2025, 6, 30))]:
        report(root, on)  # warm-up
        times = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            result = report(root, on)
            times.append(time.perf_counter() - begin)
        median = statistics.median(times)
        counted = result.of(root.pk)
        print(
            f"report of every node, {label}: {len(result.figures):,} nodes, "
            f"{counted[('total', '')]:,} members counted; median {median:.2f} s of {args.runs} "
            f"(min {min(times):.2f}, max {max(times):.2f}); ratio to the {TARGET_S} s target "
            f"{median / TARGET_S:.1f} -> {'PASS' if median <= TARGET_S else 'FAIL'}"
        )
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
