"""Party age: from the first admission decision (not the ceremony, not the recognition), minus
every gap: removal, expulsion, resignation (to the readmission decision), loss of contact, a
decided interruption during a transfer (Điều lệ Đảng Art. 5(4); Quy định 294-QĐ/TW items 4.5.1
and 4.5.2). A restored member counts continuously (294 item 5.2.2). Only official members have
one. For a readmitted member the recalculation decision of the superior standing committee wins
(Hướng dẫn 06-HD/TW item 5.3)."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules, services
from dangvu.membership.models import Standing

ADMITTED = date(2000, 3, 15)
CEREMONY = date(2000, 4, 1)
OFFICIAL = date(2001, 4, 1)


def ymd(age) -> tuple[int, int, int]:
    return (age.years, age.months, age.days)


@pytest.fixture
def official(admit):
    """An official member admitted by the decision of 15/03/2000 (ceremony 01/04/2000)."""
    return admit(ADMITTED, ceremony=CEREMONY, recognized=True)


@pytest.fixture
def readmitted(world, official, decide):
    """Removed on 10/01/2016, readmitted by the decision of 10/01/2020 (48 months later),
    ceremony 01/02/2020, official again on 01/02/2021."""
    removal = services.remove_member(
        actor=world.root,
        member=official,
        on=date(2016, 1, 10),
        reason="unpaid_dues",
        decision=decide(date(2016, 1, 10)),
    )
    readmission = services.readmit_member(
        actor=world.root,
        member=official,
        organization=world.cell_a1,
        decision=decide(date(2020, 1, 10)),
        resolution_date=date(2020, 1, 5),
        provincial_consent=decide(date(2019, 12, 20), issuer=world.province_a),
    )
    official.removal, official.readmission = removal, readmission
    return official


def test_an_official_member_counts_from_the_admission_decision(official):
    assert official.official_date == OFFICIAL
    age = services.party_age(official, on=date(2026, 3, 15))
    assert ymd(age) == (26, 0, 0)
    assert (age.total_months, age.counts_from, age.gaps, age.decided) == (312, ADMITTED, (), False)
    assert ymd(services.party_age(official, on=date(2026, 5, 20))) == (26, 2, 5)


def test_a_probationer_has_no_party_age(admit):
    member = admit(date(2026, 1, 10), ceremony=date(2026, 2, 1))
    assert services.party_age(member, on=date(2026, 6, 1)) is None


def test_before_his_recognition_took_effect_an_official_member_had_no_party_age(official):
    assert services.party_age(official, on=date(2001, 3, 31)) is None
    assert ymd(services.party_age(official, on=OFFICIAL)) == (1, 0, 17)


def test_a_removed_member_has_no_party_age(readmitted):
    assert services.party_age(readmitted, on=date(2018, 1, 1)) is None


def test_a_readmitted_member_is_a_probationer_again_without_party_age(world, readmitted):
    readmitted.refresh_from_db()
    assert (readmitted.standing, readmitted.first_admission_date, readmitted.admission_date) == (
        Standing.PROBATIONARY,
        ADMITTED,
        date(2020, 1, 10),
    )
    assert (readmitted.ceremony_date, readmitted.official_date) == (None, None)
    assert services.party_age(readmitted, on=date(2020, 6, 1)) is None


def test_after_recognition_the_readmitted_member_counts_from_the_first_admission_minus_the_gap(
    world, readmitted, decide
):
    services.record_ceremony(actor=world.root, member=readmitted, on=date(2020, 2, 1))
    services.recognize_member(
        actor=world.root, member=readmitted, decision=decide(date(2021, 2, 15))
    )

    age = services.party_age(readmitted, on=date(2022, 3, 15))

    # 10/01/2016 → 10/01/2020 is 1461 days; 15/03/2000 + 1461 days = 15/03/2004.
    assert ymd(age) == (18, 0, 0)
    assert age.counts_from == date(2004, 3, 15)
    (gap,) = age.gaps
    assert (gap.kind, gap.start, gap.end) == ("removal", date(2016, 1, 10), date(2020, 1, 10))
    assert gap.event_ids == [readmitted.removal.pk, readmitted.readmission.pk]


def test_a_decided_interruption_during_a_transfer_is_subtracted(world, official, decide):
    services.record_transfer_out(
        actor=world.root, member=official, to=world.cell_a2, on=date(2010, 5, 1)
    )
    interruption = services.record_interruption(
        actor=world.root,
        member=official,
        start=date(2010, 5, 1),
        end=date(2010, 11, 1),
        decision=decide(date(2010, 12, 1)),
    )
    services.receive_transfer(actor=world.root, member=official, on=date(2010, 11, 1))

    age = services.party_age(official, on=date(2020, 3, 15))

    # 184 days from 01/05 to 01/11/2010: counts from 15/09/2000.
    assert ymd(age) == (19, 6, 0)
    assert age.counts_from == date(2000, 9, 15)
    (gap,) = age.gaps
    assert (gap.kind, gap.start, gap.end, gap.event_ids) == (
        "interruption",
        date(2010, 5, 1),
        date(2010, 11, 1),
        [interruption.pk],
    )


def test_a_restored_member_counts_continuously(world, official, decide):
    services.remove_member(
        actor=world.root,
        member=official,
        on=date(2010, 1, 10),
        reason="unpaid_dues",
        decision=decide(date(2010, 1, 10)),
    )
    services.restore_member(
        actor=world.root,
        member=official,
        organization=world.cell_a1,
        decision=decide(date(2011, 1, 10)),
    )

    official.refresh_from_db()
    assert (official.standing, official.official_date) == (Standing.OFFICIAL, OFFICIAL)
    age = services.party_age(official, on=date(2020, 3, 15))
    assert ymd(age) == (20, 0, 0)
    assert age.gaps == ()
    (annulled,) = services.replay_member(official).gaps
    assert annulled.annulled and annulled.end == date(2011, 1, 10)


def test_a_loss_of_contact_until_resumption_is_subtracted(world, official):
    lost = services.record_loss_of_contact(actor=world.root, member=official, on=date(2012, 1, 1))
    # While contact is lost, the gap runs up to the day asked about (91 days on 01/04/2012).
    assert ymd(services.party_age(official, on=date(2012, 4, 1))) == (11, 9, 18)
    resumed = services.resume_contact(actor=world.root, member=official, on=date(2012, 7, 1))

    age = services.party_age(official, on=date(2020, 3, 15))

    # 182 days from 01/01 to 01/07/2012: counts from 13/09/2000.
    assert ymd(age) == (19, 6, 2)
    (gap,) = age.gaps
    assert (gap.kind, gap.start, gap.end, gap.event_ids) == (
        "loss_of_contact",
        date(2012, 1, 1),
        date(2012, 7, 1),
        [lost.pk, resumed.pk],
    )


def test_overlapping_gaps_are_subtracted_once(world, official, decide):
    """Lost contact 01/01–01/07/2012 and an interruption 01/03–01/09/2012: 244 days, not 366."""
    services.record_loss_of_contact(actor=world.root, member=official, on=date(2012, 1, 1))
    services.record_interruption(
        actor=world.root,
        member=official,
        start=date(2012, 3, 1),
        end=date(2012, 9, 1),
        decision=decide(date(2012, 10, 1)),
    )
    services.resume_contact(actor=world.root, member=official, on=date(2012, 7, 1))

    age = services.party_age(official, on=date(2020, 3, 15))

    assert age.counts_from == date(2000, 11, 14)
    assert ymd(age) == (19, 4, 1)


def test_the_party_age_decision_of_the_superior_committee_wins(world, readmitted, decide):
    services.record_ceremony(actor=world.root, member=readmitted, on=date(2020, 2, 1))
    services.recognize_member(
        actor=world.root, member=readmitted, decision=decide(date(2021, 2, 15))
    )
    computed = services.party_age(readmitted, on=date(2021, 2, 1))
    assert ymd(computed) == (16, 10, 17)  # the proposal: from 15/03/2004

    services.decide_party_age(
        actor=world.root,
        member=readmitted,
        decision=decide(date(2021, 3, 1), issuer=world.province_a),
        as_of=date(2021, 2, 1),
        years=17,
        months=0,
    )

    decided = services.party_age(readmitted, on=date(2021, 2, 1))
    assert (ymd(decided), decided.decided) == ((17, 0, 0), True)
    assert ymd(services.party_age(readmitted, on=date(2022, 2, 1))) == (18, 0, 0)


def test_a_gap_after_the_decided_party_age_is_still_subtracted(world, readmitted, decide):
    services.record_ceremony(actor=world.root, member=readmitted, on=date(2020, 2, 1))
    services.recognize_member(
        actor=world.root, member=readmitted, decision=decide(date(2021, 2, 15))
    )
    services.decide_party_age(
        actor=world.root,
        member=readmitted,
        decision=decide(date(2021, 3, 1), issuer=world.province_a),
        as_of=date(2021, 2, 1),
        years=17,
        months=0,
    )
    services.record_loss_of_contact(actor=world.root, member=readmitted, on=date(2022, 1, 1))
    services.resume_contact(actor=world.root, member=readmitted, on=date(2022, 7, 1))

    # 17 years on 01/02/2021, two years on, minus the 181 days without contact.
    assert ymd(services.party_age(readmitted, on=date(2023, 2, 1))) == (18, 6, 1)


def test_party_age_is_a_pure_rule_over_replayed_events(db):
    events = [
        rules.Event("admission", ADMITTED, 1, id=1),
        rules.Event("ceremony", CEREMONY, 1, id=2),
        rules.Event("recognition", OFFICIAL, 1, id=3),
        rules.Event("removal", date(2010, 1, 10), 1, reason="unpaid_dues", id=4),
        rules.Event("restoration", date(2011, 1, 10), 1, id=5),
    ]
    book = Rulebook.load()
    state = rules.replay(events, book)
    assert ymd(rules.party_age(state, date(2020, 3, 15), book)) == (20, 0, 0)
    decided = rules.party_age(state, date(2020, 3, 15), book, (date(2015, 3, 15), 10, 0, 0))
    assert (ymd(decided), decided.decided) == ((15, 0, 0), True)


# --- the day party age counts from, kept on the member for the reports ---------------------------


def test_the_member_keeps_the_day_his_party_age_counts_from_while_no_gap_is_open(world, official):
    official.refresh_from_db()
    assert official.party_age_from == ADMITTED
    services.record_loss_of_contact(actor=world.root, member=official, on=date(2012, 1, 1))
    official.refresh_from_db()
    assert official.party_age_from is None  # his party age now depends on the day asked about
    services.resume_contact(actor=world.root, member=official, on=date(2012, 7, 1))
    official.refresh_from_db()
    assert official.party_age_from == date(2000, 9, 13)  # 182 days later, as party_age says
    for on in (date(2012, 7, 1), date(2024, 2, 29), date(2026, 12, 1)):
        assert services.party_age(official, on=on).counts_from == official.party_age_from


def test_a_probationer_and_a_removed_member_have_no_day_party_age_counts_from(readmitted, admit):
    probationer = admit(date(2025, 1, 10), ceremony=date(2025, 2, 1))
    probationer.refresh_from_db()
    readmitted.refresh_from_db()  # a probationer again after his readmission
    assert (probationer.party_age_from, readmitted.party_age_from) == (None, None)


def test_the_decided_party_age_moves_the_day_it_counts_from(world, readmitted, decide):
    services.record_ceremony(actor=world.root, member=readmitted, on=date(2020, 2, 1))
    services.recognize_member(
        actor=world.root, member=readmitted, decision=decide(date(2021, 2, 15))
    )
    readmitted.refresh_from_db()
    assert readmitted.party_age_from == date(2004, 3, 15)  # the first admission + the gap
    services.decide_party_age(
        actor=world.root,
        member=readmitted,
        decision=decide(date(2021, 3, 1), issuer=world.province_a),
        as_of=date(2021, 2, 1),
        years=17,
        months=0,
    )
    readmitted.refresh_from_db()
    assert readmitted.party_age_from == date(2004, 2, 1)  # 17 years before 01/02/2021
    assert ymd(services.party_age(readmitted, on=date(2026, 12, 1))) == (22, 10, 0)


def test_only_a_readmitted_members_party_age_is_decided(world, official, decide):
    with pytest.raises(DomainError, match="06-HD/TW"):
        services.decide_party_age(
            actor=world.root,
            member=official,
            decision=decide(date(2021, 3, 1), issuer=world.province_a),
            as_of=date(2021, 2, 1),
            years=17,
            months=0,
        )
