"""Movements in a period against a brute force written apart, and against the headcount."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.http import Http404

from dangvu.core.errors import DomainError
from dangvu.membership.models import MembershipEvent
from dangvu.organizations.models import Organization, OrganizationSuccession, OrganizationVersion
from dangvu.reports.engine import report
from dangvu.reports.movements import movements
from dangvu.reports.selectors import movements_for

AS_OF = date(2026, 6, 30)
PERIODS = [
    (date(2025, 1, 1), date(2025, 12, 31)),  # the merge of 1/7/2025 inside the year
    (date(2026, 1, 1), AS_OF),
    (date(2010, 1, 1), date(2014, 12, 31)),
]
NAMES = {
    "admission": "admitted",
    "readmission": "readmitted",
    "restoration": "restored",
    "recognition": "recognized",
    "transfer_in": "transferred_in",
    "transfer_out": "transferred_out",
    "exemption": "exempted",
    "death": "died",
    "removal": "removed",
    "expulsion": "expelled",
    "resignation": "resigned",
}


@pytest.fixture
def demo(db):
    call_command("seed_demo", provinces=1, seed=12, members=1500, as_of=AS_OF)
    return Organization.objects.get(parent=None)


def brute_force(root_id, start, end):
    parent = {
        v.organization_id: v.parent_id
        for v in OrganizationVersion.objects.all()
        if v.valid_from <= end and (v.valid_to is None or end < v.valid_to)
    }
    heirs = {
        s.predecessor_id: s.successor_id
        for s in OrganizationSuccession.objects.all()
        if s.takes_records and s.effective_on <= end
    }

    def lineage(org):  # the organization on the end date, then its ancestors
        while org is not None and org not in parent:
            org = heirs.get(org)
        chain = []
        while org is not None:
            chain.append(org)
            org = parent.get(org)
        return chain

    nodes = {o for o in parent if root_id in lineage(o)}
    figures = {o: Counter() for o in nodes}
    everything = list(MembershipEvent.objects.all())
    voided = {e.voids_id for e in everything if e.kind == "correction" and e.voids_id}
    for e in everything:
        if e.kind not in NAMES or e.pk in voided or not start <= e.effective_date <= end:
            continue
        other = lineage(e.counterpart_id) if e.kind.startswith("transfer_") else []
        for org in lineage(e.organization_id):
            if org in figures and org not in other:
                figures[org][("movement", NAMES[e.kind])] += 1
    return figures


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_movement_figure_of_every_node_equals_the_brute_force(demo, start, end):
    computed = movements(demo, start, end)
    assert computed.figures == brute_force(demo.pk, start, end)
    if start.year >= 2025:
        assert computed.of(demo.pk)[("movement", "admitted")] > 0
        assert computed.of(demo.pk)[("movement", "died")] > 0


@pytest.mark.django_db
def test_the_national_headcount_changes_by_the_movements_and_the_members_in_transit(demo):
    """At the root every transfer is internal, so over any period: headcount at the end −
    headcount the day before = admitted + readmitted + restored − died − removed − expelled −
    resigned − the change in members in transit."""
    for start, end in PERIODS:
        moved = movements(demo, start, end).of(demo.pk)
        before = report(demo, start - timedelta(days=1)).of(demo.pk)
        after = report(demo, end).of(demo.pk)

        def m(name, moved=moved):
            return moved[("movement", name)]

        assert moved[("movement", "transferred_in")] == moved[("movement", "transferred_out")] == 0
        change = after[("total", "")] - before[("total", "")]
        in_transit = after[("in_transit", "")] - before[("in_transit", "")]
        assert change == (
            m("admitted")
            + m("readmitted")
            + m("restored")
            - m("died")
            - m("removed")
            - m("expelled")
            - m("resigned")
            - in_transit
        ), (start, end)


@pytest.mark.django_db
def test_a_period_ending_before_it_starts_is_refused_and_scope_applies(world):
    with pytest.raises(DomainError):
        movements(world.cell_a1, AS_OF, AS_OF - timedelta(days=1))
    with pytest.raises(Http404):
        movements_for(world.outsider, world.cell_a1.pk, date(2025, 1, 1), AS_OF)
    assert movements_for(world.viewer_a, world.cell_a1.pk, date(2025, 1, 1), AS_OF).since == (
        date(2025, 1, 1)
    )
