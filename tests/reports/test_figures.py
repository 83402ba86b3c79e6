"""The maintained figures equal the engine's and the brute force's, whatever happened since.

Each test changes the data through the services, then checks ``figures.read`` (stored figures
plus the pending organizations recounted on the fly) and, after ``figures.fold``, the stored
figures of every organization against ``engine.compute`` for the same day, and on the demo
against the brute force of ``test_engine`` (written apart from the engine).
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from dangvu.core.models import Ethnicity, GeneralEducation
from dangvu.core.services import add_rule_version
from dangvu.demo.management.commands.seed_demo import system_user
from dangvu.membership import services
from dangvu.membership.models import Member, Standing
from dangvu.organizations import services as tree
from dangvu.organizations.models import Organization
from dangvu.people import services as people
from dangvu.reports import engine, figures
from dangvu.reports.models import FigureState, OrganizationFigures, PendingFigure
from dangvu.reports.selectors import figures_for, own_figures_for
from tests.reports.test_engine import brute_force
from tests.reports.test_engine import demo as demo  # noqa: F401  (fixture)


def stored() -> tuple[dict[int, Counter], dict[int, Counter]]:
    own: dict[int, Counter] = {}
    total: dict[int, Counter] = {}
    for row in OrganizationFigures.objects.all():
        for counts, nested in ((own, row.own), (total, row.total)):
            for dimension, values in nested.items():
                for value, count in values.items():
                    assert count, (row, dimension, value)  # zero counts are left out
                    counts.setdefault(row.organization_id, Counter())[(dimension, value)] = count
    return own, total


def computed(on: date) -> tuple[dict[int, Counter], dict[int, Counter]]:
    """Every live organization's own figures and subtree totals from the engine."""
    own: dict[int, Counter] = {}
    total: dict[int, Counter] = {}
    for root in Organization.objects.filter(parent=None):
        if not root.is_alive(on):
            continue
        report, tally = engine.compute(root, on, None)
        for node in report.nodes():
            if +tally.own[node.organization_id]:
                own[node.organization_id] = +tally.own[node.organization_id]
            if +report.figures[node.organization_id]:
                total[node.organization_id] = +report.figures[node.organization_id]
    return own, total


def assert_right(on: date, root: Organization) -> None:
    """What a reader sees before the fold (each marked cell at once, every page the last
    fold's figures) and what the fold stores equal the engine; after the fold every page does."""
    own, total = computed(on)
    before = stored()[1]
    marked = Organization.objects.filter(pk__in=PendingFigure.objects.values("organization_id"))
    assert marked.exists()
    for organization in marked:
        if organization.is_alive(on):
            cell = not organization.children.filter(dissolved_on__isnull=True).exists()
            expected = total if cell else before  # fresh for a cell, the last fold's above
            shown = figures.read(organization, on)[organization.pk]
            assert shown == expected.get(organization.pk, Counter()), organization
    figures.fold(on)
    assert not PendingFigure.objects.exists()
    assert stored() == (own, total)
    for node in [root, *root.children.filter(dissolved_on__isnull=True)]:
        for pk, counted in figures.read(node, on).items():
            assert counted == total.get(pk, Counter()), (node, pk)


@pytest.mark.django_db
def test_the_folded_figures_follow_every_change_on_the_demo(demo):
    today = timezone.localdate()
    actor = system_user()
    assert figures.fold(today).rebuilt  # the first fold builds everything
    own, total = stored()
    for pk, counted in brute_force(demo.pk, today).items():
        assert total.get(pk, Counter()) == +counted, pk

    members = Member.objects.filter(
        standing=Standing.OFFICIAL,
        is_exempted=False,
        is_in_transit=False,
        is_temporarily_away=False,
        is_suspended=False,
        is_lost_contact=False,
    ).select_related("organization", "person")
    one, two, three, four = members[:4]
    other_cell = (
        Organization.objects.filter(kind__is_cell=True, dissolved_on__isnull=True)
        .exclude(parent=one.organization.parent)
        .first()
    )
    # recorded events: nothing stored changes, the reader sees them at once
    before = stored()
    services.exempt_member(actor=actor, member=one, on=today, reason="age_health")
    services.record_transfer_out(actor=actor, member=two, to=other_cell, on=today)
    receipt = services.receive_transfer(actor=actor, member=two, on=today)
    services.record_death(actor=actor, member=three, on=today - timedelta(days=40))
    assert stored() == before and PendingFigure.objects.exists()
    assert_right(today, demo)

    # a correction, a curriculum-vitae edit, a back-dated event
    services.correct_event(actor=actor, event=receipt, reason="Nhận nhầm.")
    person = four.person
    people.update_person(
        actor=actor,
        person=person,
        birth_month=12,
        birth_day=31,
        ethnicity=Ethnicity.objects.exclude(pk=person.ethnicity_id).first(),
    )
    people.record_education(
        actor=actor, person=person, level=GeneralEducation.objects.order_by("pk").first()
    )
    services.exempt_member(actor=actor, member=four, on=today - timedelta(days=400), reason="x")
    assert_right(today, demo)

    # restructuring: a cell moves to another commune, two communes merge
    cell = one.organization
    tree.move(actor=actor, organization=cell, new_parent=other_cell.parent, on=today)
    communes = list(
        Organization.objects.filter(parent=cell.parent.parent, dissolved_on__isnull=True)[:2]
    )
    tree.merge(actor=actor, sources=[communes[0]], into=communes[1], on=today)
    assert_right(today, demo)
    own, total = stored()
    for pk, counted in brute_force(demo.pk, today).items():
        assert total.get(pk, Counter()) == +counted, pk


