"""Pages that record membership events: one view driven by the table ``KINDS`` (form, service,
role, when it applies), the admission of a person, and the transfer proposals and receipts.

Reads go through ``membership.selectors`` and ``people.selectors`` (404 outside the user's
scope); the role is checked before the form is shown (403), and the services check it again
with every rule of the ledger.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangvu.accounts import scoping
from dangvu.accounts.models import Grant, Role
from dangvu.core.errors import DomainError
from dangvu.core.forms import add_domain_error
from dangvu.membership import forms, selectors, services
from dangvu.membership.models import EventKind, Member, Standing
from dangvu.organizations.models import Organization
from dangvu.people import selectors as people_selectors
from dangvu.people.forms import organizations_with_role

PAGE_SIZE = 50
K = EventKind


def dossier_url(member: Member) -> str:
    """The member's dossier, where every event form returns."""
    return reverse("members:dossier", args=[member.pk])


# --- when an event applies to a member (his state today) --------------------------------------


def current(m: Member) -> bool:
    return m.standing in (Standing.PROBATIONARY, Standing.OFFICIAL)


def settled(m: Member) -> bool:
    """A current member who is not being transferred."""
    return current(m) and not m.is_in_transit and not m.is_temporarily_away


def awaiting_ceremony(m: Member) -> bool:
    return m.standing == Standing.PROBATIONARY and m.ceremony_date is None


def on_probation(m: Member) -> bool:
    return m.standing == Standing.PROBATIONARY and m.ceremony_date is not None


def away(m: Member) -> bool:
    return current(m) and m.is_temporarily_away


def left(m: Member) -> bool:
    return m.standing == Standing.LEFT


def home(m: Member) -> Organization:
    return m.organization


@dataclass(frozen=True)
class Kind:
    """An event the web records: its form, the service the form calls, the role needed where
    it happens (``place``: the member's organization, or the receiving side), and when it
    applies to the member."""

    title: Promise
    form: type[forms.EventForm]
    service: Callable[..., Any]
    role: Role
    applies: Callable[[Member], bool]
    place: Callable[[Member], Organization | None] = home


def flag(name: str, on: bool) -> Callable[[Member], bool]:
    """Applies while the member's flag ``name`` is ``on`` (opening events need it off)."""
    return lambda m: current(m) and getattr(m, name) == on


