"""Report figures at national scale on a throw-away PostgreSQL 15 cluster (issue 6, Performance).

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/figures.py --members 1000000 --provinces 34 --keep

It builds the demo as ``bench/ledger.py`` does (its cluster, tuning and ``build()``: ``migrate``
and ``seed_demo --members N`` with the bulk COPY path), runs ``VACUUM ANALYZE``, then measures
in a new process (as a web worker or the folder would run; with ``--reuse`` it measures the
database of ``DANGVU_DATABASE_URL``, a cluster left by ``--keep``, after ``migrate``):

1. the export of the rows the figures are counted from (``COPY … TO STDOUT`` CSV, then DuckDB
   ``COPY … TO 'x.parquet'``), timed apart; every reference below is a hand-written DuckDB
   query over these Parquet files doing the same counters (``figures_sql``), its result
   checked figure by figure against the product's;
2. ``figures.rebuild()``: every organization's figures for today, all dimensions, written to
   ``reports_organizationfigures``, in its own process: median time, where it goes (SQL
   against Python, per engine function), rows written, memory growth; against DuckDB doing the
   same (ratio, target <= 2x) and the national target (<= 30 s); then a prototype of a grouped
   SQL rebuild inside PostgreSQL (``prototype_steps``; not the product), step by step;
3. ``figures.read_all()``, and ``figures.read()`` of the root, the largest province and the
   largest and the median commune committee (targets 50, 50 and 20 ms) against DuckDB
   computing the same node with its direct subordinates;
4. ``engine.report(root, D)`` for a past date (about 3 months back), every node from the
   ledger, against DuckDB doing it from the effect rows, and the prototype for D (a
   snapshot's cost); then the product's way to a past day (target <= 10 s and <= 5x DuckDB for
   the root with its subordinates): the snapshot of the last snapshot day before D (a month's
   15th or last day), and ``figures.read_on(root, D)`` and at 8 days from it (the farthest a
   day is from its nearest snapshot day), checked against DuckDB and the engine; the other
   nodes through ``tables.figures_on`` against the engine alone;
5. the figure mark's cost per recorded event (the ``figures_stale`` receivers connected or
   not, interleaved, in a new process; target <= 2 ms added);
6. freshness: when an event shows in ``read(root)`` and in ``read()`` of its cell;
   ``read(root)`` with N pending organizations and ``fold()`` after N = 1, 100, 1000 events;
7. two writers in two provinces, each in its own process: p50/p95 alone and together.

Each timing is the median of ``--runs`` runs after one warm-up (``--slow-runs`` for the
rebuild, the past-date report and the prototypes; 0: the first call only). Client and server
CPU seconds and the load average are printed with each phase (``ledger.Phase``), and the commit
of the code each process runs: the machine and the product are shared. The cluster is stopped
and removed at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib.util
import inspect
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT / "src"), str(ROOT)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from tests.pg_harness import HarnessError  # noqa: E402

from bench.ledger import (  # noqa: E402
    GIB,
    Phase,
    Resources,
    backend_pid,
    build,
    check_disk,
    load,
    pct,
    python_speed,
    say,
    setup_django,
    start_cluster,
    start_django,
)

READ_TARGET_MS = {"root": 50.0, "province": 50.0, "commune": 20.0}
REBUILD_RATIO_TARGET = 2.0
REBUILD_TARGET_S = 30.0  # at national scale (6M members)
NATIONAL = 6_000_000
MARK_TARGET_MS = 2.0
PAST_TARGET_S = 10.0
PAST_RATIO_TARGET = 5.0
FARTHEST_DAYS = 8  # the farthest a past day is from its nearest snapshot day
SNAPSHOT_TARGET_MS = 50.0  # a snapshotted month's end, one node with its subordinates
FOLD_EVENTS = [1, 100, 1000]
RESULT = "RESULT "
QUOTE = "'"

Key = tuple[str, str]
Figures = dict[int, Counter[Key]]


# --- small helpers ------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss() -> tuple[float, float]:
    """This process's resident memory now and its peak since the last reset, in GiB."""
    text = Path("/proc/self/status").read_text()
    now = re.search(r"VmRSS:\s+(\d+) kB", text)
    peak = re.search(r"VmHWM:\s+(\d+) kB", text)
    kib = 1024 / GIB
    return (int(now[1]) * kib if now else 0.0, int(peak[1]) * kib if peak else 0.0)


def reset_peak() -> None:
    """Start the peak (VmHWM) over from the current resident size (Linux >= 4.0)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def code_version() -> str:
    """The commit of the code this process runs, and whether src/ differs from it: the product
    may change between two runs, or between the processes of one run."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd", "--date=format:%H:%M"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "code: unknown (no git)"
    return f"code: commit {head}{', src/ modified' if dirty else ''}"


def machine_memory() -> str:
    text = Path("/proc/meminfo").read_text()
    values = {m[1]: int(m[2]) / 1024 / 1024 for m in re.finditer(r"(\w+):\s+(\d+) kB", text)}
    return (
        f"machine memory: {values.get('MemTotal', 0):.1f} GiB, available "
        f"{values.get('MemAvailable', 0):.1f} GiB"
    )


