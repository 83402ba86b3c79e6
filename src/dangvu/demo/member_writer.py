"""seed_demo --members N: generate lives in chunks and write them in bulk (see demo.members)."""

import json
import random
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone

from dangvu.core import audit
from dangvu.core.models import GeneralEducation, PoliticalTheory
from dangvu.core.rulebook import Rulebook
from dangvu.demo.bulk import BulkWriter, loading
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

CHUNK = 20_000
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


class MemberSeeder:
    """Writes ``count`` demo members in chunks; ids are assigned here so rows can refer to each other."""

    def __init__(self, actor: Any, count: int, seed: int, as_of: date):
        self.actor, self.count, self.as_of = actor, count, as_of
        self.rng = random.Random(seed * 7919 + 1)
        self.book = Rulebook.load()
        self.cells = demo_cells(as_of)
        self.committee_of = {c.id: c.parent_id for c in self.cells}
        self.education = list(GeneralEducation.objects.values_list("code", flat=True))
        self.theory = list(PoliticalTheory.objects.values_list("code", flat=True))
        self.writer = BulkWriter()
        self.ids = NationalIds()
        self.decisions: dict[tuple[int, date, str], int] = {}
        self.next: dict[type[models.Model], int] = {
            m: self.writer.next_id(m)
            for m in (
                Person,
                Member,
                MembershipEvent,
                EventEffect,
                MemberPeriod,
                PartyCard,
                Decision,
                EducationRecord,
                PoliticalTheoryRecord,
            )
        }
        self.written = 0

    def run(self) -> int:
        if not self.cells:
            raise RuntimeError("The demo tree has no cell: build the tree first.")
        generator = LifeGenerator(self.rng, self.cells, self.as_of, self.book)
        generator.next_event_id = self.next[MembershipEvent]
        with loading(*self.next):
            while self.written < self.count:
                lives: list[Life] = []
                while len(lives) < min(CHUNK, self.count - self.written):
                    life = generator.replayed(generator.life(self.rng.choice(self.cells)))
                    if life is not None:
                        lives.append(life)
                self.write(lives)
                self.written += len(lives)
        self.next[MembershipEvent] = generator.next_event_id
        self.writer.reset_sequences(*self.next)
        audit.record(
            "demo.members.seeded",
            actor=self.actor,
            target=Organization.objects.filter(parent=None).first() or self.actor,
            after={"members": self.written, "as_of": self.as_of.isoformat()},
        )
        return self.written

    def take(self, model: type[models.Model]) -> int:
        value = self.next[model]
        self.next[model] += 1
        return value

    def write(self, lives: list[Life]) -> None:
        persons: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        effects: list[dict[str, Any]] = []
        periods: list[dict[str, Any]] = []
        cards: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        curricula: dict[type[models.Model], list[dict[str, Any]]] = {
            EducationRecord: [],
            PoliticalTheoryRecord: [],
        }
        created = timezone.now()
        for life in lives:
            cell = life.person["cell"]
            person_id, member_id = self.take(Person), self.take(Member)
            ethnicity = ethnicity_for(self.rng, cell.province_code)
            religion = "01" if self.rng.random() < 0.03 else "17"
            values = person_values(
                life, person_id, self.rng, ethnicity, religion, created, self.ids
            )
            life.person["national_id"] = values["national_id"]
            persons.append(values)
            assert life.state is not None
            card_list = cards_of(life, self.as_of)
            current = [c for c in card_list if not c["recovered_on"] and not c["replaced_on"]]
            members.append(
                {
                    "id": member_id,
                    "person_id": person_id,
                    **projection(life.state),
                    "card_number": current[-1]["number"] if current else "",
                }
            )
            for event, stamp in life.events:
                events.append(self.event_row(event, stamp, member_id, decisions))
            for effect, stamp in effect_rows_by_recording(life, self.book):
                effects.append(
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
                periods.append(
                    {
                        "id": self.take(MemberPeriod),
                        "member_id": member_id,
                        "organization_id": period.organization_id,
                        "valid_from": period.valid_from,
                        "valid_to": period.valid_to,
                    }
                )
            for card in card_list:
                cards.append({"id": self.take(PartyCard), "member_id": member_id, **card})
            self.curriculum(life, person_id, curricula)
        tables: list[tuple[type[models.Model], list[dict[str, Any]]]] = [
            (Decision, decisions),
            (Person, persons),
            (Member, members),
            (MembershipEvent, events),
            (EventEffect, effects),
            (MemberPeriod, periods),
            (PartyCard, cards),
            *curricula.items(),
        ]
        for model, rows in tables:
            self.writer.write_dicts(model, rows)

    def event_row(
        self, event: Any, stamp: datetime, member_id: int, decisions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": event.id,
            "member_id": member_id,
            "kind": event.kind,
            "effective_date": event.effective_date,
            "recorded_at": stamp,
            "recorded_by_id": self.actor.pk,
            "organization_id": event.organization_id,
            "counterpart_id": event.counterpart_id,
            "reason": event.reason,
            "resolution_date": event.resolution_date,
            "ends_on": event.ends_on,
            "voids_id": event.voids_id,
            "details": json.dumps(dict(event.details)),
            "decision_id": self.decision_for(event, decisions),
        }

    def curriculum(
        self, life: Life, person_id: int, rows: dict[type[models.Model], list[dict[str, Any]]]
    ) -> None:
        """Dated curriculum rows: general education finished at 18, and for about half of the
        members past 35 a political theory course, as the services would record them."""
        birth = life.person["birth"]
        if self.education:
            level = self.education[min(len(self.education) - 1, self.rng.randint(1, 5))]
            rows[EducationRecord].append(
                {
                    "id": self.take(EducationRecord),
                    "person_id": person_id,
                    "level_id": level,
                    "valid_from": date(birth.year + 18, 6, 1),
                }
            )
        if self.theory and self.rng.random() < 0.5 and birth.year + 35 < self.as_of.year:
            rows[PoliticalTheoryRecord].append(
                {
                    "id": self.take(PoliticalTheoryRecord),
                    "person_id": person_id,
                    "level_id": self.rng.choice(self.theory[1:] or self.theory),
                    "valid_from": date(birth.year + 35, 9, 1),
                }
            )

    def decision_for(self, event: Any, decisions: list[dict[str, Any]]) -> int | None:
        """One decision per committee, day and subject, shared by the members it decides."""
        subject = DECIDED_KINDS.get(event.kind)
        if subject is None:
            return None
        issuer = self.committee_of[event.organization_id]
        key = (issuer, event.effective_date, subject)
        if key not in self.decisions:
            self.decisions[key] = self.take(Decision)
            decisions.append(
                {
                    "id": self.decisions[key],
                    "issuer_id": issuer,
                    "number": f"{self.decisions[key]}-QĐ/ĐU",
                    "decided_on": event.effective_date,
                    "subject": subject,
                }
            )
        return self.decisions[key]
