"""Bulk writing for the demo generator: COPY on PostgreSQL, executemany on SQLite.

This is the one documented exception to "every write goes through a service": the demo
members are produced by the same pure rule functions the services use (``membership.rules``),
validated by replaying them, and written here in bulk with one audit entry for the run.
Primary keys are assigned in Python from a reserved range, so rows can reference each other.
"""

import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from psycopg._copy_base import TextFormatter  # psycopg's own COPY row formatter (pinned version)
from psycopg.adapt import Transformer


def rows_for(
    model: type[models.Model], dicts: Iterable[dict[str, Any]]
) -> Iterable[tuple[Any, ...]]:
    """Tuples in the model's column order; fields not given take their default ('' or NULL)."""
    defaults = {}
    for f in model._meta.concrete_fields:
        if f.has_default():
            value = f.get_default()
            defaults[f.attname] = json.dumps(value) if isinstance(f, models.JSONField) else value
        else:
            defaults[f.attname] = (
                ""
                if isinstance(f, models.CharField | models.TextField | models.FileField)
                and not f.null
                else None
            )
    pick = operator.itemgetter(*defaults)
    for values in dicts:
        yield pick({**defaults, **values})


def copy_text(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows in PostgreSQL's COPY text format, as ``copy.write_row`` would send them, made without
    a connection (so that worker processes can do it)."""
    formatter = TextFormatter(Transformer())
    parts = [formatter.write_row(row) for row in rows]
    parts.append(formatter.end())
    return b"".join(parts)


class BulkWriter:
    """Writes rows of one model at a time with the fastest path the database offers."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def next_id(self, model: type[models.Model]) -> int:
        """The first free primary key of ``model`` (ids are given by the generator)."""
        top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
        return (top or 0) + 1

    def write(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert ``rows`` (tuples in the order of ``columns``, database column names)."""
        table = model._meta.db_table
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == 5000:
                        cursor.executemany(
                            f"INSERT INTO {table} ({quoted}) VALUES ({marks})", batch
                        )
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", batch)
                    count += len(batch)
        return count

    def write_text(
        self, model: type[models.Model], columns: Sequence[str], data: bytes, rows: int
    ) -> int:
        """COPY ``rows`` rows already in COPY text format (see ``copy_text``); PostgreSQL only."""
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        command = f"COPY {model._meta.db_table} ({quoted}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(command) as copy:
            copy.write(data)
        return rows

    def write_dicts(self, model: type[models.Model], dicts: Iterable[dict[str, Any]]) -> int:
        """Insert one row per dict (keys are attribute names: ``kind_id``, not ``kind``)."""
        columns = [f.column for f in model._meta.concrete_fields]
        return self.write(model, columns, rows_for(model, dicts))

    def analyze(self, *models_: type[models.Model]) -> None:
        """Give PostgreSQL's planner the statistics of freshly loaded tables (ANALYZE counts
        the rows of the current transaction too); without them it guesses, and can pick a full
        index scan where a few rows are wanted."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in models_))

    def reset_sequences(self, *models_: type[models.Model]) -> None:
        """After writing explicit ids, let PostgreSQL's sequences continue after them."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )


@contextmanager
def loading(*models_: type[models.Model]) -> Iterator[None]:
    """On PostgreSQL, load without the tables' secondary indexes and foreign keys, then build
    them once at the end: one index build and one join per constraint instead of per-row
    upkeep and per-row deferred checks. Primary keys and unique constraints stay. Must run
    inside a transaction (PostgreSQL's DDL is transactional, so a failure restores them)."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        # run the foreign-key checks still pending in this transaction, so the tables can change
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname"
            " NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
