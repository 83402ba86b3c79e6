"""Recording the membership ledger: one function per movement, all through ``record_event``.

``record_event`` checks the actor's role, appends the event, replays the member's whole
sequence (so a back-dated event is validated in order with everything after it), and writes
what the replay derives: the Member projection, the MemberPeriods and the EventEffect rows
(only the difference to what was already written, so the effect table stays append-only and
"as known at T" stays exact). One audit entry per call; all in one transaction.
"""

import dataclasses
import json
from collections import Counter as Tally
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.accounts.models import Role
from dangvu.accounts.scoping import require_role
from dangvu.core import audit
from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.core.signals import figures_stale
from dangvu.core.text import mask_identifier
from dangvu.membership import rules
from dangvu.membership.models import (
    CardKind,
    Decision,
    EventEffect,
    EventKind,
    Member,
    MemberPeriod,
    MembershipEvent,
    PartyAgeDecision,
    PartyCard,
    ProposalState,
    Standing,
    TransferProposal,
)
from dangvu.organizations.models import Organization
from dangvu.people import services as people_services
from dangvu.people.models import Discipline, DisciplineForm, Person

K = EventKind
# Decisions are recorded by approvers; the steps of a procedure by clerks.
APPROVER_KINDS = {
    K.ADMISSION,
    K.RECOGNITION,
    K.PROBATION_EXTENSION,
    K.TRANSFER_OUT,
    K.TEMPORARY_OUT,
    K.TEMPORARY_EXTENSION,
    K.INTERRUPTION,
    K.EXEMPTION,
    K.EXEMPTION_END,
    K.SUSPENSION,
    K.SUSPENSION_END,
    K.DEATH,
    K.REMOVAL,
    K.EXPULSION,
    K.RESIGNATION,
    K.READMISSION,
    K.RESTORATION,
    K.CORRECTION,
}


# The ledger columns the rules read, named and ordered as rules.Event's fields: a row of them
# builds an Event by position.
EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(rules.Event))


def rule_events(rows: Any) -> list[rules.Event]:
    """Ledger rows (a MembershipEvent queryset) as the rules read them, without building
    model instances."""
    return [rules.Event(**row) for row in rows.values(*EVENT_FIELDS)]


