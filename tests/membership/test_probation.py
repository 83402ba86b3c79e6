"""Probation: 12 months from the admission ceremony (Điều lệ Đảng Art. 5(1)); official status at
the end of the 12 months even when the vote is late (Quy định 294-QĐ/TW item 4.2.2). The official
date is the ceremony's anniversary, a nonexistent day falling per the rulebook's convention. No
central text allows an extension; a province may (Hà Nội 11/2025: up to 12 months)."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules, services
from dangvu.membership.models import EventKind, MembershipEvent, Standing


def test_ceremony_on_29_february_2024_makes_the_member_official_on_28_february_2025(
    world, admit, decide
):
    member = admit(date(2024, 2, 1), ceremony=date(2024, 2, 29))
    event = services.recognize_member(
        actor=world.root, member=member, decision=decide(date(2025, 3, 5))
    )
    member.refresh_from_db()
    assert event.effective_date == date(2025, 2, 28)
    assert (member.standing, member.official_date) == (Standing.OFFICIAL, date(2025, 2, 28))


def test_probation_end_is_the_ceremony_anniversary(db):
    context = rules.Context(Rulebook.load())
    state = rules.State(standing=Standing.PROBATIONARY, organization_id=1)
    for ceremony, official in [
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2023, 3, 31), date(2024, 3, 31)),
        (date(2025, 1, 15), date(2026, 1, 15)),
    ]:
        state.ceremony_date = ceremony
        assert rules.probation_end(state, context) == official


def test_with_the_first_day_of_next_month_convention_the_official_date_is_1_march_2025(
    world, admit, decide, replace_national_rule
):
    replace_national_rule("dates.nonexistent_day", date(2024, 1, 1), rule="first_day_of_next_month")
    member = admit(date(2024, 2, 1), ceremony=date(2024, 2, 29))
    event = services.recognize_member(
        actor=world.root, member=member, decision=decide(date(2025, 3, 5))
    )
    assert event.effective_date == date(2025, 3, 1)


def test_no_recognition_before_a_ceremony(world, admit, decide):
    member = admit(date(2024, 2, 1))
    with pytest.raises(DomainError, match="Record the admission ceremony first"):
        services.recognize_member(
            actor=world.root, member=member, decision=decide(date(2025, 3, 1))
        )
    with pytest.raises(DomainError, match="there is no admission ceremony yet"):
        services.record_event(
            actor=world.root,
            member=member,
            kind=EventKind.RECOGNITION,
            effective_date=date(2025, 2, 1),
            organization=world.cell_a1,
        )
    assert list(member.events.values_list("kind", flat=True)) == [EventKind.ADMISSION]


def test_a_ceremony_is_held_once(world, admit):
    member = admit(date(2024, 2, 1), ceremony=date(2024, 2, 20))
    with pytest.raises(DomainError, match="held once"):
        services.record_ceremony(actor=world.root, member=member, on=date(2024, 3, 1))


def test_recognition_takes_effect_at_the_end_of_probation_even_when_decided_late(
    world, admit, decide, counts
):
    member = admit(date(2024, 2, 1), ceremony=date(2024, 3, 10))
    late = decide(date(2025, 6, 2))
    event = services.recognize_member(
        actor=world.root, member=member, decision=late, resolution_date=date(2025, 5, 20)
    )
    assert event.effective_date == date(2025, 3, 10)
    assert counts(world.cell_a1, date(2025, 3, 9)) == {"probationary": 1}
    assert counts(world.cell_a1, date(2025, 3, 10)) == {"official": 1}


def test_a_recognition_dated_other_than_the_end_of_probation_is_refused(world, admit):
    member = admit(date(2024, 2, 1), ceremony=date(2024, 3, 10))
    with pytest.raises(DomainError) as refused:
        services.record_event(
            actor=world.root,
            member=member,
            kind=EventKind.RECOGNITION,
            effective_date=date(2025, 6, 2),
            organization=world.cell_a1,
        )
    assert "takes effect at the end of probation, on 10/03/2025" in str(refused.value)
    assert "294-QĐ/TW, item 4.2.2" in str(refused.value)


def test_a_probation_still_running_cannot_be_ended_by_a_recognition(world, admit, decide):
    member = admit(date(2026, 3, 1), ceremony=date(2026, 3, 20))
    with pytest.raises(DomainError, match="cannot be later than today"):
        services.recognize_member(
            actor=world.root, member=member, decision=decide(date(2026, 11, 1))
        )


def test_a_recognition_recorded_after_a_later_transfer_is_replayed_in_order(
    world, admit, decide, counts
):
    """Admitted in cell A1, ceremony 01/02/2023, sent to cell A2 on 01/03/2024 (after the 12
    months), received 20/03/2024; only then is the recognition recorded: official from
    01/02/2024 in cell A1 until the transfer, in transit, then official in cell A2."""
    member = admit(date(2023, 1, 5), ceremony=date(2023, 2, 1))
    services.record_transfer_out(
        actor=world.root, member=member, to=world.cell_a2, on=date(2024, 3, 1)
    )
    received = services.receive_transfer(actor=world.root, member=member, on=date(2024, 3, 20))
    before = received.recorded_at

    event = services.recognize_member(
        actor=world.root, member=member, decision=decide(date(2024, 4, 2))
    )

    member.refresh_from_db()
    assert event.effective_date == date(2024, 2, 1)
    assert (member.standing, member.official_date, member.organization) == (
        Standing.OFFICIAL,
        date(2024, 2, 1),
        world.cell_a2,
    )
    a1, a2 = world.cell_a1, world.cell_a2
    assert counts(a1, date(2024, 1, 31)) == {"probationary": 1}
    assert counts(a1, date(2024, 2, 1)) == {"official": 1}
    assert counts(a1, date(2024, 2, 29)) == {"official": 1}
    assert counts(a1, date(2024, 3, 1)) == {"in_transit": 1}
    assert counts(a2, date(2024, 3, 19)) == {}
    assert counts(a1, date(2024, 3, 20)) == {}
    assert counts(a2, date(2024, 3, 20)) == {"official": 1}
    # As known before the recognition was recorded, he was a probationer all along.
    assert counts(a1, date(2024, 2, 1), known_at=before) == {"probationary": 1}
    assert counts(a2, date(2024, 3, 20), known_at=before) == {"probationary": 1}
    periods = list(member.periods.values_list("organization", "valid_from", "valid_to"))
    assert periods == [
        (a1.pk, date(2023, 1, 5), date(2024, 3, 20)),
        (a2.pk, date(2024, 3, 20), None),
    ]


def test_a_probationer_recognized_while_in_transit_is_received_as_official(
    world, admit, decide, counts
):
    member = admit(date(2023, 1, 5), ceremony=date(2023, 2, 1))
    services.record_transfer_out(
        actor=world.root, member=member, to=world.cell_a2, on=date(2024, 1, 15)
    )
    services.receive_transfer(actor=world.root, member=member, on=date(2024, 2, 15))
    services.recognize_member(actor=world.root, member=member, decision=decide(date(2024, 3, 1)))

    assert counts(world.cell_a1, date(2024, 1, 15)) == {"in_transit": 1}
    assert counts(world.cell_a1, date(2024, 2, 1)) == {"in_transit": 1}
    assert counts(world.cell_a2, date(2024, 2, 15)) == {"official": 1}


# --- probation extension ------------------------------------------------------------------------


def test_a_probation_extension_is_refused_by_the_national_rule(world, admit):
    member = admit(date(2025, 1, 20), ceremony=date(2025, 2, 10))
    with pytest.raises(DomainError) as refused:
        services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=6)
    assert "allows an extension of at most 0 months" in str(refused.value)
    assert "No central text allows an extension" in str(refused.value)


@pytest.fixture
def extension_in_province_a(world, rule_version):
    """A province A rule (as Hà Nội's 11/2025 guidance): probation may be extended 12 months."""
    return rule_version(
        "probation",
        date(2025, 1, 1),
        organization=world.province_a,
        citation="Hướng dẫn Ban Tổ chức Thành ủy (11/2025), C.II.1.1",
        months=12,
        max_extension_months=12,
    )


def test_a_provincial_rule_allows_an_extension_of_up_to_12_months(
    world, admit, decide, extension_in_province_a, counts
):
    member = admit(date(2025, 1, 20), ceremony=date(2025, 2, 10))
    services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=6)
    with pytest.raises(DomainError, match="takes effect at the end of probation, on 10/08/2026"):
        services.record_event(
            actor=world.root,
            member=member,
            kind=EventKind.RECOGNITION,
            effective_date=date(2026, 2, 10),
            organization=world.cell_a1,
        )

    event = services.recognize_member(
        actor=world.root, member=member, decision=decide(date(2026, 8, 20))
    )

    assert event.effective_date == date(2026, 8, 10)
    assert counts(world.cell_a1, date(2026, 8, 9)) == {"probationary": 1}
    assert counts(world.cell_a1, date(2026, 8, 10)) == {"official": 1}


