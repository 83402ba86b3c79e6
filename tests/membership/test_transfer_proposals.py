"""A transfer starts with the cell's proposal; the committee then issues the introduction letter
(the ``transfer_out`` event) or refuses, and the receiving side receives the member. The
proposal changes no count: the letter does."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import AuditEntry
from dangvu.membership import selectors, services
from dangvu.membership.models import EventKind, MembershipEvent, ProposalState

ADMITTED = date(2020, 1, 10)
PROPOSED = date(2025, 3, 1)
LETTER = date(2025, 3, 3)
RECEIVED = date(2025, 4, 1)


@pytest.fixture
def official(admit):
    """An official member of cell A1, admitted on 10/01/2020."""
    return admit(ADMITTED, ceremony=date(2020, 2, 1), recognized=True)


def propose(world, member, on=PROPOSED, to=None, actor=None):
    return services.propose_transfer(
        actor=actor or world.secretary_a1, member=member, to=to or world.commune_b1, on=on
    )


def test_proposal_letter_and_receipt_move_the_member_to_the_receiving_commune(
    world, official, counts
):
    proposal = propose(world, official)
    assert counts(world.cell_a1, PROPOSED) == {"official": 1}  # a proposal counts nothing

    event = services.issue_transfer_letter(actor=world.approver_a1, proposal=proposal, on=LETTER)

    proposal.refresh_from_db()
    official.refresh_from_db()
    assert (proposal.state, proposal.event, proposal.decided_by) == (
        ProposalState.LETTER_ISSUED,
        event,
        world.approver_a1,
    )
    assert (event.kind, event.effective_date, event.counterpart) == (
        EventKind.TRANSFER_OUT,
        LETTER,
        world.commune_b1,
    )
    assert official.pending_transfer_to == world.commune_b1
    assert list(selectors.pending_transfers_to(world.clerk_b1)) == [official]

    services.receive_transfer(actor=world.clerk_b1, member=official, on=RECEIVED)
    official.refresh_from_db()
    assert official.organization == world.commune_b1
    assert list(selectors.former_members(world.secretary_a1, world.cell_a1)) == [official]
    actions = AuditEntry.objects.filter(target_id=str(official.pk)).values_list("action", flat=True)
    assert {"membership.transfer.proposed", "membership.transfer.letter_issued"} <= set(actions)


def test_a_proposal_dated_before_the_members_admission_is_refused(world, official):
    with pytest.raises(DomainError) as refused:
        propose(world, official, on=ADMITTED - timedelta(days=1))
    assert refused.value.field == "proposed_on"
    assert "from 10/01/2020" in str(refused.value)
    propose(world, official, on=ADMITTED)  # the day he joined is accepted


def test_a_proposal_dated_before_the_member_joined_his_present_organization_is_refused(
    world, official
):
    proposal = propose(world, official)
    services.issue_transfer_letter(actor=world.approver_a1, proposal=proposal, on=LETTER)
    services.receive_transfer(actor=world.clerk_b1, member=official, on=RECEIVED)
    official.refresh_from_db()
    with pytest.raises(DomainError, match="only from 01/04/2025"):
        propose(world, official, on=date(2025, 3, 31), to=world.commune_a2, actor=world.clerk_b1)
    propose(world, official, on=RECEIVED, to=world.commune_a2, actor=world.clerk_b1)


def test_a_letter_dated_before_the_proposal_is_refused_and_nothing_is_written(world, official):
    proposal = propose(world, official)
    with pytest.raises(DomainError) as refused:
        services.issue_transfer_letter(
            actor=world.approver_a1, proposal=proposal, on=date(2025, 2, 28)
        )
    assert refused.value.field == "effective_date"
    proposal.refresh_from_db()
    official.refresh_from_db()
    assert proposal.state == ProposalState.PROPOSED and not official.is_in_transit
    assert not MembershipEvent.objects.filter(kind=EventKind.TRANSFER_OUT).exists()


def test_a_second_proposal_waits_until_the_first_is_decided(world, official):
    first = propose(world, official)
    with pytest.raises(DomainError, match="already proposed"):
        propose(world, official, to=world.commune_a2)
    with pytest.raises(DomainError) as no_reason:
        services.refuse_transfer_proposal(actor=world.approver_a1, proposal=first, reason=" ")
    assert no_reason.value.field == "reason"
    services.refuse_transfer_proposal(
        actor=world.approver_a1, proposal=first, reason="Chưa có quyết định điều động"
    )
    first.refresh_from_db()
    assert (first.state, first.refusal_reason) == (
        ProposalState.REFUSED,
        "Chưa có quyết định điều động",
    )
    with pytest.raises(DomainError, match="already closed"):
        services.issue_transfer_letter(actor=world.approver_a1, proposal=first, on=LETTER)
    second = propose(world, official, to=world.commune_a2)
    services.withdraw_transfer_proposal(actor=world.secretary_a1, proposal=second)
    second.refresh_from_db()
    assert second.state == ProposalState.WITHDRAWN
    official.refresh_from_db()
    assert official.organization == world.cell_a1 and not official.is_in_transit


def test_only_the_members_clerks_propose_and_only_its_approvers_issue_the_letter(world, official):
    with pytest.raises(NotPermitted):
        propose(world, official, actor=world.clerk_b1)
    with pytest.raises(NotPermitted):
        propose(world, official, actor=world.viewer_a)
    proposal = propose(world, official, actor=world.clerk_a1)
    with pytest.raises(NotPermitted):
        services.issue_transfer_letter(actor=world.clerk_a1, proposal=proposal, on=LETTER)
    with pytest.raises(NotPermitted):
        services.refuse_transfer_proposal(actor=world.clerk_a1, proposal=proposal, reason="x")


def test_a_proposal_names_another_live_organization_and_a_day_not_after_today(world, official):
    with pytest.raises(DomainError) as own:
        propose(world, official, to=world.cell_a1)
    assert own.value.field == "to"
    with pytest.raises(DomainError) as later:
        propose(world, official, on=timezone.localdate() + timedelta(days=1))
    assert later.value.field == "proposed_on"


def test_a_member_in_transit_cannot_be_proposed(world, official):
    services.record_transfer_out(actor=world.root, member=official, to=world.cell_b1, on=LETTER)
    official.refresh_from_db()
    with pytest.raises(DomainError, match="already being transferred"):
        propose(world, official, on=date(2025, 3, 10))
