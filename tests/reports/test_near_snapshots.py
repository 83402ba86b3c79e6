"""A past day near a month-end snapshot: its figures are the snapshot's plus what changed for
the few members whose figures differ between the two days (``figures.read_on``).

Each check compares, day after day across a window around the snapshots, the figures read
this way with the engine's report from the whole ledger, and on the demo with the brute
force of ``test_engine`` (written apart from both). The worked examples are the members whose
figures change with no event: a birthday on 29 February, a birth date known only by its year
or its month, party-age anniversaries reaching a band and the 30-year badge, a readmitted
member whose party age is replayed; and the events recorded late, dated in between.
"""

from collections import Counter
from datetime import date, timedelta

import pytest

from dangvu.core.models import GeneralEducation
from dangvu.membership import services
from dangvu.organizations import services as tree
from dangvu.people import services as people
from dangvu.reports import engine, figures, tables
from dangvu.reports.layouts import LAYOUTS
from tests.reports.test_engine import AS_OF, brute_force
from tests.reports.test_engine import demo as demo  # noqa: F401  (fixture)


@pytest.fixture
def any_size(monkeypatch):
    """Read from the snapshots whatever the subtree's size (the tests' trees are small)."""
    monkeypatch.setattr(figures, "ENGINE_UP_TO", 0)


def from_ledger(organization, on: date) -> dict[int, Counter]:
    report = engine.report(organization, on)
    return {
        node.organization_id: +report.of(node.organization_id)
        for node in [report.root, *report.root.children]
    }


def days(first: date, last: date, step: int = 1) -> list[date]:
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step)]


@pytest.mark.django_db
def test_days_around_the_snapshots_equal_the_ledger(world, admit, decide, any_size):
    actor = world.root
    leap = admit(date(2000, 1, 10), ceremony=date(2000, 2, 1), recognized=True, birth=(1980, 2, 29))
    # admitted with a full birth date (the age check needs it), known later only in part
    for birth, known in (((1995, 6, 6), {"birth_month": None}), ((1990, 3, 9), {})):
        member = admit(date(2015, 3, 1), ceremony=date(2015, 4, 1), recognized=True, birth=birth)
        people.update_person(actor=actor, person=member.person, birth_day=None, **known)
    thirty = admit(date(1996, 1, 15), ceremony=date(1996, 2, 1), recognized=True)
    admit(date(2016, 2, 29), ceremony=date(2016, 3, 10), recognized=True, cell=world.cell_b1)
    # recognized in the window: official from the end of probation, 10/02/2026
    admit(date(2025, 1, 20), ceremony=date(2025, 2, 10), recognized=True, cell=world.cell_b1)
    dies = admit(date(2005, 5, 5), ceremony=date(2005, 6, 1), recognized=True)
    exempted = admit(date(2005, 5, 5), ceremony=date(2005, 6, 1), recognized=True)
    # removed in 2020, readmitted in 2024, official again in 2025: his party age leaves out
    # the gap (replayed)
    back = admit(date(2000, 2, 20), ceremony=date(2000, 3, 1), recognized=True)
    services.remove_member(
        actor=actor,
        member=back,
        on=date(2020, 5, 31),
        reason="unpaid_dues",
        decision=decide(date(2020, 5, 31)),
    )
    services.readmit_member(
        actor=actor,
        member=back,
        organization=world.cell_a1,
        decision=decide(date(2024, 1, 10)),
        resolution_date=date(2024, 1, 10),
        provincial_consent=decide(date(2024, 1, 10), issuer=world.province_a),
    )
    services.record_ceremony(actor=actor, member=back, on=date(2024, 2, 1))
    services.recognize_member(actor=actor, member=back, decision=decide(date(2025, 2, 1)))
    # his 20 years of party age fall in the window; he died after it (party_age_from empty)
    twenty = admit(date(2006, 1, 22), ceremony=date(2006, 2, 1), recognized=True)
    services.record_death(actor=actor, member=twenty, on=date(2026, 4, 10))
    # in lost contact since before the window, still: his party age is replayed
    lost = admit(date(2001, 5, 5), ceremony=date(2001, 6, 1), recognized=True)
    services.record_loss_of_contact(actor=actor, member=lost, on=date(2025, 11, 3))
    snapshots = [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]
    for on in snapshots:
        figures.make_snapshot(on)
    # recorded afterwards, dated between the snapshots: they mark, the fold recounts
    services.record_death(actor=actor, member=dies, on=date(2026, 1, 20))
    services.exempt_member(actor=actor, member=exempted, on=date(2026, 2, 3), reason="age_health")
    people.record_education(
        actor=actor,
        person=leap.person,
        level=GeneralEducation.objects.order_by("pk").last(),
        valid_from=date(2026, 1, 12),
    )
    # the readmitted member's party age recalculated twice: 12 years from 05/01/2026, then
    # 30 years and 2 months from 10/02/2026 (each day counts with the latest decision by then)
    services.decide_party_age(
        actor=actor,
        member=back,
        decision=decide(date(2026, 1, 2)),
        as_of=date(2026, 1, 5),
        years=12,
        months=0,
    )
    services.decide_party_age(
        actor=actor,
        member=back,
        decision=decide(date(2026, 2, 5)),
        as_of=date(2026, 2, 10),
        years=30,
        months=2,
    )
    # an interruption after the window moves the day his party age counts from by 30 days
    # (party_age_from 14/02/1996): in the window his 30 years still fall on 15/01
    services.record_interruption(
        actor=actor,
        member=thirty,
        start=date(2026, 4, 1),
        end=date(2026, 5, 1),
        decision=decide(date(2026, 3, 25)),
    )
    # an event after the gap's end: his party age is settled again (not an open gap)
    services.exempt_member(actor=actor, member=thirty, on=date(2026, 6, 1), reason="age_health")
    figures.fold()

    # the examples change figures on these days, with no event on them
    example_days = {
        date(2026, 1, 1): ("age", "31–40"),  # born in 1995: 1 January
        date(2026, 1, 5): ("party_age", "10–19"),  # the first recalculation decision
        date(2026, 1, 15): ("badge", "30"),  # admitted 15/01/1996
        date(2026, 1, 22): ("party_age", "20–29"),  # admitted 22/01/2006, died in April
        date(2026, 2, 10): ("party_age", "30–39"),  # the second recalculation decision
        date(2026, 2, 28): ("age5", "46–50"),  # born 29/02/1980
        date(2026, 3, 1): ("age5", "36–40"),  # born in March 1990: its first day
    }
    for on, key in example_days.items():
        before = figures.read_on(world.central, on - timedelta(days=1))
        after = figures.read_on(world.central, on)
        assert before is not None and after is not None
        assert after[world.central.pk][key] == before[world.central.pk][key] + 1, (on, key)
    thirty.refresh_from_db()
    assert thirty.party_age_from == date(1996, 2, 14)
    assert thirty.pk in figures.changed_members(date(2026, 1, 14), date(2026, 1, 15))
    assert lost.pk in figures.changed_members(date(2026, 1, 14), date(2026, 1, 15))

    for on in days(date(2025, 12, 20), date(2026, 3, 10)):
        read = figures.read_on(world.central, on)
        assert read is not None, on
        assert read == from_ledger(world.central, on), on
        province = figures.read_on(world.province_a, on)
        assert province == from_ledger(world.province_a, on), on


