"""Transfers are two-sided: sent, in transit, received. An official transfer takes the member out
of the sender's count into the sender's in-transit count, and the receipt into the receiver's
count; a temporary transfer (3 months to under a year, up to 2 years for full-time study: Quy
định 294-QĐ/TW item 6.3.2(a)) keeps him in the home count. A member who does not present the
letter within 3 months is removed as having abandoned activities (Hướng dẫn 38-HD/BTCTW
II.4.3.1 d), which may be recorded by the receiving side."""

from datetime import date

import pytest

from dangvu.core.dates import add_months
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.membership import services
from dangvu.membership.models import EventKind, MembershipEvent, Standing

SENT = date(2025, 3, 3)
RECEIVED = date(2025, 4, 1)


@pytest.fixture
def official(admit):
    """An official member of cell A1 since 01/02/2021."""
    return admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)


def test_an_official_transfer_moves_the_count_through_transit_to_the_receiver(
    world, official, counts
):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    official.refresh_from_db()
    assert (official.organization, official.is_in_transit, official.pending_transfer_to) == (
        world.cell_a1,
        True,
        world.cell_b1,
    )

    services.receive_transfer(actor=world.clerk_b1, member=official, on=RECEIVED)

    official.refresh_from_db()
    assert (official.organization, official.is_in_transit, official.pending_transfer_to) == (
        world.cell_b1,
        False,
        None,
    )
    a1, b1 = world.cell_a1, world.cell_b1
    assert (counts(a1, date(2025, 3, 2)), counts(b1, date(2025, 3, 2))) == ({"official": 1}, {})
    assert (counts(a1, SENT), counts(b1, SENT)) == ({"in_transit": 1}, {})
    assert (counts(a1, date(2025, 3, 31)), counts(b1, date(2025, 3, 31))) == ({"in_transit": 1}, {})
    assert (counts(a1, RECEIVED), counts(b1, RECEIVED)) == ({}, {"official": 1})


def test_an_official_transfer_seen_from_the_commune_and_the_province(world, official, counts):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    services.receive_transfer(actor=world.root, member=official, on=RECEIVED)

    for on, in_a, in_b in [
        (date(2025, 3, 2), {"official": 1}, {}),
        (SENT, {"in_transit": 1}, {}),
        (RECEIVED, {}, {"official": 1}),
    ]:
        assert counts(world.commune_a1, on, subtree=True) == in_a
        assert counts(world.province_a, on, subtree=True) == in_a
        assert counts(world.commune_b1, on, subtree=True) == in_b
        assert counts(world.province_b, on, subtree=True) == in_b
        # Without the subtree, a commune counts only members attached to itself: none here.
        assert counts(world.commune_a1, on) == {}
    assert counts(world.central, SENT, subtree=True) == {"in_transit": 1}
    assert counts(world.central, RECEIVED, subtree=True) == {"official": 1}


def test_the_membership_periods_follow_the_receipt_not_the_letter(world, official):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    services.receive_transfer(actor=world.root, member=official, on=RECEIVED)
    periods = list(official.periods.values_list("organization", "valid_from", "valid_to"))
    assert periods == [
        (world.cell_a1.pk, date(2020, 1, 10), RECEIVED),
        (world.cell_b1.pk, RECEIVED, None),
    ]


def test_a_receipt_closes_the_period_in_place_and_its_correction_reopens_it(world, official):
    def periods():
        return list(
            official.periods.order_by("valid_from").values_list(
                "pk", "organization", "valid_from", "valid_to"
            )
        )

    [(first, _, joined, _)] = periods()
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    receipt = services.receive_transfer(actor=world.root, member=official, on=RECEIVED)
    # the period at the old cell is the same row, closed; one row is added
    [closed, (_, b1, opened, end)] = periods()
    assert closed == (first, world.cell_a1.pk, joined, RECEIVED)
    assert (b1, opened, end) == (world.cell_b1.pk, RECEIVED, None)

    services.correct_event(actor=world.root, event=receipt, reason="received by mistake")
    assert periods() == [(first, world.cell_a1.pk, joined, None)]


