"""The forms that record membership events. Each form parses what is typed and, in ``save``,
calls the service it is given with the arguments that service takes; the services check the
rules. A form that cites a decision records it first (``services.record_decision``), in the
view's transaction."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.errors import DomainError
from dangvu.core.forms import DateField, OrganizationField, StyledForm
from dangvu.membership import services
from dangvu.membership.models import Decision, EventKind, ExitReason, Member
from dangvu.membership.rules import EXIT_REASONS
from dangvu.organizations.models import Organization
from dangvu.people.forms import organizations_with_role

Service = Callable[..., Any]


def live_organizations() -> QuerySet[Organization]:
    """Every organization alive today: the receiving side of a transfer may be anywhere."""
    return Organization.objects.filter(dissolved_on__isnull=True).order_by("name")


def default_issuer(user: Any, organization: Organization) -> Organization:
    """The organization whose decisions the user usually records: the lowest one where he is
    an approver above ``organization`` (its parent for a superuser without such a grant)."""
    grants = [
        g.organization
        for g in scoping.active_grants(user)
        if g.role == Role.APPROVER and organization.path.startswith(g.organization.path)
    ]
    if grants:
        return max(grants, key=lambda o: o.depth)
    return organization.parent or organization


class EventForm(StyledForm):
    """What every event form knows: the member, the user, and whether a decision is asked for
    (``decision``: None, "optional" or "required")."""

    decision: str | None = None

    def __init__(self, *args: Any, member: Member | None, user: Any, **kwargs: Any):
        self.member, self.user = member, user
        super().__init__(*args, **kwargs)
        if self.decision:
            where = member.organization if member else None
            self.add_decision_fields("decision", self.decision == "required", where)

    def add_decision_fields(
        self, prefix: str, required: bool, where: Organization | None, label: Any = None
    ) -> None:
        issuer = OrganizationField(live_organizations(), label=_("issued by"), required=required)
        if where is not None:
            issuer.initial = default_issuer(self.user, where)
        self.fields[f"{prefix}_number"] = forms.CharField(
            label=label or _("decision number"), max_length=60, required=required
        )
        self.fields[f"{prefix}_date"] = DateField(label=_("decision date"), required=required)
        self.fields[f"{prefix}_issuer"] = issuer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for prefix in ("decision", "consent"):
            parts = [f"{prefix}_{part}" for part in ("number", "date", "issuer")]
            # the issuer has a default: a number or a date typed asks for the rest
            if parts[0] in self.fields and any(data.get(p) for p in parts[:2]):
                for part in parts:
                    if not data.get(part) and part not in self.errors:
                        self.add_error(part, _("Give the decision's number, date and issuer."))
        return data

    def decision_for(self, organization: Organization, prefix: str = "decision") -> Decision | None:
        """The decision typed in the form (recorded now if new), or None if none was typed."""
        data = self.cleaned_data
        if not data.get(f"{prefix}_number"):
            return None
        try:
            return services.record_decision(
                actor=self.user,
                organization=organization,
                number=data[f"{prefix}_number"],
                issuer=data[f"{prefix}_issuer"],
                decided_on=data[f"{prefix}_date"],
            )
        except DomainError as error:
            parts = {"number": "number", "decided_on": "date"}
            field = f"{prefix}_{parts[error.field]}" if error.field in parts else None
            raise DomainError(error.message, field=field) from None

    @property
    def on(self) -> Any:
        return self.cleaned_data["effective_date"]

    def save(self, service: Service) -> Any:
        raise NotImplementedError


class DatedForm(EventForm):
    """An event that needs only its date (receipt, return, death, loss of contact ...)."""

    effective_date = DateField(label=_("effective on"))

    def save(self, service: Service) -> Any:
        return service(actor=self.user, member=self.member, on=self.on)


class CeremonyForm(DatedForm):
    place = forms.CharField(label=_("place"), max_length=200, required=False)

    def save(self, service: Service) -> Any:
        return service(
            actor=self.user, member=self.member, on=self.on, place=self.cleaned_data["place"]
        )


class RecognitionForm(EventForm):
    """Recognition takes effect at the end of probation: only the vote and decision are typed."""

    decision = "required"
    resolution_date = DateField(label=_("date of the cell's resolution"), required=False)

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            decision=self.decision_for(self.member.organization),
            resolution_date=self.cleaned_data["resolution_date"],
        )


class ProbationExtensionForm(DatedForm):
    decision = "optional"
    months = forms.IntegerField(label=_("months of extension"), min_value=1, max_value=24)

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            on=self.on,
            months=self.cleaned_data["months"],
            decision=self.decision_for(self.member.organization),
        )


class TransferForm(EventForm):
    """The introduction letter of an official transfer (or its proposal)."""

    effective_date = DateField(label=_("effective on"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to"] = OrganizationField(
            live_organizations(), label=_("receiving organization")
        )
        self.order_fields(["to"])

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            to=self.cleaned_data["to"],
            on=self.on,
            decision=self.decision_for(self.member.organization),
        )


class TransferOutForm(TransferForm):
    decision = "optional"


class ProposalForm(TransferForm):
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].label = _("proposed on")

    def save(self, service: Service) -> Any:
        return service(
            actor=self.user,
            member=self.member,
            to=self.cleaned_data["to"],
            on=self.on,
            note=self.cleaned_data["note"],
        )


class TemporaryTransferForm(TransferForm):
    ends_on = DateField(label=_("until"))
    study = forms.BooleanField(label=_("full-time study (up to 2 years)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to"].label = _("host organization")
        self.order_fields(["to", "effective_date", "ends_on", "study"])

    def save(self, service: Service) -> Any:
        return service(
            actor=self.user,
            member=self.member,
            to=self.cleaned_data["to"],
            on=self.on,
            until=self.cleaned_data["ends_on"],
            study=self.cleaned_data["study"],
        )


class TemporaryExtensionForm(DatedForm):
    ends_on = DateField(label=_("until"))
    study = forms.BooleanField(label=_("full-time study (up to 2 years)"), required=False)

    def save(self, service: Service) -> Any:
        return service(
            actor=self.user,
            member=self.member,
            on=self.on,
            until=self.cleaned_data["ends_on"],
            study=self.cleaned_data["study"],
        )


class InterruptionForm(EventForm):
    decision = "required"
    effective_date = DateField(label=_("interrupted from"))
    ends_on = DateField(label=_("until"))

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            start=self.on,
            end=self.cleaned_data["ends_on"],
            decision=self.decision_for(self.member.organization),
        )


class ActivityForm(DatedForm):
    """Exemption, suspension, loss of contact and their ends."""

    decision = "optional"
    reason = forms.CharField(label=_("reason (in a few words)"), max_length=40, required=False)
    ends_on = DateField(label=_("until"), required=False)

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            on=self.on,
            reason=self.cleaned_data["reason"],
            until=self.cleaned_data["ends_on"],
            decision=self.decision_for(self.member.organization),
        )


def choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def reason_choices(kind: EventKind) -> list[tuple[str, Any]]:
    allowed = EXIT_REASONS[kind]
    return [("", _("— choose —"))] + [(r.value, r.label) for r in ExitReason if r in allowed]


class ExitForm(DatedForm):
    """Removal and resignation: a coded reason (readmission depends on it) and the decision."""

    decision = "required"
    exit_kind = EventKind.REMOVAL
    reason = forms.ChoiceField(label=_("reason for leaving"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice(self, "reason").choices = reason_choices(self.exit_kind)

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user,
            member=self.member,
            on=self.on,
            reason=self.cleaned_data["reason"],
            decision=self.decision_for(self.member.organization),
        )


class ResignationForm(ExitForm):
    exit_kind = EventKind.RESIGNATION


class ExpulsionForm(EventForm):
    """Expulsion is recorded from its discipline decision, entered here with it."""

    deciding_body = forms.CharField(label=_("deciding body"), max_length=200)
    discipline_number = forms.CharField(label=_("decision number"), max_length=60, required=False)
    effective_date = DateField(label=_("decided on"))
    reason = forms.ChoiceField(label=_("reason for leaving"))
    grounds = forms.CharField(
        label=_("grounds"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choice(self, "reason").choices = reason_choices(EventKind.EXPULSION)

    def save(self, service: Service) -> Any:
        data = self.cleaned_data
        return service(
            actor=self.user,
            member=self.member,
            reason=data["reason"],
            deciding_body=data["deciding_body"],
            decided_on=self.on,
            decision_number=data["discipline_number"],
            grounds=data["grounds"],
        )


class RejoinForm(EventForm):
    """Restoration: the organization the member returns to and the decision (its date is the
    event's)."""

    decision = "required"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organization"] = OrganizationField(
            organizations_with_role(self.user, Role.APPROVER), label=_("organization")
        )
        if self.member is not None:
            self.fields["organization"].initial = self.member.organization
        self.order_fields(["organization"])

    def save(self, service: Service) -> Any:
        organization = self.cleaned_data["organization"]
        return service(
            actor=self.user,
            member=self.member,
            organization=organization,
            decision=self.decision_for(organization),
        )


