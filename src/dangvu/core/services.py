"""Changing the rulebook and the working-day calendar: audited, by the people allowed to.

The national rule versions and the calendar belong to the superuser (the system's
administrator); a province (or any level) adds its own rule versions through an admin grant on
its organization, and they apply inside its subtree.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangvu.accounts.models import Role
from dangvu.accounts.scoping import require_role
from dangvu.core import audit
from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import DayKind, DayOverride, RuleVersion
from dangvu.core.signals import figures_stale


def _require_superuser(actor: Any) -> None:
    if not (getattr(actor, "is_superuser", False) and actor.is_active):
        raise NotPermitted(
            _("Only the system administrator may change national rules and the calendar.")
        )


@transaction.atomic
def add_rule_version(
    *,
    actor: Any,
    key: str,
    valid_from: date,
    params: dict[str, Any],
    citation: str,
    organization: Any = None,
) -> RuleVersion:
    """A new version of a rule from ``valid_from``; the open version of the same rule and level
    ends that day. Parameters must be those of the national rule (no misspelt names)."""
    if organization is None:
        _require_superuser(actor)
    else:
        require_role(actor, Role.ADMIN, organization)
    national = (
        RuleVersion.objects.filter(key=key, organization=None).order_by("-valid_from").first()
    )
    if national is None:
        raise DomainError(_("There is no rule %(key)s.") % {"key": key}, field="key")
    unknown = set(params) - set(national.params)
    if unknown:
        raise DomainError(
            _("Unknown parameters for %(key)s: %(names)s.")
            % {"key": key, "names": ", ".join(sorted(unknown))},
            field="params",
        )
    if not citation.strip():
        raise DomainError(_("Cite the text the version comes from."), field="citation")
    previous = (
        RuleVersion.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from),
            key=key,
            organization=organization,
        )
        .order_by("-valid_from")
        .first()
    )
    if previous is not None and previous.valid_from >= valid_from:
        raise DomainError(
            _("A version of this rule already starts on %(date)s.")
            % {"date": format_date(previous.valid_from)},
            field="valid_from",
        )
    if previous is not None:
        previous.valid_to = valid_from
        previous.save(update_fields=["valid_to"])
    version = RuleVersion.objects.create(
        key=key,
        organization=organization,
        valid_from=valid_from,
        params={**national.params, **params},
        citation=citation,
    )
    # badges, party ages: recount every organization from the version's first day
    figures_stale.send(sender=RuleVersion, organization_ids=None, since=valid_from)
    audit.record(
        "core.rule_version.added", actor=actor, target=version, after=audit.snapshot(version)
    )
    return version


@transaction.atomic
def set_day_override(*, actor: Any, day: date, kind: DayKind, name: str, basis: str) -> DayOverride:
    """Declare a public-sector day off or a make-up working Saturday, citing its decision."""
    _require_superuser(actor)
    if kind == DayKind.WORKING_SATURDAY and day.weekday() != 5:
        raise DomainError(_("A make-up working day is a Saturday."), field="day")
    if not basis.strip():
        raise DomainError(_("Cite the decision that announced this day."), field="basis")
    existing = DayOverride.objects.filter(date=day).first()
    before = audit.snapshot(existing) if existing else None
    override, _created = DayOverride.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name, "basis": basis}
    )
    audit.record(
        "core.calendar.day_set",
        actor=actor,
        target=override,
        before=before,
        after=audit.snapshot(override),
    )
    return override
