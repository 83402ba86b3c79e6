"""Scoped reads of members.

A member is in a user's current lists when his current organization lies under one of the
user's grants: a plain filter on the member table. An organization he left (or one merged,
split or moved into it) sees him only through its former members and "as of" views, read from
MemberPeriod; a pending transfer is visible to the organization it is addressed to.
"""

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet, Sum

from dangvu.accounts import scoping
from dangvu.membership.models import (
    Counter,
    EventEffect,
    Member,
    MemberPeriod,
    ProposalState,
    Standing,
    TransferProposal,
)
from dangvu.organizations.models import Organization


def current_members_for(user: Any) -> QuerySet[Member]:
    """Members (probationary and official) whose current organization the user may see."""
    members = Member.objects.exclude(standing=Standing.LEFT).select_related(
        "person", "organization"
    )
    return scoping.scope(members, user, "organization__path")


def member_for(user: Any, pk: Any) -> Member:
    """One member visible to the user: current, former (a period in scope) or addressed to
    him by a pending transfer. 404 for missing and out of scope alike."""
    condition = scoping.subtree_filter(user, "organization__path")
    members = Member.objects.select_related("person", "organization")
    if condition is None:
        return scoping.get_or_404(members, pk=pk)
    periods = scoping.subtree_filter(user, "periods__organization__path")
    pending = scoping.subtree_filter(user, "pending_transfer_to__path")
    assert periods is not None and pending is not None
    return scoping.get_or_404(members.filter(condition | periods | pending).distinct(), pk=pk)


def former_members(user: Any, organization: Organization) -> QuerySet[Member]:
    """Members who belonged to the organization's subtree and no longer do."""
    scoping.get_or_404(scoping.visible_organizations(user), pk=organization.pk)
    left = MemberPeriod.objects.filter(
        organization__path__startswith=organization.path, valid_to__isnull=False
    )
    return (
        Member.objects.filter(pk__in=left.values("member_id"))
        .exclude(
            organization__path__startswith=organization.path,
            standing__in=[Standing.PROBATIONARY, Standing.OFFICIAL],
        )
        .select_related("person", "organization")
    )


def members_as_of(user: Any, organization: Organization, on: date) -> QuerySet[Member]:
    """Members who belonged to the organization's subtree on ``on`` (today's tree)."""
    scoping.get_or_404(scoping.visible_organizations(user), pk=organization.pk)
    periods = MemberPeriod.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on),
        valid_from__lte=on,
        organization__path__startswith=organization.path,
    )
    return Member.objects.filter(pk__in=periods.values("member_id")).select_related("person")


def pending_transfers_to(user: Any) -> QuerySet[Member]:
    """Members in transit to an organization the user may see."""
    return scoping.scope(
        Member.objects.filter(is_in_transit=True).select_related("person"),
        user,
        "pending_transfer_to__path",
    )


def count(
    organization: Organization,
    counter: Counter | str,
    on: date,
    known_at: Any = None,
    subtree: bool = False,
) -> int:
    """A count as of ``on`` (as known at ``known_at``): one sum over the effect rows."""
    rows = EventEffect.objects.filter(counter=counter, effective_date__lte=on)
    rows = (
        rows.filter(organization__path__startswith=organization.path)
        if subtree
        else rows.filter(organization=organization)
    )
    if known_at is not None:
        rows = rows.filter(recorded_at__lte=known_at)
    return rows.aggregate(total=Sum("delta"))["total"] or 0


def open_proposals_for(user: Any) -> QuerySet[TransferProposal]:
    """Transfer proposals awaiting a decision, from organizations the user may see."""
    proposals = TransferProposal.objects.filter(state=ProposalState.PROPOSED).select_related(
        "member__person", "from_organization", "to_organization", "proposed_by"
    )
    return scoping.scope(proposals, user, "from_organization__path")


def proposal_for(user: Any, pk: Any) -> TransferProposal:
    """One transfer proposal from an organization the user may see (404 otherwise)."""
    proposals = TransferProposal.objects.select_related(
        "member__person", "member__organization", "from_organization", "to_organization"
    )
    return scoping.get_or_404(scoping.scope(proposals, user, "from_organization__path"), pk=pk)
