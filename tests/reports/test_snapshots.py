"""Snapshots: the figures of a past month's 15th and last day, stored, and kept exact.

A snapshot is made by the engine (``make_snapshot``, ``manage.py snapshot_figures``) or copied
by the fold when it moves on from a month's 15th or last day. Afterwards a back-dated event, a
correction or a curriculum edit must show in it, with the tree of its day; an event dated
after it must not touch it; a move in the tree dated before it discards it. Each check
compares every stored row with the engine and, on the demo, with the brute force of
``test_engine`` (written apart from the engine).
"""

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dangvu.core.errors import DomainError
from dangvu.core.models import Ethnicity
from dangvu.core.services import add_rule_version
from dangvu.demo.management.commands.seed_demo import system_user
from dangvu.membership import services
from dangvu.membership.models import Member, Standing
from dangvu.organizations import services as tree
from dangvu.people import services as people
from dangvu.reports import engine, figures, tables
from dangvu.reports.layouts import LAYOUTS
from dangvu.reports.models import FigureSnapshot, PendingFigure, SnapshotFigures
from tests.reports.test_engine import brute_force
from tests.reports.test_engine import demo as demo  # noqa: F401  (fixture)
from tests.reports.test_figures import computed


def last_month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


def kept(on: date) -> tuple[dict[int, Counter], dict[int, Counter]]:
    """The own figures and subtree totals stored in the snapshot of ``on``."""
    own: dict[int, Counter] = {}
    total: dict[int, Counter] = {}
    for row in FigureSnapshot.objects.get(on=on).rows.all():
        for counts, nested in ((own, row.own), (total, row.total)):
            found = figures.from_json(nested)
            assert all(found.values()), row  # zero counts are left out
            if found:
                counts[row.organization_id] = found
    return own, total


def active_members():
    return Member.objects.filter(
        standing=Standing.OFFICIAL,
        is_exempted=False,
        is_in_transit=False,
        is_temporarily_away=False,
        is_suspended=False,
        is_lost_contact=False,
    ).select_related("organization", "person")


@pytest.mark.django_db
def test_a_snapshot_stays_equal_to_the_brute_force_after_late_records(demo):
    today = timezone.localdate()
    month_end = last_month_end(today)
    actor = system_user()
    figures.fold(today)
    figures.make_snapshot(month_end)
    assert kept(month_end) == computed(month_end)
    for pk, counted in brute_force(demo.pk, month_end).items():
        assert kept(month_end)[1].get(pk, Counter()) == +counted, pk

    one, two, three = active_members()[:3]
    # a death recorded late, dated ten days before the month's end
    services.record_death(actor=actor, member=one, on=month_end - timedelta(days=10))
    # an exemption dated before the month's end, then found wrong and corrected
    wrong = services.exempt_member(
        actor=actor, member=two, on=month_end - timedelta(days=3), reason="age_health"
    )
    services.correct_event(actor=actor, event=wrong, reason="Nhầm người.")
    # a curriculum edit: ethnicity is as currently known on every date
    people.update_person(
        actor=actor,
        person=three.person,
        ethnicity=Ethnicity.objects.exclude(pk=three.person.ethnicity_id).first(),
    )
    figures.fold(today)
    assert kept(month_end) == computed(month_end)
    for pk, counted in brute_force(demo.pk, month_end).items():
        assert kept(month_end)[1].get(pk, Counter()) == +counted, pk
    # the report of that day reads the snapshot, not the ledger
    shown = figures.read_snapshot(demo, month_end)
    assert shown is not None
    assert shown[demo.pk] == computed(month_end)[1][demo.pk]


def test_an_event_of_today_leaves_the_snapshots_alone(world, admit):
    today = timezone.localdate()
    month_end = last_month_end(today)
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold(today)
    figures.make_snapshot(month_end)
    before = kept(month_end)
    services.exempt_member(actor=world.root, member=member, on=today, reason="age_health")
    assert set(PendingFigure.objects.values_list("organization_id", "since")) == {
        (world.cell_a1.pk, today)
    }
    figures.fold(today)
    assert kept(month_end) == before == computed(month_end)
    assert figures.read(world.cell_a1)[world.cell_a1.pk][("activity", "exempted")] == 1


def test_a_late_event_counts_in_the_snapshot_under_the_tree_of_its_day(world, admit):
    """The cell moved to another province after the month's end: a death dated before it is
    taken off the old province's figures in the snapshot, the new one's today."""
    today = timezone.localdate()
    month_end = last_month_end(today)
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold(today)
    figures.make_snapshot(month_end)
    tree.move(actor=world.root, organization=world.cell_a1, new_parent=world.commune_b1, on=today)
    assert FigureSnapshot.objects.filter(on=month_end).exists()  # moved after its day: kept
    services.record_death(actor=world.root, member=member, on=month_end - timedelta(days=1))
    figures.fold(today)
    assert kept(month_end) == computed(month_end)
    shown = figures.read_snapshot(world.central, month_end)
    assert shown is not None
    assert shown[world.province_a.pk][("total", "")] == 0
    assert shown[world.central.pk][("total", "")] == 0