def test_an_exempted_member_stays_exempted_at_his_new_cell(world, official, counts):
    services.exempt_member(actor=world.root, member=official, on=date(2024, 5, 1), reason="age")
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_a2, on=SENT)
    assert counts(world.cell_a1, SENT) == {"in_transit": 1, "exempted": 1}
    services.receive_transfer(actor=world.root, member=official, on=RECEIVED)
    assert counts(world.cell_a1, RECEIVED) == {}
    assert counts(world.cell_a2, RECEIVED) == {"official": 1, "exempted": 1}


def test_a_transfer_is_received_only_by_the_organization_it_was_sent_to(world, official):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    events = MembershipEvent.objects.count()
    with pytest.raises(DomainError, match="sent to another organization"):
        services.record_event(
            actor=world.root,
            member=official,
            kind=EventKind.TRANSFER_IN,
            effective_date=RECEIVED,
            organization=world.cell_a2,
            counterpart=world.cell_a1,
        )
    assert MembershipEvent.objects.count() == events


def test_a_member_who_is_not_in_transit_cannot_be_received(world, official):
    with pytest.raises(DomainError, match="not in transit"):
        services.receive_transfer(actor=world.root, member=official, on=RECEIVED)


def test_a_member_in_transit_cannot_be_sent_again(world, official):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    with pytest.raises(DomainError, match="already in transit"):
        services.record_transfer_out(
            actor=world.root, member=official, to=world.cell_a2, on=date(2025, 3, 10)
        )


def test_a_member_who_left_cannot_be_transferred(world, official, decide):
    services.remove_member(
        actor=world.root,
        member=official,
        on=date(2024, 6, 1),
        reason="unpaid_dues",
        decision=decide(date(2024, 6, 1)),
    )
    with pytest.raises(DomainError, match="left the Party on 01/06/2024"):
        services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    with pytest.raises(DomainError, match="left the Party on 01/06/2024"):
        services.record_temporary_transfer(
            actor=world.root,
            member=official,
            to=world.cell_b1,
            on=date(2025, 8, 1),
            until=date(2026, 2, 1),
        )


def test_a_receipt_dated_after_the_member_left_is_refused(world, official, decide):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    services.remove_member(
        actor=world.root,
        member=official,
        on=date(2025, 3, 20),
        reason="unpaid_dues",
        decision=decide(date(2025, 3, 20)),
    )
    with pytest.raises(DomainError, match="left the Party on 20/03/2025"):
        services.record_event(
            actor=world.root,
            member=official,
            kind=EventKind.TRANSFER_IN,
            effective_date=RECEIVED,
            organization=world.cell_b1,
            counterpart=world.cell_a1,
        )


def test_the_receiving_side_removes_a_member_who_never_presented_his_letter(
    world, official, decide, approver_b1, counts
):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=SENT)
    removed_on = add_months(SENT, 3)
    with pytest.raises(NotPermitted):
        services.remove_member(
            actor=world.clerk_b1,
            member=official,
            on=removed_on,
            reason="transfer_not_presented",
            decision=decide(removed_on, issuer=world.commune_b1),
            organization=world.cell_b1,
        )

    services.remove_member(
        actor=approver_b1,
        member=official,
        on=removed_on,
        reason="transfer_not_presented",
        decision=decide(removed_on, issuer=world.commune_b1),
        organization=world.cell_b1,
    )

    official.refresh_from_db()
    assert (official.standing, official.exit_reason, official.is_in_transit) == (
        Standing.LEFT,
        "transfer_not_presented",
        False,
    )
    assert official.pending_transfer_to is None
    assert counts(world.cell_a1, date(2025, 6, 2)) == {"in_transit": 1}
    assert counts(world.cell_a1, removed_on) == {}
    assert counts(world.cell_b1, removed_on) == {}
    assert counts(world.central, removed_on, subtree=True) == {}


# --- temporary transfers ------------------------------------------------------------------------

AWAY = date(2025, 8, 1)
HOSTED = date(2025, 8, 11)
BACK = date(2026, 2, 1)


