"""Members follow the restructuring of the tree (a reassignment event to the successor) and
the names of their person (the copy of the search key)."""

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import ngettext_lazy

from dangvu.core.errors import DomainError
from dangvu.membership import services
from dangvu.membership.models import Member, Standing
from dangvu.organizations import signals
from dangvu.organizations.models import Organization
from dangvu.people.models import Person


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


@receiver(post_save, sender=Person)
def copy_search_key(
    sender: Any, instance: Person, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """The member's copy of his person's search key follows a change of the names."""
    if created or (update_fields is not None and "search_key" not in update_fields):
        return
    Member.objects.filter(person_id=instance.pk).exclude(search_key=instance.search_key).update(
        search_key=instance.search_key
    )
