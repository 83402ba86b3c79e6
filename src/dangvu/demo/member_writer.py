"""seed_demo --members N: generate lives in chunks and write them in bulk (see demo.members).

A chunk of members is made without the database (``make_chunk``), so on PostgreSQL several
processes make chunks while this one writes them with COPY. Primary keys are dense and do not
depend on the number of processes: each chunk numbers its rows from 1, then takes the next
block of every table's keys in chunk order (``KeyBlocks``) and shifts its rows into it. The
same seed and date give the same rows.
"""

import gc
import json
import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django.db import models
from django.utils import timezone

from dangvu.core import audit
from dangvu.core.models import GeneralEducation, PoliticalTheory
from dangvu.core.rulebook import Rulebook
from dangvu.demo.bulk import BulkWriter, copy_text, loading, rows_for
from dangvu.demo.generator import ethnicity_for
from dangvu.demo.members import (
    Cell,
    Life,
    LifeGenerator,
    NationalIds,
    cards_of,
    effect_rows_by_recording,
    person_values,
)
from dangvu.membership.models import (
    Decision,
    EventEffect,
    EventKind,
    Member,
    MemberPeriod,
    MembershipEvent,
    PartyCard,
)
from dangvu.membership.services import projection
from dangvu.organizations import selectors
from dangvu.organizations.models import Organization
from dangvu.people.models import EducationRecord, Person, PoliticalTheoryRecord

CHUNK = 10_000  # members per chunk (8-digit card numbers: < 100,000 events per chunk)
DECIDED_KINDS = {
    EventKind.ADMISSION: "kết nạp đảng viên",
    EventKind.READMISSION: "kết nạp lại",
    EventKind.RECOGNITION: "công nhận đảng viên chính thức",
}
REFORM_EVE = date(2025, 6, 30)


def demo_cells(as_of: date) -> list[Cell]:
    """Every live cell with its committee and the 2008 province it lay in before the reform."""
    provinces: dict[int, str] = {}
    forest = selectors.tree_as_of(min(as_of, REFORM_EVE))
    codes = dict(
        Organization.objects.filter(province__version="2008").values_list("pk", "province__code")
    )

    def walk(nodes: Any, code: str) -> None:
        for node in nodes:
            here = codes.get(node.organization_id, code)
            provinces[node.organization_id] = here
            walk(node.children, here)

    walk(forest, "01")
    cells = Organization.objects.filter(kind__is_cell=True, dissolved_on__isnull=True).order_by(
        "pk"
    )
    return [Cell(c.pk, c.parent_id or c.pk, provinces.get(c.pk, "01")) for c in cells]


# The tables of a chunk in writing order, and the keys each row refers to (shifted together).
REFERENCES: dict[type[models.Model], dict[str, type[models.Model]]] = {
    Decision: {"id": Decision},
    Person: {"id": Person},
    Member: {"id": Member, "person_id": Person},
    MembershipEvent: {
        "id": MembershipEvent,
        "member_id": Member,
        "voids_id": MembershipEvent,
        "decision_id": Decision,
    },
    EventEffect: {"id": EventEffect, "member_id": Member},
    MemberPeriod: {"id": MemberPeriod, "member_id": Member},
    PartyCard: {"id": PartyCard, "member_id": Member},
    EducationRecord: {"id": EducationRecord, "person_id": Person},
    PoliticalTheoryRecord: {"id": PoliticalTheoryRecord, "person_id": Person},
}
# per table: the rows as tuples, or (on PostgreSQL) their COPY text and how many they are
Rows = list[tuple[type[models.Model], list[tuple[Any, ...]] | tuple[bytes, int]]]