def test_the_party_age_of_a_member_whose_probation_a_province_extended(
    world, admit, decide, extension_in_province_a
):
    member = admit(date(2025, 1, 20), ceremony=date(2025, 2, 10))
    services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=6)
    services.recognize_member(actor=world.root, member=member, decision=decide(date(2026, 8, 20)))
    age = services.party_age(member, on=date(2026, 9, 20))
    assert (age.years, age.months, age.days) == (1, 8, 0)


def test_a_provincial_extension_is_capped_at_12_months_in_all(
    world, admit, extension_in_province_a
):
    member = admit(date(2025, 1, 20), ceremony=date(2025, 2, 10))
    with pytest.raises(DomainError, match="at most 12 months"):
        services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=13)
    services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=6)
    with pytest.raises(DomainError, match="at most 12 months"):
        services.extend_probation(actor=world.root, member=member, on=date(2026, 1, 5), months=7)
    with pytest.raises(DomainError, match="at most 12 months"):
        services.extend_probation(actor=world.root, member=member, on=date(2026, 1, 5), months=0)


def test_the_provincial_extension_does_not_apply_in_another_province(
    world, admit, extension_in_province_a
):
    member = admit(date(2025, 1, 20), cell=world.cell_b1, ceremony=date(2025, 2, 10))
    with pytest.raises(DomainError, match="at most 0 months"):
        services.extend_probation(actor=world.root, member=member, on=date(2025, 12, 1), months=6)