def test_a_move_dated_before_a_snapshot_discards_it(world, admit):
    today = timezone.localdate()
    month_end = last_month_end(today)
    earlier = last_month_end(month_end.replace(day=1))
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold(today)
    figures.make_snapshot(month_end)
    figures.make_snapshot(earlier)
    tree.move(
        actor=world.root,
        organization=world.cell_a1,
        new_parent=world.commune_b1,
        on=month_end - timedelta(days=5),
    )
    assert list(FigureSnapshot.objects.values_list("on", flat=True)) == [earlier]
    out = StringIO()
    call_command("snapshot_figures", months=2, stdout=out)
    # the one discarded made again, and each month's 15th
    assert out.getvalue().count("snapshot of") == 3
    mid_month, earlier_mid_month = month_end.replace(day=15), earlier.replace(day=15)
    assert sorted(FigureSnapshot.objects.values_list("on", flat=True)) == [
        earlier_mid_month,
        earlier,
        mid_month,
        month_end,
    ]
    for on in (month_end, mid_month, earlier):
        assert kept(on) == computed(on)


@pytest.mark.parametrize("day", ["last", "15th"])
def test_the_fold_keeps_a_months_last_day_and_15th_when_it_moves_on(world, admit, day):
    month_end = last_month_end(timezone.localdate())
    kept_day = month_end if day == "last" else month_end.replace(day=15)
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold(kept_day - timedelta(days=2))
    figures.fold(kept_day - timedelta(days=1))  # the 14th or the 29th, 30th: not kept
    figures.fold(kept_day)
    assert not FigureSnapshot.objects.exists()
    # recorded while the figures are those of the kept day, dated that day
    services.exempt_member(actor=world.root, member=member, on=kept_day, reason="age_health")
    figures.fold(kept_day + timedelta(days=1))
    assert list(FigureSnapshot.objects.values_list("on", flat=True)) == [kept_day]
    assert kept(kept_day) == computed(kept_day)
    assert kept(kept_day)[1][world.central.pk][("activity", "exempted")] == 1


def test_a_new_rule_version_discards_the_snapshots_from_its_first_day(world, admit):
    today = timezone.localdate()
    month_end = last_month_end(today)
    earlier = last_month_end(month_end.replace(day=1))
    admit(date(1990, 3, 15), ceremony=date(1990, 4, 1), recognized=True)
    figures.fold(today)
    figures.make_snapshot(month_end)
    figures.make_snapshot(earlier)
    add_rule_version(
        actor=world.root,
        key="badges.milestones",
        valid_from=month_end,
        params={"years": [30, 35, 40]},
        citation="Thử nghiệm",
    )
    assert list(FigureSnapshot.objects.values_list("on", flat=True)) == [earlier]


def test_a_report_of_a_snapshotted_day_equals_the_one_from_the_ledger(world, admit, monkeypatch):
    today = timezone.localdate()
    month_end = last_month_end(today)
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    admit(date(2025, 6, 10), cell=world.cell_b1, birth=(2000, 1, 1))
    figures.fold(today)
    from_ledger = {
        code: tables.build(layout, world.central, month_end)
        for code, layout in LAYOUTS.items()
        if not layout.period
    }
    figures.make_snapshot(month_end)

    def no_ledger(*args, **kwargs):
        raise AssertionError("the snapshot should have been read")

    monkeypatch.setattr(engine, "report", no_ledger)
    for code, layout in LAYOUTS.items():
        if not layout.period:
            assert tables.build(layout, world.central, month_end) == from_ledger[code], code


def test_a_snapshot_is_of_a_past_day(world):
    with pytest.raises(DomainError):
        figures.make_snapshot(timezone.localdate())
    assert not FigureSnapshot.objects.exists()


def test_a_written_snapshot_leaves_postgresql_statistics_that_know_its_rows(world, admit):
    """Until its statistics counted a new snapshot's rows, PostgreSQL read all of them to find
    one node's (the root of a national snapshot: 170 ms instead of 5): both ways of writing a
    snapshot analyze the table (on PostgreSQL; SQLite keeps no such statistics)."""
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    month_end = last_month_end(timezone.localdate())
    figures.fold(month_end)
    written = [
        (figures.copy_snapshot, month_end),
        (figures.make_snapshot, month_end.replace(day=15)),
    ]
    for write, on in written:
        write(on)
        assert FigureSnapshot.objects.get(on=on).rows.count() > 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples FROM pg_class WHERE relname = %s",
                    [SnapshotFigures._meta.db_table],
                )
                assert cursor.fetchone()[0] == SnapshotFigures.objects.count()
