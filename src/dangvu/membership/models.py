"""Member, the membership ledger (MembershipEvent) and what is derived from it.

The ledger is append-only: an event is never updated or deleted; a correction is a new event
that voids an earlier one. Everything else here is derived by ``rules.replay`` and written by
``services``: the Member's current fields (a projection), MemberPeriod (where the member
belonged on any date) and EventEffect (signed counter rows, so that a count as of any date, as
known at any time, is one sum).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.core.append_only import AppendOnlyModel


class Standing(models.TextChoices):
    PROBATIONARY = "probationary", _("probationary")
    OFFICIAL = "official", _("official")
    LEFT = "left", _("left the Party")


class EventKind(models.TextChoices):
    ADMISSION = "admission", _("admission")
    CEREMONY = "ceremony", _("admission ceremony")
    RECOGNITION = "recognition", _("recognition as official member")
    PROBATION_EXTENSION = "probation_extension", _("probation extension")
    TRANSFER_OUT = "transfer_out", _("official transfer out")
    TRANSFER_IN = "transfer_in", _("official transfer received")
    TEMPORARY_OUT = "temporary_out", _("temporary transfer out")
    TEMPORARY_IN = "temporary_in", _("temporary transfer received")
    TEMPORARY_EXTENSION = "temporary_extension", _("temporary transfer extended")
    TEMPORARY_RETURN = "temporary_return", _("return from a temporary transfer")
    INTERRUPTION = "interruption", _("transfer interruption")
    EXEMPTION = "exemption", _("exemption from work and activities")
    EXEMPTION_END = "exemption_end", _("end of exemption")
    SUSPENSION = "suspension", _("suspension of activities")
    SUSPENSION_END = "suspension_end", _("end of suspension")
    LOSS_OF_CONTACT = "loss_of_contact", _("loss of contact")
    CONTACT_RESUMED = "contact_resumed", _("activities resumed after loss of contact")
    REASSIGNMENT = "reassignment", _("reassignment by restructuring")
    DEATH = "death", _("death")
    REMOVAL = "removal", _("removal from the list")
    EXPULSION = "expulsion", _("expulsion")
    RESIGNATION = "resignation", _("resignation from the Party")
    READMISSION = "readmission", _("readmission")
    RESTORATION = "restoration", _("restoration of membership")
    CORRECTION = "correction", _("correction")


# The events that open a gap in a member's party age (``rules._flag``, ``_interruption``,
# ``_exit``): without any of them, and without a recalculation decision, his party age on any
# day counts from his first admission decision. Here rather than in ``rules`` because an index
# of the events below is made of them.
GAP_EVENTS = frozenset(
    {
        EventKind.LOSS_OF_CONTACT,
        EventKind.INTERRUPTION,
        EventKind.REMOVAL,
        EventKind.EXPULSION,
        EventKind.RESIGNATION,
    }
)


class ExitReason(models.TextChoices):
    """Why a member left; readmission depends on it (the rulebook lists the barred ones)."""

    # removal (xóa tên): Quy định 294-QĐ/TW item 8.1 and 4.2.1, 4.4.1, 5.2.7; HD 38-HD/BTCTW II.4.3.1 d
    ABANDONED_ACTIVITIES = (
        "abandoned_activities",
        _("abandoned party activities for 3 months in a year"),
    )
    UNPAID_DUES = "unpaid_dues", _("did not pay dues for 3 months in a year")
    CARD_HANDED_BACK = "card_handed_back", _("handed back or destroyed the party card")
    NO_PROGRESS = "no_progress", _("no progress 12 months after the cell's education")
    STANDARDS_TWO_YEARS = "standards_two_years", _("violated member standards two years in a row")
    POLITICAL_STANDARD = "political_standard", _("does not meet the political standard")
    NOT_RECOGNIZED = "not_recognized", _("probationer not recognized as official")
    PROBATIONER_SENTENCED = "probationer_sentenced", _("probationer sentenced by a court")
    TRANSFER_NOT_PRESENTED = (
        "transfer_not_presented",
        _("transfer papers not presented within 3 months"),
    )
    ANNULLED_ADMISSION = "annulled_admission", _("admission annulled")
    FALSE_CLAIM = "false_claim", _("falsely claimed membership")
    # resignation (xin ra khỏi Đảng): HD 06-HD/TW; 294 item 3.5.2
    FAMILY_HARDSHIP = "family_hardship", _("especially difficult family circumstances")
    PERSONAL_REQUEST = "personal_request", _("own request for other reasons")
    # expulsion (khai trừ): a discipline decision; 294 item 3.5.2 lists the barring grounds
    SERIOUS_DISUNITY = "serious_disunity", _("caused serious internal disunity")
    CORRUPTION_CONVICTION = "corruption_conviction", _("convicted of corruption")
    SERIOUS_CRIME_CONVICTION = (
        "serious_crime_conviction",
        _("convicted of a serious crime or worse"),
    )
    LESS_SERIOUS_CONVICTION = "less_serious_conviction", _("convicted of a less serious crime")
    OTHER_VIOLATION = "other_violation", _("other violation")


class TransferMode(models.TextChoices):
    OFFICIAL = "official", _("official")
    TEMPORARY = "temporary", _("temporary")


class Decision(models.Model):
    """A decision (quyết định) shared by the events it decides: one decision may admit or
    transfer many members."""

    number = models.CharField(_("number"), max_length=60)
    issuer = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        db_index=False,  # served by the decision_identity constraint's index
        related_name="decisions",
        verbose_name=_("issued by"),
    )
    decided_on = models.DateField(_("date"))
    signer = models.CharField(_("signed by"), max_length=120, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    scanned_file = models.FileField(_("scanned file"), upload_to="decisions/%Y/", blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "number", "decided_on"], name="decision_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.decided_on:%d/%m/%Y})"


class Member(models.Model):
    """The party role of a Person, one for life. Every field but ``person`` and ``search_key``
    is a projection of the ledger computed by ``rules.replay`` and written only by
    ``services.project``."""

    person = models.OneToOneField("people.Person", models.PROTECT, related_name="member")
    # the person's search key, copied (``receivers.copy_search_key``) so that a member list
    # is searched and sorted by name without reading a person per member: the list of a
    # province reads its tens of thousands of members from one index
    search_key = models.CharField(_("search key"), max_length=200, editable=False, default="")
    organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        db_index=False,  # served by the member_org_standing index
        related_name="members",
        verbose_name=_("organization"),
    )
    standing = models.CharField(_("standing"), max_length=12, choices=Standing)
    is_exempted = models.BooleanField(_("exempted"), default=False)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    is_in_transit = models.BooleanField(_("in transit"), default=False)
    is_temporarily_away = models.BooleanField(_("temporarily away"), default=False)
    is_lost_contact = models.BooleanField(_("lost contact"), default=False)
    first_admission_date = models.DateField(_("first admission decision"))
    admission_date = models.DateField(_("admission decision"))
    ceremony_date = models.DateField(_("admission ceremony"), null=True, blank=True)
    official_date = models.DateField(_("official since"), null=True, blank=True)
    exit_date = models.DateField(_("left on"), null=True, blank=True)
    exit_kind = models.CharField(_("left by"), max_length=20, blank=True)
    exit_reason = models.CharField(_("reason for leaving"), max_length=40, blank=True)
    dossier_number = models.CharField(_("dossier number"), max_length=12, blank=True)
    card_number = models.CharField(_("party card number"), max_length=12, blank=True)
    pending_transfer_to = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("in transit to"),
    )
    host_organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("temporarily with"),
    )
    # rules.party_age_from: an official member's party age on any later day D is the span from
    # this day to D; empty when he is not official or a gap is open (then read the ledger).
    party_age_from = models.DateField(_("party age counts from"), null=True, blank=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        indexes = [
            # current member lists: members of an organization by standing; with their names
            # and ids, a subtree's list is searched, counted and sorted from the index alone
            models.Index(
                fields=["organization", "standing", "search_key", "id"], name="member_org_standing"
            ),
            # member lists in name order: the first page of a province, the next page after a
            # given member, read along this index alone (the organization and the standing
            # tell whether a member is in the list)
            models.Index(
                fields=["search_key", "id", "organization", "standing"], name="member_name"
            ),
            # member lists in order of admission, read along this index alone as by name
            models.Index(
                fields=["admission_date", "id", "organization", "standing"],
                name="member_admission",
            ),
            # probations ending soon (the dashboard): a subtree's probationary members, three
            # in a hundred, with their ceremonies, read from the index alone
            models.Index(
                fields=["organization", "ceremony_date", "id"],
                condition=models.Q(standing="probationary"),
                name="member_probation",
            ),
            # badge rounds and party-age bands: date ranges of the day party age counts from;
            # with the standing, the few official members whose party age is not settled
            models.Index(fields=["party_age_from", "standing"], name="member_party_age_from"),
            # the members who left after a day (a past day's figures: reports.figures)
            models.Index(
                fields=["exit_date"],
                condition=models.Q(exit_date__isnull=False),
                name="member_exit",
            ),
            # transfers not yet received, by either side (the dashboard, the receiving inbox):
            # a few members among millions, found from the index alone
            models.Index(
                fields=["pending_transfer_to", "id"],
                condition=models.Q(is_in_transit=True),
                name="member_in_transit_to",
            ),
            models.Index(
                fields=["organization", "standing", "id"],
                condition=models.Q(pending_transfer_to__isnull=False),
                name="member_in_transit_from",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)


class MembershipEvent(AppendOnlyModel):
    """One movement of a member, effective on ``effective_date``, recorded at ``recorded_at``.

    ``organization`` is where it happens (the sender of a transfer); ``counterpart`` the other
    side (the receiver, the host, the new organization of a reassignment). A correction names
    the event it voids in ``voids``.
    """

    # db_index off where a composite index below starts with the same column
    member = models.ForeignKey(Member, models.PROTECT, db_index=False, related_name="events")
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind)
    effective_date = models.DateField(_("effective on"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        db_index=False,  # never searched by; an index per ledger row would only cost
        related_name="+",
        verbose_name=_("recorded by"),
    )
    decision = models.ForeignKey(
        Decision,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("decision"),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        db_index=False,  # served by the index event_org_date (migration 0005)
        related_name="+",
        verbose_name=_("organization"),
    )
    counterpart = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("other organization"),
    )
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    resolution_date = models.DateField(_("cell resolution"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    voids = models.OneToOneField(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_by",
        verbose_name=_("corrects"),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")
        ordering = ["member_id", "effective_date", "id"]
        indexes = [
            # a member's ledger in order
            models.Index(fields=["member", "effective_date"], name="event_member_date"),
            # movements of a period (reports)
            models.Index(fields=["effective_date", "kind"], name="event_date_kind"),
            # movements of a period in one subtree (the dashboard: reports.movements.since);
            # on PostgreSQL it carries the kind, the other side and the id (migration 0005)
            models.Index(fields=["organization", "effective_date"], name="event_org_date"),
            # the events voided by a correction, a few in a thousand: a count of movements
            # leaves them out by one hash of this small index, not a look-up per event
            models.Index(
                fields=["voids"], condition=models.Q(kind="correction"), name="event_voided"
            ),
            # the members whose party age has a gap (a few in a hundred): a past day's figures
            # replay their party age (reports.engine, reports.figures.changed_members)
            models.Index(
                fields=["member"],
                condition=models.Q(kind__in=sorted(GAP_EVENTS)),
                name="event_gap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_date:%d/%m/%Y}"


class Counter(models.TextChoices):
    """What an effect row counts; ``probationary`` + ``official`` is the headcount."""

    PROBATIONARY = "probationary", _("probationary members")
    OFFICIAL = "official", _("official members")
    IN_TRANSIT = "in_transit", _("in transit (sent, not yet received)")
    EXEMPTED = "exempted", _("exempted")
    SUSPENDED = "suspended", _("suspended")
    TEMPORARILY_AWAY = "temporarily_away", _("temporarily away")
    HOSTED = "hosted", _("hosted on a temporary transfer")
    LOST_CONTACT = "lost_contact", _("lost contact")


class EventEffect(AppendOnlyModel):
    """A signed change of one counter of one organization from ``effective_date`` on, written
    when it became known (``recorded_at``). Append-only: a correction or a back-dated event
    adds the difference, so that every count as of D as known at T is one sum."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="effects")
    event = models.ForeignKey(MembershipEvent, models.PROTECT, null=True, related_name="effects")
    organization = models.ForeignKey(
        "organizations.Organization", models.PROTECT, db_index=False, related_name="+"
    )
    counter = models.CharField(max_length=20, choices=Counter)
    delta = models.SmallIntegerField()
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event effect")
        verbose_name_plural = _("event effects")
        indexes = [
            # counts of an organization as of a date
            models.Index(
                fields=["organization", "counter", "effective_date"], name="effect_org_counter"
            ),
            # the effect rows of a few days: what changed between a snapshot and a day near it
            models.Index(fields=["effective_date"], name="effect_date"),
        ]

    def __str__(self) -> str:
        return f"{self.counter} {self.delta:+d}"