@dataclass
class Plan:
    """Everything a chunk needs, read from the database once (chunks never query it)."""

    count: int
    seed: int
    as_of: date
    book: Rulebook
    cells: list[Cell]
    education: list[str]
    theory: list[str]
    actor_id: int
    created: datetime
    chunk_size: int = CHUNK
    copy_text: bool = False  # hand the rows over as COPY text (PostgreSQL)

    @property
    def chunks(self) -> int:
        return -(-self.count // self.chunk_size)

    @cached_property
    def committee_of(self) -> dict[int, int]:  # once per process, not once per chunk
        return {c.id: c.parent_id for c in self.cells}


class KeyBlocks:
    """Hands each chunk, in chunk order, the next block of keys of every table."""

    def __init__(self, context: Any, firsts: dict[type[models.Model], int]):
        self.models = list(firsts)
        self.turn = context.Value("q", 0, lock=False)
        self.next = context.Array("q", [firsts[m] for m in self.models], lock=False)
        self.ready = context.Condition()

    def take(
        self, chunk: int, counts: dict[type[models.Model], int]
    ) -> dict[type[models.Model], int]:
        with self.ready:
            self.ready.wait_for(lambda: self.turn.value == chunk)
            firsts = {}
            for i, model in enumerate(self.models):
                firsts[model] = self.next[i]
                self.next[i] += counts.get(model, 0)
            self.turn.value += 1
            self.ready.notify_all()
        return firsts

    def following(self) -> dict[type[models.Model], int]:
        return {m: self.next[i] for i, m in enumerate(self.models)}


class Chunk:
    """One chunk of members: their lives, then every row, numbered from 1 in the chunk."""

    def __init__(self, plan: Plan, index: int):
        self.plan, self.index = plan, index
        self.rng = random.Random(f"{plan.seed}/{index}")
        self.size = min(plan.chunk_size, plan.count - index * plan.chunk_size)
        self.ids = NationalIds(index, plan.chunks)
        self.committee_of = plan.committee_of
        self.decisions: dict[tuple[int, date, str], int] = {}
        self.counters: dict[type[models.Model], int] = dict.fromkeys(REFERENCES, 0)
        self.rows: dict[type[models.Model], list[dict[str, Any]]] = {m: [] for m in REFERENCES}

    def take(self, model: type[models.Model]) -> int:
        self.counters[model] += 1
        return self.counters[model]

    def make(self, blocks: KeyBlocks) -> Rows:
        generator = LifeGenerator(
            self.rng, self.plan.cells, self.plan.as_of, self.plan.book, self.index
        )
        lives: list[Life] = []
        while len(lives) < self.size:
            life = generator.replayed(generator.life(self.rng.choice(self.plan.cells)))
            if life is not None:
                lives.append(life)
        for life in lives:
            self.add(life)
        self.counters[MembershipEvent] = generator.next_event_id - 1
        firsts = blocks.take(self.index, self.counters)
        tables: Rows = []
        for model, dicts in self.rows.items():
            rows = self.shifted(model, dicts, firsts)
            tables.append((model, (copy_text(rows), len(rows)) if self.plan.copy_text else rows))
        return tables

    def shifted(
        self,
        model: type[models.Model],
        rows: list[dict[str, Any]],
        firsts: dict[type[models.Model], int],
    ) -> list[tuple[Any, ...]]:
        shifts = [(name, firsts[target] - 1) for name, target in REFERENCES[model].items()]
        for row in rows:
            for name, shift in shifts:
                if row.get(name) is not None:
                    row[name] += shift
            if model is Decision:
                row["number"] = f"{row['id']}-QĐ/ĐU"
        return list(rows_for(model, rows))

    def add(self, life: Life) -> None:
        plan, rows = self.plan, self.rows
        cell = life.person["cell"]
        person_id, member_id = self.take(Person), self.take(Member)
        ethnicity = ethnicity_for(self.rng, cell.province_code)
        religion = "01" if self.rng.random() < 0.03 else "17"
        values = person_values(
            life, person_id, self.rng, ethnicity, religion, plan.created, self.ids
        )
        life.person["national_id"] = values["national_id"]
        rows[Person].append(values)
        assert life.state is not None
        card_list = cards_of(life, plan.as_of, self.index)
        current = [c for c in card_list if not c["recovered_on"] and not c["replaced_on"]]
        rows[Member].append(
            {
                "id": member_id,
                "person_id": person_id,
                "search_key": values["search_key"],
                **projection(life.state, plan.book),
                "card_number": current[-1]["number"] if current else "",
            }
        )
        for event, stamp in life.events:
            rows[MembershipEvent].append(self.event_row(event, stamp, member_id))
        for effect, stamp in effect_rows_by_recording(life, plan.book):
            rows[EventEffect].append(
                {
                    "id": self.take(EventEffect),
                    "member_id": member_id,
                    "organization_id": effect.organization_id,
                    "counter": effect.counter,
                    "delta": effect.delta,
                    "effective_date": effect.effective_date,
                    "recorded_at": stamp,
                }
            )
        for period in life.state.periods:
            rows[MemberPeriod].append(
                {
                    "id": self.take(MemberPeriod),
                    "member_id": member_id,
                    "organization_id": period.organization_id,
                    "valid_from": period.valid_from,
                    "valid_to": period.valid_to,
                }
            )
        for card in card_list:
            rows[PartyCard].append({"id": self.take(PartyCard), "member_id": member_id, **card})
        self.curriculum(life, person_id)

    def event_row(self, event: Any, stamp: datetime, member_id: int) -> dict[str, Any]:
        return {
            "id": event.id,
            "member_id": member_id,
            "kind": event.kind,
            "effective_date": event.effective_date,
            "recorded_at": stamp,
            "recorded_by_id": self.plan.actor_id,
            "organization_id": event.organization_id,
            "counterpart_id": event.counterpart_id,
            "reason": event.reason,
            "resolution_date": event.resolution_date,
            "ends_on": event.ends_on,
            "voids_id": event.voids_id,
            "details": json.dumps(dict(event.details)),
            "decision_id": self.decision_for(event),
        }

    def curriculum(self, life: Life, person_id: int) -> None:
        """Dated curriculum rows: general education finished at 18, and for about half of the
        members past 35 a political theory course, as the services would record them."""
        birth, plan = life.person["birth"], self.plan
        if plan.education:
            level = plan.education[min(len(plan.education) - 1, self.rng.randint(1, 5))]
            self.rows[EducationRecord].append(
                {
                    "id": self.take(EducationRecord),
                    "person_id": person_id,
                    "level_id": level,
                    "valid_from": date(birth.year + 18, 6, 1),
                }
            )
        if plan.theory and self.rng.random() < 0.5 and birth.year + 35 < plan.as_of.year:
            self.rows[PoliticalTheoryRecord].append(
                {
                    "id": self.take(PoliticalTheoryRecord),
                    "person_id": person_id,
                    "level_id": self.rng.choice(plan.theory[1:] or plan.theory),
                    "valid_from": date(birth.year + 35, 9, 1),
                }
            )

    def decision_for(self, event: Any) -> int | None:
        """One decision per committee, day and subject, shared by the members it decides (in
        the chunk)."""
        subject = DECIDED_KINDS.get(event.kind)
        if subject is None:
            return None
        issuer = self.committee_of[event.organization_id]
        key = (issuer, event.effective_date, subject)
        if key not in self.decisions:
            self.decisions[key] = self.take(Decision)
            self.rows[Decision].append(
                {
                    "id": self.decisions[key],
                    "issuer_id": issuer,
                    "decided_on": event.effective_date,
                    "subject": subject,
                }
            )
        return self.decisions[key]


# What the worker processes inherit (set before they start; see MemberSeeder.chunks).
_worker_state: tuple[Plan, KeyBlocks] | None = None


def _make_chunk(index: int) -> Rows:
    assert _worker_state is not None
    plan, blocks = _worker_state
    # A chunk makes millions of short-lived objects without reference cycles: reference
    # counting frees them, and the cycle collector's passes (over the plan's 300,000 cells
    # too) made a chunk about 30% slower.
    gc.disable()
    try:
        return Chunk(plan, index).make(blocks)
    finally:
        gc.enable()


class MemberSeeder:
    """Writes ``count`` demo members; on PostgreSQL the chunks are made by ``processes``
    worker processes (default: one per CPU; making a chunk costs more than writing it, and the
    system shares the CPUs between the workers, this process and PostgreSQL)."""

    def __init__(
        self,
        actor: Any,
        count: int,
        seed: int,
        as_of: date,
        processes: int | None = None,
        chunk_size: int = CHUNK,
    ):
        self.actor = actor
        self.writer = BulkWriter()
        self.plan = Plan(
            count=count,
            seed=seed,
            as_of=as_of,
            book=Rulebook.load(),
            cells=demo_cells(as_of),
            education=list(GeneralEducation.objects.values_list("code", flat=True)),
            theory=list(PoliticalTheory.objects.values_list("code", flat=True)),
            actor_id=actor.pk,
            created=timezone.now(),
            chunk_size=chunk_size,
            copy_text=self.writer.vendor == "postgresql",
        )
        if processes is None:
            processes = (os.cpu_count() or 1) if self.writer.vendor == "postgresql" else 0
        self.processes = processes if self.plan.chunks > 1 else 0

    def run(self) -> int:
        if not self.plan.cells:
            raise RuntimeError("The demo tree has no cell: build the tree first.")
        context = multiprocessing.get_context("fork")
        blocks = KeyBlocks(context, {m: self.writer.next_id(m) for m in REFERENCES})
        with loading(*REFERENCES):
            for tables in self.chunks(context, blocks):
                for model, rows in tables:
                    columns = [f.column for f in model._meta.concrete_fields]
                    if isinstance(rows, tuple):
                        self.writer.write_text(model, columns, *rows)
                    else:
                        self.writer.write(model, columns, rows)
        self.writer.reset_sequences(*REFERENCES)
        self.writer.analyze(*REFERENCES)
        audit.record(
            "demo.members.seeded",
            actor=self.actor,
            target=Organization.objects.filter(parent=None).first() or self.actor,
            after={"members": self.plan.count, "as_of": self.plan.as_of.isoformat()},
        )
        return self.plan.count

    def chunks(self, context: Any, blocks: KeyBlocks) -> Iterator[Rows]:
        """The chunks in order: made here, or by worker processes forked from this one (they
        inherit the plan and the key blocks, and never touch the database connection)."""
        global _worker_state
        _worker_state = (self.plan, blocks)
        try:
            if not self.processes:
                yield from map(_make_chunk, range(self.plan.chunks))
                return
            with context.Pool(self.processes) as pool:
                yield from pool.imap(_make_chunk, range(self.plan.chunks))
        finally:
            _worker_state = None