CLERK, APPROVER = Role.CLERK, Role.APPROVER
KINDS: dict[str, Kind] = {
    "ceremony": Kind(
        gettext_lazy("Admission ceremony"), forms.CeremonyForm, services.record_ceremony, CLERK,
        awaiting_ceremony,
    ),
    "recognition": Kind(
        gettext_lazy("Recognition as official member"), forms.RecognitionForm, services.recognize_member,
        APPROVER, on_probation,
    ),
    "probation-extension": Kind(
        gettext_lazy("Extend probation"), forms.ProbationExtensionForm, services.extend_probation,
        APPROVER, on_probation,
    ),
    "transfer-proposal": Kind(
        gettext_lazy("Propose a transfer"), forms.ProposalForm, services.propose_transfer, CLERK, settled
    ),
    "transfer-out": Kind(
        gettext_lazy("Official transfer out (introduction letter)"), forms.TransferOutForm,
        services.record_transfer_out, APPROVER, settled,
    ),
    "transfer-in": Kind(
        gettext_lazy("Receive the transferred member"), forms.DatedForm, services.receive_transfer, CLERK,
        lambda m: current(m) and m.is_in_transit, lambda m: m.pending_transfer_to,
    ),
    "temporary-out": Kind(
        gettext_lazy("Temporary transfer out"), forms.TemporaryTransferForm,
        services.record_temporary_transfer, APPROVER, settled,
    ),
    "temporary-in": Kind(
        gettext_lazy("Receive on a temporary transfer"), forms.DatedForm,
        services.receive_temporary_transfer, CLERK, away, lambda m: m.host_organization,
    ),
    "temporary-extension": Kind(
        gettext_lazy("Extend the temporary transfer"), forms.TemporaryExtensionForm,
        services.extend_temporary_transfer, APPROVER, away,
    ),
    "temporary-return": Kind(
        gettext_lazy("Return from the temporary transfer"), forms.DatedForm, services.record_return,
        CLERK, away,
    ),
    "interruption": Kind(
        gettext_lazy("Interruption during a transfer"), forms.InterruptionForm,
        services.record_interruption, APPROVER, current,
    ),
    "exemption": Kind(
        gettext_lazy("Exemption from work and activities"), forms.ActivityForm, services.exempt_member,
        APPROVER, flag("is_exempted", False),
    ),
    "exemption-end": Kind(
        gettext_lazy("End of exemption"), forms.ActivityForm, services.end_exemption, APPROVER,
        flag("is_exempted", True),
    ),
    "suspension": Kind(
        gettext_lazy("Suspension of activities"), forms.ActivityForm, services.suspend_member, APPROVER,
        flag("is_suspended", False),
    ),
    "suspension-end": Kind(
        gettext_lazy("End of suspension"), forms.ActivityForm, services.end_suspension, APPROVER,
        flag("is_suspended", True),
    ),
    "loss-of-contact": Kind(
        gettext_lazy("Loss of contact"), forms.ActivityForm, services.record_loss_of_contact, CLERK,
        flag("is_lost_contact", False),
    ),
    "contact-resumed": Kind(
        gettext_lazy("Activities resumed after loss of contact"), forms.ActivityForm,
        services.resume_contact, CLERK, flag("is_lost_contact", True),
    ),
    "death": Kind(gettext_lazy("Death"), forms.DatedForm, services.record_death, APPROVER, current),
    "removal": Kind(
        gettext_lazy("Removal from the list"), forms.ExitForm, services.remove_member, APPROVER, current
    ),
    "expulsion": Kind(
        gettext_lazy("Expulsion"), forms.ExpulsionForm, services.record_expulsion, APPROVER,
        lambda m: m.standing == Standing.OFFICIAL,
    ),
    "resignation": Kind(
        gettext_lazy("Resignation from the Party"), forms.ResignationForm, services.record_resignation,
        APPROVER, current,
    ),
    "readmission": Kind(
        gettext_lazy("Readmission"), forms.ReadmissionForm, services.readmit_member, APPROVER,
        lambda m: left(m) and m.exit_kind != K.DEATH,
    ),
    "restoration": Kind(
        gettext_lazy("Restoration of membership"), forms.RejoinForm, services.restore_member, APPROVER,
        lambda m: left(m) and m.exit_kind in (K.REMOVAL, K.EXPULSION),
    ),
    "correction": Kind(
        gettext_lazy("Correct a wrong event"), forms.CorrectionForm, services.correct_event, APPROVER,
        lambda m: True,
    ),
}  # fmt: skip


# --- who may do what ----------------------------------------------------------------------------


def may(user: Any, grants: list[Grant], role: Role, place: Organization | None) -> bool:
    """``scoping.has_role`` over grants read once (a page checks many kinds)."""
    if place is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(g.role == role and place.path.startswith(g.organization.path) for g in grants)


def actions_for(user: Any, member: Member) -> list[tuple[str, Promise]]:
    """(slug, title) of the events the user may record for the member today, in table order.
    One query (the user's grants) whatever the number of kinds."""
    grants = scoping.active_grants(user)
    return [
        (slug, kind.title)
        for slug, kind in KINDS.items()
        if kind.applies(member) and may(user, grants, kind.role, kind.place(member))
    ]


