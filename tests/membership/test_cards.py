"""Party cards: issued only to official members; the 2025 card (Quyết định 347-QĐ/TW) carries
the member's personal identification number, so it is masked in the audit log like the national
ID; a new paper card replaces the previous one, the electronic card sits beside it; the card is
recovered on every exit except death, when the family keeps it (Hướng dẫn 06-HD/TW 7.1;
Hướng dẫn 38-HD/BTCTW II.2.2)."""

from datetime import date

import pytest

from dangvu.core.errors import DomainError
from dangvu.core.models import AuditEntry
from dangvu.membership import services
from dangvu.membership.models import CardKind, PartyCard
from dangvu.people import services as people

NATIONAL_ID = "001070012345"  # registered in Hà Nội (001), a man born in the 1900s (0), in 1970
OLD_CARD = "01234567"
EXCHANGED = date(2025, 10, 1)


@pytest.fixture
def official(admit):
    return admit(
        date(2000, 1, 10), ceremony=date(2000, 2, 1), recognized=True, national_id=NATIONAL_ID
    )


def issue(world, member, kind, number, on):
    return services.issue_card(
        actor=world.root, member=member, kind=kind, number=number, issued_on=on
    )


def open_cards(member):
    return set(
        member.cards.filter(recovered_on__isnull=True, replaced_on__isnull=True).values_list(
            "kind", "number"
        )
    )


def test_a_card_is_issued_only_to_an_official_member(world, admit):
    probationer = admit(date(2025, 1, 10), ceremony=date(2025, 2, 1))
    with pytest.raises(DomainError, match="Only official members receive a party card"):
        issue(world, probationer, CardKind.CARD_2003, OLD_CARD, date(2025, 6, 1))
    assert not PartyCard.objects.exists()


def test_the_2025_card_number_must_be_the_personal_identification_number(world, official):
    with pytest.raises(DomainError, match="347-QĐ/TW") as refused:
        issue(world, official, CardKind.CARD_2025, "001070099999", EXCHANGED)
    assert refused.value.field == "number"
    card = issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    official.refresh_from_db()
    assert (card.number, official.card_number) == (NATIONAL_ID, NATIONAL_ID)


def test_a_member_without_a_recorded_national_id_cannot_receive_the_2025_card(world, admit):
    member = admit(date(2000, 1, 10), ceremony=date(2000, 2, 1), recognized=True)
    with pytest.raises(DomainError, match="personal identification number"):
        issue(world, member, CardKind.CARD_2025, "", EXCHANGED)


def test_the_audit_entry_of_a_2025_card_masks_its_number(world, official):
    issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    entry = AuditEntry.objects.get(action="membership.card.issued")
    assert entry.after["party_card_number"] == "•••••••••345"
    assert NATIONAL_ID not in str(entry.after)
    assert not AuditEntry.objects.filter(after__icontains=NATIONAL_ID).exists()


def test_a_new_paper_card_replaces_the_previous_one(world, official):
    first = issue(world, official, CardKind.CARD_2003, OLD_CARD, date(2001, 5, 19))
    issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    first.refresh_from_db()
    official.refresh_from_db()
    assert (first.replaced_on, first.recovered_on) == (EXCHANGED, None)
    assert open_cards(official) == {(CardKind.CARD_2025, NATIONAL_ID)}
    assert official.card_number == NATIONAL_ID


def test_the_electronic_card_sits_beside_the_paper_card(world, official):
    issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    issue(world, official, CardKind.ELECTRONIC, NATIONAL_ID, date(2025, 10, 15))
    official.refresh_from_db()
    assert open_cards(official) == {
        (CardKind.CARD_2025, NATIONAL_ID),
        (CardKind.ELECTRONIC, NATIONAL_ID),
    }
    assert official.card_number == NATIONAL_ID


def test_the_card_number_stays_on_the_member_through_later_events(world, official):
    issue(world, official, CardKind.CARD_2003, OLD_CARD, date(2001, 5, 19))
    services.exempt_member(actor=world.root, member=official, on=date(2024, 1, 1), reason="age")
    official.refresh_from_db()
    assert official.card_number == OLD_CARD


@pytest.mark.parametrize("exit_kind", ["removal", "resignation", "expulsion"])
def test_the_cards_are_recovered_on_an_exit(world, official, decide, exit_kind):
    issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    issue(world, official, CardKind.ELECTRONIC, NATIONAL_ID, EXCHANGED)
    left = date(2025, 11, 3)
    if exit_kind == "removal":
        services.remove_member(
            actor=world.root, member=official, on=left, reason="unpaid_dues", decision=decide(left)
        )
    elif exit_kind == "resignation":
        services.record_resignation(
            actor=world.root,
            member=official,
            on=left,
            reason="family_hardship",
            decision=decide(left),
        )
    else:
        discipline = people.record_discipline(
            actor=world.root,
            person=official.person,
            form="expulsion",
            deciding_body="UBKT",
            decided_on=left,
        )
        services.expel_member(
            actor=world.root, member=official, discipline=discipline, reason="other_violation"
        )
    official.refresh_from_db()
    assert open_cards(official) == set()
    assert set(official.cards.values_list("recovered_on", flat=True)) == {left}
    assert official.card_number == ""


def test_the_family_keeps_the_card_of_a_deceased_member(world, official):
    issue(world, official, CardKind.CARD_2025, NATIONAL_ID, EXCHANGED)
    services.record_death(actor=world.root, member=official, on=date(2025, 11, 3))
    official.refresh_from_db()
    assert open_cards(official) == {(CardKind.CARD_2025, NATIONAL_ID)}
    assert official.card_number == NATIONAL_ID
