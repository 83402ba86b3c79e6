"""Demo members with a realistic history, at any scale.

Each member's life is drawn from the seeded generator as a sequence of ledger events
(admission, ceremony, recognition, transfers across communes and across the 2025 reform,
temporary transfers, exemptions, loss of contact, deaths, removals, expulsions, resignations,
a few readmissions, restorations and corrections). The sequence is replayed by
``membership.rules.replay`` (the services' own rules), and what the replay derives (the Member
projection, periods, effect rows) is written in bulk by ``demo.bulk``.
"""

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, overload

from django.utils import timezone

from dangvu.core.dates import add_months
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.core.text import search_key
from dangvu.demo import names
from dangvu.membership import rules
from dangvu.membership.models import EventKind, ExitReason
from dangvu.membership.services import wanted_effects

K = EventKind
FIRST_ADMISSION = date(1965, 1, 1)
CARD_EXCHANGE = date(2025, 9, 2)  # Chỉ thị 51-CT/TW: cards exchanged before 2/9/2025
REMOVAL_REASONS = [
    ExitReason.ABANDONED_ACTIVITIES,
    ExitReason.UNPAID_DUES,
    ExitReason.NO_PROGRESS,
    ExitReason.STANDARDS_TWO_YEARS,
    ExitReason.CARD_HANDED_BACK,
]
EXPULSION_REASONS = [
    ExitReason.OTHER_VIOLATION,
    ExitReason.CORRUPTION_CONVICTION,
    ExitReason.LESS_SERIOUS_CONVICTION,
]


@dataclass
class Cell:
    id: int
    parent_id: int
    province_code: str  # the 2008 province, for ethnicity and national IDs


@dataclass
class Life:
    """One generated member: person fields, events (with recorded_at) and the replayed state."""

    person: dict[str, Any]
    events: list[tuple[rules.Event, datetime]] = field(default_factory=list)
    state: rules.State | None = None


class AllBut(Sequence[int]):
    """A list without the item at ``skip``, read through (``random.choice`` needs only ``len``
    and indexing, so it draws exactly what it would from the copied list)."""

    def __init__(self, items: list[int], skip: int):
        self.items, self.skip = items, skip

    def __len__(self) -> int:
        return len(self.items) - 1

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.items[index + (index >= self.skip)]


