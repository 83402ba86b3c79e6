"""Pure rules of the membership ledger: no database, only events, dates and the rulebook.

``replay`` applies a member's events in order and returns his state: standing, activity flags,
dates, the periods he belonged to each organization, the gaps in his party age, and the effect
rows (organization, counter, delta, date) that make every count one sum. Each kind of event has
a validating step that refuses what the rules forbid with a message citing the rule. Services
call ``replay`` on the whole sequence (a back-dated event is inserted in order and everything
after it re-validated), then write what it returns.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangvu.core.dates import PartialDate, add_months, format_date
from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import Counter, EventKind, ExitReason, Standing

K = EventKind
EXITS = {K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION}
# Same-day events apply in this order (then in the order they were recorded).
# Sending and receiving share a rank, so a member received and sent on the same day keeps the
# order in which the two were recorded.
RANK: dict[str, int] = {
    K.ADMISSION: 0,
    K.READMISSION: 0,
    K.RESTORATION: 0,
    K.CEREMONY: 1,
    K.RECOGNITION: 2,
    K.PROBATION_EXTENSION: 2,
    K.TRANSFER_OUT: 3,
    K.TEMPORARY_OUT: 3,
    K.TRANSFER_IN: 3,
    K.TEMPORARY_IN: 3,
    K.TEMPORARY_EXTENSION: 5,
    K.TEMPORARY_RETURN: 5,
    K.REASSIGNMENT: 7,
    K.DEATH: 9,
    K.REMOVAL: 9,
    K.EXPULSION: 9,
    K.RESIGNATION: 9,
    K.CORRECTION: 10,
}
# Open activity flags and the counter each one keeps at the member's home organization.
FLAG_COUNTERS = {
    "exempted": Counter.EXEMPTED,
    "suspended": Counter.SUSPENDED,
    "lost_contact": Counter.LOST_CONTACT,
    "temporarily_away": Counter.TEMPORARILY_AWAY,
}
FLAG_EVENTS = {
    K.EXEMPTION: ("exempted", True),
    K.EXEMPTION_END: ("exempted", False),
    K.SUSPENSION: ("suspended", True),
    K.SUSPENSION_END: ("suspended", False),
    K.LOSS_OF_CONTACT: ("lost_contact", True),
    K.CONTACT_RESUMED: ("lost_contact", False),
}
R = ExitReason
# The reasons each kind of exit may give (Quy định 294-QĐ/TW items 8.1, 4.2.1, 4.4.1, 5.2.7, 3.5.2;
# Hướng dẫn 38-HD/BTCTW II.4.3.1 d): readmission bars depend on them, so they must match.
EXIT_REASONS = {
    K.REMOVAL: {
        R.ABANDONED_ACTIVITIES,
        R.UNPAID_DUES,
        R.CARD_HANDED_BACK,
        R.NO_PROGRESS,
        R.STANDARDS_TWO_YEARS,
        R.POLITICAL_STANDARD,
        R.NOT_RECOGNIZED,
        R.PROBATIONER_SENTENCED,
        R.TRANSFER_NOT_PRESENTED,
        R.ANNULLED_ADMISSION,
        R.FALSE_CLAIM,
    },
    K.RESIGNATION: {R.FAMILY_HARDSHIP, R.PERSONAL_REQUEST},
    K.EXPULSION: {
        R.SERIOUS_DISUNITY,
        R.CORRUPTION_CONVICTION,
        R.SERIOUS_CRIME_CONVICTION,
        R.LESS_SERIOUS_CONVICTION,
        R.OTHER_VIOLATION,
    },
}
FLAG_NAMES = {
    "exempted": _("exempted"),
    "suspended": _("suspended"),
    "lost_contact": _("in lost contact"),
}


@dataclass(frozen=True)
class Event:
    """What the rules read of a ledger event (built from a MembershipEvent, or in tests)."""

    kind: str
    effective_date: date
    organization_id: int
    counterpart_id: int | None = None
    reason: str = ""
    resolution_date: date | None = None
    ends_on: date | None = None
    voids_id: int | None = None
    id: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[date, int, int]:
        return (self.effective_date, RANK.get(self.kind, 6), self.id)


@dataclass(frozen=True)
class Effect:
    organization_id: int
    counter: str
    delta: int
    effective_date: date


@dataclass
class Period:
    organization_id: int
    valid_from: date
    valid_to: date | None = None


@dataclass
class Gap:
    """A span that does not count towards party age, with the events that opened and closed it."""

    kind: str
    start: date
    end: date | None = None
    event_ids: list[int] = field(default_factory=list)
    annulled: bool = False


@dataclass
class State:
    """A member's state after some events: what the Member projection shows."""

    standing: str | None = None
    organization_id: int | None = None
    flags: set[str] = field(default_factory=set)
    first_admission_date: date | None = None
    admission_date: date | None = None
    ceremony_date: date | None = None
    extension_months: int = 0
    official_date: date | None = None
    standing_before_exit: str | None = None
    exit_date: date | None = None
    exit_kind: str = ""
    exit_reason: str = ""
    readmissions: int = 0
    pending_to: int | None = None
    host_id: int | None = None
    host_received: bool = False
    temporary_since: date | None = None
    dossier_number: str = ""
    last_date: date | None = None  # the effective date of the last event applied
    periods: list[Period] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    @property
    def is_member(self) -> bool:
        return self.standing in (Standing.PROBATIONARY, Standing.OFFICIAL)

    @property
    def in_transit(self) -> bool:
        return self.pending_to is not None