class ReadmissionForm(RejoinForm):
    resolution_date = DateField(label=_("date of the cell's resolution"))
    expunged_on = DateField(label=_("conviction expunged on (if any)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_decision_fields(
            "consent", True, None, label=_("provincial standing committee's consent number")
        )

    def save(self, service: Service) -> Any:
        data = self.cleaned_data
        organization = data["organization"]
        return service(
            actor=self.user,
            member=self.member,
            organization=organization,
            decision=self.decision_for(organization),
            resolution_date=data["resolution_date"],
            provincial_consent=self.decision_for(organization, "consent"),
            expunged_on=data["expunged_on"],
        )


class AdmissionForm(EventForm):
    """Admission of a person: where, the cell's vote and the competent committee's decision;
    the provincial consent only for a person past 60."""

    decision = "required"
    resolution_date = DateField(label=_("date of the cell's resolution"))
    dossier_number = forms.CharField(label=_("dossier number"), max_length=12, required=False)

    def __init__(self, *args: Any, person: Any, **kwargs: Any):
        self.person = person
        super().__init__(*args, member=None, **kwargs)
        self.fields["organization"] = OrganizationField(
            organizations_with_role(self.user, Role.APPROVER), label=_("organization")
        )
        self.fields["organization"].initial = person.home_organization
        self.fields["decision_issuer"].initial = default_issuer(self.user, person.home_organization)
        self.order_fields(["organization", "resolution_date"])
        self.add_decision_fields(
            "consent", False, None, label=_("provincial consent number (past 60 only)")
        )

    def save(self, service: Service) -> Any:
        data = self.cleaned_data
        organization = data["organization"]
        return service(
            actor=self.user,
            person=self.person,
            organization=organization,
            decision=self.decision_for(organization),
            resolution_date=data["resolution_date"],
            dossier_number=data["dossier_number"],
            provincial_consent=self.decision_for(organization, "consent"),
        )


class CorrectionForm(EventForm):
    """Void a wrong event of the member's ledger, saying why."""

    event = forms.TypedChoiceField(label=_("the wrong event"), coerce=int)
    reason = forms.CharField(
        label=_("why it is wrong"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        assert self.member is not None
        self.events = {
            event.pk: event
            for event in self.member.events.filter(voided_by__isnull=True)
            .exclude(kind=EventKind.CORRECTION)
            .select_related("organization")
            .order_by("effective_date", "id")
        }
        choice(self, "event").choices = [("", _("— choose —"))] + [
            (pk, f"{event.effective_date:%d/%m/%Y} – {event.get_kind_display()} – "
             f"{event.organization.name}")
            for pk, event in self.events.items()
        ]  # fmt: skip

    def save(self, service: Service) -> Any:
        event = self.events[self.cleaned_data["event"]]
        return service(actor=self.user, event=event, reason=self.cleaned_data["reason"])


class LetterForm(EventForm):
    """The committee grants a transfer proposal: the introduction letter's date and decision."""

    decision = "optional"
    effective_date = DateField(label=_("date of the introduction letter"))

    def save(self, service: Service) -> Any:
        assert self.member is not None
        return service(
            actor=self.user, on=self.on, decision=self.decision_for(self.member.organization)
        )


class RefusalForm(StyledForm):
    reason = forms.CharField(
        label=_("reason for refusing"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