def _kind_for(request: HttpRequest, member: Member, slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None or not kind.applies(member):
        raise Http404
    if not may(request.user, scoping.active_grants(request.user), kind.role, kind.place(member)):
        raise PermissionDenied
    return kind


def _submit(
    request: HttpRequest, form: forms.EventForm, service: Callable[..., Any], success: str
) -> HttpResponse | None:
    """Validate, call the service in one transaction, and answer the redirect; None when the
    form is shown again with its errors (nothing written)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            form.save(service)
    except DomainError as error:
        add_domain_error(form, error)
        return None
    messages.success(request, success)
    return redirect(dossier_url(form.member) if form.member else "home")


@login_required
def record(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """Record one kind of event for a member (the form of ``KINDS[slug]``)."""
    member = selectors.member_for(request.user, pk)
    kind = _kind_for(request, member, slug)
    form = kind.form(request.POST or None, member=member, user=request.user)
    success = _("%(event)s is recorded for %(name)s.") % {
        "event": kind.title,
        "name": member.person.full_name,
    }
    done = _submit(request, form, kind.service, success)
    if done:
        return done
    return render(
        request,
        "membership/events/form.html",
        {"form": form, "member": member, "title": kind.title, "back": dossier_url(member)},
        status=400 if form.errors else 200,
    )


@login_required
def admit(request: HttpRequest, person: int) -> HttpResponse:
    """Admit a person to the Party (the competent committee's decision)."""
    found = people_selectors.person_for(request.user, person)
    if Member.objects.filter(person=found).exists():
        raise Http404
    if not organizations_with_role(request.user, Role.APPROVER).exists():
        raise PermissionDenied
    form = forms.AdmissionForm(request.POST or None, person=found, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                member = form.save(services.admit_member)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("%(name)s is admitted.") % {"name": found.full_name})
            return redirect(dossier_url(member))
    return render(
        request,
        "membership/events/form.html",
        {
            "form": form,
            "person": found,
            "title": _("Admission to the Party"),
            "back": reverse("people:detail", args=[found.pk]),
        },
        status=400 if form.errors else 200,
    )


# --- transfer proposals and receipts ----------------------------------------------------------


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    """Transfer proposals awaiting the committee's decision, in the user's scope."""
    found = selectors.open_proposals_for(request.user).order_by("proposed_on", "id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    grants = scoping.active_grants(request.user)
    rows = [(p, may(request.user, grants, APPROVER, p.from_organization)) for p in page]
    return render(
        request, "membership/events/proposals.html", {"page": page, "rows": rows, "query": ""}
    )


@login_required
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """One proposal: the committee issues the letter or refuses; the cell may withdraw it."""
    found = selectors.proposal_for(request.user, pk)
    grants = scoping.active_grants(request.user)
    open_ = found.state == "proposed"
    may_decide = open_ and may(request.user, grants, APPROVER, found.from_organization)
    may_withdraw = open_ and may(request.user, grants, CLERK, found.from_organization)
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not (may_withdraw if action == "withdraw" else may_decide):
        raise PermissionDenied
    data = request.POST if action else None
    letter = forms.LetterForm(
        data if action == "letter" else None, member=found.member, user=request.user
    )
    refusal = forms.RefusalForm(data if action == "refuse" else None)
    if action == "withdraw":
        return _withdraw(request, found)
    if action == "letter":
        done = _submit(
            request,
            letter,
            partial(services.issue_transfer_letter, proposal=found),
            _("The introduction letter is recorded; the member is in transit."),
        )
        if done:
            return done
    if action == "refuse" and refusal.is_valid():
        try:
            services.refuse_transfer_proposal(
                actor=request.user, proposal=found, reason=refusal.cleaned_data["reason"]
            )
        except DomainError as error:
            add_domain_error(refusal, error)
        else:
            messages.success(request, _("The proposal is refused."))
            return redirect("events:proposals")
    bad = letter.errors or refusal.errors
    return render(
        request,
        "membership/events/proposal.html",
        {
            "proposal": found,
            "letter": letter,
            "refusal": refusal,
            "may_decide": may_decide,
            "may_withdraw": may_withdraw,
            "dossier": dossier_url(found.member),
        },
        status=400 if bad else 200,
    )


def _withdraw(request: HttpRequest, found: Any) -> HttpResponse:
    try:
        services.withdraw_transfer_proposal(actor=request.user, proposal=found)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The proposal is withdrawn."))
    return redirect(dossier_url(found.member))


@login_required
def incoming(request: HttpRequest) -> HttpResponse:
    """Members in transit towards the user's organizations, each with its "receive" action."""
    found = (
        selectors.pending_transfers_to(request.user)
        .select_related("organization", "pending_transfer_to")
        .order_by("person__search_key", "pk")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    grants = scoping.active_grants(request.user)
    rows = [(m, may(request.user, grants, CLERK, m.pending_transfer_to)) for m in page]
    return render(
        request, "membership/events/incoming.html", {"page": page, "rows": rows, "query": ""}
    )