def test_the_figures_move_with_the_days_without_any_event(world, admit):
    """Birthdays that start an age band, party-age anniversaries that start a band or reach a
    badge, partial birth dates and 29 February: the daily fold recounts exactly those."""
    today = timezone.localdate()
    soon = today + timedelta(days=3)
    # turns 31 in three days (a new band in both age tables)
    admit(date(2015, 1, 5), birth=(soon.year - 31, soon.month, soon.day))
    # born 29 February 1988: turns 41 on 28 February 2029
    admit(date(2010, 3, 1), birth=(1988, 2, 29))
    # a year alone counts as 1 January
    partial = admit(date(2016, 1, 10), birth=(today.year - 50, 6, 1)).person
    people.update_person(actor=world.root, person=partial, birth_month=None, birth_day=None)
    # party age reaches 30 years (a band and a badge) in three days
    admit(
        soon.replace(year=soon.year - 30),
        ceremony=soon.replace(year=soon.year - 30) + timedelta(days=20),
        recognized=True,
        birth=(1960, 6, 1),
        cell=world.cell_b1,  # alone there: only his anniversary recounts that cell
    )
    figures.fold(today)
    day = today
    for step in range(1, 20):  # day by day: the incremental path each time
        day = today + timedelta(days=step)
        folded = figures.fold(day)
        assert not folded.rebuilt
        assert stored() == computed(day), day
    # around 1 January and 28/29 February of the next years, in jumps of a few weeks
    for jump in [
        date(today.year + 1, 1, 1),
        date(2029, 2, 27),
        date(2029, 2, 28),
        date(2029, 3, 1),
    ]:
        while day < jump:
            day = min(jump, day + timedelta(days=25))
            figures.fold(day)
        assert stored() == computed(day), day


def test_a_member_in_an_open_gap_is_recounted_every_day(world, admit):
    today = timezone.localdate()
    lost = admit(date(1990, 3, 15), ceremony=date(1990, 4, 1), recognized=True)
    services.record_loss_of_contact(actor=world.root, member=lost, on=today - timedelta(days=1))
    figures.fold(today)
    assert figures.crossed(today, today + timedelta(days=1)) >= {world.cell_a1.pk}


def test_recording_an_event_only_marks_its_organizations(world, admit):
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold()
    services.record_transfer_out(
        actor=world.root, member=member, to=world.cell_b1, on=timezone.localdate()
    )
    assert set(PendingFigure.objects.values_list("organization_id", flat=True)) == {
        world.cell_a1.pk
    }
    services.receive_transfer(actor=world.root, member=member, on=timezone.localdate())
    assert set(PendingFigure.objects.values_list("organization_id", flat=True)) == {
        world.cell_a1.pk,
        world.cell_b1.pk,
    }
    # at once on the cells' pages; above after the fold
    assert figures.read(world.cell_b1)[world.cell_b1.pk][("total", "")] == 1
    assert figures.read(world.cell_a1)[world.cell_a1.pk][("total", "")] == 0
    assert figures.read(world.commune_b1)[world.cell_b1.pk][("total", "")] == 0
    assert figures.read(world.central)[world.province_b.pk][("total", "")] == 0
    figures.fold()
    read = figures.read(world.central)
    assert read[world.province_b.pk][("total", "")] == 1
    assert ("total", "") not in read[world.province_a.pk]


def test_a_new_rule_version_rebuilds_everything(world, admit):
    admit(date(1990, 3, 15), ceremony=date(1990, 4, 1), recognized=True)
    figures.fold()
    add_rule_version(
        actor=world.root,
        key="badges.milestones",
        valid_from=date(2026, 1, 1),
        params={"years": [30, 35, 40]},
        citation="Thử nghiệm",
    )
    assert FigureState.objects.get().day is None
    assert figures.fold().rebuilt
    assert figures.read(world.central)[world.central.pk][("badge", "35")] == 1


def test_a_users_figures_stop_at_the_scope_and_out_of_scope_looks_missing(world, admit):
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    seen = figures_for(world.viewer_a, world.province_a.pk)
    assert set(seen) == {world.province_a.pk, world.commune_a1.pk, world.commune_a2.pk}
    assert seen[world.province_a.pk][("total", "")] == 1
    for hidden in (world.province_b.pk, world.central.pk, 10**9):
        with pytest.raises(Http404):
            figures_for(world.viewer_a, hidden)


def test_one_organizations_figures_are_its_own_row_of_read_a_marked_cell_at_once(world, admit):
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    figures.fold()
    today = timezone.localdate()
    services.record_transfer_out(actor=world.root, member=member, to=world.cell_b1, on=today)
    services.receive_transfer(actor=world.root, member=member, on=today)
    nodes = [world.central, world.province_b, world.commune_b1, world.cell_a1, world.cell_b1]
    assert figures.read_own(world.cell_b1)[("total", "")] == 1  # marked: at once
    assert figures.read_own(world.province_b)[("total", "")] == 0  # the last fold's
    for _when in ("marked", "folded"):
        for node in nodes:
            assert figures.read_own(node) == figures.read(node)[node.pk], node
        figures.fold()
    assert figures.read_own(world.province_b)[("total", "")] == 1
    tomorrow = today + timedelta(days=1)  # a new day: the first read folds
    own = figures.read_own(world.province_b, tomorrow)
    assert FigureState.objects.get().day == tomorrow
    assert own == figures.read(world.province_b, tomorrow)[world.province_b.pk]


def test_one_organizations_figures_for_a_user_stop_at_the_scope(world, admit):
    admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    assert own_figures_for(world.viewer_a, world.province_a)[("total", "")] == 1
    assert own_figures_for(world.viewer_a, world.province_a.pk)[("total", "")] == 1
    for hidden in (world.province_b, world.central.pk, 10**9):
        with pytest.raises(Http404):
            own_figures_for(world.viewer_a, hidden)
