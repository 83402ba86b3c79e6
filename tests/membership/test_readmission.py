"""Readmission (Quy định 294-QĐ/TW item 3.5): at least 36 months after leaving (60 months after a
less-serious conviction is expunged), once only, never after abandoning activities (a transfer
never presented is recorded as that, Hướng dẫn 38-HD/BTCTW II.4.3.1 d), resigning except for
especially difficult family circumstances, serious disunity, corruption or a serious crime; with
the provincial standing committee's written consent; a new probation in the same ledger."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.membership import services
from dangvu.membership.models import EventKind, ExitReason, MembershipEvent, Standing
from dangvu.people import services as people


@pytest.fixture
def official(admit):
    return admit(date(2000, 3, 15), ceremony=date(2000, 4, 1), recognized=True)


@pytest.fixture
def leave(world, decide):
    """The member leaves the Party by removal, resignation or expulsion, for a coded reason."""

    def exit_(member, kind: str, reason: str, on: date):
        if kind == "removal":
            return services.remove_member(
                actor=world.root, member=member, on=on, reason=reason, decision=decide(on)
            )
        if kind == "resignation":
            return services.record_resignation(
                actor=world.root, member=member, on=on, reason=reason, decision=decide(on)
            )
        discipline = people.record_discipline(
            actor=world.root,
            person=member.person,
            form="expulsion",
            deciding_body="UBKT Huyện ủy",
            decided_on=on,
        )
        return services.expel_member(
            actor=world.root, member=member, discipline=discipline, reason=reason
        )

    return exit_


@pytest.fixture
def readmit(world, decide):
    """Readmit into a cell (A1 unless told) by a decision on ``on``, with the consent."""

    def readmit_(member, on: date, cell=None, expunged_on: date | None = None):
        return services.readmit_member(
            actor=world.root,
            member=member,
            organization=cell or world.cell_a1,
            decision=decide(on),
            resolution_date=on,
            provincial_consent=decide(on, issuer=world.province_a),
            expunged_on=expunged_on,
        )

    return readmit_


def test_a_readmission_is_refused_at_35_months_and_accepted_at_36(official, leave, readmit):
    leave(official, "removal", "unpaid_dues", date(2020, 5, 31))
    with pytest.raises(DomainError) as refused:
        readmit(official, date(2023, 4, 30))  # 35 months
    assert "possible from 31/05/2023 at the earliest" in str(refused.value)
    assert "294-QĐ/TW item 3.5" in str(refused.value)
    with pytest.raises(DomainError, match="from 31/05/2023"):
        readmit(official, date(2023, 5, 30))  # 35 months and 30 days

    readmit(official, date(2023, 5, 31))  # 36 months

    official.refresh_from_db()
    assert (official.standing, official.admission_date) == (
        Standing.PROBATIONARY,
        date(2023, 5, 31),
    )


def test_after_leaving_on_29_february_the_36_months_end_on_28_february(official, leave, readmit):
    leave(official, "removal", "unpaid_dues", date(2020, 2, 29))
    with pytest.raises(DomainError, match="from 28/02/2023"):
        readmit(official, date(2023, 2, 27))
    readmit(official, date(2023, 2, 28))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("removal", "abandoned_activities"),
        ("removal", "transfer_not_presented"),
        ("resignation", "personal_request"),
        ("expulsion", "serious_disunity"),
        ("expulsion", "corruption_conviction"),
        ("expulsion", "serious_crime_conviction"),
    ],
)
def test_a_readmission_is_refused_after_a_barred_reason(official, leave, readmit, kind, reason):
    leave(official, kind, reason, date(2018, 1, 10))
    events = MembershipEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        readmit(official, date(2024, 1, 10))
    assert "cannot be readmitted" in str(refused.value)
    assert MembershipEvent.objects.count() == events
    official.refresh_from_db()
    assert (official.standing, official.exit_kind, official.exit_reason) == (
        Standing.LEFT,
        kind,
        reason,
    )


def test_a_resignation_for_family_hardship_does_not_bar_readmission(
    world, official, leave, readmit, counts
):
    leave(official, "resignation", "family_hardship", date(2018, 1, 10))
    readmit(official, date(2021, 1, 10), cell=world.cell_b1)

    official.refresh_from_db()
    assert (official.standing, official.organization) == (Standing.PROBATIONARY, world.cell_b1)
    assert counts(world.cell_a1, date(2018, 1, 10)) == {}
    assert counts(world.cell_b1, date(2021, 1, 9)) == {}
    assert counts(world.cell_b1, date(2021, 1, 10)) == {"probationary": 1}
    periods = list(official.periods.values_list("organization", "valid_from", "valid_to"))
    assert periods == [
        (world.cell_a1.pk, date(2000, 3, 15), date(2018, 1, 10)),
        (world.cell_b1.pk, date(2021, 1, 10), None),
    ]
    kinds = list(official.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.RESIGNATION, EventKind.READMISSION]


def test_a_readmitted_member_starts_a_new_probation(world, official, leave, readmit, decide):
    leave(official, "removal", "unpaid_dues", date(2017, 1, 10))
    readmit(official, date(2020, 1, 10))
    services.record_ceremony(actor=world.root, member=official, on=date(2020, 2, 1))
    event = services.recognize_member(
        actor=world.root, member=official, decision=decide(date(2021, 2, 10))
    )
    assert event.effective_date == date(2021, 2, 1)


def test_a_member_is_readmitted_only_once(world, official, leave, readmit, decide):
    leave(official, "removal", "unpaid_dues", date(2016, 8, 1))
    readmit(official, date(2019, 8, 1))
    services.record_ceremony(actor=world.root, member=official, on=date(2019, 8, 20))
    services.recognize_member(actor=world.root, member=official, decision=decide(date(2020, 9, 1)))
    leave(official, "removal", "unpaid_dues", date(2021, 1, 10))

    with pytest.raises(DomainError, match="readmission is allowed only once"):
        readmit(official, date(2024, 1, 10))


def test_after_a_less_serious_conviction_the_wait_is_60_months_from_its_expungement(
    official, leave, readmit
):
    leave(official, "expulsion", "less_serious_conviction", date(2018, 1, 10))
    with pytest.raises(DomainError, match="date the conviction was expunged"):
        readmit(official, date(2021, 1, 10))
    with pytest.raises(DomainError, match="from 01/06/2024 at the earliest"):
        readmit(official, date(2024, 5, 31), expunged_on=date(2019, 6, 1))

    readmit(official, date(2024, 6, 1), expunged_on=date(2019, 6, 1))

    official.refresh_from_db()
    assert official.standing == Standing.PROBATIONARY
    assert official.events.get(kind=EventKind.READMISSION).details["expunged_on"] == "2019-06-01"


def test_the_36_months_still_apply_when_the_conviction_was_expunged_long_before(
    official, leave, readmit
):
    leave(official, "expulsion", "less_serious_conviction", date(2018, 1, 10))
    with pytest.raises(DomainError, match="from 10/01/2021"):
        readmit(official, date(2021, 1, 9), expunged_on=date(2000, 1, 1))
    readmit(official, date(2021, 1, 10), expunged_on=date(2000, 1, 1))


def test_a_dead_member_cannot_be_readmitted(world, official, readmit):
    services.record_death(actor=world.root, member=official, on=date(2018, 1, 1))
    with pytest.raises(DomainError, match="only a person who left the Party can be readmitted"):
        readmit(official, date(2022, 1, 1))


def test_a_current_member_cannot_be_readmitted(official, readmit):
    with pytest.raises(DomainError, match="only a person who left the Party"):
        readmit(official, date(2022, 1, 1))


def test_a_probationer_cannot_be_expelled(world, admit, leave):
    probationer = admit(date(2024, 2, 1), ceremony=date(2024, 2, 20))
    with pytest.raises(DomainError, match="only be reprimanded or warned"):
        leave(probationer, "expulsion", "other_violation", date(2024, 6, 1))


def test_an_exit_without_a_reason_is_refused(world, official, decide):
    with pytest.raises(DomainError, match="give a reason for leaving that fits"):
        services.record_resignation(
            actor=world.root,
            member=official,
            on=date(2024, 6, 1),
            reason="",
            decision=decide(date(2024, 6, 1)),
        )


def test_a_reason_must_fit_the_kind_of_exit(world, admit, decide):
    """A removal coded as a resignation for hardship would escape the readmission bars."""
    member = admit(date(2000, 1, 10), ceremony=date(2000, 2, 1), recognized=True)
    with pytest.raises(DomainError, match="fits this kind of exit"):
        services.remove_member(
            actor=world.root,
            member=member,
            on=date(2010, 5, 5),
            reason=ExitReason.FAMILY_HARDSHIP,
            decision=decide(date(2010, 5, 5)),
        )