def timed(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """One warm-up call, then ``runs`` timed calls; the seconds of each and the last result."""
    result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return times, result


def spread(times: list[float]) -> str:
    if not times:
        return "-"
    return (
        f"median {ms(median(times))} of {len(times)} (min {ms(min(times))}, max {ms(max(times))})"
    )


@dataclass
class Line:
    """One line of the closing summary."""

    name: str
    measured: str
    target: str = ""
    verdict: str = ""


@dataclass
class Summary:
    lines: list[Line] = field(default_factory=list)

    def add(self, name: str, measured: str, target: str = "", passed: bool | None = None) -> None:
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        self.lines.append(Line(name, measured, target, verdict))

    def show(self) -> None:
        width = max(len(line.name) for line in self.lines)
        for line in self.lines:
            target = f"  [target {line.target}]" if line.target else ""
            verdict = f" {line.verdict}" if line.verdict else ""
            say(f"   {line.name:<{width}}  {line.measured}{target}{verdict}")


# --- where the time goes --------------------------------------------------------------------------


class Probe:
    """Wall time and SQL time inside named functions, patched for the duration (nothing is
    changed in the code); SQL time is the time inside ``cursor.execute`` (the server's work and
    the transfer of the rows; decoding them is counted as Python). Times are inclusive: a
    function called by another counts in both."""

    def __init__(self, targets: list[tuple[Any, str, str]]):
        self.targets = targets
        self.wall: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.queries = 0
        self.sql_total = 0.0
        self.active: list[str] = []

    def _wrap(self, label: str, original: Callable[..., Any]) -> Callable[..., Any]:
        probe = self
        if inspect.isgeneratorfunction(original):

            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                probe.calls[label] += 1
                inner = original(*args, **kwargs)
                while True:  # only the time inside the generator, not its consumer's
                    probe.active.append(label)
                    started = time.perf_counter()
                    try:
                        item = next(inner)
                    except StopIteration:
                        return
                    finally:
                        probe.wall[label] += time.perf_counter() - started
                        probe.active.pop()
                    yield item

            return generator

        def function(*args: Any, **kwargs: Any) -> Any:
            probe.calls[label] += 1
            probe.active.append(label)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                probe.wall[label] += time.perf_counter() - started
                probe.active.pop()

        return function

    def _execute(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.queries += 1
            self.sql_total += spent
            for label in set(self.active):
                self.sql[label] += spent

    @contextmanager
    def installed(self) -> Iterator[Probe]:
        from django.db import connection

        originals = [
            (owner, name, getattr(owner, name), name in vars(owner))
            for owner, name, _label in self.targets
        ]
        for (owner, name, original, _had), (_o, _n, label) in zip(
            originals, self.targets, strict=True
        ):
            setattr(owner, name, self._wrap(label, original))
        try:
            with connection.execute_wrapper(self._execute):
                yield self
        finally:
            for owner, name, original, had in reversed(originals):
                if had:
                    setattr(owner, name, original)
                else:
                    delattr(owner, name)

    def report(self, total: float, labels: list[str], top: list[str]) -> None:
        say(
            f"   where the time goes (inclusive; SQL = inside cursor.execute, the rest is Python "
            f"in this process): {self.queries:,} queries"
        )
        say(f"   {'function':<44} {'calls':>6} {'wall s':>8} {'SQL s':>7} {'Python s':>9}")
        for label in labels:
            if not self.calls[label]:
                continue
            wall, sql = self.wall[label], self.sql[label]
            say(
                f"   {label:<44} {self.calls[label]:>6} {wall:>8.2f} {sql:>7.2f} {wall - sql:>9.2f}"
            )
        rest = total - sum(self.wall[label] for label in top)
        rest_sql = self.sql_total - sum(self.sql[label] for label in top)
        say(
            f"   {'not in the functions above':<44} {'':>6} {rest:>8.2f} {rest_sql:>7.2f} {rest - rest_sql:>9.2f}"
        )
        say(
            f"   {'all (the call)':<44} {'':>6} {total:>8.2f} {self.sql_total:>7.2f} "
            f"{total - self.sql_total:>9.2f}"
        )


def engine_targets(
    with_rebuild: bool,
) -> tuple[list[tuple[Any, str, str]], list[str], list[str]]:
    """The functions to time: (owner, attribute, label); the labels in order; the top-level
    ones (called by the measured call itself, not by each other)."""
    from dangvu.reports import engine, figures
    from dangvu.reports.models import OrganizationFigures

    targets: list[tuple[Any, str, str]] = []
    top = ["engine.compute"]
    if with_rebuild:
        # the rows are written by figures._write_all (COPY) since 907592c, before by bulk_create
        write: tuple[Any, str, str] = (
            (figures, "_write_all", "figures._write_all (COPY of the rows)")
            if hasattr(figures, "_write_all")
            else (OrganizationFigures.objects, "bulk_create", "OrganizationFigures bulk_create")
        )
        targets += [
            (figures, "tree_as_of", "figures: tree_as_of (the roots)"),
            (figures, "to_json", "figures.to_json (own and total)"),
            write,
        ]
        top += ["figures: tree_as_of (the roots)", "figures.to_json (own and total)", write[2]]
    targets += [
        (engine, "compute", "engine.compute"),
        (engine, "tree_as_of", "engine: tree_as_of"),
        (engine, "count_ledger", "engine.count_ledger (effect rows)"),
        (engine, "describe", "engine.describe (all below)"),
        (engine, "curriculum_on", "engine.curriculum_on (4 curriculum tables)"),
        (engine, "party_age_months", "engine.party_age_months"),
        (engine, "party_ages", "engine.party_ages (replay of the events)"),
    ]
    labels = list(dict.fromkeys(label for _o, _n, label in targets))
    return targets, labels, top


# --- the rows, exported for DuckDB ------------------------------------------------------------


@dataclass
class Tables:
    """Physical names of the tables and columns the figures are counted from; the Parquet
    export keeps the same column names, so the same SQL reads both."""

    names: dict[str, str]
    curriculum: list[tuple[str, str, str, str]]  # dimension, records table, column, catalogue

    @classmethod
    def from_models(cls) -> Tables:
        from dangvu.core.models import Ethnicity, Religion
        from dangvu.membership.models import EventEffect, Member
        from dangvu.organizations.models import OrganizationVersion
        from dangvu.people.models import Person
        from dangvu.reports.engine import CURRICULUM

        names = {
            "effects": EventEffect._meta.db_table,
            "members": Member._meta.db_table,
            "persons": Person._meta.db_table,
            "ethnicities": Ethnicity._meta.db_table,
            "religions": Religion._meta.db_table,
            "versions": OrganizationVersion._meta.db_table,
        }
        curriculum: list[tuple[str, str, str, str]] = []
        for dimension, model, name in CURRICULUM:
            fk: Any = model._meta.get_field(name)
            names[dimension] = model._meta.db_table
            names[f"{dimension}_catalogue"] = fk.related_model._meta.db_table
            curriculum.append((dimension, dimension, str(fk.column), f"{dimension}_catalogue"))
        return cls(names, curriculum)

    def exports(self) -> list[tuple[str, str, dict[str, str]]]:
        """(logical name, the PostgreSQL query, DuckDB column types)."""
        n = self.names
        rows = [
            (
                "effects",
                f"SELECT member_id, organization_id, counter, delta, effective_date FROM {n['effects']}",
                {
                    "member_id": "BIGINT",
                    "organization_id": "BIGINT",
                    "counter": "VARCHAR",
                    "delta": "SMALLINT",
                    "effective_date": "DATE",
                },
            ),
            (
                "members",
                f"SELECT id, person_id, party_age_from, first_admission_date FROM {n['members']}",
                {
                    "id": "BIGINT",
                    "person_id": "BIGINT",
                    "party_age_from": "DATE",
                    "first_admission_date": "DATE",
                },
            ),
            (
                "persons",
                "SELECT id, gender, ethnicity_id, religion_id, birth_year, birth_month, birth_day "
                f"FROM {n['persons']}",
                {
                    "id": "BIGINT",
                    "gender": "VARCHAR",
                    "ethnicity_id": "VARCHAR",
                    "religion_id": "VARCHAR",
                    "birth_year": "INTEGER",
                    "birth_month": "INTEGER",
                    "birth_day": "INTEGER",
                },
            ),
            (
                "ethnicities",
                f"SELECT code, is_minority FROM {n['ethnicities']}",
                {"code": "VARCHAR", "is_minority": "BOOLEAN"},
            ),
            (
                "religions",
                f"SELECT code, is_religious FROM {n['religions']}",
                {"code": "VARCHAR", "is_religious": "BOOLEAN"},
            ),
            (
                "versions",
                "SELECT organization_id, parent_id, kind_id, category_id, valid_from, valid_to "
                f"FROM {n['versions']}",
                {
                    "organization_id": "BIGINT",
                    "parent_id": "BIGINT",
                    "kind_id": "VARCHAR",
                    "category_id": "VARCHAR",
                    "valid_from": "DATE",
                    "valid_to": "DATE",
                },
            ),
        ]
        for dimension, _records, column, catalogue in self.curriculum:
            rows.append(
                (
                    dimension,
                    f"SELECT id, person_id, valid_from, {column} FROM {n[dimension]}",
                    {
                        "id": "BIGINT",
                        "person_id": "BIGINT",
                        "valid_from": "DATE",
                        column: "VARCHAR",
                    },
                )
            )
            rows.append(
                (
                    catalogue,
                    f"SELECT code, report_group FROM {n[catalogue]}",
                    {"code": "VARCHAR", "report_group": "VARCHAR"},
                )
            )
        return rows


def copy_out(sql: str, path: Path) -> None:
    from django.db import connection

    connection.ensure_connection()
    raw: Any = connection.connection
    with (
        path.open("wb") as out,
        raw.cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy,
    ):
        for block in copy:
            out.write(block)


def export_parquet(tables: Tables, folder: Path, duck: Any) -> dict[str, Path]:
    """Each table's needed columns: PostgreSQL COPY to CSV, then DuckDB CSV to Parquet."""
    paths: dict[str, Path] = {}
    say(
        f"   {'table':<24} {'rows':>11} {'CSV MB':>7} {'COPY TO s':>9} {'Parquet MB':>10} {'to Parquet s':>12}"
    )
    pg_total = duck_total = 0.0
    for name, sql, columns in tables.exports():
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        started = time.perf_counter()
        copy_out(sql, csv)
        pg = time.perf_counter() - started
        started = time.perf_counter()
        types = ", ".join(f"'{column}': '{kind}'" for column, kind in columns.items())
        duck.execute(
            f"COPY (SELECT * FROM read_csv('{csv}', header = true, columns = {{{types}}})) "
            f"TO '{parquet}' (FORMAT parquet)"
        )
        converted = time.perf_counter() - started
        rows = duck.execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()[0]
        say(
            f"   {name:<24} {rows:>11,} {csv.stat().st_size / 1e6:>7.1f} {pg:>9.2f} "
            f"{parquet.stat().st_size / 1e6:>10.1f} {converted:>12.2f}"
        )
        csv.unlink()
        pg_total += pg
        duck_total += converted
        paths[name] = parquet
        duck.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{parquet}')")
    say(
        f"   export: COPY TO STDOUT (CSV) {pg_total:.1f} s + DuckDB CSV -> Parquet "
        f"{duck_total:.1f} s = {pg_total + duck_total:.1f} s (not counted in the references)"
    )
    return paths


# --- the reference query (DuckDB), also the PostgreSQL prototype ----------------------------------


def band_sql(expression: str, bands: list[tuple[str, int | None, int | None]]) -> str:
    """The label of the band ``expression`` falls in (reports.rules.band in SQL)."""
    whens = []
    for label, low, high in bands:
        conditions = []
        if low is not None:
            conditions.append(f"{expression} >= {low}")
        if high is not None:
            conditions.append(f"{expression} <= {high}")
        whens.append(f"WHEN {' AND '.join(conditions) or 'TRUE'} THEN '{label}'")
    return f"CASE {' '.join(whens)} END"


def figures_sql(
    dialect: str, tables: Tables, on: date, milestones: list[int], node: int | None
) -> str:
    """Every figure of the engine (reports.engine.compute) for ``on``, from the effect rows:
    rows (organization_id, dimension, value, own, total). ``node`` None: every organization
    alive on ``on``; else ``node`` and its direct subordinates (their subtree totals, ``own``
    not computed). ``dialect``: "duckdb" (the Parquet views) or "postgres" (the tables).

    Party age is counted from ``Member.party_age_from``, or the first admission for a member
    without it (who has left since, or is in an open gap); the product replays the events of
    those members, and for a past date of every official member. The figures agree as long
    as no gap in party age opened or closed after ``on``."""
    from dangvu.reports import rules

    duck = dialect == "duckdb"
    n = tables.names if not duck else {key: key for key in tables.names}
    div = "//" if duck else "/"
    day = f"DATE '{on.isoformat()}'"
    last_day = (date(on.year + on.month // 12, on.month % 12 + 1, 1) - timedelta(days=1)).day

    def months_since(year: str, month: str, day_: str) -> str:
        """reports.rules / membership.rules.completed_months from (year, month, day) to ``on``."""
        return (
            f"(({on.year} - {year}) * 12 + {on.month} - {month} - "
            f"CASE WHEN least({day_}, {last_day}) > {on.day} THEN 1 ELSE 0 END)"
        )

    def part(expression: str, unit: str) -> str:
        return f"CAST(extract({unit} FROM {expression}) AS INTEGER)"

    age_months = months_since(
        "p.birth_year",
        "coalesce(p.birth_month, 1)",
        "CASE WHEN p.birth_month IS NULL THEN 1 ELSE coalesce(p.birth_day, 1) END",
    )
    party_months = months_since(
        part("h.party_age_from", "year"),
        part("h.party_age_from", "month"),
        part("h.party_age_from", "day"),
    )
    alive = (
        f"SELECT organization_id AS id, parent_id, kind_id, coalesce(category_id, '') AS category_id "
        f"FROM {n['versions']} WHERE valid_from <= {day} AND (valid_to IS NULL OR valid_to > {day})"
    )
    if node is None:
        buckets = (
            "buckets(id, bucket) AS (SELECT id, id FROM alive UNION ALL "
            "SELECT b.id, a.parent_id FROM buckets b JOIN alive a ON a.id = b.bucket "
            "WHERE a.parent_id IS NOT NULL)"
        )
        scope = "SELECT id FROM alive"
    else:
        buckets = (
            f"down(id, top) AS (SELECT id, id FROM alive WHERE parent_id = {node} UNION ALL "
            "SELECT a.id, d.top FROM alive a JOIN down d ON a.parent_id = d.id), "
            f"buckets(id, bucket) AS (SELECT {node}, {node} UNION ALL "
            f"SELECT id, {node} FROM down UNION ALL SELECT id, top FROM down)"
        )
        scope = "SELECT id FROM buckets"
    curriculum_ctes = []
    curriculum_joins = []
    curriculum_columns = []
    for dimension, _records, column, catalogue in tables.curriculum:
        group = "coalesce(nullif(k.report_group, ''), k.code)"
        known = f"(r.valid_from <= {day} OR r.valid_from IS NULL)"
        wanted = "r.person_id IN (SELECT person_id FROM heads)"
        if duck:
            body = (
                f"SELECT r.person_id, arg_max({group}, (r.valid_from IS NOT NULL, "
                f"coalesce(r.valid_from, {day}), r.id)) AS grp FROM {n[dimension]} r "
                f"JOIN {n[catalogue]} k ON k.code = r.{column} WHERE {known} AND {wanted} "
                "GROUP BY r.person_id"
            )
        else:
            body = (
                f"SELECT DISTINCT ON (r.person_id) r.person_id, {group} AS grp "
                f"FROM {n[dimension]} r JOIN {n[catalogue]} k ON k.code = r.{column} "
                f"WHERE {known} AND {wanted} ORDER BY r.person_id, (r.valid_from IS NOT NULL) DESC, "
                f"coalesce(r.valid_from, {day}) DESC, r.id DESC"
            )
        curriculum_ctes.append(f"c_{dimension} AS ({body})")
        curriculum_joins.append(f"LEFT JOIN c_{dimension} ON c_{dimension}.person_id = h.person_id")
        curriculum_columns.append(f"coalesce(c_{dimension}.grp, '') AS {dimension}")
    described = [
        ("'gender'", "gender", ""),
        ("'ethnicity'", "ethnicity_id", ""),
        ("'religion'", "religion_id", ""),
        ("'age'", "age_band", ""),
        ("'age5'", "age5_band", ""),
        ("'minority'", "''", "WHERE minority"),
        ("'religious'", "''", "WHERE religious"),
        ("'total'", "''", ""),
        ("'standing'", "standing", ""),
        ("'party_age'", "party_band", "WHERE party_band IS NOT NULL"),
        *((f"'{d}'", d, "") for d, *_rest in tables.curriculum),
    ]
    own_parts = [
        f"SELECT org, {dimension} AS dimension, {value} AS value, count(*) AS n FROM described "
        f"{where} GROUP BY {'org' if value.startswith(QUOTE) else f'org, {value}'}"
        for dimension, value, where in described
    ]
    milestone_rows = " UNION ALL ".join(f"SELECT {years} AS years" for years in milestones)
    if milestones:
        own_parts.append(
            "SELECT d.org, 'badge', CAST(ms.years AS VARCHAR), count(*) FROM described d "
            f"JOIN ({milestone_rows}) ms ON d.party_months >= ms.years * 12 "
            "WHERE d.party_months IS NOT NULL GROUP BY d.org, ms.years"
        )
    own_parts += [
        "SELECT org, CASE WHEN counter IN ('in_transit', 'hosted') THEN counter ELSE 'activity' "
        "END, CASE WHEN counter IN ('in_transit', 'hosted') THEN '' ELSE counter END, count(*) "
        "FROM counted WHERE counter NOT IN ('probationary', 'official') GROUP BY org, counter",
        f"SELECT parent_id, 'kind', kind_id, count(*) FROM alive WHERE parent_id IN ({scope}) "
        "GROUP BY parent_id, kind_id",
        f"SELECT parent_id, 'category', category_id, count(*) FROM alive "
        f"WHERE parent_id IN ({scope}) GROUP BY parent_id, category_id",
    ]
    ctes = [
        f"alive AS MATERIALIZED ({alive})",
        buckets,
        f"counted AS MATERIALIZED (SELECT member_id, organization_id AS org, counter "
        f"FROM {n['effects']} WHERE effective_date <= {day} AND organization_id IN ({scope}) "
        "GROUP BY member_id, organization_id, counter HAVING sum(delta) > 0)",
        f"heads AS MATERIALIZED (SELECT c.org, c.counter AS standing, m.person_id, "
        f"coalesce(m.party_age_from, m.first_admission_date) AS party_age_from "
        f"FROM counted c JOIN {n['members']} m ON m.id = c.member_id "
        "WHERE c.counter IN ('probationary', 'official'))",
        *curriculum_ctes,
        "described AS MATERIALIZED (SELECT h.org, h.standing, p.gender, p.ethnicity_id, "
        "p.religion_id, coalesce(e.is_minority, false) AS minority, "
        "coalesce(r.is_religious, false) AS religious, "
        f"{band_sql(f'({age_months} {div} 12)', rules.AGE_BANDS)} AS age_band, "
        f"{band_sql(f'({age_months} {div} 12)', rules.FIVE_YEAR_BANDS)} AS age5_band, "
        "CASE WHEN h.standing = 'official' THEN "
        f"{party_months} END AS party_months, "
        "CASE WHEN h.standing = 'official' AND h.party_age_from IS NOT NULL THEN "
        f"{band_sql(f'({party_months} {div} 12)', rules.PARTY_AGE_BANDS)} "
        f"END AS party_band, {', '.join(curriculum_columns)} "
        f"FROM heads h JOIN {n['persons']} p ON p.id = h.person_id "
        f"LEFT JOIN {n['ethnicities']} e ON e.code = p.ethnicity_id "
        f"LEFT JOIN {n['religions']} r ON r.code = p.religion_id "
        f"{' '.join(curriculum_joins)})",
        f"own AS MATERIALIZED ({' UNION ALL '.join(own_parts)})",
        "totals AS (SELECT b.bucket AS organization_id, o.dimension, o.value, sum(o.n) AS total "
        "FROM own o JOIN buckets b ON b.id = o.org GROUP BY b.bucket, o.dimension, o.value)",
    ]
    if node is None:
        select = (
            "SELECT t.organization_id, t.dimension, t.value, CAST(coalesce(o.n, 0) AS INTEGER) "
            "AS own, CAST(t.total AS INTEGER) AS total FROM totals t LEFT JOIN own o "
            "ON o.org = t.organization_id AND o.dimension = t.dimension AND o.value = t.value"
        )
    else:
        select = (
            "SELECT organization_id, dimension, value, 0 AS own, CAST(total AS INTEGER) AS total "
            "FROM totals"
        )
    return f"WITH RECURSIVE {', '.join(ctes)} {select}"


def fetch_all(duck: Any, sql: str) -> list[tuple[Any, ...]]:
    return list(duck.execute(sql).fetchall())


def as_figures(rows: list[tuple[Any, ...]]) -> Figures:
    figures: Figures = {}
    for organization_id, dimension, value, _own, total in rows:
        if total:
            figures.setdefault(organization_id, Counter())[(dimension, value)] = total
    return figures


def differences(product: Figures, reference: Figures) -> Counter[str]:
    """Per dimension, the (organization, value) cells where the two differ."""
    wrong: Counter[str] = Counter()
    for pk in product.keys() | reference.keys():
        mine, theirs = product.get(pk, Counter()), reference.get(pk, Counter())
        for key in mine.keys() | theirs.keys():
            if mine[key] != theirs[key]:
                wrong[key[0]] += 1
    return wrong


def say_differences(what: str, wrong: Counter[str], cells: int) -> None:
    if not wrong:
        say(f"   check: {what}: all {cells:,} figures equal")
        return
    detail = ", ".join(f"{dimension} {count:,}" for dimension, count in wrong.most_common())
    say(f"   check: {what}: {sum(wrong.values()):,} of {cells:,} figures differ ({detail})")


# --- nodes ----------------------------------------------------------------------------------------


@dataclass
class Node:
    label: str
    organization: Any
    members: int
    children: int
    subtree: int
    target_ms: float


def pick_nodes(today: date) -> list[Node]:
    """The root, the province with the most members, the commune committees with the most
    members and with the median number."""
    from dangvu.organizations.models import Organization
    from dangvu.organizations.selectors import versions_on

    alive = versions_on(today)
    root_id = alive.filter(parent__isnull=True).values_list("organization_id", flat=True)[0]
    provinces = list(alive.filter(parent_id=root_id).values_list("organization_id", flat=True))
    communes = list(
        alive.filter(parent_id__in=provinces, kind_id="upper").values_list(
            "organization_id", flat=True
        )
    )
    members = subtree_members()
    communes = sorted(communes or provinces, key=lambda pk: members.get(pk, 0))
    chosen = [
        ("root", root_id, READ_TARGET_MS["root"]),
        (
            "largest province",
            max(provinces, key=lambda pk: members.get(pk, 0)),
            READ_TARGET_MS["province"],
        ),
        ("largest commune committee", communes[-1], READ_TARGET_MS["commune"]),
        ("median commune committee", communes[len(communes) // 2], READ_TARGET_MS["commune"]),
    ]
    nodes = []
    for label, pk, target in chosen:
        organization = Organization.objects.get(pk=pk)
        nodes.append(
            Node(
                label,
                organization,
                members.get(pk, 0),
                alive.filter(parent_id=pk).count(),
                Organization.objects.filter(path__startswith=organization.path).count(),
                target,
            )
        )
    return nodes


# --- data summary ---------------------------------------------------------------------------------


def data_summary(today: date) -> dict[str, int]:
    from django.db import connection

    from dangvu.membership.models import EventEffect, Member
    from dangvu.organizations.selectors import versions_on

    counts = {
        "members": Member.objects.count(),
        "members in the Party": Member.objects.exclude(standing="left").count(),
        "official members without party_age_from": Member.objects.filter(
            standing="official", party_age_from__isnull=True
        ).count(),
        "effect rows": EventEffect.objects.count(),
        "organizations alive today": versions_on(today).count(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        counts["database bytes"] = cursor.fetchone()[0]
    say(
        "   "
        + ", ".join(
            f"{name} {value / 1e9:.2f} GB" if name == "database bytes" else f"{name} {value:,}"
            for name, value in counts.items()
        )
    )
    return counts


# --- the product: rebuild, read, report ---------------------------------------------------------


@dataclass
class Measured:
    times: list[float]
    probe: Probe | None = None
    peak_gib: float = 0.0
    base_gib: float = 0.0


def measure_instrumented(
    name: str, call: Callable[[], Any], runs: int, rebuild: bool
) -> tuple[Measured, Any]:
    """The warm-up under the probe (where the time goes; its small overhead stays out of the
    timings), then ``runs`` timed runs, each with the peak resident memory of this process."""
    targets, labels, top = engine_targets(rebuild)
    probe = Probe(targets)
    gc.collect()
    base, _ = rss()
    reset_peak()
    with probe.installed():
        started = time.perf_counter()
        result = call()
        probed = time.perf_counter() - started
    peak = rss()[1]
    say(
        f"   {name} warm-up under the probe: {ms(probed)}, peak memory {peak:.2f} GiB "
        f"({peak - base:+.2f} GiB over the {base:.2f} GiB before the call)"
    )
    probe.report(probed, labels, top)
    if not runs:  # --slow-runs 0 (national scale): the first call is the measurement
        say(f"   {name}: no further runs (--slow-runs 0); the time above is the measurement")
        return Measured([probed], probe, peak - base, base), result
    times, peaks = [], [peak - base]
    for number in range(runs):
        del result
        gc.collect()
        base, _ = rss()
        reset_peak()
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
        peak = rss()[1]
        peaks.append(peak - base)
        say(
            f"   {name} run {number + 1}: {ms(times[-1])}, peak memory {peak:.2f} GiB "
            f"({peak - base:+.2f} GiB over the call's start) ({load()})"
        )
    return Measured(times, probe, max(peaks), base), result


def pg(query: str) -> list[Any]:
    """Run one statement on Django's connection; its rows, if any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall() if cursor.description else []


def stored_table() -> str:
    from dangvu.reports.models import OrganizationFigures

    return OrganizationFigures._meta.db_table


def long_rows(table: str) -> str:
    """The figures of a table shaped like reports_organizationfigures (one row per
    organization, ``{dimension: {value: count}}`` as JSON) as rows (organization_id,
    dimension, value, own, total), in PostgreSQL."""

    def flat(column: str) -> str:
        return (
            f"SELECT f.organization_id, d.key AS dimension, v.key AS value, "
            f"(v.value)::int AS n FROM {table} f, jsonb_each(f.{column}) d, "
            "jsonb_each(d.value) v"
        )

    return (
        f"SELECT t.organization_id, t.dimension, t.value, coalesce(o.n, 0) AS own, t.n AS total "
        f"FROM ({flat('total')}) t LEFT JOIN ({flat('own')}) o ON o.organization_id = "
        "t.organization_id AND o.dimension = t.dimension AND o.value = t.value"
    )


def subtree_members(organization_ids: list[int] | None = None) -> dict[int, int]:
    """Members counted in each organization's subtree, from the stored figures."""
    from django.db import connection

    where = ""
    if organization_ids is not None:
        where = (
            f" WHERE organization_id IN ({', '.join(str(pk) for pk in organization_ids) or 'NULL'})"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id, coalesce((total -> 'total' ->> '')::int, 0) "
            f"FROM {stored_table()}{where}"
        )
        return dict(cursor.fetchall())


def compare_tables(execute: Callable[[str], list[Any]], product: str, other: str) -> Counter[str]:
    """Per dimension, the (organization, dimension, value) rows whose own or total differ
    between two tables or queries of rows (organization_id, dimension, value, own, total),
    in PostgreSQL or DuckDB."""
    rows = execute(
        "SELECT coalesce(a.dimension, b.dimension), count(*) FROM "
        f"(SELECT organization_id, dimension, coalesce(value, '') AS value, own, total FROM {product} AS x) a "
        f"FULL JOIN (SELECT organization_id, dimension, coalesce(value, '') AS value, own, total FROM {other} AS y) b "
        "ON a.organization_id = b.organization_id AND a.dimension = b.dimension AND a.value = b.value "
        "WHERE a.total IS DISTINCT FROM b.total OR a.own IS DISTINCT FROM b.own GROUP BY 1"
    )
    return Counter({dimension: count for dimension, count in rows})


# --- events ---------------------------------------------------------------------------------------


class Recorder:
    """Records exemptions (and their ends) through the service, as ``bench/ledger.py`` does:
    the member loaded before the clock starts, the ``system`` user as actor."""

    def __init__(self, seed: int):
        from django.utils import timezone

        from dangvu.demo.management.commands.seed_demo import system_user

        self.actor = system_user()
        self.today = timezone.localdate()
        self.rng = random.Random(seed)

    def eligible(self, under: str | None = None) -> list[int]:
        from dangvu.membership.models import Member, Standing

        members = Member.objects.filter(
            standing=Standing.OFFICIAL,
            is_exempted=False,
            is_suspended=False,
            is_in_transit=False,
            is_temporarily_away=False,
            is_lost_contact=False,
        )
        if under is not None:
            members = members.filter(organization__path__startswith=under)
        return list(members.order_by("pk").values_list("pk", flat=True))

    def fetch(self, pk: int) -> Any:
        from dangvu.membership.models import Member

        return Member.objects.select_related(
            "person", "organization", "pending_transfer_to", "host_organization"
        ).get(pk=pk)

    def exempt(self, pk: int) -> tuple[float, float]:
        """Seconds and CPU seconds of one exemption."""
        from dangvu.membership import services

        member = self.fetch(pk)
        cpu, started = time.process_time(), time.perf_counter()
        services.exempt_member(actor=self.actor, member=member, on=self.today, reason="age_health")
        return time.perf_counter() - started, time.process_time() - cpu

    def end(self, pk: int) -> tuple[float, float]:
        from dangvu.membership import services

        member = self.fetch(pk)
        cpu, started = time.process_time(), time.perf_counter()
        services.end_exemption(actor=self.actor, member=member, on=self.today)
        return time.perf_counter() - started, time.process_time() - cpu


@contextmanager
def receivers_disconnected() -> Iterator[int]:
    """``core.signals.figures_stale`` without its receivers (the figure mark) for the block."""
    from dangvu.core.signals import figures_stale

    saved = list(figures_stale.receivers)
    with figures_stale.lock:
        figures_stale.receivers = []
        figures_stale.sender_receivers_cache.clear()
    try:
        yield len(saved)
    finally:
        with figures_stale.lock:
            figures_stale.receivers = saved
            figures_stale.sender_receivers_cache.clear()


def child_mark(args: argparse.Namespace) -> int:
    """Exemption + end pairs with and without the figures_stale receivers, in interleaved
    blocks (this VM's speed drifts); then ``figures.mark`` alone."""
    from django.db import transaction

    from dangvu.reports import figures

    recorder = Recorder(args.seed)
    pool = recorder.eligible()
    blocks, per_block = 10, max(1, args.events // 10)
    needed = 5 + blocks * per_block
    picked = recorder.rng.sample(pool, min(len(pool), needed))
    for pk in picked[:5]:  # warm-up, not counted
        recorder.exempt(pk)
        recorder.end(pk)
    result: dict[str, list[float]] = {"with": [], "without": [], "mark": []}
    speed_before = python_speed()
    for block in range(blocks):
        mode = "with" if block % 2 == 0 else "without"
        chunk = picked[5 + block * per_block : 5 + (block + 1) * per_block]
        for pk in chunk:
            if mode == "with":
                first, second = recorder.exempt(pk)[0], recorder.end(pk)[0]
            else:
                with receivers_disconnected():
                    first, second = recorder.exempt(pk)[0], recorder.end(pk)[0]
            result[mode] += [first * 1000, second * 1000]
    organizations = list(
        {recorder.fetch(pk).organization_id for pk in picked[: max(1, args.events // 2)]}
    )
    for pk in organizations:  # what a service sends: its organization (and a host, rarely)
        with transaction.atomic():
            started = time.perf_counter()
            figures.mark([pk])
            result["mark"].append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    result["speed"] = [speed_before * 1000, python_speed() * 1000]
    say(RESULT + json.dumps(result))
    return 0


def child_writer(args: argparse.Namespace) -> int:
    """Exemption + end pairs for members of one organization's subtree; with ``--wait``, prints
    READY after the warm-up and starts when a line arrives on stdin."""
    from dangvu.organizations.models import Organization

    recorder = Recorder(args.seed)
    path = Organization.objects.get(pk=args.under).path
    pool = recorder.eligible(path)
    pairs = max(1, args.events // 2)
    picked = recorder.rng.sample(pool, min(len(pool), pairs + 5))
    for pk in picked[:5]:
        recorder.exempt(pk)
        recorder.end(pk)
    if args.wait:
        print("READY", flush=True)
        sys.stdin.readline()
    seconds: list[float] = []
    cpu: list[float] = []
    began = time.time()
    started = time.perf_counter()
    for pk in picked[5:]:
        for call in (recorder.exempt, recorder.end):
            wall, used = call(pk)
            seconds.append(wall * 1000)
            cpu.append(used * 1000)
    elapsed = time.perf_counter() - started
    say(
        RESULT
        + json.dumps(
            {
                "ms": seconds,
                "cpu": cpu,
                "elapsed": elapsed,
                "began": began,
                "ended": time.time(),
                "speed": python_speed() * 1000,
            }
        )
    )
    return 0


def child_heavy(args: argparse.Namespace) -> int:
    """``--child rebuild``: figures.rebuild(); ``--child past``: engine.report(root, past),
    its figures written to ``--output`` as CSV. Measured in a fresh process, so that the first
    call's memory growth is the call's own."""
    from django.utils import timezone

    from dangvu.organizations.models import Organization
    from dangvu.organizations.selectors import versions_on
    from dangvu.reports import engine, figures

    say(f"   {code_version()} (this process)")
    if args.child == "rebuild":
        with Phase("figures.rebuild() in this process", backend_pid):
            measured, _ = measure_instrumented("rebuild", figures.rebuild, args.slow_runs, True)
        say(RESULT + json.dumps({"times": measured.times, "peak": measured.peak_gib}))
        return 0
    today = timezone.localdate()
    root_id = (
        versions_on(today).filter(parent__isnull=True).values_list("organization_id", flat=True)[0]
    )
    root = Organization.objects.get(pk=root_id)
    past = args.past_date
    with Phase(f"engine.report(root, {past}) in this process", backend_pid):
        measured, result = measure_instrumented(
            f"report(root, {past})", partial(engine.report, root, past), args.slow_runs, False
        )
    cells = 0
    with open(args.output, "w", encoding="utf-8") as out:
        out.write("organization_id,dimension,value,own,total\n")
        for pk, counter in result.figures.items():
            for (dimension, value), count in counter.items():
                if count:
                    cells += 1
                    quoted = '"' + str(value).replace('"', '""') + '"'
                    out.write(f"{pk},{dimension},{quoted},0,{count}\n")
    say(
        RESULT
        + json.dumps(
            {
                "times": measured.times,
                "peak": measured.peak_gib,
                "nodes": len(result.figures),
                "cells": cells,
            }
        )
    )
    return 0


def speed_text(result: dict[str, Any]) -> str:
    return (
        f"p50 {median(result['ms']):.2f} ms, CPU {median(result['cpu']):.2f} ms/call, "
        f"{result['elapsed']:.2f} s; the fixed Python loop after it {result['speed']:.0f} ms"
    )


def child_command(args: argparse.Namespace, child: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        child,
        "--events",
        str(args.events),
        "--seed",
        str(args.seed),
        "--slow-runs",
        str(args.slow_runs),
        *extra,
    ]


def run_child(command: list[str]) -> dict[str, Any]:
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        result: dict[str, Any] = {}
        for line in child.stdout:
            if line.startswith(RESULT):
                result = json.loads(line[len(RESULT) :])
            else:
                say(line.rstrip("\n"))
    if child.returncode or not result:
        raise SystemExit(f"{' '.join(command[2:])} failed (exit status {child.returncode})")
    return result


def run_together(commands: list[list[str]]) -> tuple[list[dict[str, Any]], Counter[str], int]:
    """Start the writers, wait until each has warmed up, then let them go at once; sample
    what the PostgreSQL backends wait for meanwhile."""
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
        for command in commands
    ]
    results: list[dict[str, Any]] = [{} for _ in children]
    for child in children:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("READY"):
                break
            say(line.rstrip("\n"))
    waits: Counter[str] = Counter()
    samples = [0]
    done = threading.Event()

    def sample() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            while not done.is_set():
                cursor.execute(
                    "SELECT wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE state = 'active' AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                )
                samples[0] += 1
                for kind, event in cursor.fetchall():
                    waits[f"{kind or 'CPU'}:{event or '-'}"] += 1
                time.sleep(0.005)
        connection.close()

    sampler = threading.Thread(target=sample)
    sampler.start()

    def drain(index: int) -> None:
        stream = children[index].stdout
        assert stream is not None
        for line in stream:
            if line.startswith(RESULT):
                results[index] = json.loads(line[len(RESULT) :])
            else:
                say(line.rstrip("\n"))

    readers = [threading.Thread(target=drain, args=(i,)) for i in range(len(children))]
    for reader in readers:
        reader.start()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for reader in readers:
        reader.join()
    for child in children:
        child.wait()
    done.set()
    sampler.join()
    if any(child.returncode for child in children) or not all(results):
        raise SystemExit("a writer failed")
    return results, waits, samples[0]


# --- the measuring process ------------------------------------------------------------------------


def measure_near(
    args: argparse.Namespace,
    summary: Summary,
    nodes: list[Node],
    near: date,
    on: date,
    duck: Any,
    tables: Tables,
    milestones: list[int],
    engine_known: bool,
) -> None:
    """``figures.read_on(root, on)``: the snapshot of ``near`` plus the members whose figures
    changed in between (target <= 10 s and <= 5x DuckDB counting the same node and its
    subordinates from the effect rows); then each other node as the report screens read it
    (``tables.figures_on``: the same, or the engine for a subtree of at most
    ``ENGINE_UP_TO`` members), against the engine alone. ``engine_known``: the engine's
    every-node report of ``on`` is in DuckDB's ``product_past`` (step 4)."""
    from dangvu.reports import engine, figures
    from dangvu.reports import tables as report_tables

    say(
        f"\n== a past day near a snapshot: {on}, {abs((on - near).days)} days from {near} ({load()})"
    )
    started = time.perf_counter()
    changed = figures.changed_members(*sorted((near, on)))
    say(
        f"   figures.changed_members: {len(changed):,} members whose figures may differ "
        f"between the two days, found in {ms(time.perf_counter() - started)}"
    )
    root = nodes[0]
    with Phase(f"figures.read_on(root, {on})", backend_pid):
        times, result = timed(partial(figures.read_on, root.organization, on), args.runs)
    if result is None:
        say(
            "   read_on(root) did not serve: no snapshot near, a change of the tree or the rules"
            f" in between, or at most {figures.ENGINE_UP_TO:,} members (the engine counts them)"
        )
        return
    say(f"   read_on(root, {on}): {spread(times)}")
    cells = sum(len(c) for c in result.values())
    line = ms(median(times))
    passed = median(times) <= PAST_TARGET_S
    if duck is not None:
        sql = figures_sql("duckdb", tables, on, milestones, root.organization.pk)
        ref_times, rows = timed(partial(fetch_all, duck, sql), args.runs)
        say(f"   DuckDB, the same node and subordinates from the effect rows: {spread(ref_times)}")
        say_differences(
            f"read_on(root, {on}) against DuckDB", differences(result, as_figures(rows)), cells
        )
        if engine_known:
            shown = ", ".join(str(pk) for pk in result)
            say_differences(
                f"read_on(root, {on}) against engine.report(root, {on}) of step 4",
                differences(
                    result,
                    as_figures(
                        fetch_all(
                            duck,
                            # the CSV's empty values come back as NULL
                            "SELECT organization_id, dimension, coalesce(value, ''), 0, total "
                            f"FROM product_past WHERE organization_id IN ({shown})",
                        )
                    ),
                ),
                cells,
            )
        ratio = median(times) / median(ref_times)
        line += f", {ratio:.2f}x DuckDB ({ms(median(ref_times))})"
        passed = passed and ratio <= PAST_RATIO_TARGET
    summary.add(
        f"read_on(root, {on}), {abs((on - near).days)} d from a snapshot",
        f"{line}; {len(changed):,} changed members",
        f"<= {PAST_TARGET_S:.0f} s and <= {PAST_RATIO_TARGET:.0f}x DuckDB",
        passed,
    )
    for node in nodes[1:]:
        if not node.organization.is_alive(on):
            continue
        served = figures.read_on(node.organization, on) is not None
        times, _ = timed(partial(report_tables.figures_on, node.organization, on), 1)
        engine_times, _ = timed(partial(engine.report, node.organization, on), 1)
        summary.add(
            f"  figures_on({node.label}, {on})",
            f"{ms(median(times))} ({'snapshot' if served else 'engine'}, {node.members:,} "
            f"members); engine.report {ms(median(engine_times))} (1 run after a warm-up)",
        )


def measure(args: argparse.Namespace) -> int:
    """Everything after the build, in a fresh process on DANGVU_DATABASE_URL."""
    start_django()
    import duckdb
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dangvu.core.rulebook import Rulebook
    from dangvu.reports import figures
    from dangvu.reports.models import PendingFigure

    resources = Resources()
    atexit.register(resources.cleanup)
    summary = Summary()
    today = timezone.localdate()
    past = args.past_date or today - timedelta(days=91)
    say(
        f"\nmeasuring on {connection.settings_dict['NAME']} ({connection.vendor}), today "
        f"{today}, past date {past}; {os.cpu_count()} CPUs, {load()}; {machine_memory()}"
    )
    say(f"   {code_version()}")
    with Phase("migrate (a kept cluster may come from an older version; else nothing to do)"):
        call_command("migrate", verbosity=0, interactive=False)
    with Phase("the data", backend_pid):
        counts = data_summary(today)
    members_in = counts["members in the Party"]
    tables = Tables.from_models()
    book = Rulebook.load()

    def milestones(on: date) -> list[int]:
        rule = book.find("badges.milestones", on=on)
        return list(rule["years"]) if rule is not None else []

    duck: Any = None
    if not args.no_reference:
        folder = Path(tempfile.mkdtemp(prefix="dvbench-parquet.", dir="/tmp"))
        resources.folders.append(folder)
        duck = duckdb.connect()
        duck.execute("SET threads = 2")
        with Phase(
            "export for the reference: PostgreSQL COPY (CSV) -> DuckDB -> Parquet", backend_pid
        ):
            export_parquet(tables, folder, duck)
        say(
            f"   DuckDB {duckdb.__version__}, threads {duck.execute('SELECT current_setting(' + repr('threads') + ')').fetchone()[0]}, in memory, reading the Parquet files"
        )

    # -- 2. rebuild --------------------------------------------------------------------------
    say(
        f"\n== figures.rebuild(): every node, today, in a new process ({args.slow_runs} runs "
        f"after a warm-up) ({load()})"
    )
    rebuilt = run_child(child_command(args, "rebuild"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), sum(pg_column_size(own) + pg_column_size(total)), "
            f"pg_total_relation_size('{stored_table()}') FROM {stored_table()}"
        )
        rows_written, json_bytes, table_bytes = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM ({long_rows(stored_table())}) f")
        cells = cursor.fetchone()[0]
    rebuild_s = median(rebuilt["times"])
    organizations = counts["organizations alive today"]
    say(
        f"   rebuild: {spread(rebuilt['times'])}; {rows_written:,} rows written to "
        f"{stored_table()} (of {organizations:,} organizations alive), {cells:,} figures in "
        f"them ({cells / max(1, rows_written):.0f} per row), JSON {(json_bytes or 0) / 1e6:.0f} MB, "
        f"table {table_bytes / 1e6:.0f} MB; the process grew by {rebuilt['peak']:.2f} GiB during "
        "its first call"
    )
    scale = NATIONAL / max(1, counts["members"])
    summary.add(
        "rebuild(), every node today",
        f"{ms(rebuild_s)}, {rows_written:,} rows ({cells:,} figures), "
        f"+{rebuilt['peak']:.2f} GiB memory",
    )
    if scale > 1.1:
        summary.add(
            "  rebuild at 6M (linear extrapolation)",
            f"~{rebuild_s * scale:.0f} s, ~+{rebuilt['peak'] * scale:.0f} GiB (x{scale:.1f})",
            f"<= {REBUILD_TARGET_S:.0f} s",
            rebuild_s * scale <= REBUILD_TARGET_S,
        )
    else:
        summary.add(
            "  rebuild at national scale",
            ms(rebuild_s),
            f"<= {REBUILD_TARGET_S:.0f} s",
            rebuild_s <= REBUILD_TARGET_S,
        )

    if duck is not None:
        with Phase("reference: DuckDB, every node today, into a table (CREATE TABLE AS)"):
            sql = figures_sql("duckdb", tables, today, milestones(today), None)
            ref_times, _ = timed(
                lambda: duck.execute(f"CREATE OR REPLACE TABLE ref_figures AS {sql}"), args.runs
            )
            ref_rows = duck.execute("SELECT count(*) FROM ref_figures").fetchone()[0]
            say(f"   DuckDB: {spread(ref_times)}; {ref_rows:,} rows")
            stored = folder / "figures.csv"
            copy_out(long_rows(stored_table()), stored)
            duck.execute(
                f"CREATE OR REPLACE TABLE product_figures AS SELECT * FROM read_csv('{stored}', "
                "header = true, columns = {'organization_id': 'BIGINT', 'dimension': 'VARCHAR', "
                "'value': 'VARCHAR', 'own': 'INTEGER', 'total': 'INTEGER'})"
            )
            stored.unlink()
            say_differences(
                f"{stored_table()} after rebuild() against DuckDB (own and total)",
                compare_tables(
                    lambda q: duck.execute(q).fetchall(), "product_figures", "ref_figures"
                ),
                cells,
            )
            duck.execute("DROP TABLE product_figures")
            duck.execute("DROP TABLE ref_figures")
        ratio = rebuild_s / median(ref_times)
        say(
            f"RATIO rebuild / DuckDB: {ratio:.1f} ({ms(rebuild_s)} against {ms(median(ref_times))})"
        )
        summary.add(
            "  rebuild / DuckDB (every node today)",
            f"{ratio:.1f}x ({ms(rebuild_s)} / {ms(median(ref_times))})",
            f"<= {REBUILD_RATIO_TARGET:.0f}x",
            ratio <= REBUILD_RATIO_TARGET,
        )

    if not args.no_prototype:
        prototype(args, tables, today, milestones(today), summary, rebuild_s, cells)

    # -- 3. reads ----------------------------------------------------------------------------
    nodes = pick_nodes(today)
    with Phase(
        f"figures.read(): a node with its direct subordinates, today ({args.runs} runs)",
        backend_pid,
    ):
        pending = PendingFigure.objects.count()
        say(f"   pending organizations before the reads: {pending}")
        if hasattr(figures, "read_all"):
            times, everything = timed(figures.read_all, args.runs)
            say(
                f"   read_all() (every organization's totals, from the stored rows): "
                f"{spread(times)}; {len(everything):,} organizations"
            )
            summary.add("read_all(), every node today", ms(median(times)))
            del everything
        for node in nodes:
            organization = node.organization
            times, result = timed(partial(figures.read, organization), args.runs)
            cells = sum(len(c) for c in result.values())
            say(
                f"   read({node.label}: {node.organization.name}, {node.members:,} members, "
                f"{node.children} subordinates, {node.subtree:,} organizations below): "
                f"{spread(times)}; {cells:,} figures returned"
            )
            line = f"{ms(median(times))}"
            if duck is not None:
                sql = figures_sql("duckdb", tables, today, milestones(today), node.organization.pk)
                ref_times, rows = timed(partial(fetch_all, duck, sql), args.runs)
                say(f"      DuckDB for the same node and subordinates: {spread(ref_times)}")
                say_differences(
                    f"read({node.label}) against DuckDB",
                    differences(result, as_figures(rows)),
                    cells,
                )
                line += (
                    f", {median(times) / median(ref_times):.3f}x DuckDB ({ms(median(ref_times))})"
                )
            target = node.target_ms
            summary.add(
                f"read({node.label}) with subordinates",
                line,
                f"<= {target:.0f} ms",
                median(times) * 1000 <= target,
            )

    # -- 4. past date ------------------------------------------------------------------------
    output = (folder if duck is not None else Path(tempfile.gettempdir())) / "past.csv"
    say(
        f"\n== engine.report(root, {past}): every node on a past date, in a new process "
        f"({args.slow_runs} runs after a warm-up) ({load()})"
    )
    reported = run_child(
        child_command(args, "past", "--past-date", past.isoformat(), "--output", str(output))
    )
    past_s = median(reported["times"])
    say(
        f"   report(root, {past}): {spread(reported['times'])}; {reported['nodes']:,} nodes, "
        f"{reported['cells']:,} figures; the process grew by {reported['peak']:.2f} GiB during "
        "its first call"
    )
    line = f"{ms(past_s)}, +{reported['peak']:.2f} GiB memory"
    past_ratio = None
    if duck is not None:
        with Phase(f"reference: DuckDB, every node on {past}, from the effect rows"):
            sql = figures_sql("duckdb", tables, past, milestones(past), None)
            ref_times, _ = timed(
                lambda: duck.execute(f"CREATE OR REPLACE TABLE ref_past AS {sql}"), args.runs
            )
            say(f"   DuckDB: {spread(ref_times)}")
            duck.execute(
                f"CREATE OR REPLACE TABLE product_past AS SELECT * FROM read_csv('{output}', "
                "header = true, columns = {'organization_id': 'BIGINT', 'dimension': 'VARCHAR', "
                "'value': 'VARCHAR', 'own': 'INTEGER', 'total': 'INTEGER'})"
            )
            say_differences(
                f"report(root, {past}) against DuckDB (totals)",
                compare_tables(
                    lambda q: duck.execute(q).fetchall(),
                    "(SELECT organization_id, dimension, value, 0 AS own, total FROM product_past)",
                    "(SELECT organization_id, dimension, value, 0 AS own, total FROM ref_past)",
                ),
                reported["cells"],
            )
            duck.execute("DROP TABLE ref_past")
        past_ratio = past_s / median(ref_times)
        say(f"RATIO report(root, past) / DuckDB: {past_ratio:.1f}")
        line += f"; {past_ratio:.1f}x DuckDB ({ms(median(ref_times))})"
    output.unlink(missing_ok=True)
    summary.add(
        f"report(root, {past}), every node",
        line,
        f"<= {PAST_TARGET_S:.0f} s and <= {PAST_RATIO_TARGET:.0f}x DuckDB",
        past_s <= PAST_TARGET_S and (past_ratio is None or past_ratio <= PAST_RATIO_TARGET),
    )
    if scale > 1.1:
        summary.add(
            "  report(root, past) at 6M (linear)",
            f"~{past_s * scale:.0f} s, ~+{reported['peak'] * scale:.0f} GiB",
        )
    if not args.no_prototype:
        with Phase(
            f"PROTOTYPE (not the product): the grouped SQL for {past} from the effect rows "
            "(what a snapshot would cost)",
            backend_pid,
        ):
            pg("DROP TABLE IF EXISTS bench_past")
            pg(f"CREATE TABLE bench_past (LIKE {stored_table()} INCLUDING ALL)")
            runs = args.slow_runs
            seconds, rows = run_prototype(
                tables, past, milestones(past), "ledger", "bench_past", runs
            )
            say(f"   the steps ({runs_text(runs)}); {rows:,} rows written:")
            total = say_steps(seconds)
            if duck is not None:
                copy_out(long_rows("bench_past"), output)
                duck.execute(
                    f"CREATE OR REPLACE TABLE proto_past AS SELECT * FROM read_csv('{output}', "
                    "header = true, columns = {'organization_id': 'BIGINT', 'dimension': "
                    "'VARCHAR', 'value': 'VARCHAR', 'own': 'INTEGER', 'total': 'INTEGER'})"
                )
                output.unlink()
                say_differences(
                    f"prototype against report(root, {past}) (totals)",
                    compare_tables(
                        lambda q: duck.execute(q).fetchall(),
                        "(SELECT organization_id, dimension, value, 0 AS own, total "
                        "FROM product_past)",
                        "(SELECT organization_id, dimension, value, 0 AS own, total "
                        "FROM proto_past)",
                    ),
                    reported["cells"],
                )
                duck.execute("DROP TABLE proto_past")
            pg("DROP TABLE bench_past")
        summary.add(
            f"  PROTOTYPE grouped SQL for {past} in PG",
            f"{ms(total)} ({past_s / total:.1f}x faster than report())",
        )
    # -- 4c. a past day near a snapshot --------------------------------------------------------
    near = past - timedelta(days=1)  # the last snapshot day before the past date
    while not figures.snapshot_day(near):
        near -= timedelta(days=1)
    with Phase(f"figures.make_snapshot({near}): the snapshot day before {past}", backend_pid):
        started = time.perf_counter()
        figures.make_snapshot(near)
        say(f"   made in {ms(time.perf_counter() - started)}")
    # the farthest a day is from its nearest snapshot day: the 23rd of a 31-day month is 8 days
    # from the 15th and from the 31st (the one snapshot made here is the nearest one)
    for on in (past, near + timedelta(days=FARTHEST_DAYS)):
        measure_near(args, summary, nodes, near, on, duck, tables, milestones(on), on == past)
    if duck is not None:
        duck.execute("DROP TABLE product_past")
    # -- 4b. a month-end snapshot -------------------------------------------------------------
    month_end = today.replace(day=1) - timedelta(days=1)
    with Phase(f"figures.make_snapshot({month_end}): every node from the ledger, kept"):
        started = time.perf_counter()
        figures.make_snapshot(month_end)
        made_s = time.perf_counter() - started
    say(f"   made in {ms(made_s)} (the fold copies a snapshot day's figures when it runs that day)")
    say(
        "   (the reference counts party age from today's party_age_from: a member whose gap "
        "opened or closed after that day differs there, not in the product; see figures_sql)"
    )
    summary.add(f"make_snapshot({month_end}), every node", ms(made_s))
    for node in nodes:
        if not node.organization.is_alive(month_end):
            continue
        times, result = timed(
            partial(figures.read_snapshot, node.organization, month_end), args.runs
        )
        line = ms(median(times))
        if duck is not None:
            sql = figures_sql(
                "duckdb", tables, month_end, milestones(month_end), node.organization.pk
            )
            ref_times, rows = timed(partial(fetch_all, duck, sql), args.runs)
            say_differences(
                f"read_snapshot({node.label}, {month_end}) against DuckDB",
                differences(result or {}, as_figures(rows)),
                sum(len(c) for c in (result or {}).values()),
            )
            line += f", {median(times) / median(ref_times):.3f}x DuckDB ({ms(median(ref_times))})"
        summary.add(
            f"read_snapshot({node.label}, {month_end})",
            line,
            f"<= {SNAPSHOT_TARGET_MS:.0f} ms",
            median(times) * 1000 <= SNAPSHOT_TARGET_MS,
        )
    # -- 5. the mark's cost ------------------------------------------------------------------
    with Phase("the figure mark's cost per recorded event (new process, interleaved blocks)"):
        marked = run_child(child_command(args, "mark"))
    with_ms, without_ms, mark_ms = marked["with"], marked["without"], marked["mark"]
    added = median(with_ms) - median(without_ms)
    added_mean = statistics.fmean(with_ms) - statistics.fmean(without_ms)
    say(
        f"   exempt_member + end_exemption calls with the receivers: p50 {median(with_ms):.2f} "
        f"p95 {pct(with_ms, 95):.2f} ms ({len(with_ms)} calls); without: p50 "
        f"{median(without_ms):.2f} p95 {pct(without_ms, 95):.2f} ms ({len(without_ms)} calls)"
    )
    say(
        f"   added by the mark: {added:+.2f} ms at p50, {added_mean:+.2f} ms in the mean; "
        f"figures.mark([organization]) alone: p50 {median(mark_ms):.3f} ms, p95 "
        f"{pct(mark_ms, 95):.3f} ms ({len(mark_ms)} calls, one INSERT)"
    )
    say(
        f"   machine speed: a fixed Python loop took {marked['speed'][0]:.0f} ms before and "
        f"{marked['speed'][1]:.0f} ms after (100 ms at its fastest)"
    )
    summary.add(
        "mark cost per event",
        f"{added:+.2f} ms p50 ({added_mean:+.2f} mean); mark() alone {median(mark_ms):.2f} ms",
        f"<= {MARK_TARGET_MS:.0f} ms",
        added <= MARK_TARGET_MS and median(mark_ms) <= MARK_TARGET_MS,
    )

    # -- 6. freshness and fold ---------------------------------------------------------------
    root = nodes[0].organization
    with Phase(
        "freshness: an event, then read(root) and read(cell); fold() after N events", backend_pid
    ):
        leftover = PendingFigure.objects.count()
        started = time.perf_counter()
        folded = figures.fold()
        say(
            f"   fold() of the {leftover} marks left by the mark phase: "
            f"{ms(time.perf_counter() - started)}, {folded.recounted} organizations recounted"
        )
        recorder = Recorder(args.seed + 7)
        pool = recorder.eligible()
        recorder.rng.shuffle(pool)
        exempted = ("activity", "exempted")
        events: list[float] = []
        root_reads: list[float] = []
        cell_reads: list[float] = []
        fold_times: list[float] = []
        seen = Counter[str]()
        for _ in range(args.runs):
            pk = pool.pop()
            cell = recorder.fetch(pk).organization
            root_before = figures.read(root)[root.pk][exempted]
            cell_before = figures.read(cell)[cell.pk][exempted]
            events.append(recorder.exempt(pk)[0])
            started = time.perf_counter()
            seen["root at once"] += figures.read(root)[root.pk][exempted] == root_before + 1
            root_reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            seen["cell at once"] += figures.read(cell)[cell.pk][exempted] == cell_before + 1
            cell_reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            figures.fold()
            fold_times.append(time.perf_counter() - started)
            seen["root after fold"] += figures.read(root)[root.pk][exempted] == root_before + 1
        runs = args.runs
        say(
            f"   {runs} times: exempt_member ({spread(events)}), then at once read(root) "
            f"({ms(median(root_reads))}) and read() of the member's cell "
            f"({ms(median(cell_reads))}), then fold() ({spread(fold_times)}) and read(root)"
        )
        say(
            f"   the new exemption is counted: by read(root) at once in {seen['root at once']} of "
            f"{runs}, by read(cell) at once in {seen['cell at once']} of {runs}, by read(root) "
            f"after the fold in {seen['root after fold']} of {runs}"
        )
        # the issue: "a recorded event shows in every ancestor's figures within 60 s
        # (immediately for its own cell)"; the folder runs every 20 s (make run)
        cell_at_once = seen["cell at once"] == runs
        root_after_fold = seen["root after fold"] == runs
        summary.add(
            "freshness: its cell at once, above within 60 s",
            f"cell at once in {seen['cell at once']}/{runs}; root after the next fold in "
            f"{seen['root after fold']}/{runs} (fold() {ms(median(fold_times))} + the folder's "
            f"interval, 20 s with make run)",
            "cell at once, above <= 60 s",
            cell_at_once and root_after_fold,
        )
        figures.fold()
        for count in FOLD_EVENTS:
            recorded, reads, folds, recounted, clean = [], [], [], [], []
            repeats = args.runs if count < 1000 else max(1, min(args.runs, args.fold_runs))
            for _ in range(repeats):
                picked = [pool.pop() for _ in range(count)]
                started = time.perf_counter()
                for pk in picked:
                    recorder.exempt(pk)
                recorded.append(time.perf_counter() - started)
                started = time.perf_counter()
                figures.read(root)
                reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                folded = figures.fold()
                folds.append(time.perf_counter() - started)
                recounted.append(folded.recounted)
                started = time.perf_counter()
                figures.read(root)
                clean.append(time.perf_counter() - started)
                for pk in picked:  # undo, not timed
                    recorder.end(pk)
                figures.fold()
            say(
                f"   N = {count:>4}: recording {ms(median(recorded))} ({ms(median(recorded) / count)} "
                f"per event); read(root) with the N marks pending {ms(median(reads))}; fold() "
                f"{ms(median(folds))} ({median([float(r) for r in recounted]):.0f} organizations "
                f"recounted); read(root) after {ms(median(clean))}  [{repeats} runs: fold "
                f"{', '.join(ms(f) for f in folds)}]"
            )
            summary.add(
                f"fold() after {count} events",
                f"{ms(median(folds))}; read(root) with them pending {ms(median(reads))}",
            )

    # -- 7. two writers ----------------------------------------------------------------------
    provinces = two_provinces(nodes, today)
    rounds = 2  # alone, alone, together, twice: this VM's speed drifts between runs
    with Phase(
        f"two writers in two provinces ({args.events} calls each), each in its own process, "
        f"{rounds} rounds of (writer 1 alone, writer 2 alone, both together)"
    ):
        alone: list[dict[str, list[float]]] = [{"ms": [], "cpu": []} for _ in provinces]
        together_all: list[dict[str, list[float]]] = [{"ms": [], "cpu": []} for _ in provinces]
        waits: Counter[str] = Counter()
        samples = 0
        for round_ in range(rounds):
            for index, pk in enumerate(provinces):
                result = run_child(
                    child_command(
                        args, "writer", "--under", str(pk), "--seed", str(args.seed + round_)
                    )
                )
                for key in ("ms", "cpu"):
                    alone[index][key] += result[key]
                say(f"   round {round_ + 1}, writer {index + 1} alone: {speed_text(result)}")
            together, round_waits, round_samples = run_together(
                [
                    child_command(
                        args,
                        "writer",
                        "--under",
                        str(pk),
                        "--wait",
                        "--seed",
                        str(args.seed + round_),
                    )
                    for pk in provinces
                ]
            )
            waits.update(round_waits)
            samples += round_samples
            for index, result in enumerate(together):
                for key in ("ms", "cpu"):
                    together_all[index][key] += result[key]
                say(f"   round {round_ + 1}, writer {index + 1} together: {speed_text(result)}")
    for index, pk in enumerate(provinces):
        a, t = alone[index], together_all[index]
        say(
            f"   writer {index + 1} (province {pk}): alone p50 {median(a['ms']):.2f} p95 "
            f"{pct(a['ms'], 95):.2f} ms, CPU {median(a['cpu']):.2f} ms/call; together p50 "
            f"{median(t['ms']):.2f} p95 {pct(t['ms'], 95):.2f} ms, CPU {median(t['cpu']):.2f} "
            f"ms/call; slowdown p50 {median(t['ms']) / median(a['ms']):.2f}x, p95 "
            f"{pct(t['ms'], 95) / pct(a['ms'], 95):.2f}x"
        )
        summary.add(
            f"writer {index + 1} alone / together",
            f"p50 {median(a['ms']):.1f} / {median(t['ms']):.1f} ms, p95 {pct(a['ms'], 95):.1f} / "
            f"{pct(t['ms'], 95):.1f} ms: slowdown {median(t['ms']) / median(a['ms']):.2f}x (p50)",
        )
    first = min(r["began"] for r in together)
    overlap = min(r["ended"] for r in together) - max(r["began"] for r in together)
    say(
        "   together: "
        + ", ".join(
            f"writer {i + 1} ran {r['began'] - first:.2f}-{r['ended'] - first:.2f} s"
            for i, r in enumerate(together)
        )
        + f"; both ran at once for {max(0.0, overlap):.2f} s"
    )
    total = sum(waits.values()) or 1
    say(
        f"   the active writer backends while both ran ({samples} samples of pg_stat_activity): "
        + ", ".join(f"{name} {count / total:.0%}" for name, count in waits.most_common(8))
    )
    lock_share = sum(count for name, count in waits.items() if name.startswith("Lock:")) / total
    summary.add(
        "  two writers: backends waiting on a lock",
        f"{lock_share:.1%} of samples (heavyweight Lock waits)",
    )
    say(
        "   reading: each writer is a Python process plus a PostgreSQL backend, so two writers "
        "keep about 4 busy processes on 2 CPUs: a slowdown up to ~2x is CPU sharing, not "
        "waiting; Lock waits above say whether they wait on each other"
    )
    figures.fold()

    say(f"\n== SUMMARY ({members_in:,} members in the Party, today {today}; {load()})")
    summary.show()
    return 0


def two_provinces(nodes: list[Node], today: date) -> list[int]:
    from dangvu.organizations.selectors import versions_on

    root = nodes[0].organization.pk
    provinces = list(
        versions_on(today).filter(parent_id=root).values_list("organization_id", flat=True)
    )
    members = subtree_members(provinces)
    ranked = sorted(provinces, key=lambda pk: -members.get(pk, 0))
    return ranked[:2]


# --- prototype ------------------------------------------------------------------------------------


def prototype_steps(
    tables: Tables, on: date, milestones: list[int], source: str
) -> list[tuple[str, str]]:
    """NOT the product: the figures of every organization alive on ``on`` as a few SQL
    statements inside PostgreSQL, ending in ``fig_result(organization_id, dimension, value,
    own, total)``. The intermediate tables are UNLOGGED (not TEMP: a temporary table cannot
    be scanned by parallel workers), analyzed, and dropped by ``run_prototype``.

    ``source`` "projection": who counts where is read from the member rows (standing, flags,
    organization; the same rows as the effect rows summed up to today, checked by the bench);
    "ledger": from the effect rows summed up to ``on``, as the engine does for a past date
    (party age then from ``party_age_from`` or the first admission, as ``figures_sql``).

    Stage 1 counts each organization's own figures, one GROUP BY per dimension over the
    described headcount; stage 2 adds them up the tree level by level, deepest first, so each
    row is summed once per level instead of being joined to every ancestor."""
    from dangvu.reports import rules

    n = tables.names
    day = f"DATE '{on.isoformat()}'"
    last_day = (date(on.year + on.month // 12, on.month % 12 + 1, 1) - timedelta(days=1)).day

    def months_since(year: str, month: str, day_: str) -> str:
        return (
            f"(({on.year} - {year}) * 12 + {on.month} - {month} - "
            f"CASE WHEN least({day_}, {last_day}) > {on.day} THEN 1 ELSE 0 END)"
        )

    party_from = (
        "m.party_age_from"
        if source == "projection"
        else "coalesce(m.party_age_from, m.first_admission_date)"
    )

    def part(unit: str) -> str:
        return f"CAST(extract({unit} FROM {party_from}) AS INTEGER)"

    age = months_since(
        "p.birth_year",
        "coalesce(p.birth_month, 1)",
        "CASE WHEN p.birth_month IS NULL THEN 1 ELSE coalesce(p.birth_day, 1) END",
    )
    party = months_since(part("year"), part("month"), part("day"))
    steps = [
        (
            "the tree of the date with each organization's depth (recursive)",
            "CREATE UNLOGGED TABLE fig_alive AS WITH RECURSIVE v AS (SELECT organization_id AS "
            f"id, parent_id, kind_id, coalesce(category_id, '') AS category_id FROM "
            f"{n['versions']} WHERE valid_from <= {day} AND (valid_to IS NULL OR valid_to > "
            f"{day})), t AS (SELECT v.*, 0 AS depth FROM v WHERE parent_id IS NULL OR parent_id "
            "NOT IN (SELECT id FROM v) UNION ALL SELECT v.*, t.depth + 1 FROM v JOIN t "
            "ON v.parent_id = t.id) SELECT * FROM t",
        ),
    ]
    if source == "projection":
        m = n["members"]
        counted = " UNION ALL ".join(
            [
                f"SELECT id AS member_id, organization_id AS org, standing::text AS counter "
                f"FROM {m} WHERE standing IN ('probationary', 'official') AND NOT is_in_transit",
                f"SELECT id, organization_id, 'in_transit' FROM {m} WHERE is_in_transit",
                f"SELECT id, organization_id, 'exempted' FROM {m} WHERE is_exempted",
                f"SELECT id, organization_id, 'suspended' FROM {m} WHERE is_suspended",
                f"SELECT id, organization_id, 'temporarily_away' FROM {m} "
                "WHERE is_temporarily_away",
                f"SELECT id, organization_id, 'lost_contact' FROM {m} WHERE is_lost_contact",
                f"SELECT id, host_organization_id, 'hosted' FROM {m} "
                "WHERE host_organization_id IS NOT NULL",
            ]
        )
        steps.append(
            (
                "who counts where: the member rows",
                f"CREATE UNLOGGED TABLE fig_counted AS SELECT * FROM ({counted}) c "
                "WHERE org IN (SELECT id FROM fig_alive)",
            )
        )
    else:
        steps.append(
            (
                "who counts where: effect rows summed up to the date",
                "CREATE UNLOGGED TABLE fig_counted AS SELECT member_id, organization_id AS org, "
                f"counter::text AS counter FROM {n['effects']} WHERE effective_date <= {day} "
                "GROUP BY member_id, organization_id, counter HAVING sum(delta) > 0 "
                "AND organization_id IN (SELECT id FROM fig_alive)",
            )
        )
    for dimension, _records, column, catalogue in tables.curriculum:
        steps.append(
            (
                f"curriculum: {dimension} on the date (DISTINCT ON)",
                f"CREATE UNLOGGED TABLE fig_{dimension} AS SELECT DISTINCT ON (r.person_id) "
                "r.person_id, coalesce(nullif(k.report_group, ''), k.code)::text AS grp "
                f"FROM {n[dimension]} r JOIN {n[catalogue]} k ON k.code = r.{column} "
                f"WHERE r.valid_from <= {day} OR r.valid_from IS NULL ORDER BY r.person_id, "
                f"(r.valid_from IS NOT NULL) DESC, coalesce(r.valid_from, {day}) DESC, r.id DESC",
            )
        )
    described = [
        ("standing", "c.counter"),
        ("gender", "p.gender::text"),
        ("ethnicity", "p.ethnicity_id::text"),
        ("religion", "p.religion_id::text"),
        ("minority", "CASE WHEN e.is_minority THEN '' END"),
        ("religious", "CASE WHEN r.is_religious THEN '' END"),
        ("age", band_sql("a.age", rules.AGE_BANDS)),
        ("age5", band_sql("a.age", rules.FIVE_YEAR_BANDS)),
        ("party_age", band_sql("(a.party_months / 12)", rules.PARTY_AGE_BANDS)),
        *((d, f"coalesce(c_{d}.grp, '')") for d, *_rest in tables.curriculum),
    ]
    joins = " ".join(
        f"LEFT JOIN fig_{d} c_{d} ON c_{d}.person_id = m.person_id"
        for d, *_rest in tables.curriculum
    )
    steps.append(
        (
            "the headcount described: one row per member, one column per dimension",
            "CREATE UNLOGGED TABLE fig_described AS SELECT c.org, a.party_months, "
            + ", ".join(f"{expression} AS {name}" for name, expression in described)
            + f" FROM fig_counted c JOIN {n['members']} m ON m.id = c.member_id "
            f"JOIN {n['persons']} p ON p.id = m.person_id "
            f"LEFT JOIN {n['ethnicities']} e ON e.code = p.ethnicity_id "
            f"LEFT JOIN {n['religions']} r ON r.code = p.religion_id "
            f"CROSS JOIN LATERAL (SELECT {age} / 12 AS age, CASE WHEN c.counter = 'official' "
            f"THEN {party} END AS party_months) a {joins} "
            "WHERE c.counter IN ('probationary', 'official')",
        )
    )
    own = [
        f"SELECT org, '{name}' AS dimension, {name} AS value, count(*)::int AS n "
        f"FROM fig_described WHERE {name} IS NOT NULL GROUP BY org, {name}"
        for name, _expression in described
    ]
    own += [
        "SELECT org, 'total', '', count(*)::int FROM fig_described GROUP BY org",
        "SELECT org, CASE WHEN counter IN ('in_transit', 'hosted') THEN counter "
        "ELSE 'activity' END, CASE WHEN counter IN ('in_transit', 'hosted') THEN '' "
        "ELSE counter END, count(*)::int FROM fig_counted "
        "WHERE counter NOT IN ('probationary', 'official') GROUP BY org, counter",
        "SELECT parent_id, 'kind', kind_id, count(*)::int FROM fig_alive "
        "WHERE parent_id IS NOT NULL GROUP BY parent_id, kind_id",
        "SELECT parent_id, 'category', category_id, count(*)::int FROM fig_alive "
        "WHERE parent_id IS NOT NULL GROUP BY parent_id, category_id",
    ]
    if milestones:
        badges = ", ".join(
            f"count(*) FILTER (WHERE party_months >= {years * 12}) AS b{years}"
            for years in milestones
        )
        values = ", ".join(f"('{years}', b.b{years})" for years in milestones)
        own.append(
            f"SELECT b.org, 'badge', v.value, v.n::int FROM (SELECT org, {badges} FROM "
            "fig_described WHERE party_months IS NOT NULL GROUP BY org) b CROSS JOIN LATERAL "
            f"(VALUES {values}) v(value, n) WHERE v.n > 0"
        )
    steps += [
        (
            "stage 1: each organization's own figures (a GROUP BY per dimension)",
            "CREATE UNLOGGED TABLE fig_roll AS SELECT o.org, o.dimension, o.value, o.n, "
            "true AS is_own, a.depth, a.parent_id FROM (" + " UNION ALL ".join(own) + ") o "
            "JOIN fig_alive a ON a.id = o.org",
        ),
        (
            "stage 2: up the tree, one level at a time (deepest first)",
            "DO $$ DECLARE level int; BEGIN FOR level IN REVERSE "
            "(SELECT coalesce(max(depth), 0) FROM fig_alive)..1 LOOP "
            "INSERT INTO fig_roll SELECT r.parent_id, r.dimension, r.value, sum(r.n)::int, "
            "false, r.depth - 1, p.parent_id FROM fig_roll r JOIN fig_alive p "
            "ON p.id = r.parent_id WHERE r.depth = level "
            "GROUP BY r.parent_id, r.dimension, r.value, r.depth, p.parent_id; END LOOP; END $$",
        ),
        (
            "stage 2: each organization's own and total figures",
            "CREATE UNLOGGED TABLE fig_result AS SELECT org AS organization_id, dimension, value, "
            "coalesce(sum(n) FILTER (WHERE is_own), 0)::int AS own, sum(n)::int AS total "
            "FROM fig_roll GROUP BY org, dimension, value",
        ),
    ]
    analyzed = []
    for label, sql in steps:
        if sql.startswith("CREATE UNLOGGED TABLE "):
            table = sql.split("CREATE UNLOGGED TABLE ", 1)[1].split(" ", 1)[0]
            sql = f"DROP TABLE IF EXISTS {table}\n;\n{sql}\n;\nANALYZE {table}"
        analyzed.append((label, sql))
    return analyzed


PROTOTYPE_TABLES = [
    "fig_alive",
    "fig_counted",
    "fig_education",
    "fig_qualification",
    "fig_theory",
    "fig_occupation",
    "fig_described",
    "fig_roll",
    "fig_result",
]


def run_prototype(
    tables: Tables, on: date, milestones: list[int], source: str, target: str, runs: int
) -> tuple[dict[str, list[float]], int]:
    """Run the prototype's statements and write ``fig_result`` into ``target``, a copy of
    reports_organizationfigures (one row per organization, ``{dimension: {value: count}}`` as
    JSON): DELETE + INSERT, all in one transaction, a warm-up and ``runs`` times; the seconds
    of each step per run and the rows written."""
    from django.db import connection, transaction

    steps = prototype_steps(tables, on, milestones, source)
    steps.append(
        (
            f"write: DELETE + INSERT of one JSON row per organization into {target}",
            f"DELETE FROM {target}\n;\nINSERT INTO {target} (organization_id, own, total) "
            "SELECT organization_id, coalesce(json_object_agg(dimension, own) FILTER (WHERE own "
            "IS NOT NULL), '{}')::jsonb, json_object_agg(dimension, total)::jsonb FROM "
            "(SELECT organization_id, dimension, json_object_agg(value, own) FILTER (WHERE "
            "own > 0) AS own, json_object_agg(value, total) AS total FROM fig_result "
            "GROUP BY organization_id, dimension) d GROUP BY organization_id",
        )
    )
    seconds: dict[str, list[float]] = {label: [] for label, _sql in steps}
    for run in range(runs + 1 if runs else 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            for label, sql in steps:
                started = time.perf_counter()
                for statement in sql.split("\n;\n"):
                    cursor.execute(statement)
                if run or not runs:  # the first is the warm-up, unless it is the only one
                    seconds[label].append(time.perf_counter() - started)
            cursor.execute("DROP TABLE " + ", ".join(PROTOTYPE_TABLES))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {target}")
        rows = cursor.fetchone()[0]
    return seconds, rows


def runs_text(runs: int) -> str:
    return f"median of {runs} runs after a warm-up" if runs else "one run, no warm-up"


def say_steps(seconds: dict[str, list[float]]) -> float:
    """Each step's median and the median of the runs' totals."""
    runs = len(next(iter(seconds.values())))
    totals = [sum(times[i] for times in seconds.values()) for i in range(runs)]
    for label, times in seconds.items():
        say(f"      {label:<58} {ms(median(times)):>10}")
    say(f"      {'all (one transaction)':<58} {ms(median(totals)):>10}  [{spread(totals)}]")
    return median(totals)


def prototype(
    args: argparse.Namespace,
    tables: Tables,
    today: date,
    milestones: list[int],
    summary: Summary,
    rebuild_s: float,
    rows_written: int,
) -> None:
    """NOT the product: what a grouped SQL rebuild inside PostgreSQL would cost
    (``prototype_steps``), written to a copy of reports_organizationfigures and checked
    against it."""
    from django.db import connection

    table = stored_table()

    def execute(query: str) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall() if cursor.description else []

    with Phase(
        "PROTOTYPE (not the product): a grouped SQL rebuild in PostgreSQL, every node today",
        backend_pid,
    ):
        execute("DROP TABLE IF EXISTS bench_figures")
        execute(f"CREATE TABLE bench_figures (LIKE {table} INCLUDING ALL)")
        runs = args.slow_runs
        seconds, rows = run_prototype(
            tables, today, milestones, "projection", "bench_figures", runs
        )
        say(f"   the steps ({runs_text(runs)}); {rows:,} rows written:")
        total = say_steps(seconds)
        say_differences(
            f"prototype against {table} (own and total)",
            compare_tables(execute, f"({long_rows(table)})", f"({long_rows('bench_figures')})"),
            rows_written,
        )
        execute("DROP TABLE bench_figures")
    summary.add(
        "  PROTOTYPE grouped SQL rebuild in PG",
        f"{ms(total)} ({rebuild_s / total:.1f}x faster than rebuild())",
    )


# --- main -----------------------------------------------------------------------------------------


def measure_command(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--reuse"]
    command += ["--runs", str(args.runs), "--slow-runs", str(args.slow_runs)]
    command += ["--events", str(args.events), "--seed", str(args.seed)]
    command += ["--fold-runs", str(args.fold_runs)]
    if args.past_date:
        command += ["--past-date", args.past_date.isoformat()]
    if args.no_reference:
        command.append("--no-reference")
    if args.no_prototype:
        command.append("--no-prototype")
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="seed_demo's today")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after a warm-up (5)")
    parser.add_argument(
        "--slow-runs",
        type=int,
        default=None,
        help="timed runs of rebuild(), the past-date report and the prototype (default --runs)",
    )
    parser.add_argument("--fold-runs", type=int, default=2, help="runs of the N = 1000 fold (2)")
    parser.add_argument(
        "--events", type=int, default=300, help="service calls per writer run (300)"
    )
    parser.add_argument(
        "--past-date", type=date.fromisoformat, default=None, help="default: 91 days back"
    )
    parser.add_argument("--min-free-gb", type=float, default=None)
    parser.add_argument("--no-reference", action="store_true", help="skip DuckDB")
    parser.add_argument("--no-prototype", action="store_true", help="skip the SQL prototype")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database of DANGVU_DATABASE_URL (a cluster kept by --keep); no build",
    )
    parser.add_argument(
        "--child", choices=["mark", "writer", "rebuild", "past"], help=argparse.SUPPRESS
    )
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--under", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.slow_runs is None:
        args.slow_runs = args.runs
    if args.child:
        start_django()
        if args.child == "mark":
            return child_mark(args)
        if args.child == "writer":
            return child_writer(args)
        return child_heavy(args)
    if importlib.util.find_spec("duckdb") is None:  # before an hour of building
        raise SystemExit(
            "bench/figures.py needs DuckDB, pyproject.toml's bench group: "
            "var/uv/bin/uv sync --frozen --group bench"
        )
    if args.reuse:
        if not os.environ.get("DANGVU_DATABASE_URL"):
            raise SystemExit("--reuse needs DANGVU_DATABASE_URL (printed by a run with --keep)")
        say(f"bench/figures.py --reuse: {os.environ['DANGVU_DATABASE_URL']}")
        return measure(args)

    say(f"bench/figures.py: {args.members:,} members, {args.provinces} provinces, seed {args.seed}")
    say(
        f"machine: {os.cpu_count()} CPUs, {load()}, python {sys.version.split()[0]}; {machine_memory()}"
    )
    check_disk("/tmp", args.members, args.min_free_gb, 1)
    resources = Resources()
    resources.keep = args.keep
    atexit.register(resources.cleanup)

    main_pid = os.getpid()

    def on_term(signum: int, frame: object) -> None:
        if os.getpid() != main_pid:
            # a worker forked by seed_demo's pool, which ends its workers with SIGTERM: die as
            # by default (raising here once left a worker waiting on the pool's lock forever)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    try:
        try:
            cluster = start_cluster(resources)
        except HarnessError as error:
            raise SystemExit(f"could not start PostgreSQL: {error}") from None
        setup_django(cluster, resources)
        build(args)
        from django.db import connection, connections

        with (
            Phase("VACUUM ANALYZE (after the bulk load)", backend_pid),
            connection.cursor() as cursor,
        ):
            cursor.execute("VACUUM ANALYZE")
        connections.close_all()
        say("\nthe measurements run in a new process (as a server or the folder would):")
        status = subprocess.call(measure_command(args))
        say(f"\ntotal {time.monotonic() - started:.0f} s")
        if status:
            say(f"the measuring process failed (exit status {status})")
        if args.keep:
            assert resources.cluster is not None
            c = resources.cluster
            say("\n--keep: the cluster is still running.")
            say(f"   psql:    {c.bindir / 'psql'} -h {c.base} -p {c.port} -U postgres dangvu")
            say(
                f"   again:   DANGVU_DATABASE_URL='{c.url}' .venv/bin/python bench/figures.py --reuse"
            )
            say(
                f"   stop:    runuser -u postgres -- {c.bindir / 'pg_ctl'} -D {c.data} -m immediate "
                f"stop && rm -rf {c.base}"
            )
        return status
    finally:
        resources.cleanup()


if __name__ == "__main__":
    sys.exit(main())