class MemberPeriod(models.Model):
    """Where a member belonged over [valid_from, valid_to); rebuilt from the ledger."""

    member = models.ForeignKey(Member, models.CASCADE, related_name="periods")
    organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        db_index=False,  # period_org_from serves it
        related_name="member_periods",
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership period")
        verbose_name_plural = _("membership periods")
        ordering = ["member_id", "valid_from"]
        indexes = [
            # former members and "as of" lists of an organization
            models.Index(fields=["organization", "valid_from"], name="period_org_from"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.organization_id} {self.valid_from}–{self.valid_to or ''}"


class PartyAgeDecision(models.Model):
    """A superior standing committee's recalculation of a readmitted member's party age: the
    decided value wins over the computed one (Hướng dẫn 06-HD/TW item 5.3)."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="party_age_decisions")
    decision = models.ForeignKey(Decision, models.PROTECT, related_name="+")
    as_of = models.DateField(_("party age as of"))
    years = models.PositiveSmallIntegerField(_("years"))
    months = models.PositiveSmallIntegerField(_("months"))
    days = models.PositiveSmallIntegerField(_("days"), default=0)

    class Meta:
        verbose_name = _("party age decision")
        verbose_name_plural = _("party age decisions")
        ordering = ["member_id", "as_of"]

    def __str__(self) -> str:
        return f"{self.member}: {self.years}y {self.months}m ({self.as_of:%d/%m/%Y})"

    @property
    def decided(self) -> tuple[date, int, int, int]:
        """(as_of, years, months, days), as ``rules.party_age`` takes it."""
        return (self.as_of, self.years, self.months, self.days)


class CardKind(models.TextChoices):
    CARD_2003 = "card_2003", _("party card (2003 model)")
    CARD_2025 = "card_2025", _("party card (2025 model, number = personal ID)")
    ELECTRONIC = "electronic", _("electronic party card")


class PartyCard(models.Model):
    """A party card issued to an official member; recovered on every exit except death."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="cards")
    kind = models.CharField(_("kind"), max_length=12, choices=CardKind)
    number = models.CharField(_("number"), max_length=12)
    issued_on = models.DateField(_("issued on"))
    decision = models.ForeignKey(Decision, models.PROTECT, null=True, blank=True, related_name="+")
    recovered_on = models.DateField(_("recovered on"), null=True, blank=True)
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)

    class Meta:
        verbose_name = _("party card")
        verbose_name_plural = _("party cards")
        ordering = ["member_id", "issued_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.issued_on:%d/%m/%Y})"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    LETTER_ISSUED = "letter_issued", _("introduction letter issued")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REFUSED = "refused", _("refused")


class TransferProposal(models.Model):
    """A cell's proposal to transfer a member officially, before the committee issues the
    introduction letter (the ``transfer_out`` event it then points to) or refuses it. Not part of
    the ledger: it changes no count; the letter does."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="transfer_proposals")
    from_organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        related_name="+",
        verbose_name=_("sending organization"),
    )
    to_organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        related_name="+",
        verbose_name=_("receiving organization"),
    )
    proposed_on = models.DateField(_("proposed on"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=ProposalState, default=ProposalState.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=300, blank=True)
    event = models.OneToOneField(
        MembershipEvent,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_proposal",
        verbose_name=_("introduction letter"),
    )

    class Meta:
        verbose_name = _("transfer proposal")
        verbose_name_plural = _("transfer proposals")
        ordering = ["proposed_on", "id"]
        indexes = [
            # an approver's inbox: open proposals of a subtree
            models.Index(fields=["state", "from_organization"], name="proposal_state_from"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.to_organization} ({self.proposed_on:%d/%m/%Y})"