def test_a_temporary_transfer_keeps_the_member_in_the_home_count(world, official, counts):
    services.record_temporary_transfer(
        actor=world.root, member=official, to=world.cell_a2, on=AWAY, until=BACK
    )
    official.refresh_from_db()
    assert (official.organization, official.is_temporarily_away, official.host_organization) == (
        world.cell_a1,
        True,
        world.cell_a2,
    )
    services.receive_temporary_transfer(actor=world.root, member=official, on=HOSTED)
    services.record_return(actor=world.root, member=official, on=BACK)

    home, host = world.cell_a1, world.cell_a2
    assert (counts(home, date(2025, 7, 31)), counts(host, date(2025, 7, 31))) == (
        {"official": 1},
        {},
    )
    assert (counts(home, AWAY), counts(host, AWAY)) == ({"official": 1, "temporarily_away": 1}, {})
    assert (counts(home, HOSTED), counts(host, HOSTED)) == (
        {"official": 1, "temporarily_away": 1},
        {"hosted": 1},
    )
    assert (counts(home, date(2026, 1, 31)), counts(host, date(2026, 1, 31))) == (
        {"official": 1, "temporarily_away": 1},
        {"hosted": 1},
    )
    assert (counts(home, BACK), counts(host, BACK)) == ({"official": 1}, {})
    official.refresh_from_db()
    assert (official.is_temporarily_away, official.host_organization) == (False, None)
    assert list(official.periods.values_list("organization", flat=True)) == [home.pk]


def test_a_temporary_transfer_ends_with_an_exit(world, official, decide, counts):
    services.record_temporary_transfer(
        actor=world.root, member=official, to=world.cell_b1, on=AWAY, until=BACK
    )
    services.receive_temporary_transfer(actor=world.root, member=official, on=HOSTED)
    services.record_death(actor=world.root, member=official, on=date(2025, 10, 1))
    assert counts(world.cell_a1, date(2025, 10, 1)) == {}
    assert counts(world.cell_b1, date(2025, 10, 1)) == {}


def test_only_the_host_receives_a_temporary_transfer(world, official):
    services.record_temporary_transfer(
        actor=world.root, member=official, to=world.cell_a2, on=AWAY, until=BACK
    )
    with pytest.raises(DomainError, match="not temporarily transferred to this organization"):
        services.record_event(
            actor=world.root,
            member=official,
            kind=EventKind.TEMPORARY_IN,
            effective_date=HOSTED,
            organization=world.cell_b1,
        )


def test_a_member_away_on_a_temporary_transfer_returns_before_an_official_one(world, official):
    services.record_temporary_transfer(
        actor=world.root, member=official, to=world.cell_a2, on=AWAY, until=BACK
    )
    with pytest.raises(DomainError, match="record his return first"):
        services.record_transfer_out(
            actor=world.root, member=official, to=world.cell_b1, on=date(2025, 9, 1)
        )


@pytest.mark.parametrize(
    ("until", "study", "allowed"),
    [
        (date(2025, 10, 31), False, False),  # 2 months 30 days
        (date(2025, 11, 1), False, True),  # 3 months
        (date(2026, 7, 31), False, True),  # under a year
        (date(2026, 9, 1), False, False),  # 13 months
        (date(2026, 9, 1), True, True),  # 13 months of full-time study
        (date(2027, 8, 1), True, True),  # 24 months of study
        (date(2027, 8, 2), True, False),  # 24 months and a day
    ],
)
def test_a_temporary_transfer_lasts_3_months_to_a_year_or_2_years_of_study(
    world, official, until, study, allowed
):
    def send():
        services.record_temporary_transfer(
            actor=world.root, member=official, to=world.cell_a2, on=AWAY, until=until, study=study
        )

    if allowed:
        send()
    else:
        with pytest.raises(DomainError, match="a temporary transfer lasts from 3 to"):
            send()


def test_a_temporary_transfer_is_extended_within_the_same_limits(world, official):
    services.record_temporary_transfer(
        actor=world.root, member=official, to=world.cell_a2, on=AWAY, until=BACK
    )
    services.extend_temporary_transfer(
        actor=world.root, member=official, on=date(2026, 1, 15), until=date(2026, 8, 1)
    )
    with pytest.raises(DomainError, match="from 3 to 12 months"):
        services.extend_temporary_transfer(
            actor=world.root, member=official, on=date(2026, 1, 20), until=date(2026, 8, 2)
        )