@pytest.mark.django_db
def test_the_demo_near_its_snapshots_equals_the_ledger_and_the_brute_force(demo, any_size):
    month_ends = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    for on in month_ends:
        figures.make_snapshot(on)
    # something changes in every window: the comparison below can fail
    assert len(figures.changed_members(date(2026, 3, 31), date(2026, 4, 15))) > 20
    for on in days(date(2026, 3, 10), AS_OF, step=4):
        read = figures.read_on(demo, on)
        assert read is not None, on
        assert read == from_ledger(demo, on), on
    for on in (date(2026, 4, 16), date(2026, 6, 20)):
        counted = brute_force(demo.pk, on)
        read = figures.read_on(demo, on)
        assert read is not None
        for pk, figures_of in read.items():
            assert figures_of == +counted[pk], (on, pk)


@pytest.mark.django_db
def test_a_report_near_a_snapshot_reads_it(demo, any_size, monkeypatch):
    figures.make_snapshot(date(2026, 4, 30))
    on = date(2026, 5, 9)
    expected = {
        code: tables.build(layout, demo, on)
        for code, layout in LAYOUTS.items()
        if not layout.period
    }

    def no_ledger(*args, **kwargs):
        raise AssertionError("the snapshot should have been read")

    monkeypatch.setattr(engine, "report", no_ledger)
    for code, layout in LAYOUTS.items():
        if not layout.period:
            assert tables.build(layout, demo, on) == expected[code], code


@pytest.mark.django_db
def test_no_snapshot_serves_across_a_change_of_the_tree_or_too_far(world, admit, any_size):
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.make_snapshot(date(2026, 1, 31))
    assert figures.read_on(world.central, date(2026, 2, 10)) is not None
    assert figures.read_on(world.central, date(2026, 3, 4)) is None  # 32 days away
    tree.move(
        actor=world.root,
        organization=world.cell_a1,
        new_parent=world.commune_b1,
        on=date(2026, 2, 15),
    )
    assert figures.read_on(world.central, date(2026, 2, 10)) is not None
    assert figures.read_on(world.central, date(2026, 2, 20)) is None
    assert figures.read_on(world.central, date(2026, 1, 20)) is not None


@pytest.mark.django_db
def test_a_small_subtree_is_counted_from_its_ledger(world, admit):
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.make_snapshot(date(2026, 1, 31))
    assert figures.read_on(world.central, date(2026, 2, 10)) is None
    assert figures.read_on(world.central, date(2026, 1, 31)) is not None  # the snapshot's day
    assert tables.figures_on(world.central, date(2026, 2, 10)) == from_ledger(
        world.central, date(2026, 2, 10)
    )