class LifeGenerator:
    """Lives for one chunk of members: event ids count from 1 in the chunk (the writer shifts
    them into the chunk's block), and dossier numbers start with the chunk's number."""

    def __init__(
        self, rng: random.Random, cells: list[Cell], as_of: date, book: Rulebook, chunk: int = 0
    ):
        self.rng, self.cells, self.as_of, self.book = rng, cells, as_of, book
        self.chunk = chunk
        self.next_event_id = 1
        # Looked up once (per call they cost more than the rest of a stamp or a transfer).
        self.tz = timezone.get_current_timezone()
        self.cell_ids = [c.id for c in cells]
        self.cell_index = {cell_id: i for i, cell_id in enumerate(self.cell_ids)}
        if len(self.cell_index) != len(self.cell_ids):  # duplicates: no index for them
            self.cell_index = {}

    # -- dates ---------------------------------------------------------------------------

    def between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def stamp(self, on: date, late_days: int = 0) -> datetime:
        # what timezone.make_aware does with a zoneinfo zone, without its checks per call
        return datetime.combine(
            on + timedelta(days=late_days), time(9, self.rng.randint(0, 59)), tzinfo=self.tz
        )

    def add(
        self,
        life: Life,
        kind: str,
        on: date,
        org: int,
        recorded: datetime | None = None,
        **fields: Any,
    ) -> rules.Event:
        event = rules.Event(
            kind=kind, effective_date=on, organization_id=org, id=self.next_event_id, **fields
        )
        self.next_event_id += 1
        life.events.append((event, recorded or self.stamp(on)))
        return event

    # -- a life --------------------------------------------------------------------------

    def life(self, cell: Cell) -> Life:
        rng = self.rng
        gender = "female" if rng.random() < 0.35 else "male"
        # members' ages peak in their fifties: a triangular draw of the birth year
        year = int(rng.triangular(1935, self.as_of.year - 19, 1972))
        birth = self.between(
            date(year, 1, 1), min(date(year, 12, 31), add_months(self.as_of, -12 * 19))
        )
        person = {"gender": gender, "birth": birth, "cell": cell}
        life = Life(person)
        adult = add_months(birth, 216) + timedelta(days=40)
        start = max(adult, FIRST_ADMISSION)
        if start >= self.as_of - timedelta(days=30):
            start = self.as_of - timedelta(days=60)
        decided = self.between(start, self.as_of - timedelta(days=20))
        self.admit(life, cell.id, decided, first=True)
        return life

    def admit(self, life: Life, org: int, decided: date, first: bool) -> None:
        """Admission (or readmission), ceremony, recognition, then the rest of a life."""
        resolution = max(
            decided - timedelta(days=self.rng.randint(10, 40)),
            add_months(life.person["birth"], 216),
        )
        if first:
            self.add(
                life,
                K.ADMISSION,
                decided,
                org,
                resolution_date=resolution,
                details={"dossier_number": local_number(self.chunk, self.next_event_id)},
            )
        else:
            self.add(life, K.READMISSION, decided, org, resolution_date=resolution)
        ceremony = decided + timedelta(days=self.rng.randint(7, 30))
        if ceremony > self.as_of:
            return
        self.add(life, K.CEREMONY, ceremony, org)
        due = add_months(ceremony, 12)
        if due > self.as_of:
            return
        if self.rng.random() < 0.03 and due + timedelta(days=20) <= self.as_of:
            self.add(
                life, K.REMOVAL, due + timedelta(days=20), org, reason=ExitReason.NOT_RECOGNIZED
            )
            return
        self.add(life, K.RECOGNITION, due, org)
        self.official_life(life, org, due)

    def official_life(self, life: Life, org: int, since: date) -> None:
        rng, cursor = self.rng, since
        if rng.random() < 0.25:
            org, cursor = self.transfer(life, org, cursor)
        if rng.random() < 0.04:
            cursor = self.temporary(life, org, cursor)
        if rng.random() < 0.02:
            cursor = self.lost_contact(life, org, cursor)
        if rng.random() < 0.01:
            self.corrected_mistake(life, org, cursor)
        age_65 = add_months(life.person["birth"], 65 * 12)
        if rng.random() < 0.3 and age_65 < self.as_of:
            cursor = max(cursor, age_65) + timedelta(days=rng.randint(1, 400))
            if cursor < self.as_of:
                self.add(life, K.EXEMPTION, cursor, org, reason="age_health")
        self.maybe_exit(life, org, cursor)

    def transfer(self, life: Life, org: int, cursor: date) -> tuple[int, date]:
        out = self.between(cursor + timedelta(days=30), self.as_of)
        if out >= self.as_of - timedelta(days=3):
            return org, cursor
        target = self.rng.choice(self.other_cells(org))
        if target == org:
            return org, cursor
        self.add(life, K.TRANSFER_OUT, out, org, counterpart_id=target)
        received = out + timedelta(days=self.rng.randint(5, 40))
        if received > self.as_of:
            return org, self.as_of
        self.add(life, K.TRANSFER_IN, received, target, counterpart_id=org)
        return target, received

    def other_cells(self, org: int) -> Sequence[int]:
        """The ids of every cell but ``org`` (``[org]`` if there is no other), as
        ``[c.id for c in self.cells if c.id != org] or [org]`` gives them, without building
        that list for each transfer (a national tree has tens of thousands of cells)."""
        index = self.cell_index.get(org)
        if index is None:
            others: Sequence[int] = [c.id for c in self.cells if c.id != org]
        else:
            others = AllBut(self.cell_ids, index)
        return others if len(others) else [org]

    def temporary(self, life: Life, org: int, cursor: date) -> date:
        out = self.between(cursor + timedelta(days=10), self.as_of)
        until = add_months(out, 6)
        if until > self.as_of:
            return cursor
        host = self.rng.choice(self.cells).id
        if host == org:
            return cursor
        self.add(life, K.TEMPORARY_OUT, out, org, counterpart_id=host, ends_on=until)
        self.add(life, K.TEMPORARY_IN, out + timedelta(days=7), host, counterpart_id=org)
        self.add(life, K.TEMPORARY_RETURN, until, org)
        return until

    def lost_contact(self, life: Life, org: int, cursor: date) -> date:
        lost = self.between(cursor + timedelta(days=10), self.as_of)
        back = add_months(lost, self.rng.randint(4, 10))
        if back > self.as_of:
            return cursor
        self.add(life, K.LOSS_OF_CONTACT, lost, org)
        self.add(life, K.CONTACT_RESUMED, back, org)
        return back

    def corrected_mistake(self, life: Life, org: int, cursor: date) -> None:
        """An exemption entered by mistake and voided by a correction months later."""
        wrong = self.between(cursor, self.as_of)
        fixed = wrong + timedelta(days=self.rng.randint(30, 200))
        if fixed > self.as_of:
            return
        mistake = self.add(life, K.EXEMPTION, wrong, org, reason="age_health")
        self.add(life, K.CORRECTION, wrong, org, recorded=self.stamp(fixed), voids_id=mistake.id)

    def maybe_exit(self, life: Life, org: int, cursor: date) -> None:
        """Most members are still active; the elderly may have died; a few left otherwise."""
        rng, born = self.rng, life.person["birth"]
        chance = rng.random()
        if born.year < 1950:
            cursor = max(cursor, add_months(born, 60 * 12))
        on = self.between(cursor + timedelta(days=30), self.as_of)
        if on >= self.as_of:
            return
        death = 0.45 if born.year < 1950 else 0.04
        if chance < death:
            self.add(life, K.DEATH, on, org)
        elif chance < death + 0.02:
            reason = rng.choice(REMOVAL_REASONS)
            self.add(life, K.REMOVAL, on, org, reason=reason)
            self.after_removal(life, org, on, reason)
        elif chance < death + 0.025:
            self.add(life, K.EXPULSION, on, org, reason=rng.choice(EXPULSION_REASONS))
        elif chance < death + 0.028:
            self.add(life, K.RESIGNATION, on, org, reason=ExitReason.FAMILY_HARDSHIP)

    def after_removal(self, life: Life, org: int, removed: date, reason: str) -> None:
        rng = self.rng
        if rng.random() < 0.08:
            restored = removed + timedelta(days=rng.randint(90, 500))
            if restored < self.as_of:
                self.add(life, K.RESTORATION, restored, org)
        elif reason != ExitReason.ABANDONED_ACTIVITIES and rng.random() < 0.2:
            back = add_months(removed, 36) + timedelta(days=rng.randint(1, 700))
            if back < self.as_of - timedelta(days=20):
                self.admit(life, rng.choice(self.cells).id, back, first=False)

    # -- validation ----------------------------------------------------------------------

    def replayed(self, life: Life) -> Life | None:
        """The life with its replayed state, or None if the rules refuse it (then it is dropped,
        so the demo never holds a history the services would refuse)."""
        by_recording = [e for e, _ in sorted(life.events, key=lambda pair: pair[1])]
        try:
            if by_recording != sorted(by_recording, key=lambda e: e.sort_key):
                for known in range(1, len(by_recording)):  # valid at every moment it was known
                    rules.replay(by_recording[:known], self.book)
            life.state = rules.replay(by_recording, self.book)
        except DomainError:
            return None
        return life


