"""Members follow the restructuring of the tree: when their organization is merged, split or
dissolved into a successor, each current member passes to it by a ``reassignment`` event on the
same date. It is not a transfer (no transfer out or in, nothing in transit), but the counts and
the membership periods move on that date. Members cannot be left in a dissolved organization."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.membership import services
from dangvu.membership.models import EventKind, MembershipEvent, Standing
from dangvu.organizations import services as organizations

MERGED = date(2025, 7, 1)


@pytest.fixture
def official(admit):
    return admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)


def test_merging_the_cell_reassigns_its_members_without_a_transfer(world, official, counts):
    organizations.merge(actor=world.root, sources=[world.cell_a1], into=world.cell_a2, on=MERGED)

    official.refresh_from_db()
    assert (official.organization, official.standing) == (world.cell_a2, Standing.OFFICIAL)
    event = official.events.get(kind=EventKind.REASSIGNMENT)
    assert (event.effective_date, event.organization, event.counterpart) == (
        MERGED,
        world.cell_a1,
        world.cell_a2,
    )
    kinds = set(official.events.values_list("kind", flat=True))
    assert not kinds & {EventKind.TRANSFER_OUT, EventKind.TRANSFER_IN}
    assert counts(world.cell_a1, date(2025, 6, 30)) == {"official": 1}
    assert counts(world.cell_a2, date(2025, 6, 30)) == {}
    assert counts(world.cell_a1, MERGED) == {}
    assert counts(world.cell_a2, MERGED) == {"official": 1}
    assert counts(world.province_a, MERGED, subtree=True) == {"official": 1}
    periods = list(official.periods.values_list("organization", "valid_from", "valid_to"))
    assert periods == [
        (world.cell_a1.pk, date(2020, 1, 10), MERGED),
        (world.cell_a2.pk, MERGED, None),
    ]


def test_a_merge_carries_the_open_activity_flags_to_the_successor(world, official, counts):
    services.exempt_member(actor=world.root, member=official, on=date(2024, 1, 1), reason="age")
    organizations.merge(actor=world.root, sources=[world.cell_a1], into=world.cell_a2, on=MERGED)
    assert counts(world.cell_a1, MERGED) == {}
    assert counts(world.cell_a2, MERGED) == {"official": 1, "exempted": 1}


def test_members_who_left_stay_where_they_left(world, official, admit, decide):
    gone = admit(date(2010, 1, 10), ceremony=date(2010, 2, 1), recognized=True)
    services.remove_member(
        actor=world.root,
        member=gone,
        on=date(2020, 1, 10),
        reason="unpaid_dues",
        decision=decide(date(2020, 1, 10)),
    )
    organizations.merge(actor=world.root, sources=[world.cell_a1], into=world.cell_a2, on=MERGED)
    gone.refresh_from_db()
    assert (gone.organization, gone.standing) == (world.cell_a1, Standing.LEFT)
    assert not gone.events.filter(kind=EventKind.REASSIGNMENT).exists()


def test_a_member_in_transit_from_a_merged_cell_is_counted_in_transit_at_the_successor(
    world, official, counts
):
    services.record_transfer_out(
        actor=world.root, member=official, to=world.cell_b1, on=date(2025, 6, 20)
    )
    organizations.merge(actor=world.root, sources=[world.cell_a1], into=world.cell_a2, on=MERGED)
    assert counts(world.cell_a1, MERGED) == {}
    assert counts(world.cell_a2, MERGED) == {"in_transit": 1}
    services.receive_transfer(actor=world.root, member=official, on=date(2025, 7, 10))
    assert counts(world.cell_a2, date(2025, 7, 10)) == {}
    assert counts(world.cell_b1, date(2025, 7, 10)) == {"official": 1}


def test_a_provincial_admin_merges_cells_with_their_members(world, official):
    organizations.merge(actor=world.admin_a, sources=[world.cell_a1], into=world.cell_a2, on=MERGED)
    official.refresh_from_db()
    assert official.organization == world.cell_a2


def test_merging_a_commune_moves_its_cells_and_their_members_stay_in_them(world, official, counts):
    """The cells pass to the new commune with their members: no event for the members."""
    organizations.merge(
        actor=world.root, sources=[world.commune_a1], into=world.commune_a2, on=MERGED
    )
    official.refresh_from_db()
    assert official.organization == world.cell_a1
    assert not official.events.filter(kind=EventKind.REASSIGNMENT).exists()
    assert counts(world.commune_a2, MERGED, subtree=True) == {"official": 1}


@pytest.fixture
def kept_by_commune(world, person_factory, decide):
    """An official member of cell A1 whose dossier the commune keeps (so that only the
    membership, not the dossier, is in the cell's way)."""
    person = person_factory(world.commune_a1, birth_year=1970, birth_month=5, birth_day=15)
    member = services.admit_member(
        actor=world.root,
        person=person,
        organization=world.cell_a1,
        decision=decide(date(2020, 1, 10)),
        resolution_date=date(2020, 1, 10),
    )
    services.record_ceremony(actor=world.root, member=member, on=date(2020, 2, 1))
    services.recognize_member(actor=world.root, member=member, decision=decide(date(2021, 2, 5)))
    return member


def test_dissolving_a_cell_with_members_and_no_target_is_refused(world, kept_by_commune):
    events = MembershipEvent.objects.count()
    with pytest.raises(DomainError, match="1 member still belongs to Chi bộ thôn Đông"):
        organizations.dissolve(actor=world.root, organization=world.cell_a1, on=MERGED)
    world.cell_a1.refresh_from_db()
    assert world.cell_a1.dissolved_on is None
    assert MembershipEvent.objects.count() == events


def test_a_cell_whose_members_all_left_can_be_dissolved(world, kept_by_commune):
    services.record_death(actor=world.root, member=kept_by_commune, on=date(2024, 5, 1))
    organizations.dissolve(actor=world.root, organization=world.cell_a1, on=MERGED)
    world.cell_a1.refresh_from_db()
    assert world.cell_a1.dissolved_on == MERGED


def test_dissolving_a_cell_into_a_target_reassigns_its_members(world, official, counts):
    organizations.dissolve(
        actor=world.root, organization=world.cell_a1, on=MERGED, target=world.cell_a2
    )
    official.refresh_from_db()
    assert official.organization == world.cell_a2
    assert counts(world.cell_a2, MERGED) == {"official": 1}


def test_a_transfer_addressed_to_a_merged_cell_goes_on_to_its_successor(world, official, counts):
    services.record_transfer_out(
        actor=world.root, member=official, to=world.cell_b1, on=date(2025, 6, 20)
    )
    new_cell = organizations.establish(
        actor=world.root,
        code="B1-02",
        name="Chi bộ thôn Bắc mới",
        kind=world.cell_b1.kind,
        parent=world.commune_b1,
        on=MERGED,
    )
    organizations.merge(actor=world.root, sources=[world.cell_b1], into=new_cell, on=MERGED)
    official.refresh_from_db()
    assert official.pending_transfer_to == new_cell
    assert counts(world.cell_a1, MERGED) == {"in_transit": 1}
    services.receive_transfer(actor=world.root, member=official, on=date(2025, 7, 10))
    official.refresh_from_db()
    assert official.organization == new_cell
    assert counts(new_cell, date(2025, 7, 10)) == {"official": 1}
    assert counts(world.cell_a1, date(2025, 7, 10)) == {}


def test_a_host_that_is_merged_passes_its_hosted_member_to_the_successor(world, official, counts):
    services.record_temporary_transfer(
        actor=world.root,
        member=official,
        to=world.cell_b1,
        on=date(2025, 5, 1),
        until=date(2025, 11, 1),
    )
    services.receive_temporary_transfer(actor=world.root, member=official, on=date(2025, 5, 5))
    organizations.merge(actor=world.root, sources=[world.cell_b1], into=world.cell_a2, on=MERGED)
    official.refresh_from_db()
    assert official.host_organization == world.cell_a2
    assert counts(world.cell_b1, MERGED).get("hosted", 0) == 0
    assert counts(world.cell_a2, MERGED)["hosted"] == 1
    services.record_return(actor=world.root, member=official, on=date(2025, 11, 1))
    assert counts(world.cell_a2, date(2025, 11, 1)).get("hosted", 0) == 0


def test_an_event_in_an_organization_that_does_not_exist_that_day_is_refused(world, admit):
    member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    later = organizations.establish(
        actor=world.root,
        code="B1-09",
        name="Chi bộ mới lập",
        kind=world.cell_b1.kind,
        parent=world.commune_b1,
        on=MERGED,
    )
    with pytest.raises(DomainError, match="does not exist on 01/06/2025"):
        services.record_transfer_out(actor=world.root, member=member, to=later, on=date(2025, 6, 1))