def test_a_probation_that_has_ended_cannot_be_extended(world, admit, extension_in_province_a):
    member = admit(date(2025, 1, 20), ceremony=date(2025, 2, 10))
    with pytest.raises(DomainError, match="already ended"):
        services.extend_probation(actor=world.root, member=member, on=date(2026, 2, 10), months=6)


# --- not recognized -----------------------------------------------------------------------------


def test_a_probationer_not_recognized_is_removed_and_an_official_member_cannot_be(
    world, admit, decide
):
    probationer = admit(date(2024, 2, 1), ceremony=date(2024, 2, 20))
    services.remove_member(
        actor=world.root,
        member=probationer,
        on=date(2025, 3, 1),
        reason="not_recognized",
        decision=decide(date(2025, 3, 1)),
    )
    probationer.refresh_from_db()
    assert (probationer.standing, probationer.exit_reason) == (Standing.LEFT, "not_recognized")

    official = admit(date(2020, 2, 1), ceremony=date(2020, 2, 20), recognized=True)
    events = MembershipEvent.objects.count()
    with pytest.raises(DomainError, match="only a probationary member"):
        services.remove_member(
            actor=world.root,
            member=official,
            on=date(2025, 3, 1),
            reason="not_recognized",
            decision=decide(date(2025, 3, 1)),
        )
    assert MembershipEvent.objects.count() == events