def effect_rows_by_recording(life: Life, book: Rulebook) -> Iterator[tuple[rules.Effect, datetime]]:
    """The effect rows the services would have written, each with the time it became known:
    replaying the events known after each recording and keeping the differences."""
    ordered = sorted(life.events, key=lambda pair: pair[1])
    in_date_order = [e for e, _ in ordered] == [
        e for e, _ in sorted(life.events, key=lambda p: p[0].sort_key)
    ]
    if in_date_order:
        assert life.state is not None
        stamps = {e.effective_date: stamp for e, stamp in reversed(ordered)}
        for (org, counter, on), delta in wanted_effects(life.state).items():
            if delta:
                yield rules.Effect(org, counter, delta, on), stamps.get(on, ordered[-1][1])
        return
    written: dict[tuple[int, str, date], int] = {}
    for index, (_, stamp) in enumerate(ordered):
        state = rules.replay([e for e, _ in ordered[: index + 1]], book)
        for key, delta in wanted_effects(state).items():
            if delta != written.get(key, 0):
                yield rules.Effect(key[0], key[1], delta - written.get(key, 0), key[2]), stamp
                written[key] = delta
        for key in [k for k in written if k not in wanted_effects(state)]:
            yield rules.Effect(key[0], key[1], -written.pop(key), key[2]), stamp