def refuse(message: Any, event: Event) -> DomainError:
    """A refusal that says which event (kind and date) it is about."""
    return DomainError(
        _("%(event)s on %(date)s: %(message)s")
        % {
            "event": EventKind(event.kind).label,
            "date": format_date(event.effective_date),
            "message": message,
        }
    )


def effective_events(events: Iterable[Event]) -> list[Event]:
    """The events that count, in ledger order: corrections and what they void left out."""
    events = list(events)
    voided = {e.voids_id for e in events if e.kind == K.CORRECTION}
    return sorted(
        (e for e in events if e.kind != K.CORRECTION and e.id not in voided),
        key=lambda e: e.sort_key,
    )


def replay(events: Iterable[Event], rules: Rulebook, organization_of: Any = None) -> State:
    """Apply the events in order; raise DomainError at the first one the rules refuse.

    ``organization_of(id)`` gives an Organization for provincial rule versions (optional)."""
    state = State()
    for event in effective_events(events):
        step = STEPS.get(event.kind)
        if step is None:
            raise refuse(_("this kind of event is not handled."), event)
        step(state, event, Context(rules, organization_of))
        state.last_date = event.effective_date
    return state


@dataclass(frozen=True)
class Context:
    rules: Rulebook
    organization_of: Any = None

    def rule(self, key: str, on: date, organization_id: int | None) -> Any:
        # the organization is looked up only when some level has set its own version of the rule
        local = self.organization_of and organization_id and self.rules.has_local(key)
        organization = self.organization_of(organization_id) if local else None
        return self.rules.get(key, on=on, organization=organization)


# --- counting helpers -------------------------------------------------------------------------


def _add(state: State, organization_id: int, counter: str, delta: int, on: date) -> None:
    state.effects.append(Effect(organization_id, counter, delta, on))


def _count_standing(state: State, delta: int, on: date, organization_id: int | None = None) -> None:
    """Add the member to (or take him from) the standing counter where he is counted: the
    sender's in-transit counter while a transfer is pending."""
    where = organization_id or state.organization_id
    assert where is not None and state.standing is not None
    counter = Counter.IN_TRANSIT if state.in_transit else state.standing
    _add(state, where, counter, delta, on)


def _move_home(state: State, new_home: int, on: date) -> None:
    """The member now belongs to ``new_home``: his open flags' counters and his period move."""
    old = state.organization_id
    assert old is not None
    for flag in state.flags:
        _add(state, old, FLAG_COUNTERS[flag], -1, on)
        _add(state, new_home, FLAG_COUNTERS[flag], +1, on)
    _close_period(state, on)
    state.periods.append(Period(new_home, on))
    state.organization_id = new_home


def _close_period(state: State, on: date) -> None:
    if state.periods and state.periods[-1].valid_to is None:
        state.periods[-1].valid_to = on


