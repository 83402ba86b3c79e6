"""Property tests of the ledger: random sequences of attempted movements, through the services.

Each example attempts a sequence of movements of three people, mostly steered by each one's
current state and sometimes blind, with dates mostly increasing and some back-dated:
admissions, ceremonies, recognitions, official and temporary transfers between the world's
cells, exemptions, suspensions, losses of contact, interruptions, exits with coded reasons,
readmissions, restorations, extensions and corrections of an earlier event. A refused attempt must raise DomainError and leave the ledger exactly as it was. After
the sequence:

* replaying each member's ledger gives the stored projection and the stored periods;
* every count ``selectors.count`` answers (per cell, per counter, on every date where something
  happened, now and as known at an earlier moment) equals a count made here from first
  principles: walking the ledger rows in order, without ``rules.replay``;
* the headcount of each cell equals the members whose MemberPeriod covers the date and who are
  not in transit.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from dangvu.core.dates import add_months
from dangvu.core.errors import DomainError
from dangvu.core.models import Ethnicity, Religion
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules, selectors, services
from dangvu.membership.models import (
    Counter,
    Decision,
    EventEffect,
    EventKind,
    Member,
    MemberPeriod,
    MembershipEvent,
)
from dangvu.people import services as people
from tests.world import build_world

K = EventKind
LAST_DAY = date(2026, 11, 30)  # no event may be dated after today
START = date(2012, 1, 1)
TEMPORARY_RULE_FROM = date(2025, 7, 1)  # the first version of "transfer.deadlines"

REMOVAL_REASONS = ["unpaid_dues", "abandoned_activities", "transfer_not_presented",
                   "not_recognized", "political_standard", "annulled_admission"]  # fmt: skip
EXPULSION_REASONS = ["other_violation", "serious_disunity", "less_serious_conviction",
                     "corruption_conviction"]  # fmt: skip
RESIGNATION_REASONS = ["family_hardship", "personal_request"]
# (months, full-time study): allowed lengths first, then refused ones
TEMPORARY_LENGTHS = [(3, False), (6, False), (12, False), (18, True), (2, False), (13, False),
                     (25, True)]  # fmt: skip

OPERATIONS = [
    "admit", "ceremony", "recognize", "extend", "transfer_out", "transfer_in", "temporary_out",
    "temporary_in", "temporary_extension", "temporary_return", "exemption", "exemption_end",
    "suspension", "suspension_end", "loss_of_contact", "contact_resumed", "interruption",
    "death", "removal", "expulsion", "resignation", "readmission", "restoration", "correction",
]  # fmt: skip
EXITS = ["death", "removal", "removal", "expulsion", "resignation"]

step = st.tuples(
    st.sampled_from(["plausible"] * 4 + ["any"]),  # steered by the member's state, or blind
    st.integers(0, 99),  # which movement among those chosen from
    st.integers(0, 2),  # which person
    st.integers(0, 2),  # which cell
    st.one_of(st.integers(0, 120), st.integers(0, 1500)),  # days the calendar moves on
    st.one_of(st.just(0), st.just(0), st.just(0), st.integers(1, 1000)),  # days back-dated
    st.integers(0, 99),  # a choice: reason, months, event to correct...
)
programs = st.tuples(
    st.integers(0, 13 * 365),  # first day after START
    st.lists(step, min_size=12, max_size=40),
    st.integers(0, 10_000),  # which moment the "as known at" check looks from
)


def plausible(member: Member | None) -> list[str]:
    """Movements that the member's current state makes plausible (they may still be refused:
    dates, back-dating and rules decide)."""
    if member is None:
        return ["admit"]
    if member.standing == "left":
        if member.exit_kind == "death":
            return ["correction"]
        returns = ["readmission", "readmission", "correction"]
        return (
            returns + ["restoration"] if member.exit_kind in ("removal", "expulsion") else returns
        )
    if member.is_in_transit:
        return ["transfer_in", "transfer_in", "removal", "interruption", "correction"]
    if member.is_temporarily_away:
        return ["temporary_in", "temporary_return", "temporary_extension", "correction"]
    if member.standing == "probationary" and member.ceremony_date is None:
        return ["ceremony"]
    moves = ["transfer_out", "transfer_out", "temporary_out", "interruption", "correction", *EXITS]
    moves += [
        "exemption_end" if member.is_exempted else "exemption",
        "suspension_end" if member.is_suspended else "suspension",
        "contact_resumed" if member.is_lost_contact else "loss_of_contact",
    ]
    if member.standing == "probationary":
        moves += ["recognize", "recognize", "recognize", "extend"]
    return moves


# --- attempting one movement through the services ---------------------------------------------


class Attempt:
    """Calls the service for one generated step; returns None when the step does not apply."""

    def __init__(self, world, persons):
        self.w, self.persons, self.cells = (
            world,
            persons,
            [world.cell_a1, world.cell_a2, world.cell_b1],
        )
        self.decisions = 0

    def decide(self, on: date) -> Decision:
        self.decisions += 1
        return Decision.objects.create(
            number=f"{self.decisions}-QĐ", issuer=self.w.commune_a1, decided_on=on
        )

    def __call__(self, operation: str, person, cell, on: date, choice: int):
        member = Member.objects.filter(person=person).first()
        if operation == "admit":
            return lambda: services.admit_member(
                actor=self.w.root,
                person=person,
                organization=cell,
                decision=self.decide(on),
                resolution_date=on,
            )
        if member is None:
            return None
        call = getattr(self, operation, None)
        if call is not None:
            return lambda: call(member, cell, on, choice)
        simple = {
            "ceremony": services.record_ceremony,
            "transfer_in": services.receive_transfer,
            "temporary_in": services.receive_temporary_transfer,
            "temporary_return": services.record_return,
            "death": services.record_death,
            "exemption": services.exempt_member,
            "exemption_end": services.end_exemption,
            "suspension": services.suspend_member,
            "suspension_end": services.end_suspension,
            "loss_of_contact": services.record_loss_of_contact,
            "contact_resumed": services.resume_contact,
        }[operation]
        return lambda: simple(actor=self.w.root, member=member, on=on)

    def recognize(self, member, cell, on, choice):
        return services.recognize_member(actor=self.w.root, member=member, decision=self.decide(on))

    def extend(self, member, cell, on, choice):
        return services.extend_probation(
            actor=self.w.root, member=member, on=on, months=1 + choice % 13
        )

    def transfer_out(self, member, cell, on, choice):
        return services.record_transfer_out(actor=self.w.root, member=member, to=cell, on=on)

    def temporary_out(self, member, cell, on, choice):
        months, study = TEMPORARY_LENGTHS[choice % len(TEMPORARY_LENGTHS)]
        return services.record_temporary_transfer(
            actor=self.w.root,
            member=member,
            to=cell,
            on=on,
            until=add_months(on, months),
            study=study,
        )

    def temporary_extension(self, member, cell, on, choice):
        months, study = TEMPORARY_LENGTHS[choice % len(TEMPORARY_LENGTHS)]
        return services.extend_temporary_transfer(
            actor=self.w.root, member=member, on=on, until=add_months(on, months), study=study
        )

    def interruption(self, member, cell, on, choice):
        return services.record_interruption(
            actor=self.w.root,
            member=member,
            start=on,
            end=on + timedelta(days=30 + 10 * choice),
            decision=self.decide(on),
        )

    def removal(self, member, cell, on, choice):
        at_receiver = choice % 4 == 0 and member.pending_transfer_to is not None
        return services.remove_member(
            actor=self.w.root,
            member=member,
            on=on,
            reason=REMOVAL_REASONS[choice % len(REMOVAL_REASONS)],
            decision=self.decide(on),
            organization=member.pending_transfer_to if at_receiver else None,
        )

    def expulsion(self, member, cell, on, choice):
        discipline = people.record_discipline(
            actor=self.w.root,
            person=member.person,
            form="expulsion",
            deciding_body="UBKT",
            decided_on=on,
        )
        return services.expel_member(
            actor=self.w.root,
            member=member,
            discipline=discipline,
            reason=EXPULSION_REASONS[choice % len(EXPULSION_REASONS)],
        )

    def resignation(self, member, cell, on, choice):
        return services.record_resignation(
            actor=self.w.root,
            member=member,
            on=on,
            reason=RESIGNATION_REASONS[choice % 2],
            decision=self.decide(on),
        )

    def readmission(self, member, cell, on, choice):
        expunged = on - timedelta(days=40 * choice) if choice % 2 else None
        return services.readmit_member(
            actor=self.w.root,
            member=member,
            organization=cell,
            decision=self.decide(on),
            resolution_date=on,
            provincial_consent=self.decide(on),
            expunged_on=expunged,
        )

    def restoration(self, member, cell, on, choice):
        return services.restore_member(
            actor=self.w.root, member=member, organization=cell, decision=self.decide(on)
        )

    def correction(self, member, cell, on, choice):
        events = list(
            member.events.exclude(kind=K.CORRECTION).filter(voided_by__isnull=True).order_by("pk")
        )
        return services.correct_event(
            actor=self.w.root, event=events[choice % len(events)], reason="Ghi nhầm."
        )


def ledger_snapshot():
    """Everything the ledger writes, to check that a refused attempt wrote nothing."""
    periods = MemberPeriod.objects.values_list(
        "member_id", "organization_id", "valid_from", "valid_to"
    )
    return (
        list(MembershipEvent.objects.order_by("pk").values_list("pk", flat=True)),
        list(EventEffect.objects.order_by("pk").values_list("pk", "delta")),
        sorted(periods, key=lambda p: (p[0], p[2], p[3] or date.max, p[1])),
        list(Member.objects.order_by("pk").values()),
    )


# --- counting from first principles -------------------------------------------------------------


@dataclass
class Walk:
    """Where one member stands after some ledger rows, read without ``rules.replay``."""

    standing: str | None = None
    before_exit: str | None = None
    home: int | None = None
    pending: int | None = None
    flags: set[str] = field(default_factory=set)
    host: int | None = None
    hosted: bool = False

    def apply(self, row: MembershipEvent) -> None:
        kind = row.kind
        if kind in (K.ADMISSION, K.READMISSION):
            self.standing, self.home = "probationary", row.organization_id
        elif kind == K.RESTORATION:
            self.standing, self.home = self.before_exit, row.organization_id
        elif kind == K.RECOGNITION:
            self.standing = "official"
        elif kind == K.TRANSFER_OUT:
            self.pending = row.counterpart_id
        elif kind == K.TRANSFER_IN:
            self.home, self.pending = row.organization_id, None
        elif kind == K.TEMPORARY_OUT:
            self.host, self.hosted = row.counterpart_id, False
        elif kind == K.TEMPORARY_IN:
            self.hosted = True
        elif kind == K.TEMPORARY_RETURN:
            self.host, self.hosted = None, False
        elif kind in (K.EXEMPTION, K.SUSPENSION, K.LOSS_OF_CONTACT):
            self.flags.add(
                {
                    K.EXEMPTION: "exempted",
                    K.SUSPENSION: "suspended",
                    K.LOSS_OF_CONTACT: "lost_contact",
                }[kind]
            )
        elif kind in (K.EXEMPTION_END, K.SUSPENSION_END, K.CONTACT_RESUMED):
            self.flags.discard(
                {
                    K.EXEMPTION_END: "exempted",
                    K.SUSPENSION_END: "suspended",
                    K.CONTACT_RESUMED: "lost_contact",
                }[kind]
            )
        elif kind in (K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION):
            self.before_exit, self.standing = self.standing, "left"
            self.pending, self.flags, self.host, self.hosted = None, set(), None, False

    def counted(self) -> list[tuple[int, str]]:
        """The (organization, counter) pairs this member adds one to."""
        if self.standing not in ("probationary", "official"):
            return []
        assert self.home is not None
        pairs = [(self.home, "in_transit" if self.pending else self.standing)]
        pairs += [(self.home, flag) for flag in self.flags]
        if self.host is not None:
            pairs.append((self.home, "temporarily_away"))
            if self.hosted:
                pairs.append((self.host, "hosted"))
        return pairs


def effective_rows(rows: list[MembershipEvent]) -> list[MembershipEvent]:
    """The rows that count, in ledger order: by date, then the documented same-day order."""
    voided = {row.voids_id for row in rows if row.kind == K.CORRECTION}
    kept = [row for row in rows if row.kind != K.CORRECTION and row.pk not in voided]
    return sorted(kept, key=lambda r: (r.effective_date, rules.RANK.get(r.kind, 6), r.pk))


def walk_until(rows: list[MembershipEvent], on: date) -> Walk:
    walk = Walk()
    for row in effective_rows(rows):
        if row.effective_date <= on:
            walk.apply(row)
    return walk


def expected_counts(ledgers: dict[int, list[MembershipEvent]], on: date) -> dict:
    counts: dict[tuple[int, str], int] = {}
    for rows in ledgers.values():
        for pair in walk_until(rows, on).counted():
            counts[pair] = counts.get(pair, 0) + 1
    return counts


# --- the property -------------------------------------------------------------------------------


class LedgerPropertyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = build_world()
        kinh, none = Ethnicity.objects.get(code="01"), Religion.objects.get(name="Không")
        cls.persons = [
            people.create_person(
                actor=cls.w.root,
                home_organization=cls.w.commune_a1,
                full_name=f"Trần Văn Thử {n}",
                gender="male",
                birth_year=1975,
                birth_month=6,
                birth_day=15,
                ethnicity=kinh,
                religion=none,
            )
            for n in range(3)
        ]

    @settings(max_examples=40)
    @given(programs)
    def test_replay_periods_and_counts_agree_with_the_ledger_after_any_sequence(self, program):
        first_day, steps, moment = program
        attempt = Attempt(self.w, self.persons)
        on = START + timedelta(days=first_day)
        for steering, which, person_index, cell_index, forward, back, choice in steps:
            person = self.persons[person_index]
            member = Member.objects.filter(person=person).first()
            choices = plausible(member) if steering == "plausible" else OPERATIONS
            operation = choices[which % len(choices)]
            cell = attempt.cells[cell_index]
            if steering == "plausible" and member is not None and cell == member.organization:
                cell = attempt.cells[(cell_index + 1) % 3]  # transfers go elsewhere
            on = min(on + timedelta(days=forward), LAST_DAY)
            if steering == "plausible" and operation == "readmission":
                on = min(max(on, add_months(member.exit_date, 36)), LAST_DAY)
            if steering == "plausible" and operation == "temporary_out":
                on = max(on, TEMPORARY_RULE_FROM)
            effective = max(on - timedelta(days=back), START)
            self.try_step(attempt(operation, person, cell, effective, choice))
        self.check_projection_and_periods()
        self.check_counts(known_at=None)
        recorded = sorted(MembershipEvent.objects.values_list("recorded_at", flat=True))
        if recorded:
            self.check_counts(known_at=recorded[moment % len(recorded)])
        self.check_headcount_against_periods()

    def try_step(self, call) -> None:
        if call is None:
            return
        before = ledger_snapshot()
        try:
            call()
        except DomainError:
            assert ledger_snapshot() == before, "a refused attempt changed the ledger"

    def check_projection_and_periods(self) -> None:
        for member in Member.objects.all():
            state = services.replay_member(member)
            book, decided = Rulebook.load(), services.decided_party_age(member)
            projected = services.projection(state, book, decided)
            assert projected == {name: getattr(member, name) for name in projected}
            if member.party_age_from is not None:  # the reports band party age from it
                assert state.last_date is not None
                for later in (state.last_date, state.last_date + timedelta(days=1000)):
                    age = rules.party_age(state, later, book, decided)
                    assert age is not None and age.counts_from == member.party_age_from
            periods = [(p.organization_id, p.valid_from, p.valid_to) for p in state.periods]
            assert periods == list(
                member.periods.order_by("valid_from", "pk").values_list(
                    "organization_id", "valid_from", "valid_to"
                )
            )

    def ledgers(self, known_at=None) -> dict[int, list[MembershipEvent]]:
        rows = MembershipEvent.objects.all()
        if known_at is not None:
            rows = rows.filter(recorded_at__lte=known_at)
        ledgers: dict[int, list[MembershipEvent]] = {}
        for row in rows:
            ledgers.setdefault(row.member_id, []).append(row)
        return ledgers

    def dates_that_matter(self, known_at=None) -> list[date]:
        """Counts only change on effective dates: checking those (and the day before the
        first) checks every date."""
        effects = EventEffect.objects.all()
        if known_at is not None:
            effects = effects.filter(recorded_at__lte=known_at)
        dates = set(effects.values_list("effective_date", flat=True))
        return sorted(dates | {min(dates, default=START) - timedelta(days=1)})

    def check_counts(self, known_at) -> None:
        ledgers = self.ledgers(known_at)
        cells = [self.w.cell_a1, self.w.cell_a2, self.w.cell_b1]
        for on in self.dates_that_matter(known_at):
            expected = expected_counts(ledgers, on)
            for cell in cells:
                for counter in Counter:
                    got = selectors.count(cell, counter, on, known_at=known_at)
                    assert got == expected.get((cell.pk, counter.value), 0), (
                        cell.name,
                        counter.value,
                        on,
                        known_at,
                    )
            for region, members_of in [(self.w.province_a, cells[:2]), (self.w.central, cells)]:
                for counter in (Counter.PROBATIONARY, Counter.OFFICIAL, Counter.IN_TRANSIT):
                    want = sum(expected.get((c.pk, counter.value), 0) for c in members_of)
                    got = selectors.count(region, counter, on, known_at=known_at, subtree=True)
                    assert got == want, (region.name, counter.value, on, known_at)

    def check_headcount_against_periods(self) -> None:
        ledgers = self.ledgers()
        periods = list(
            MemberPeriod.objects.values_list(
                "member_id", "organization_id", "valid_from", "valid_to"
            )
        )
        for on in self.dates_that_matter():
            in_transit = {
                member_id
                for member_id, rows in ledgers.items()
                if walk_until(rows, on).pending is not None
            }
            for cell in (self.w.cell_a1, self.w.cell_a2, self.w.cell_b1):
                covering = [
                    m
                    for m, org, start, end in periods
                    if org == cell.pk
                    and start <= on
                    and (end is None or on < end)
                    and m not in in_transit
                ]
                headcount = selectors.count(cell, Counter.PROBATIONARY, on) + selectors.count(
                    cell, Counter.OFFICIAL, on
                )
                assert headcount == len(covering), (cell.name, on)