def person_values(
    life: Life,
    person_id: int,
    rng: random.Random,
    ethnicity: str,
    religion: str,
    created: datetime,
    ids: "NationalIds",
) -> dict[str, Any]:
    gender, birth, cell = life.person["gender"], life.person["birth"], life.person["cell"]
    full_name = names.full_name(rng, gender, ethnicity)
    precise = rng.random() > 0.03
    assert life.state is not None
    return {
        "id": person_id,
        "full_name": full_name,
        "search_key": search_key(full_name),
        "gender": gender,
        "birth_year": birth.year,
        "birth_month": birth.month if precise else None,
        "birth_day": birth.day if precise else None,
        "ethnicity_id": ethnicity,
        "religion_id": religion,
        "home_organization_id": life.state.organization_id or cell.id,
        "hometown": f"Xã {names.place_name(rng)}",
        "created_at": created,
        "updated_at": created,
        "national_id": ids.next(cell.province_code, gender, birth),
    }


class NationalIds:
    """Well-formed 12-digit personal IDs: province of registration (2008 code), century and
    gender, year of birth, and a serial. Chunk ``chunk`` of ``chunks`` counts per (province,
    century-gender, year) and takes every ``chunks``-th serial, so every ID is unique however
    the chunks are made."""

    def __init__(self, chunk: int = 0, chunks: int = 1) -> None:
        self.chunk, self.chunks = chunk, chunks
        self.serials: dict[str, int] = {}

    def next(self, province_code: str, gender: str, birth: date) -> str:
        digit = ((birth.year // 100) - 19) * 2 + (1 if gender == "female" else 0)
        prefix = f"0{province_code}{digit}{birth.year % 100:02d}"
        count = self.serials.get(prefix, 0)
        self.serials[prefix] = count + 1
        serial = count * self.chunks + self.chunk + 1
        if serial >= 10**6:
            raise ValueError(f"no serial left for {prefix}")
        return f"{prefix}{serial:06d}"


def local_number(chunk: int, event_id: int) -> str:
    """An 8-digit dossier or card number: the chunk, then the event's number in the chunk."""
    if event_id >= 10**5:
        raise ValueError("too many events in one chunk for 8-digit numbers")
    return f"{chunk:03d}{event_id:05d}"


def cards_of(life: Life, as_of: date, chunk: int = 0) -> list[dict[str, Any]]:
    """The cards the services would have issued: two months after each recognition, exchanged
    for the 2025 card (number = personal ID) on 2/9/2025 (a card due after that date is a 2025
    card), recovered on every exit but death."""
    timeline: list[tuple[date, int, str, int]] = [(CARD_EXCHANGE, 0, "exchange", 0)]
    for event, _ in life.events:
        if event.kind == K.RECOGNITION:
            timeline.append((event.effective_date + timedelta(days=60), 1, "issue", event.id))
        elif event.kind in (K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.DEATH):
            timeline.append((event.effective_date, 2, event.kind, event.id))
    cards: list[dict[str, Any]] = []
    member_now = False
    for on, _, action, event_id in sorted(timeline):
        if on > as_of:
            break
        current = [c for c in cards if not c["recovered_on"] and not c["replaced_on"]]
        if action == "issue":
            new = on >= CARD_EXCHANGE
            cards.append(
                card_row(
                    "card_2025" if new else "card_2003",
                    life.person["national_id"] if new else local_number(chunk, event_id),
                    on,
                )
            )
            member_now = True
        elif action == "exchange" and current and member_now:
            current[0]["replaced_on"] = on
            cards.append(card_row("card_2025", life.person["national_id"], on))
        elif action in (K.REMOVAL, K.EXPULSION, K.RESIGNATION):
            for card in current:
                card["recovered_on"] = on
            member_now = False
        elif action == K.DEATH:  # the family keeps the card
            member_now = False
    return cards


def card_row(kind: str, number: str, issued_on: date) -> dict[str, Any]:
    return {
        "kind": kind,
        "number": number,
        "issued_on": issued_on,
        "recovered_on": None,
        "replaced_on": None,
    }
