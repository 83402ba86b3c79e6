"""People follow the restructuring of the tree: dossiers pass to the successor organization."""

from typing import Any

from django.dispatch import receiver
from django.utils.translation import ngettext_lazy

from dangvu.core import audit
from dangvu.core.errors import DomainError
from dangvu.organizations import signals
from dangvu.organizations.models import Organization
from dangvu.people.models import Person


@receiver(signals.dissolved)
def pass_dossiers_to_successor(
    sender: Any,
    organization: Organization,
    successor: Organization | None,
    actor: Any,
    **kwargs: Any,
) -> None:
    """Move the dossiers kept by a dissolved organization to its successor, in one audited step;
    refuse the dissolution when there is no successor to take them."""
    people = Person.objects.filter(home_organization=organization)
    ids = list(people.values_list("pk", flat=True))
    if not ids:
        return
    if successor is None:
        raise DomainError(
            ngettext_lazy(
                "%(count)d person has a dossier at %(name)s: choose the organization that "
                "takes it over.",
                "%(count)d people have their dossier at %(name)s: choose the organization that "
                "takes them over.",
                "count",
            )
            % {"count": len(ids), "name": organization.name},
            field="target",
        )
    people.update(home_organization=successor)
    audit.record(
        "people.dossiers.reassigned",
        actor=actor,
        target=organization,
        after={"successor": successor.pk, "people": ids},
    )
