""" "As of date D, as known at time T": nothing in the ledger is updated, a correction is a new
event and a back-dated event is inserted in order, and the effect rows are written as
differences when they become known. So a report computed at T1 can be computed again later,
with the same answer, while the count as known now follows the corrections."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules, services
from dangvu.membership.models import EventEffect, EventKind, Member, MembershipEvent, Standing

YEAR_END = date(2024, 12, 31)


def latest_recorded_at():
    return MembershipEvent.objects.latest("recorded_at").recorded_at


@pytest.fixture
def two_officials(world, admit, decide):
    """X and Y, official in cell A1 since 2021; X removed on 01/06/2023 (recorded at once)."""
    x = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    y = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
    removal = services.remove_member(
        actor=world.root,
        member=x,
        on=date(2023, 6, 1),
        reason="unpaid_dues",
        decision=decide(date(2023, 6, 1)),
    )
    return x, y, removal


def test_a_count_as_known_at_t1_stays_the_same_after_a_correction_and_a_back_dated_event(
    world, two_officials, counts
):
    x, y, removal = two_officials
    t1 = latest_recorded_at()
    report_at_t1 = counts(world.cell_a1, YEAR_END, known_at=t1)
    assert report_at_t1 == {"official": 1}

    # The removal of X was a mistake: voided by a correction.
    correction = services.correct_event(
        actor=world.root, event=removal, reason="Nhầm người: quyết định xóa tên của người khác."
    )
    assert correction.recorded_at > t1
    t2 = correction.recorded_at
    assert counts(world.cell_a1, YEAR_END) == {"official": 2}
    assert counts(world.cell_a1, YEAR_END, known_at=t1) == report_at_t1

    # Y died on 01/06/2024; the family reports it only now.
    death = services.record_death(actor=world.root, member=y, on=date(2024, 6, 1))
    assert death.recorded_at > t2
    assert counts(world.cell_a1, YEAR_END) == {"official": 1}
    assert counts(world.cell_a1, YEAR_END, known_at=t2) == {"official": 2}
    assert counts(world.cell_a1, YEAR_END, known_at=t1) == report_at_t1
    # A date before every change reads the same whenever it is asked.
    for known_at in (t1, t2, None):
        assert counts(world.cell_a1, date(2023, 5, 31), known_at=known_at) == {"official": 2}


def test_the_subtree_count_as_known_at_t1_is_kept_as_well(world, two_officials, counts):
    x, y, removal = two_officials
    t1 = latest_recorded_at()
    services.correct_event(actor=world.root, event=removal, reason="Nhầm người.")
    assert counts(world.province_a, YEAR_END, known_at=t1, subtree=True) == {"official": 1}
    assert counts(world.province_a, YEAR_END, subtree=True) == {"official": 2}


def test_a_correction_writes_only_the_difference_and_updates_nothing(world, two_officials):
    x, y, removal = two_officials
    rows = {row.pk: (row.delta, row.recorded_at) for row in EventEffect.objects.all()}
    correction = services.correct_event(actor=world.root, event=removal, reason="Nhầm người.")

    assert {
        row.pk: (row.delta, row.recorded_at) for row in EventEffect.objects.filter(pk__in=rows)
    } == rows
    added = EventEffect.objects.exclude(pk__in=rows)
    assert {
        (r.organization_id, r.counter, r.delta, r.effective_date, r.event_id) for r in added
    } == {(world.cell_a1.pk, "official", +1, date(2023, 6, 1), correction.pk)}
    x.refresh_from_db()
    assert (x.standing, x.exit_date, x.exit_reason) == (Standing.OFFICIAL, None, "")


def test_the_ledger_as_known_at_t1_replays_to_what_was_known_then(world, two_officials):
    x, y, removal = two_officials
    t1 = latest_recorded_at()
    services.correct_event(actor=world.root, event=removal, reason="Nhầm người.")
    known_then = rules.replay(services.ledger(x, known_at=t1), Rulebook.load())
    known_now = services.replay_member(x)
    assert (known_then.standing, known_now.standing) == (Standing.LEFT, Standing.OFFICIAL)


# --- what a correction may not do ---------------------------------------------------------------


def test_a_correction_that_would_break_later_events_is_refused(world, admit):
    member = admit(date(2024, 2, 1), ceremony=date(2024, 2, 20))
    admission = member.events.get(kind=EventKind.ADMISSION)
    before = (MembershipEvent.objects.count(), EventEffect.objects.count())
    with pytest.raises(DomainError, match="the person has not been admitted"):
        services.correct_event(actor=world.root, event=admission, reason="Nhầm hồ sơ.")
    assert (MembershipEvent.objects.count(), EventEffect.objects.count()) == before
    assert not MembershipEvent.objects.filter(kind=EventKind.CORRECTION).exists()


def test_voiding_the_only_admission_is_refused_cleanly(world, admit):
    member = admit(date(2024, 2, 1))
    admission = member.events.get()
    with pytest.raises(DomainError, match="admission annulled"):
        services.correct_event(actor=world.root, event=admission, reason="Nhầm người.")
    member.refresh_from_db()
    assert member.standing == Standing.PROBATIONARY
    assert member.events.count() == 1


def test_a_correction_cannot_itself_be_corrected(world, two_officials):
    x, y, removal = two_officials
    correction = services.correct_event(actor=world.root, event=removal, reason="Nhầm người.")
    with pytest.raises(DomainError, match="cannot itself be corrected"):
        services.correct_event(actor=world.root, event=correction, reason="Sửa lại.")


def test_an_event_is_corrected_once(world, two_officials):
    x, y, removal = two_officials
    services.correct_event(actor=world.root, event=removal, reason="Nhầm người.")
    with pytest.raises(DomainError, match="already been corrected"):
        services.correct_event(actor=world.root, event=removal, reason="Lần nữa.")


def test_a_correction_says_why(world, two_officials):
    x, y, removal = two_officials
    with pytest.raises(DomainError, match="Say why"):
        services.correct_event(actor=world.root, event=removal, reason="  ")


def test_a_voided_event_can_be_recorded_again_with_the_right_date(world, two_officials, decide):
    x, y, removal = two_officials
    services.correct_event(actor=world.root, event=removal, reason="Sai ngày.")
    services.remove_member(
        actor=world.root,
        member=x,
        on=date(2023, 7, 1),
        reason="unpaid_dues",
        decision=decide(date(2023, 7, 1)),
    )
    x.refresh_from_db()
    assert (x.standing, x.exit_date) == (Standing.LEFT, date(2023, 7, 1))


# --- the ledger is append-only --------------------------------------------------------------------


def test_ledger_rows_cannot_be_updated_or_deleted(world, two_officials):
    x, y, removal = two_officials
    removal.note = "sửa"
    with pytest.raises(PermissionError):
        removal.save()
    with pytest.raises(PermissionError):
        removal.delete()
    with pytest.raises(PermissionError):
        MembershipEvent.objects.filter(pk=removal.pk).update(note="sửa")
    with pytest.raises(PermissionError):
        MembershipEvent.objects.filter(pk=removal.pk).delete()
    with pytest.raises(PermissionError):
        x.events.all().delete()
    with pytest.raises(PermissionError):
        x.events.update(effective_date=date(2023, 7, 1))
    assert MembershipEvent.objects.get(pk=removal.pk).note == ""
    assert Member.objects.get(pk=x.pk).standing == Standing.LEFT