# One member's rows, read on every recorded event. The shapes are fixed, so they are plain SQL:
# through the ORM each read cost about 0.45 ms of Python CPU per call against 0.08 ms
# (measured on PostgreSQL, bench/ledger.py), about 1 ms of the 10 ms an event may take.
def _columns(model: Any, names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def _member_rows(
    model: Any,
    names: tuple[str, ...],
    member: Member,
    extra: str = "",
    params: tuple[Any, ...] = (),
) -> list[tuple[Any, ...]]:
    sql = (
        f"SELECT {_columns(model, names)} FROM {connection.ops.quote_name(model._meta.db_table)}"
        f" WHERE member_id = %s {extra}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (member.pk, *params))
        return cursor.fetchall()


def ledger(member: Member, known_at: Any = None) -> list[rules.Event]:
    """The member's events as the rules read them (those recorded by ``known_at`` if given).
    Unordered: the rules put them in ledger order themselves."""
    extra, params = "", ()  # type: tuple[str, tuple[Any, ...]]
    if known_at is not None:
        extra = "AND recorded_at <= %s"
        params = (connection.ops.adapt_datetimefield_value(known_at),)
    details = EVENT_FIELDS.index("details")
    events = []
    for row in _member_rows(MembershipEvent, EVENT_FIELDS, member, extra, params):
        values = dict(zip(EVENT_FIELDS, row, strict=True))
        values["details"] = json.loads(row[details])  # both backends hand JSON over as text
        events.append(rules.Event(**values))
    return events


def organization_lookup() -> Any:
    cache: dict[int, Organization] = {}

    def lookup(pk: int) -> Organization:
        if pk not in cache:
            cache[pk] = Organization.objects.get(pk=pk)
        return cache[pk]

    return lookup


def replay_member(member: Member, book: Rulebook | None = None) -> rules.State:
    return rules.replay(ledger(member), book or Rulebook.load(), organization_lookup())


@transaction.atomic
def record_event(
    *,
    actor: Any,
    member: Member,
    kind: EventKind,
    effective_date: date,
    organization: Organization,
    counterpart: Organization | None = None,
    decision: Decision | None = None,
    reason: str = "",
    resolution_date: date | None = None,
    ends_on: date | None = None,
    voids: MembershipEvent | None = None,
    details: dict[str, Any] | None = None,
    note: str = "",
    book: Rulebook | None = None,
) -> MembershipEvent:
    """Append one event to the member's ledger and bring everything derived up to date.
    ``book``: the rulebook when the caller has already loaded it."""
    role = (
        Role.ADMIN
        if kind == K.REASSIGNMENT  # follows a restructuring: an admin's act
        else Role.APPROVER
        if kind in APPROVER_KINDS
        else Role.CLERK
    )
    require_role(actor, role, organization)
    for place in (organization, counterpart):
        if place is not None and not place.is_alive(effective_date):
            raise DomainError(
                _("%(name)s does not exist on %(date)s.")
                % {"name": place.name, "date": format_date(effective_date)}
            )
    if effective_date > timezone.localdate():
        raise DomainError(
            _("The effective date cannot be later than today."), field="effective_date"
        )
    event = MembershipEvent.objects.create(
        member=member,
        kind=kind,
        effective_date=effective_date,
        recorded_by=_user(actor),
        decision=decision,
        organization=organization,
        counterpart=counterpart,
        reason=reason,
        resolution_date=resolution_date,
        ends_on=ends_on,
        voids=voids,
        details=details or {},
        note=note,
    )
    book = book or Rulebook.load()
    state = replay_member(member, book)
    if state.standing is None:  # a correction voided the only admission: nothing to project
        raise DomainError(
            _(
                "The admission is the only event of this member and cannot be "
                'voided; record a removal for the reason "admission annulled" '
                "instead (Quy định 294-QĐ/TW item 4.4)."
            )
        )
    project(member, state, book, cause=event)
    audit.record(
        f"membership.{kind}.recorded",
        actor=actor,
        target=member,
        after={
            "event": event.pk,
            "kind": kind,
            "effective_date": effective_date.isoformat(),
            "organization": organization.pk,
            "counterpart": counterpart.pk if counterpart else None,
            "reason": reason,
            "voids": voids.pk if voids else None,
        },
    )
    return event


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def project(
    member: Member, state: rules.State, book: Rulebook, cause: MembershipEvent | None = None
) -> None:
    """Write what the replay derived: the projection, the periods, the missing effect rows."""
    home_before, host_before = member.organization_id, member.host_organization_id
    # only a readmitted member can have a recalculation decision: no query for the others
    decided = decided_party_age(member) if state.readmissions else None
    for name, value in projection(state, book, decided).items():
        setattr(member, name, value)
    member.save(update_fields=list(PROJECTED_FIELDS))
    if member.organization_id != home_before:  # the party dossier follows the member
        Person.objects.filter(pk=member.person_id).update(
            home_organization_id=member.organization_id
        )
    write_periods(member, [(p.organization_id, p.valid_from, p.valid_to) for p in state.periods])
    effects = EventEffect.objects.bulk_create(effect_rows(member, state, cause))
    places = {home_before, host_before, member.organization_id, member.host_organization_id}
    # figures change from the event's day (a back-dated one reaches into the past), or from
    # any day when there is no event (a party-age decision)
    since = min([e.effective_date for e in effects] + [cause.effective_date]) if cause else None
    figures_stale.send(sender=Member, organization_ids=places, since=since)


def write_periods(member: Member, periods: list[tuple[int, date, date | None]]) -> None:
    """Bring the member's periods to ``periods`` (organization, from, to), in date order,
    touching only what differs: most events change none, a transfer closes the last period and
    opens one."""
    written = _member_rows(
        MemberPeriod,
        ("id", "organization_id", "valid_from", "valid_to"),
        member,
        "ORDER BY valid_from, id",
    )
    kept = 0
    while kept < min(len(written), len(periods)) and written[kept][1:] == periods[kept]:
        kept += 1
    rows, wanted = written[kept:], periods[kept:]
    for row, (org, start, end) in zip(rows, wanted, strict=False):  # the surplus follows
        MemberPeriod.objects.filter(pk=row[0]).update(
            organization_id=org, valid_from=start, valid_to=end
        )
    if len(rows) > len(wanted):
        MemberPeriod.objects.filter(pk__in=[row[0] for row in rows[len(wanted) :]]).delete()
    MemberPeriod.objects.bulk_create(
        MemberPeriod(member=member, organization_id=org, valid_from=start, valid_to=end)
        for org, start, end in wanted[len(rows) :]
    )


def projection(
    state: rules.State, book: Rulebook, decided: tuple[date, int, int, int] | None = None
) -> dict[str, Any]:
    """The Member fields that the state gives (one function, used by services, check_ledger and
    the demo). ``decided``: his latest party-age recalculation decision, if any."""
    return {
        "organization_id": state.organization_id,
        "standing": state.standing,
        "is_exempted": "exempted" in state.flags,
        "is_suspended": "suspended" in state.flags,
        "is_in_transit": state.in_transit,
        "is_temporarily_away": "temporarily_away" in state.flags,
        "is_lost_contact": "lost_contact" in state.flags,
        "first_admission_date": state.first_admission_date,
        "admission_date": state.admission_date,
        "ceremony_date": state.ceremony_date,
        "official_date": state.official_date,
        "exit_date": state.exit_date,
        "exit_kind": state.exit_kind,
        "exit_reason": state.exit_reason,
        "dossier_number": state.dossier_number,
        "pending_transfer_to_id": state.pending_to,
        "host_organization_id": state.host_id,
        "party_age_from": rules.party_age_from(state, book, decided),
    }


PROJECTED_FIELDS = tuple(projection(rules.State(), Rulebook([])))


def decided_party_age(member: Member, on: date | None = None) -> tuple[date, int, int, int] | None:
    """The latest party-age recalculation decision (as of ``on`` if given), as
    (as_of, years, months, days)."""
    decisions = member.party_age_decisions.order_by("-as_of", "-pk")
    if on is not None:
        decisions = decisions.filter(as_of__lte=on)
    decision = decisions.first()
    return decision.decided if decision else None


def wanted_effects(state: rules.State) -> Tally[tuple[int, str, date]]:
    wanted: Tally[tuple[int, str, date]] = Tally()
    for effect in state.effects:
        wanted[(effect.organization_id, effect.counter, effect.effective_date)] += effect.delta
    return wanted


def written_effects(member: Member) -> Tally[tuple[int, str, date]]:
    written: Tally[tuple[int, str, date]] = Tally()
    names = ("organization_id", "counter", "effective_date", "delta")
    for org, counter, on, delta in _member_rows(EventEffect, names, member):
        written[(org, counter, on)] += delta
    return written


def effect_rows(
    member: Member, state: rules.State, cause: MembershipEvent | None
) -> list[EventEffect]:
    """The rows that bring the written effects to what the replay wants (the difference)."""
    wanted, written = wanted_effects(state), written_effects(member)
    now = cause.recorded_at if cause else timezone.now()
    return [
        EventEffect(
            member=member,
            event=cause,
            organization_id=org,
            counter=counter,
            delta=wanted[key] - written[key],
            effective_date=on,
            recorded_at=now,
        )
        for key in sorted(set(wanted) | set(written), key=str)
        if wanted[key] != written[key]
        for org, counter, on in [key]
    ]


def current_card_number(member: Member) -> str:
    card = (
        member.cards.filter(recovered_on__isnull=True, replaced_on__isnull=True)
        .exclude(kind=CardKind.ELECTRONIC)
        .order_by("-issued_on")
        .first()
        if member.pk
        else None
    )
    return card.number if card else ""


# --- admission and probation ------------------------------------------------------------------


@transaction.atomic
def admit_member(
    *,
    actor: Any,
    person: Person,
    organization: Organization,
    decision: Decision,
    resolution_date: date,
    dossier_number: str = "",
    provincial_consent: Decision | None = None,
) -> Member:
    """Admit a person (the competent committee's decision, dated ``decision.decided_on``) into
    ``organization``; the age is checked on the day the cell voted (``resolution_date``)."""
    require_role(actor, Role.APPROVER, organization)
    if Member.objects.filter(person=person).exists():
        raise DomainError(_("This person already has a membership record; record a readmission."))
    if resolution_date > decision.decided_on:
        raise DomainError(
            _("The cell's vote cannot be dated after the committee's admission decision."),
            field="resolution_date",
        )
    book = Rulebook.load()
    rules.check_admission_age(
        person.birth_date, resolution_date, book, provincial_consent=provincial_consent is not None
    )
    member = Member.objects.create(
        person=person,
        search_key=person.search_key,
        organization=organization,
        standing=Standing.PROBATIONARY,
        first_admission_date=decision.decided_on,
        admission_date=decision.decided_on,
    )
    details: dict[str, Any] = {"dossier_number": dossier_number}
    if provincial_consent:
        details["provincial_consent"] = provincial_consent.pk
    record_event(
        book=book,
        actor=actor,
        member=member,
        kind=K.ADMISSION,
        effective_date=decision.decided_on,
        organization=organization,
        decision=decision,
        resolution_date=resolution_date,
        details=details,
    )
    return member


def record_ceremony(*, actor: Any, member: Member, on: date, place: str = "") -> MembershipEvent:
    return record_event(
        actor=actor,
        member=member,
        kind=K.CEREMONY,
        effective_date=on,
        organization=member.organization,
        details={"place": place},
    )


def recognize_member(
    *, actor: Any, member: Member, decision: Decision, resolution_date: date | None = None
) -> MembershipEvent:
    """Recognize a probationer as official: effective at the end of probation, however late the
    vote or the decision (294 item 4.2.2)."""
    require_role(actor, Role.APPROVER, member.organization)
    book = Rulebook.load()
    state = replay_member(member, book)
    if state.ceremony_date is None:
        raise DomainError(_("Record the admission ceremony first: probation runs from it."))
    due = rules.probation_end(state, rules.Context(book, organization_lookup()))
    return record_event(
        book=book,
        actor=actor,
        member=member,
        kind=K.RECOGNITION,
        effective_date=due,
        organization=member.organization,
        decision=decision,
        resolution_date=resolution_date,
    )


def extend_probation(
    *, actor: Any, member: Member, on: date, months: int, decision: Decision | None = None
) -> MembershipEvent:
    return record_event(
        actor=actor,
        member=member,
        kind=K.PROBATION_EXTENSION,
        effective_date=on,
        organization=member.organization,
        decision=decision,
        details={"months": months},
    )


# --- transfers --------------------------------------------------------------------------------


def record_transfer_out(
    *, actor: Any, member: Member, to: Organization, on: date, decision: Decision | None = None
) -> MembershipEvent:
    """The introduction letter of an official transfer: the member leaves the sender's count
    and is counted in transit under the sender until received."""
    return record_event(
        actor=actor,
        member=member,
        kind=K.TRANSFER_OUT,
        effective_date=on,
        organization=member.organization,
        counterpart=to,
        decision=decision,
    )


def receive_transfer(*, actor: Any, member: Member, on: date) -> MembershipEvent:
    """The receiving organization takes the member in transit into its count."""
    require_role(actor, Role.CLERK, member.pending_transfer_to or member.organization)
    if member.pending_transfer_to is None:
        raise DomainError(_("This member is not in transit."))
    return record_event(
        actor=actor,
        member=member,
        kind=K.TRANSFER_IN,
        effective_date=on,
        organization=member.pending_transfer_to,
        counterpart=member.organization,
    )


def record_temporary_transfer(
    *, actor: Any, member: Member, to: Organization, on: date, until: date, study: bool = False
) -> MembershipEvent:
    return record_event(
        actor=actor,
        member=member,
        kind=K.TEMPORARY_OUT,
        effective_date=on,
        organization=member.organization,
        counterpart=to,
        ends_on=until,
        details={"study": study},
    )


def receive_temporary_transfer(*, actor: Any, member: Member, on: date) -> MembershipEvent:
    require_role(actor, Role.CLERK, member.host_organization or member.organization)
    if member.host_organization is None:
        raise DomainError(_("This member is not on a temporary transfer."))
    return record_event(
        actor=actor,
        member=member,
        kind=K.TEMPORARY_IN,
        effective_date=on,
        organization=member.host_organization,
        counterpart=member.organization,
    )


def extend_temporary_transfer(
    *, actor: Any, member: Member, on: date, until: date, study: bool = False
) -> MembershipEvent:
    return record_event(
        actor=actor,
        member=member,
        kind=K.TEMPORARY_EXTENSION,
        effective_date=on,
        organization=member.organization,
        ends_on=until,
        details={"study": study},
    )


def record_return(*, actor: Any, member: Member, on: date) -> MembershipEvent:
    return record_event(
        actor=actor,
        member=member,
        kind=K.TEMPORARY_RETURN,
        effective_date=on,
        organization=member.organization,
    )


def record_interruption(
    *, actor: Any, member: Member, start: date, end: date, decision: Decision
) -> MembershipEvent:
    """A decided interruption of activity during a transfer: a gap in party age."""
    return record_event(
        actor=actor,
        member=member,
        kind=K.INTERRUPTION,
        effective_date=start,
        organization=member.organization,
        ends_on=end,
        decision=decision,
    )


# --- activity ---------------------------------------------------------------------------------


def _activity(kind: EventKind) -> Any:
    def record(
        *,
        actor: Any,
        member: Member,
        on: date,
        reason: str = "",
        decision: Decision | None = None,
        until: date | None = None,
    ) -> MembershipEvent:
        return record_event(
            actor=actor,
            member=member,
            kind=kind,
            effective_date=on,
            organization=member.organization,
            reason=reason,
            decision=decision,
            ends_on=until,
        )

    record.__name__ = kind
    record.__doc__ = f"Record a {kind} event for the member at his organization."
    return record


exempt_member = _activity(K.EXEMPTION)
end_exemption = _activity(K.EXEMPTION_END)
suspend_member = _activity(K.SUSPENSION)
end_suspension = _activity(K.SUSPENSION_END)
record_loss_of_contact = _activity(K.LOSS_OF_CONTACT)
resume_contact = _activity(K.CONTACT_RESUMED)


# --- exits and returns ------------------------------------------------------------------------


def _exit(
    *,
    actor: Any,
    member: Member,
    kind: EventKind,
    on: date,
    reason: str = "",
    decision: Decision | None = None,
    organization: Organization | None = None,
    details: dict[str, Any] | None = None,
) -> MembershipEvent:
    event = record_event(
        actor=actor,
        member=member,
        kind=kind,
        effective_date=on,
        organization=organization or member.organization,
        reason=reason,
        decision=decision,
        details=details,
    )
    if kind != K.DEATH:  # the family keeps the card of a deceased member
        member.cards.filter(recovered_on__isnull=True, replaced_on__isnull=True).update(
            recovered_on=on
        )
        member.card_number = ""
        member.save(update_fields=["card_number"])
    return event


def record_death(*, actor: Any, member: Member, on: date) -> MembershipEvent:
    return _exit(actor=actor, member=member, kind=K.DEATH, on=on)


def remove_member(
    *,
    actor: Any,
    member: Member,
    on: date,
    reason: str,
    decision: Decision,
    organization: Organization | None = None,
) -> MembershipEvent:
    """Removal from the list (xóa tên), with its coded reason. ``organization`` may be the
    receiving side of a transfer never presented (38-HD/BTCTW II.4.3.1 d)."""
    return _exit(
        actor=actor,
        member=member,
        kind=K.REMOVAL,
        on=on,
        reason=reason,
        decision=decision,
        organization=organization,
    )


def expel_member(
    *, actor: Any, member: Member, discipline: Discipline, reason: str
) -> MembershipEvent:
    """Expulsion, recorded from its discipline decision (never computed)."""
    if discipline.person_id != member.person_id or discipline.form != DisciplineForm.EXPULSION:
        raise DomainError(_("Choose the expulsion decision of this member."), field="discipline")
    return _exit(
        actor=actor,
        member=member,
        kind=K.EXPULSION,
        on=discipline.decided_on,
        reason=reason,
        details={"discipline": discipline.pk},
    )


def record_resignation(
    *, actor: Any, member: Member, on: date, reason: str, decision: Decision
) -> MembershipEvent:
    return _exit(
        actor=actor, member=member, kind=K.RESIGNATION, on=on, reason=reason, decision=decision
    )


def readmit_member(
    *,
    actor: Any,
    member: Member,
    organization: Organization,
    decision: Decision,
    resolution_date: date,
    provincial_consent: Decision,
    expunged_on: date | None = None,
) -> MembershipEvent:
    """Readmission: the same Member and ledger go on, with a new probation (294 item 3.5)."""
    rules.check_admission_age(
        member.person.birth_date, resolution_date, Rulebook.load(), provincial_consent=True
    )
    details: dict[str, Any] = {"provincial_consent": provincial_consent.pk}
    if expunged_on:
        details["expunged_on"] = expunged_on.isoformat()
    return record_event(
        actor=actor,
        member=member,
        kind=K.READMISSION,
        effective_date=decision.decided_on,
        organization=organization,
        decision=decision,
        resolution_date=resolution_date,
        details=details,
    )


def restore_member(
    *, actor: Any, member: Member, organization: Organization, decision: Decision
) -> MembershipEvent:
    """Restoration after a wrongful removal or expulsion: party age counts continuously."""
    return record_event(
        actor=actor,
        member=member,
        kind=K.RESTORATION,
        effective_date=decision.decided_on,
        organization=organization,
        decision=decision,
    )


def reassign_member(
    *, actor: Any, member: Member, to: Organization, on: date, dissolved: Organization | None = None
) -> MembershipEvent:
    """Follow a restructuring: ``dissolved`` (the member's organization by default, or the one
    his pending transfer is addressed to, or his host) passes him to ``to``."""
    return record_event(
        actor=actor,
        member=member,
        kind=K.REASSIGNMENT,
        effective_date=on,
        organization=dissolved or member.organization,
        counterpart=to,
    )


def correct_event(*, actor: Any, event: MembershipEvent, reason: str) -> MembershipEvent:
    """Void a wrong event; the whole sequence is replayed without it (refused if later events
    depend on it)."""
    if event.kind == K.CORRECTION:
        raise DomainError(_("A correction cannot itself be corrected; record the event again."))
    if MembershipEvent.objects.filter(voids=event).exists():
        raise DomainError(_("This event has already been corrected."))
    if not reason.strip():
        raise DomainError(_("Say why the event is wrong."), field="reason")
    return record_event(
        actor=actor,
        member=event.member,
        kind=K.CORRECTION,
        effective_date=event.effective_date,
        organization=event.organization,
        voids=event,
        note=reason,
    )


# --- party age and cards ----------------------------------------------------------------------


@transaction.atomic
def decide_party_age(
    *,
    actor: Any,
    member: Member,
    decision: Decision,
    as_of: date,
    years: int,
    months: int,
    days: int = 0,
) -> PartyAgeDecision:
    """Store the superior standing committee's recalculated party age; it wins over the
    computed proposal from ``as_of`` on (Hướng dẫn 06-HD/TW item 5.3)."""
    require_role(actor, Role.APPROVER, member.organization)
    book = Rulebook.load()
    state = replay_member(member, book)
    if not state.readmissions:
        raise DomainError(
            _(
                "Only a readmitted member's party age is recalculated by a decision "
                "(Hướng dẫn 06-HD/TW item 5.3); this member was never readmitted."
            )
        )
    row = PartyAgeDecision.objects.create(
        member=member, decision=decision, as_of=as_of, years=years, months=months, days=days
    )
    project(member, state, book)  # party_age_from follows the decision
    audit.record(
        "membership.party_age.decided",
        actor=actor,
        target=member,
        after={
            "decision": decision.pk,
            "as_of": as_of.isoformat(),
            "years": years,
            "months": months,
            "days": days,
        },
    )
    return row


def party_age(member: Member, on: date | None = None) -> rules.PartyAge | None:
    """The member's party age on ``on`` (today by default), the decided value winning."""
    on = on or timezone.localdate()
    book = Rulebook.load()
    state = rules.state_on(ledger(member), on, book, organization_lookup())
    return rules.party_age(state, on, book, decided_party_age(member, on))


@transaction.atomic
def issue_card(
    *,
    actor: Any,
    member: Member,
    kind: CardKind,
    number: str,
    issued_on: date,
    decision: Decision | None = None,
) -> PartyCard:
    """Issue a card to an official member; a new paper card replaces the previous one (the
    2025 exchange), an electronic card sits beside it. The 2025 card's number is the personal
    ID number: masked in the audit log like it."""
    require_role(actor, Role.APPROVER, member.organization)
    if member.standing != Standing.OFFICIAL:
        raise DomainError(_("Only official members receive a party card."))
    national_id = member.person.national_id
    if kind == CardKind.CARD_2025 and (not national_id or number != national_id):
        raise DomainError(
            _(
                "The 2025 party card carries the member's personal identification "
                "number (Quyết định 347-QĐ/TW)."
            ),
            field="number",
        )
    if kind != CardKind.ELECTRONIC:
        member.cards.filter(replaced_on__isnull=True, recovered_on__isnull=True).exclude(
            kind=CardKind.ELECTRONIC
        ).update(replaced_on=issued_on)
    card = PartyCard.objects.create(
        member=member, kind=kind, number=number, issued_on=issued_on, decision=decision
    )
    member.card_number = current_card_number(member)
    member.save(update_fields=["card_number"])
    audit.record(
        "membership.card.issued",
        actor=actor,
        target=member,
        after={
            "kind": kind,
            "party_card_number": mask_identifier(number),
            "issued_on": issued_on.isoformat(),
        },
    )
    return card


# --- decisions, expulsion with its discipline, transfer proposals (the web forms) -------------


@transaction.atomic
def record_decision(
    *,
    actor: Any,
    organization: Organization,
    number: str,
    issuer: Organization,
    decided_on: date,
    signer: str = "",
) -> Decision:
    """The decision an event cites, as typed on a form: the one already recorded with the same
    number, issuer and date, or a new one. ``organization`` is where the event happens: its
    approvers record the decisions it cites (the issuer may be above them)."""
    require_role(actor, Role.APPROVER, organization)
    number = " ".join(number.split())
    if not number:
        raise DomainError(_("Type the decision's number."), field="number")
    if decided_on > timezone.localdate():
        raise DomainError(_("The decision cannot be dated later than today."), field="decided_on")
    decision, created = Decision.objects.get_or_create(
        issuer=issuer, number=number, decided_on=decided_on, defaults={"signer": signer}
    )
    if created:
        audit.record(
            "membership.decision.recorded",
            actor=actor,
            target=decision,
            after={"number": number, "issuer": issuer.pk, "decided_on": decided_on.isoformat()},
        )
    return decision


@transaction.atomic
def record_expulsion(
    *,
    actor: Any,
    member: Member,
    reason: str,
    deciding_body: str,
    decided_on: date,
    decision_number: str = "",
    grounds: str = "",
) -> MembershipEvent:
    """Record the expulsion decision in the curriculum vitae (a discipline) and the expulsion it
    causes in the ledger, together."""
    discipline = people_services.record_discipline(
        actor=actor,
        person=member.person,
        form=DisciplineForm.EXPULSION,
        deciding_body=deciding_body,
        decided_on=decided_on,
        decision_number=decision_number,
        reason=grounds,
    )
    return expel_member(actor=actor, member=member, discipline=discipline, reason=reason)


def _open_proposal(member: Member) -> TransferProposal | None:
    return member.transfer_proposals.filter(state=ProposalState.PROPOSED).first()


@transaction.atomic
def propose_transfer(
    *, actor: Any, member: Member, to: Organization, on: date, note: str = ""
) -> TransferProposal:
    """The cell proposes an official transfer of a member to ``to``; the committee then issues
    the introduction letter (``issue_transfer_letter``) or refuses."""
    require_role(actor, Role.CLERK, member.organization)
    if member.standing == Standing.LEFT:
        raise DomainError(_("The member has left the Party."))
    if member.is_in_transit or member.is_temporarily_away:
        raise DomainError(_("The member is already being transferred."))
    if _open_proposal(member):
        raise DomainError(_("A transfer of this member is already proposed."))
    if to.pk == member.organization_id:
        raise DomainError(_("Choose another organization than the member's own."), field="to")
    if on > timezone.localdate():
        raise DomainError(_("The date cannot be later than today."), field="proposed_on")
    joined = member.periods.filter(valid_to__isnull=True).values_list("valid_from", flat=True)
    since = joined.first()
    if since and on < since:
        raise DomainError(
            _("The member belongs to %(name)s only from %(date)s: date the proposal after it.")
            % {"name": member.organization.name, "date": format_date(since)},
            field="proposed_on",
        )
    if not to.is_alive(on):
        raise DomainError(
            _("%(name)s does not exist on %(date)s.") % {"name": to.name, "date": format_date(on)},
            field="to",
        )
    proposal = TransferProposal.objects.create(
        member=member,
        from_organization=member.organization,
        to_organization=to,
        proposed_on=on,
        proposed_by=_user(actor),
        note=note,
    )
    audit.record(
        "membership.transfer.proposed",
        actor=actor,
        target=member,
        after={"proposal": proposal.pk, "to": to.pk, "proposed_on": on.isoformat()},
    )
    return proposal


def _decide(proposal: TransferProposal, actor: Any, role: Role) -> None:
    require_role(actor, role, proposal.from_organization)
    if proposal.state != ProposalState.PROPOSED:
        raise DomainError(
            _("This proposal is already closed (%(state)s).")
            % {"state": proposal.get_state_display()}
        )


@transaction.atomic
def issue_transfer_letter(
    *, actor: Any, proposal: TransferProposal, on: date, decision: Decision | None = None
) -> MembershipEvent:
    """The committee grants the proposal: the introduction letter (``record_transfer_out``)."""
    _decide(proposal, actor, Role.APPROVER)
    if on < proposal.proposed_on:
        raise DomainError(
            _("The letter cannot be dated before the proposal (%(date)s).")
            % {"date": format_date(proposal.proposed_on)},
            field="effective_date",
        )
    member = proposal.member
    if member.organization_id != proposal.from_organization_id:
        raise DomainError(_("The member no longer belongs to the proposing organization."))
    event = record_transfer_out(
        actor=actor, member=member, to=proposal.to_organization, on=on, decision=decision
    )
    _close(proposal, actor, ProposalState.LETTER_ISSUED, event=event)
    return event


@transaction.atomic
def refuse_transfer_proposal(
    *, actor: Any, proposal: TransferProposal, reason: str
) -> TransferProposal:
    """The committee refuses the proposal, saying why."""
    _decide(proposal, actor, Role.APPROVER)
    if not reason.strip():
        raise DomainError(_("Say why the proposal is refused."), field="reason")
    return _close(proposal, actor, ProposalState.REFUSED, reason=reason.strip())


@transaction.atomic
def withdraw_transfer_proposal(*, actor: Any, proposal: TransferProposal) -> TransferProposal:
    """The proposing cell takes its proposal back before the committee decides."""
    _decide(proposal, actor, Role.CLERK)
    return _close(proposal, actor, ProposalState.WITHDRAWN)


def _close(
    proposal: TransferProposal,
    actor: Any,
    state: ProposalState,
    event: MembershipEvent | None = None,
    reason: str = "",
) -> TransferProposal:
    proposal.state, proposal.event, proposal.refusal_reason = state, event, reason
    proposal.decided_by, proposal.decided_at = _user(actor), timezone.now()
    proposal.save(update_fields=["state", "event", "refusal_reason", "decided_by", "decided_at"])
    audit.record(
        f"membership.transfer.{state}",
        actor=actor,
        target=proposal.member,
        before={"proposal": proposal.pk, "state": ProposalState.PROPOSED},
        after={"proposal": proposal.pk, "state": state, "event": event.pk if event else None},
        reason=reason,
    )
    return proposal
