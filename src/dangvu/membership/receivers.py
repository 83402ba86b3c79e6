"""Members follow the restructuring of the tree: a reassignment event to the successor."""

from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from django.utils.translation import ngettext_lazy

from dangvu.core.errors import DomainError
from dangvu.membership import services
from dangvu.membership.models import Member, Standing
from dangvu.organizations import signals
from dangvu.organizations.models import Organization


@receiver(signals.dissolved)
def reassign_members(
    sender: Any,
    organization: Organization,
    successor: Organization | None,
    on: Any,
    actor: Any,
    **kwargs: Any,
) -> None:
    """Every current member of a dissolved organization passes to its successor on the same
    date (a reassignment, not a transfer); without a successor the dissolution is refused."""
    members = list(Member.objects.filter(organization=organization).exclude(standing=Standing.LEFT))
    if members and successor is None:
        raise DomainError(
            ngettext_lazy(
                "%(count)d member still belongs to %(name)s: choose the organization that takes "
                "this member over.",
                "%(count)d members still belong to %(name)s: choose the organization that takes "
                "them over.",
                "count",
            )
            % {"count": len(members), "name": organization.name},
            field="target",
        )
    if successor is None:
        return
    for member in members:
        services.reassign_member(actor=actor, member=member, to=successor, on=on)
    # transfers addressed to it, and members it hosts, follow to the successor too
    for member in Member.objects.filter(
        Q(pending_transfer_to=organization) | Q(host_organization=organization)
    ):
        services.reassign_member(
            actor=actor, member=member, to=successor, on=on, dissolved=organization
        )