def _require_member(state: State, event: Event) -> None:
    if state.standing is None:
        raise refuse(_("the person has not been admitted."), event)
    if state.standing == Standing.LEFT:
        raise refuse(
            _("the member left the Party on %(date)s.") % {"date": format_date(state.exit_date)},
            event,
        )


def _require_at(state: State, event: Event) -> None:
    if event.organization_id != state.organization_id:
        raise refuse(_("the member does not belong to that organization on this date."), event)


# --- steps ------------------------------------------------------------------------------------


def _admission(state: State, e: Event, ctx: Context) -> None:
    if state.standing is not None:
        raise refuse(
            _("the person was already admitted on %(date)s; a second admission is a readmission.")
            % {"date": format_date(state.first_admission_date)},
            e,
        )
    state.standing = Standing.PROBATIONARY
    state.organization_id = e.organization_id
    state.first_admission_date = state.admission_date = e.effective_date
    state.dossier_number = str(e.details.get("dossier_number", ""))
    state.periods.append(Period(e.organization_id, e.effective_date))
    _count_standing(state, +1, e.effective_date)


def _ceremony(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if state.standing != Standing.PROBATIONARY or state.ceremony_date is not None:
        raise refuse(_("an admission ceremony is held once, for a probationary member."), e)
    state.ceremony_date = e.effective_date


def probation_end(state: State, ctx: Context) -> date:
    """The end of the member's probation (see ``probation_ends_on``)."""
    assert state.ceremony_date is not None
    return probation_ends_on(
        state.ceremony_date, state.extension_months, state.organization_id, ctx
    )


def probation_ends_on(
    ceremony: date, extension_months: int, organization_id: int | None, ctx: Context
) -> date:
    """The end of probation: the ceremony's anniversary after the rule's months for the
    organization (plus any extension); a day that does not exist falls per the rule (Điều lệ
    Art. 5(1))."""
    months = ctx.rule("probation", ceremony, organization_id)["months"]
    overflow = ctx.rule("dates.nonexistent_day", ceremony, None)["rule"]
    return add_months(ceremony, months + extension_months, overflow=overflow)


def _recognition(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if state.standing != Standing.PROBATIONARY:
        raise refuse(_("only a probationary member is recognized as official."), e)
    if state.ceremony_date is None:
        raise refuse(
            _(
                "there is no admission ceremony yet: recognition comes 12 months after "
                "it (Điều lệ Đảng, Art. 5)."
            ),
            e,
        )
    due = probation_end(state, ctx)
    if e.effective_date != due:
        raise refuse(
            _(
                "official status takes effect at the end of probation, on %(date)s, even "
                "when the vote is late (Quy định 294-QĐ/TW, item 4.2.2)."
            )
            % {"date": format_date(due)},
            e,
        )
    if not state.in_transit:
        _count_standing(state, -1, e.effective_date)
    state.standing = Standing.OFFICIAL
    state.official_date = e.effective_date
    if not state.in_transit:
        _count_standing(state, +1, e.effective_date)


def _probation_extension(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if state.standing != Standing.PROBATIONARY or state.ceremony_date is None:
        raise refuse(_("only a probation that has started can be extended."), e)
    if e.effective_date >= probation_end(state, ctx):
        raise refuse(_("the probation has already ended."), e)
    months = int(e.details.get("months", 0))
    allowed = ctx.rule("probation", e.effective_date, state.organization_id)
    if months <= 0 or state.extension_months + months > allowed["max_extension_months"]:
        raise refuse(
            _("the rule in force allows an extension of at most %(months)d months (%(citation)s).")
            % {"months": allowed["max_extension_months"], "citation": allowed.citation},
            e,
        )
    state.extension_months += months


def _transfer_out(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    _require_at(state, e)
    if state.in_transit:
        raise refuse(_("the member is already in transit."), e)
    if state.flags & {"temporarily_away"}:
        raise refuse(_("the member is on a temporary transfer; record his return first."), e)
    if not e.counterpart_id or e.counterpart_id == e.organization_id:
        raise refuse(_("choose the receiving organization."), e)
    _count_standing(state, -1, e.effective_date)
    state.pending_to = e.counterpart_id
    _count_standing(state, +1, e.effective_date)


def _transfer_in(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if not state.in_transit:
        raise refuse(_("the member is not in transit to this organization."), e)
    if e.organization_id != state.pending_to:
        raise refuse(_("the member was sent to another organization."), e)
    _count_standing(state, -1, e.effective_date)
    state.pending_to = None
    _move_home(state, e.organization_id, e.effective_date)
    _count_standing(state, +1, e.effective_date)


def _temporary_out(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    _require_at(state, e)
    if state.in_transit or "temporarily_away" in state.flags:
        raise refuse(_("the member is already being transferred."), e)
    if not e.counterpart_id or e.counterpart_id == e.organization_id:
        raise refuse(_("choose the host organization."), e)
    _check_temporary_length(state, e, ctx, since=e.effective_date)
    state.flags.add("temporarily_away")
    state.host_id, state.host_received = e.counterpart_id, False
    state.temporary_since = e.effective_date
    _add(state, e.organization_id, Counter.TEMPORARILY_AWAY, +1, e.effective_date)


def _check_temporary_length(state: State, e: Event, ctx: Context, since: date) -> None:
    """3 months to under a year, up to 2 years for full-time study (294 item 6.3.2(a))."""
    if e.ends_on is None:
        raise refuse(_("a temporary transfer needs an end date."), e)
    rule = ctx.rule("transfer.deadlines", since, state.organization_id)
    longest = (
        rule["temporary_study_max_months"]
        if e.details.get("study")
        else rule["temporary_max_months"]
    )
    if e.ends_on < add_months(since, rule["temporary_min_months"]) or e.ends_on > add_months(
        since, longest
    ):
        raise refuse(
            _("a temporary transfer lasts from %(min)d to %(max)d months (%(citation)s).")
            % {"min": rule["temporary_min_months"], "max": longest, "citation": rule.citation},
            e,
        )


def _temporary_in(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if "temporarily_away" not in state.flags or state.host_id != e.organization_id:
        raise refuse(_("the member was not temporarily transferred to this organization."), e)
    if state.host_received:
        raise refuse(_("the host organization has already received the member."), e)
    state.host_received = True
    _add(state, e.organization_id, Counter.HOSTED, +1, e.effective_date)


def _temporary_extension(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if "temporarily_away" not in state.flags:
        raise refuse(_("the member is not on a temporary transfer."), e)
    assert state.temporary_since is not None
    _check_temporary_length(state, e, ctx, since=state.temporary_since)


def _temporary_return(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if "temporarily_away" not in state.flags:
        raise refuse(_("the member is not on a temporary transfer."), e)
    _end_temporary(state, e.effective_date)


def _end_temporary(state: State, on: date) -> None:
    assert state.organization_id is not None
    state.flags.discard("temporarily_away")
    _add(state, state.organization_id, Counter.TEMPORARILY_AWAY, -1, on)
    if state.host_received and state.host_id:
        _add(state, state.host_id, Counter.HOSTED, -1, on)
    state.host_id, state.host_received, state.temporary_since = None, False, None


def _flag(state: State, e: Event, ctx: Context) -> None:
    """Exemption, suspension and loss of contact, and their ends."""
    _require_member(state, e)
    flag, opening = FLAG_EVENTS[EventKind(e.kind)]
    if opening == (flag in state.flags):
        message = (
            _("the member is already %(state)s.") if opening else _("the member is not %(state)s.")
        )
        raise refuse(message % {"state": FLAG_NAMES[flag]}, e)
    assert state.organization_id is not None
    _add(state, state.organization_id, FLAG_COUNTERS[flag], +1 if opening else -1, e.effective_date)
    if opening:
        state.flags.add(flag)
    else:
        state.flags.discard(flag)
    if flag == "lost_contact":
        _open_or_close_gap(state, "loss_of_contact", e, opening)


def _open_or_close_gap(state: State, kind: str, e: Event, opening: bool) -> None:
    if opening:
        state.gaps.append(Gap(kind, e.effective_date, event_ids=[e.id]))
        return
    gap = next(g for g in reversed(state.gaps) if g.kind == kind and g.end is None)
    gap.end = e.effective_date
    gap.event_ids.append(e.id)


def _interruption(state: State, e: Event, ctx: Context) -> None:
    """A decided gap during a transfer: [effective_date, ends_on) does not count."""
    _require_member(state, e)
    if e.ends_on is None or e.ends_on <= e.effective_date:
        raise refuse(_("give the date the interruption ended."), e)
    state.gaps.append(Gap("interruption", e.effective_date, e.ends_on, [e.id]))


def _reassignment(state: State, e: Event, ctx: Context) -> None:
    """An organization of the member was dissolved into a successor (merge, split, dissolution
    with a target). Not a transfer: nothing changes for him but where he is counted. The
    organization may be his home, the one a pending transfer is addressed to (the transfer now
    goes to the successor), or the host of his temporary transfer (the successor hosts him)."""
    _require_member(state, e)
    if not e.counterpart_id:
        raise refuse(_("choose the organization that takes the member over."), e)
    on, successor = e.effective_date, e.counterpart_id
    if e.organization_id == state.organization_id:
        _count_standing(state, -1, on)
        _move_home(state, successor, on)
        _count_standing(state, +1, on)
    elif e.organization_id == state.pending_to:
        state.pending_to = successor
    elif e.organization_id == state.host_id:
        if state.host_received:
            _add(state, e.organization_id, Counter.HOSTED, -1, on)
            _add(state, successor, Counter.HOSTED, +1, on)
        state.host_id = successor
    else:
        raise refuse(_("the member does not belong to that organization on this date."), e)


def _exit(state: State, e: Event, ctx: Context) -> None:
    _require_member(state, e)
    if e.organization_id not in (state.organization_id, state.pending_to):
        raise refuse(_("the member does not belong to that organization on this date."), e)
    if e.kind == K.EXPULSION and state.standing == Standing.PROBATIONARY:
        raise refuse(
            _(
                "a probationary member can only be reprimanded or warned, not expelled; "
                "a probationer is removed from the list instead (Điều lệ Đảng, Art. 35)."
            ),
            e,
        )
    if (
        e.kind == K.REMOVAL
        and e.reason == ExitReason.NOT_RECOGNIZED
        and state.standing != Standing.PROBATIONARY
    ):
        raise refuse(_("only a probationary member can be removed for not being recognized."), e)
    if e.kind != K.DEATH and e.reason not in EXIT_REASONS[EventKind(e.kind)]:
        raise refuse(
            _("give a reason for leaving that fits this kind of exit: readmission depends on it."),
            e,
        )
    on = e.effective_date
    _count_standing(state, -1, on)
    assert state.organization_id is not None
    for flag in sorted(state.flags - {"temporarily_away"}):
        _add(state, state.organization_id, FLAG_COUNTERS[flag], -1, on)
    if "temporarily_away" in state.flags:
        _end_temporary(state, on)
    state.flags.clear()
    state.pending_to = None
    state.standing_before_exit, state.standing = state.standing, Standing.LEFT
    state.exit_date, state.exit_kind, state.exit_reason = on, e.kind, e.reason
    _close_period(state, on)
    for gap in state.gaps:  # an open loss of contact ends with the exit; the exit's gap follows
        if gap.end is None:
            gap.end = on
    if e.kind != K.DEATH:
        state.gaps.append(Gap(e.kind, on, event_ids=[e.id]))


def _readmission(state: State, e: Event, ctx: Context) -> None:
    if state.standing != Standing.LEFT or state.exit_kind == K.DEATH:
        raise refuse(_("only a person who left the Party can be readmitted."), e)
    rule = ctx.rule("readmission", e.effective_date, e.organization_id)
    if state.readmissions >= rule["max_times"]:
        raise refuse(
            _("readmission is allowed only once (%(citation)s).") % {"citation": rule.citation}, e
        )
    if state.exit_reason in rule["barred_reasons"]:
        raise refuse(
            _("a person who left for this reason (%(reason)s) cannot be readmitted (%(citation)s).")
            % {"reason": ExitReason(state.exit_reason).label, "citation": rule.citation},
            e,
        )
    assert state.exit_date is not None
    earliest = add_months(state.exit_date, rule["wait_months"])
    expunged = e.details.get("expunged_on")
    if state.exit_reason == ExitReason.LESS_SERIOUS_CONVICTION:
        if not expunged:
            raise refuse(_("give the date the conviction was expunged."), e)
        earliest = max(
            earliest,
            add_months(date.fromisoformat(str(expunged)), rule["wait_after_expungement_months"]),
        )
    if e.effective_date < earliest:
        raise refuse(
            _("readmission is possible from %(date)s at the earliest (%(citation)s).")
            % {"date": format_date(earliest), "citation": rule.citation},
            e,
        )
    _close_exit_gap(state, e)
    state.readmissions += 1
    _rejoin(state, e, Standing.PROBATIONARY)
    state.admission_date = e.effective_date
    state.ceremony_date = state.official_date = None
    state.extension_months = 0


def _restoration(state: State, e: Event, ctx: Context) -> None:
    """A wrongly removed or expelled member regains his membership; the gap is annulled, so
    his party age counts continuously (294 item 5.2.2)."""
    if state.standing != Standing.LEFT or state.exit_kind not in (K.REMOVAL, K.EXPULSION):
        raise refuse(_("only a removed or expelled member can have his membership restored."), e)
    gap = _close_exit_gap(state, e)
    gap.annulled = True
    assert state.standing_before_exit is not None
    _rejoin(state, e, state.standing_before_exit)


def _close_exit_gap(state: State, e: Event) -> Gap:
    gap = next(g for g in reversed(state.gaps) if g.kind == state.exit_kind and g.end is None)
    gap.end = e.effective_date
    gap.event_ids.append(e.id)
    return gap


def _rejoin(state: State, e: Event, standing: str) -> None:
    state.standing = standing
    state.organization_id = e.organization_id
    state.exit_date, state.exit_kind, state.exit_reason = None, "", ""
    state.periods.append(Period(e.organization_id, e.effective_date))
    _count_standing(state, +1, e.effective_date)


STEPS: dict[str, Callable[[State, Event, Context], None]] = {
    K.ADMISSION: _admission,
    K.CEREMONY: _ceremony,
    K.RECOGNITION: _recognition,
    K.PROBATION_EXTENSION: _probation_extension,
    K.TRANSFER_OUT: _transfer_out,
    K.TRANSFER_IN: _transfer_in,
    K.TEMPORARY_OUT: _temporary_out,
    K.TEMPORARY_IN: _temporary_in,
    K.TEMPORARY_EXTENSION: _temporary_extension,
    K.TEMPORARY_RETURN: _temporary_return,
    K.INTERRUPTION: _interruption,
    K.EXEMPTION: _flag,
    K.EXEMPTION_END: _flag,
    K.SUSPENSION: _flag,
    K.SUSPENSION_END: _flag,
    K.LOSS_OF_CONTACT: _flag,
    K.CONTACT_RESUMED: _flag,
    K.REASSIGNMENT: _reassignment,
    K.DEATH: _exit,
    K.REMOVAL: _exit,
    K.EXPULSION: _exit,
    K.RESIGNATION: _exit,
    K.READMISSION: _readmission,
    K.RESTORATION: _restoration,
}


# --- ages -------------------------------------------------------------------------------------


def completed_months(
    start: date, end: date, counting: str = "day", overflow: str = "last_day_of_month"
) -> int:
    """Whole months from ``start`` to ``end``. "day": a month is completed on the same day
    number of a later month (the month's last day when that day does not exist); "month":
    calendar months between the two months, days ignored."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if counting == "month":
        return months
    if add_months(start, months, overflow=overflow) > end:
        months -= 1
    return months


def check_admission_age(
    birth: PartialDate, vote_date: date, rules: Rulebook, provincial_consent: bool = False
) -> None:
    """Refuse an admission outside the age the rule in force on the vote date allows: 18 to 60
    years in completed months (216 to 720), over 60 only with the provincial standing
    committee's written consent (294 items 1.1.1 and 1.1.2). No rule before 30/4/1975."""
    rule = rules.find("admission.age", on=vote_date)
    if rule is None:
        return
    if rule["counting"] == "day" and not birth.is_complete:
        raise DomainError(
            _("The full date of birth is needed to check the admission age."), field="birth_date"
        )
    if rule["counting"] == "month" and birth.month is None:
        raise DomainError(
            _("The month of birth is needed to check the admission age."), field="birth_date"
        )
    overflow = rules.get("dates.nonexistent_day", on=vote_date)["rule"]
    months = completed_months(birth.earliest(), vote_date, rule["counting"], overflow)
    if months < rule["min_months"]:
        raise DomainError(
            _(
                "On %(date)s the person is %(years)d years and %(months)d months old: admission "
                "needs %(min)d full months (18 years) on the day the cell votes (%(citation)s)."
            )
            % {
                "date": format_date(vote_date),
                "years": months // 12,
                "months": months % 12,
                "min": rule["min_months"],
                "citation": rule.citation,
            },
            field="resolution_date",
        )
    if months > rule["max_months"] and not provincial_consent:
        raise DomainError(
            _(
                "On %(date)s the person is past 60 years (%(months)d completed months): admission "
                "needs the provincial standing committee's written consent (%(citation)s)."
            )
            % {"date": format_date(vote_date), "months": months, "citation": rule.citation},
            field="resolution_date",
        )


@dataclass(frozen=True)
class PartyAge:
    """Party age on a date, with the gaps it subtracted (each with the events that made it)."""

    on: date
    years: int
    months: int
    days: int
    total_months: int
    counts_from: date
    gaps: tuple[Gap, ...]
    decided: bool = False


def calendar_span(start: date, end: date) -> tuple[int, int, int]:
    """Years, months and days from ``start`` to ``end`` (anniversary rule for months)."""
    months = completed_months(start, end)
    anchor = add_months(start, months)
    return months // 12, months % 12, (end - anchor).days


def party_age(
    state: State, on: date, rules: Rulebook, decided: tuple[date, int, int, int] | None = None
) -> PartyAge | None:
    """Party age of an official member on ``on`` (``state`` replayed up to ``on``): from the
    first admission decision, minus every gap not annulled (Điều lệ Art. 5(4); 294 item 4.5.1).
    ``decided`` = (as_of, years, months, days) of a recalculation decision, which wins: the
    age then runs on from the decided value, minus gaps after it. None for a non-official."""
    if state.standing != Standing.OFFICIAL or state.first_admission_date is None:
        return None
    kinds = rules.get("party_age.gaps", on=on)
    counted = set(kinds["exit_kinds"]) | set(kinds["period_kinds"])
    gaps = tuple(g for g in state.gaps if g.kind in counted and not g.annulled and g.start < on)
    start, since = state.first_admission_date, state.first_admission_date
    if decided is not None and decided[0] <= on:
        as_of, years, months, days = decided
        start = add_months(as_of, -(years * 12 + months)) - timedelta(days=days)
        since = as_of
    lost, covered = 0, since  # a day inside two gaps (overlapping spans) is lost once
    for gap_start, gap_end in sorted((max(g.start, since), min(g.end or on, on)) for g in gaps):
        if gap_end > covered:
            lost += (gap_end - max(gap_start, covered)).days
            covered = gap_end
    counts_from = start + timedelta(days=lost)
    years, months, days = calendar_span(counts_from, on)
    return PartyAge(
        on,
        years,
        months,
        days,
        years * 12 + months,
        counts_from,
        gaps,
        decided is not None and decided[0] <= on,
    )


def party_age_from(
    state: State, rules: Rulebook, decided: tuple[date, int, int, int] | None = None
) -> date | None:
    """The day an official member's party age counts from (``PartyAge.counts_from``) while no
    gap is open: on any later day D his party age is ``calendar_span(party_age_from, D)``, so
    reports band it for any day without replaying his ledger. None for a member who is not
    official or is in a gap not over by his last event (lost contact; an interruption whose end
    is later): his party age then depends on the day, and reports compute it from the ledger.
    The gap kinds are the rulebook's on his last gap's end, decision or admission."""
    if state.standing != Standing.OFFICIAL or state.first_admission_date is None:
        return None
    assert state.last_date is not None
    if any(g.end is None or g.end > state.last_date for g in state.gaps if not g.annulled):
        return None
    settled = max(
        [state.first_admission_date, *(g.end for g in state.gaps if g.end is not None)]
        + ([decided[0]] if decided is not None else [])
    )
    age = party_age(state, settled, rules, decided)
    return age.counts_from if age is not None else None


def state_on(
    events: Iterable[Event], on: date, rules: Rulebook, organization_of: Any = None
) -> State:
    """The state replayed from the events effective on or before ``on`` (``organization_of`` as
    for ``replay``: without it a provincial rule version, e.g. an extension, is not seen)."""
    return replay([e for e in events if e.effective_date <= on], rules, organization_of)
