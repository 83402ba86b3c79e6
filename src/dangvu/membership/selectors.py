"""Scoped reads of members.

A member is in a user's current lists when his current organization lies under one of the
user's grants: a plain filter on the member table. An organization he left (or one merged,
split or moved into it) sees him only through its former members and "as of" views, read from
MemberPeriod; a pending transfer is visible to the organization it is addressed to.
"""

from datetime import date
from typing import Any

from django.db.models import Max, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from dangvu.accounts import scoping
from dangvu.membership.models import (
    Counter,
    EventEffect,
    Member,
    MemberPeriod,
    MembershipEvent,
    ProposalState,
    Standing,
    TransferProposal,
)
from dangvu.membership.rules import RANK
from dangvu.organizations.models import Organization
from dangvu.people import models as people


def current_members_for(user: Any, within: Organization | None = None) -> QuerySet[Member]:
    """Members (probationary and official) whose current organization the user may see;
    ``within`` an organization's subtree if given (none when the user may not see it)."""
    members = Member.objects.exclude(standing=Standing.LEFT).select_related(
        "person", "organization"
    )
    if within is not None:
        return scoping.within(members, user, within, "organization__path")
    return scoping.scope(members, user, "organization__path")


def member_for(user: Any, pk: Any) -> Member:
    """One member visible to the user: current, former (a period in scope) or addressed to
    him by a pending transfer. 404 for missing and out of scope alike."""
    condition = scoping.subtree_filter(user, "organization__path")
    members = Member.objects.select_related("person", "organization")
    if condition is None:
        return scoping.get_or_404(members, pk=pk)
    try:  # most often a member of the user's organizations today: a plain look-up first (the
        # query below joins the periods, and PostgreSQL takes longer to plan it than to run it)
        return scoping.get_or_404(members.filter(condition), pk=pk)
    except Http404:
        pass
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


def pending_transfers_to(user: Any, within: Organization | None = None) -> QuerySet[Member]:
    """Members in transit to an organization the user may see (``within`` an organization's
    subtree if given)."""
    members = Member.objects.filter(is_in_transit=True).select_related("person")
    if within is not None:
        return scoping.within(members, user, within, "pending_transfer_to__path")
    return scoping.scope(members, user, "pending_transfer_to__path")


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


# --- The member list and the dossier (web pages) ---------------------------------------------


def organization_choices(user: Any, selected: Organization | None) -> list[Organization]:
    """The organizations offered by the member list's organization filter, in tree order: the
    top of the user's scope and its direct subordinates; once one is chosen, the way down to
    it, and its own direct subordinates. A province's thousands of cells are never listed at
    once; a cell secretary sees his cell alone."""
    visible = scoping.visible_organizations(user).filter(dissolved_on__isnull=True)
    grants = scoping.active_grants(user)
    tops = {grant.organization_id for grant in grants}
    wanted = Q(pk__in=tops) | Q(parent_id__in=tops)
    if getattr(user, "is_superuser", False):
        wanted = Q(parent__isnull=True) | Q(parent__parent__isnull=True, parent__isnull=False)
    if selected is not None:
        wanted |= Q(pk__in=selected.ancestor_ids()) | Q(parent_id=selected.pk)
    return list(visible.filter(wanted).order_by("path"))


def dossier_member(user: Any, pk: Any) -> Member:
    """A member for his dossier page (``member_for``: 404 outside the scope), with his whole
    curriculum vitae read in a fixed number of queries."""
    member = member_for(user, pk)
    person = (
        people.Person.objects.select_related("ethnicity", "religion", "home_organization")
        .prefetch_related(
            Prefetch("education_records", people.EducationRecord.objects.select_related("level")),
            Prefetch(
                "qualification_records",
                people.QualificationRecord.objects.select_related("level"),
            ),
            Prefetch(
                "political_theory_records",
                people.PoliticalTheoryRecord.objects.select_related("level"),
            ),
            Prefetch("occupation_records", people.OccupationRecord.objects.select_related("group")),
            Prefetch("residence_records", people.ResidenceRecord.objects.select_related("commune")),
            "work_history",
            "family",
            "awards",
            "disciplines",
        )
        .get(pk=member.person_id)
    )
    member.person = person
    return member


def timeline(member: Member) -> list[tuple[MembershipEvent, MembershipEvent | None]]:
    """The member's ledger in its order (effective date, then the rules' rank of kinds, then
    the order recorded), each event with the correction that voided it, if any."""
    events = list(member.events.select_related("decision", "organization", "counterpart", "voids"))
    voided_by = {e.voids_id: e for e in events if e.voids_id is not None}
    events.sort(key=lambda e: (e.effective_date, RANK.get(e.kind, 6), e.pk))
    return [(event, voided_by.get(event.pk)) for event in events]


def former_members_for(user: Any, organization: Organization) -> QuerySet[Member]:
    """``former_members`` with the day each one left the organization's subtree (``left_on``:
    the end of his last period there)."""
    return former_members(user, organization).annotate(
        left_on=Max(
            "periods__valid_to",
            filter=Q(periods__organization__path__startswith=organization.path),
        )
    )
