"""An organization's own movements up to today, counted by the database from today's tree
(``movements.since``, the dashboard's figures), against the brute force and the report."""

from datetime import date

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from dangvu.membership import services
from dangvu.membership.models import EventKind, MembershipEvent
from dangvu.organizations.models import Organization
from dangvu.reports.movements import movements, since
from dangvu.reports.selectors import movements_since_for
from tests.reports.test_movements import brute_force


@pytest.mark.django_db
def test_every_organization_counts_as_the_brute_force_and_the_report_from_each_start():
    """A demo up to today, with the 2025 merges (records passed to successors), transfers
    within and across subtrees and corrections: every organization alive today, from the
    first of the month, of the year and of 2010."""
    today = timezone.localdate()
    call_command("seed_demo", provinces=1, seed=12, members=1500, as_of=today)
    root = Organization.objects.get(parent=None)
    starts = [today.replace(day=1), today.replace(month=1, day=1), date(2010, 1, 1)]
    brute = {start: brute_force(root.pk, start, today) for start in starts}
    alive = Organization.objects.filter(dissolved_on__isnull=True)
    assert alive.count() > 50
    for organization in alive:
        counted = since(organization, starts, today)
        for start in starts:
            assert counted[start] == +brute[start][organization.pk], (organization, start)
    for organization in alive.order_by("depth")[:3]:
        counted = since(organization, starts, today)
        for start in starts:
            assert counted[start] == +movements(organization, start, today).of(organization.pk)
    assert sum(since(root, starts, today)[date(2010, 1, 1)].values()) > 1000


@pytest.mark.django_db
def test_a_voided_event_and_a_transfer_within_the_subtree_are_not_counted(world, admit):
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    admit(today, cell=world.cell_a1)
    moved = admit(date(2015, 3, 1), cell=world.cell_a1, ceremony=date(2015, 4, 1))
    services.record_transfer_out(actor=world.root, member=moved, to=world.cell_a2, on=today)
    exempted = admit(date(2015, 3, 1), cell=world.cell_a2, ceremony=date(2015, 4, 1))
    services.exempt_member(actor=world.root, member=exempted, on=today)
    counted = since(world.province_a, [start], today)[start]
    assert counted[("movement", "admitted")] == 1
    assert counted[("movement", "exempted")] == 1
    assert counted[("movement", "transferred_out")] == 0  # both cells are in province A
    assert since(world.commune_a1, [start], today)[start][("movement", "transferred_out")] == 1
    assert +counted == +movements(world.province_a, start, today).of(world.province_a.pk)
    exemption = MembershipEvent.objects.get(member=exempted, kind=EventKind.EXEMPTION)
    services.correct_event(actor=world.root, event=exemption, reason="recorded by mistake")
    assert since(world.province_a, [start], today)[start][("movement", "exempted")] == 0


@pytest.mark.django_db
def test_an_organization_out_of_scope_looks_missing(world):
    today = timezone.localdate()
    with pytest.raises(Http404):
        movements_since_for(world.outsider, world.cell_a1.pk, [today], today)
    with pytest.raises(Http404):  # an organization already read is checked all the same
        movements_since_for(world.clerk_b1, world.cell_a1, [today], today)
    assert movements_since_for(world.viewer_a, world.cell_a1.pk, [today], today) == {today: {}}
