"""Consistency checks for admins: members whose data contradict each other, counted per
organization (each total including its subtree, today's tree) with the members behind each
count.

A dossier typed in by hand or imported from another system can say what the ledger would
refuse; these checks find it:

- ``official_date``: an official date outside the end of probation the rulebook gives for the
  ceremony (``probation``: its months, up to its longest extension where a provincial version
  allows one; a day that does not exist per ``dates.nonexistent_day``);
- ``under_age``: younger than ``admission.age``'s minimum on the cell's resolution date,
  counting a partial birth date from its first possible day, so only the certainly under-age
  are listed;
- ``dissolved_organization``: a current member whose organization has been dissolved;
- ``missing_fields``: a current member without a national ID, a full birth date, or a
  hometown, or whose ethnic group is "unknown".
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from dangvu.accounts.models import Role
from dangvu.accounts.scoping import require_role
from dangvu.core.dates import add_months
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import EventKind, Member, MembershipEvent, Standing
from dangvu.membership.rules import completed_months
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import organization_for
from dangvu.reports import rules

CHECKS = ["official_date", "under_age", "dissolved_organization", "missing_fields"]
UNKNOWN_ETHNICITY = "56"  # the catalogue's "unknown" (core/data/ethnic_groups.csv)


@dataclass
class Findings:
    """Per check, the members found (ids) and their count per organization with subtree."""

    organization_id: int
    members: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def inconsistencies(organization: Organization) -> Findings:
    """Run every check over the current and former members of today's subtree."""
    members = Member.objects.filter(organization__path__startswith=organization.path)
    current = members.exclude(standing=Standing.LEFT)
    found: dict[str, set[int]] = {check: set() for check in CHECKS}
    book = Rulebook.load()
    for member in members.filter(
        ceremony_date__isnull=False, official_date__isnull=False
    ).select_related("organization"):
        ceremony, official = member.ceremony_date, member.official_date
        assert ceremony is not None and official is not None
        probation = book.get("probation", on=ceremony, organization=member.organization)
        overflow = book.get("dates.nonexistent_day", on=ceremony)["rule"]
        months = probation["months"]
        earliest = add_months(ceremony, months, overflow=overflow)
        latest = add_months(ceremony, months + probation["max_extension_months"], overflow=overflow)
        if not earliest <= official <= latest:
            found["official_date"].add(member.pk)
    for pk, resolution, year, month, day in (
        MembershipEvent.objects.filter(
            member__in=members,
            kind__in=[EventKind.ADMISSION, EventKind.READMISSION],
            resolution_date__isnull=False,
        )
        .exclude(pk__in=MembershipEvent.objects.filter(voids__isnull=False).values("voids_id"))
        .values_list(
            "member_id",
            "resolution_date",
            "member__person__birth_year",
            "member__person__birth_month",
            "member__person__birth_day",
        )
    ):
        age = book.get("admission.age", on=resolution)
        born = rules.birth_date(year, month, day)
        if completed_months(born, resolution, age["counting"]) < age["min_months"]:
            found["under_age"].add(pk)
    found["dissolved_organization"].update(
        current.filter(organization__dissolved_on__isnull=False).values_list("pk", flat=True)
    )
    found["missing_fields"].update(
        current.filter(
            Q(person__national_id="")
            | Q(person__national_id__isnull=True)
            | Q(person__birth_month__isnull=True)
            | Q(person__birth_day__isnull=True)
            | Q(person__hometown="")
            | Q(person__ethnicity_id=UNKNOWN_ETHNICITY)
        ).values_list("pk", flat=True)
    )
    findings = Findings(organization.pk, {c: sorted(ids) for c, ids in found.items()})
    path_of = dict(members.values_list("pk", "organization__path"))
    for check, ids in findings.members.items():
        for pk in ids:  # the organization itself, then the nodes down to the member's own
            below = path_of[pk][len(organization.path) :].strip("/")
            for node in [organization.pk, *(int(part) for part in below.split("/") if part)]:
                findings.counts[node][check] += 1
    return findings


def inconsistencies_for(user: Any, organization_id: Any) -> Findings:
    """For an admin of the organization: 404 outside the user's scope, refused without the
    admin role."""
    organization = organization_for(user, organization_id)
    require_role(user, Role.ADMIN, organization)
    return inconsistencies(organization)
