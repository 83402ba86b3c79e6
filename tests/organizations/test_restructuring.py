"""Restructuring the tree: every child kept, no cycle, history answers for past dates."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import AuditEntry
from dangvu.organizations import selectors
from dangvu.organizations import services as org
from dangvu.organizations.models import Organization, OrganizationSuccession, Power, SeatRole
from tests.world import kind, make_org

BEFORE = date(2025, 6, 30)
REFORM = date(2025, 7, 1)


def children_names(organization: Organization) -> set[str]:
    return {c.name for c in organization.children.filter(dissolved_on__isnull=True)}


def test_establish_builds_the_path_and_the_first_version(world):
    cell = world.cell_a1
    assert (
        cell.path == f"/{world.central.pk}/{world.province_a.pk}/{world.commune_a1.pk}/{cell.pk}/"
    )
    assert cell.depth == 3
    version = cell.versions.get()
    assert (version.name, version.parent, version.valid_to) == (cell.name, world.commune_a1, None)


def test_codes_are_unique_among_live_organizations_only(world):
    with pytest.raises(DomainError, match="A1-01"):
        make_org(world.root, "A1-01", "Chi bộ khác", "cell", world.commune_a1)
    org.dissolve(actor=world.root, organization=world.cell_b1, on=date(2020, 1, 1))
    reused = make_org(
        world.root, "B1-01", "Chi bộ mới", "cell", world.commune_b1, on=date(2021, 1, 1)
    )
    assert reused.code == "B1-01"


def test_a_cell_has_no_subordinate_organizations(world):
    with pytest.raises(DomainError, match="cell"):
        make_org(world.root, "X", "Tổ đảng", "cell", world.cell_a1)
    with pytest.raises(DomainError):
        org.reclassify(
            actor=world.root, organization=world.commune_a1, kind=kind("cell"), on=date(2020, 1, 1)
        )


def test_move_carries_the_whole_subtree(world):
    org.move(
        actor=world.root,
        organization=world.commune_a1,
        new_parent=world.province_b,
        on=date(2020, 1, 1),
    )
    world.cell_a1.refresh_from_db()
    assert world.cell_a1.path.startswith(world.province_b.path)
    assert world.cell_a1.depth == 3
    assert selectors.node_as_of(world.commune_a1, date(2019, 12, 31)).parent == world.province_a
    assert selectors.node_as_of(world.commune_a1, date(2020, 1, 1)).parent == world.province_b


def test_no_cycle_can_be_made(world):
    with pytest.raises(DomainError, match="itself"):
        org.move(
            actor=world.root,
            organization=world.province_a,
            new_parent=world.commune_a1,
            on=date(2020, 1, 1),
        )
    with pytest.raises(DomainError, match="itself"):
        org.move(
            actor=world.root,
            organization=world.commune_a1,
            new_parent=world.commune_a1,
            on=date(2020, 1, 1),
        )
    with pytest.raises(DomainError):
        org.merge(
            actor=world.root, sources=[world.province_a], into=world.commune_a1, on=date(2020, 1, 1)
        )


def test_merge_keeps_every_child_and_links_the_successor(world):
    extra = make_org(world.root, "A1-02", "Chi bộ thôn Tây", "cell", world.commune_a1)
    new = make_org(world.root, "A3", "Đảng bộ xã A3", "upper", world.province_a, on=REFORM)
    org.merge(actor=world.root, sources=[world.commune_a1, world.commune_a2], into=new, on=REFORM)
    assert children_names(new) == {world.cell_a1.name, extra.name, world.cell_a2.name}
    for source in (world.commune_a1, world.commune_a2):
        source.refresh_from_db()
        assert source.dissolved_on == REFORM
        assert OrganizationSuccession.objects.get(predecessor=source).successor == new
        assert not source.is_alive(REFORM) and source.is_alive(BEFORE)
    assert selectors.node_as_of(world.cell_a1, BEFORE).parent == world.commune_a1
    assert selectors.node_as_of(world.cell_a1, REFORM).parent == new


def test_split_gives_every_child_to_its_successor(world):
    second = make_org(world.root, "A1-02", "Chi bộ thôn Tây", "cell", world.commune_a1)
    east = make_org(world.root, "A4", "Đảng bộ xã Đông", "upper", world.province_a, on=REFORM)
    west = make_org(world.root, "A5", "Đảng bộ xã Tây", "upper", world.province_a, on=REFORM)
    with pytest.raises(DomainError, match="Chi bộ thôn Tây"):
        org.split(
            actor=world.root,
            organization=world.commune_a1,
            assignments={world.cell_a1: east},
            records_to=east,
            on=REFORM,
        )
    org.split(
        actor=world.root,
        organization=world.commune_a1,
        assignments={world.cell_a1: east, second: west},
        records_to=east,
        on=REFORM,
    )
    assert children_names(east) == {world.cell_a1.name}
    assert children_names(west) == {second.name}
    links = OrganizationSuccession.objects.filter(predecessor=world.commune_a1)
    assert {link.successor for link in links} == {east, west}
    assert {link.successor for link in links if link.takes_records} == {east}


def test_dissolve_is_refused_while_children_remain_unless_a_target_is_given(world):
    with pytest.raises(DomainError, match="subordinate"):
        org.dissolve(actor=world.root, organization=world.commune_a2, on=REFORM)
    org.dissolve(
        actor=world.root, organization=world.commune_a2, on=REFORM, target=world.commune_a1
    )
    assert children_names(world.commune_a1) == {world.cell_a1.name, world.cell_a2.name}


def test_history_answers_where_a_cell_was_what_it_was_called_and_its_kind_on_30_06_2025(world):
    district = make_org(world.root, "HD", "Huyện ủy Đồng", "upper", world.province_a)
    old_commune = make_org(
        world.root, "XD", "Đảng ủy xã Đồng Tâm", "grassroots_committee", district
    )
    cell = make_org(world.root, "XD-1", "Chi bộ thôn 1", "cell", old_commune)
    new_commune = make_org(
        world.root, "XM", "Đảng ủy xã Đồng Mới", "upper", world.province_a, on=REFORM
    )
    org.merge(actor=world.root, sources=[old_commune], into=new_commune, on=REFORM)
    org.rename(actor=world.root, organization=cell, name="Chi bộ thôn Đồng Một", on=REFORM)
    org.reclassify(actor=world.root, organization=cell, kind=kind("grassroots_cell"), on=REFORM)
    org.dissolve(actor=world.root, organization=district, on=REFORM)

    then = selectors.node_as_of(cell, BEFORE)
    assert (then.name, then.parent, then.kind_id) == ("Chi bộ thôn 1", old_commune, "cell")
    now = selectors.node_as_of(cell, REFORM)
    assert (now.name, now.parent, now.kind_id) == (
        "Chi bộ thôn Đồng Một",
        new_commune,
        "grassroots_cell",
    )
    old_tree = {n.code: n for n in flatten(selectors.tree_as_of(BEFORE))}
    assert old_tree["XD-1"].parent_id == old_commune.pk and "HD" in old_tree
    new_tree = {n.code: n for n in flatten(selectors.tree_as_of(REFORM))}
    assert "HD" not in new_tree and "XD" not in new_tree
    assert new_tree["XD-1"].parent_id == new_commune.pk


def flatten(nodes):
    for node in nodes:
        yield node
        yield from flatten(node.children)


def test_changes_must_be_recorded_in_date_order(world):
    org.rename(actor=world.root, organization=world.cell_a1, name="Tên mới", on=REFORM)
    with pytest.raises(DomainError, match="date order"):
        org.rename(actor=world.root, organization=world.cell_a1, name="Tên cũ", on=BEFORE)


def test_a_change_cannot_be_dated_in_the_future(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(DomainError, match="later than today"):
        org.rename(actor=world.root, organization=world.cell_a1, name="Tên mới", on=tomorrow)


def test_a_rename_on_the_same_day_amends_that_days_version(world):
    org.rename(actor=world.root, organization=world.cell_a1, name="Tên một", on=REFORM)
    org.rename(actor=world.root, organization=world.cell_a1, name="Tên hai", on=REFORM)
    assert [v.name for v in world.cell_a1.versions.all()] == ["Chi bộ thôn Đông", "Tên hai"]


def test_the_power_to_decide_admission_follows_the_kind_unless_delegated(world):
    assert selectors.has_power(world.commune_a1, Power.DECIDE_ADMISSION, BEFORE)
    assert not selectors.has_power(world.cell_a1, Power.DECIDE_ADMISSION, BEFORE)
    grassroots = make_org(
        world.root, "CS", "Đảng ủy công ty", "grassroots_committee", world.commune_a1
    )
    org.set_power(
        actor=world.root,
        organization=grassroots,
        power=Power.DECIDE_ADMISSION,
        allowed=True,
        on=REFORM,
        basis="Ủy quyền theo QĐ 294-QĐ/TW",
    )
    assert not selectors.has_power(grassroots, Power.DECIDE_ADMISSION, BEFORE)
    assert selectors.has_power(grassroots, Power.DECIDE_ADMISSION, REFORM)


def test_a_committee_has_one_secretary_at_a_time(world, person_factory):
    term = org.open_committee_term(
        actor=world.approver_a1,
        organization=world.commune_a1,
        name="2025–2030",
        starts_on=date(2025, 8, 1),
    )
    first, second = person_factory(world.commune_a1), person_factory(world.commune_a1)
    seat = org.assign_seat(
        actor=world.approver_a1,
        term=term,
        person=first,
        role=SeatRole.SECRETARY,
        starts_on=date(2025, 8, 1),
    )
    with pytest.raises(DomainError, match="secretary"):
        org.assign_seat(
            actor=world.approver_a1,
            term=term,
            person=second,
            role=SeatRole.SECRETARY,
            starts_on=date(2025, 9, 1),
        )
    org.end_seat(actor=world.approver_a1, seat=seat, on=date(2025, 9, 1))
    org.assign_seat(
        actor=world.approver_a1,
        term=term,
        person=second,
        role=SeatRole.SECRETARY,
        starts_on=date(2025, 9, 1),
    )
    assert term.seats.count() == 2


def test_every_change_writes_its_audit_entry(world):
    org.rename(
        actor=world.admin_a,
        organization=world.cell_a1,
        name="Tên mới",
        on=REFORM,
        reason="Nghị quyết đại hội",
    )
    entry = AuditEntry.objects.filter(action="organizations.organization.renamed").get()
    assert entry.actor == world.admin_a and entry.reason == "Nghị quyết đại hội"
    assert (entry.before["name"], entry.after["name"]) == ("Chi bộ thôn Đông", "Tên mới")


@pytest.mark.parametrize("who", ["clerk_a1", "approver_a1", "viewer_a", "outsider", "expired_a1"])
def test_restructuring_needs_an_admin_grant(world, who):
    actor = getattr(world, who)
    attempts = [
        lambda: make_org(actor, "N", "Chi bộ mới", "cell", world.commune_a1),
        lambda: org.rename(actor=actor, organization=world.cell_a1, name="X", on=REFORM),
        lambda: org.move(
            actor=actor, organization=world.cell_a1, new_parent=world.commune_a2, on=REFORM
        ),
        lambda: org.merge(
            actor=actor, sources=[world.commune_a2], into=world.commune_a1, on=REFORM
        ),
        lambda: org.dissolve(actor=actor, organization=world.cell_a1, on=REFORM),
        lambda: org.reclassify(
            actor=actor, organization=world.cell_a1, kind=kind("cell"), on=REFORM
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted):
            attempt()


def test_a_move_or_merge_needs_a_grant_on_a_common_ancestor(world):
    with pytest.raises(NotPermitted):
        org.move(
            actor=world.admin_a, organization=world.cell_a1, new_parent=world.commune_b1, on=REFORM
        )
    with pytest.raises(NotPermitted):
        org.merge(actor=world.admin_a, sources=[world.commune_b1], into=world.commune_a1, on=REFORM)
    org.move(
        actor=world.admin_a, organization=world.cell_a1, new_parent=world.commune_a2, on=REFORM
    )
    assert world.cell_a1.parent == world.commune_a2


def test_dissolving_passes_dossiers_to_the_successor_and_refuses_without_one(world, person_factory):
    person = person_factory(world.cell_b1)
    with pytest.raises(DomainError, match="dossier"):
        org.dissolve(actor=world.root, organization=world.cell_b1, on=REFORM)
    org.dissolve(actor=world.root, organization=world.cell_b1, on=REFORM, target=world.commune_b1)
    person.refresh_from_db()
    assert person.home_organization == world.commune_b1
