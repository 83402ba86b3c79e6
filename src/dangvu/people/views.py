"""Pages that create a person and correct the basics of a curriculum vitae. Every read goes
through ``people.selectors`` (404 outside the user's scope), every write through
``people.services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.errors import DomainError
from dangvu.core.forms import add_domain_error
from dangvu.core.text import mask_identifier
from dangvu.membership.event_views import dossier_url
from dangvu.membership.models import Member
from dangvu.people import selectors, services
from dangvu.people.forms import ERROR_ALIASES, PersonForm, organizations_with_role


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Open a new curriculum vitae, kept by an organization where the user is a clerk."""
    organizations = organizations_with_role(request.user, Role.CLERK)
    if not organizations.exists():
        raise PermissionDenied(_("You need the clerk role on an organization to add a person."))
    form = PersonForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(
                actor=request.user,
                home_organization=form.cleaned_data["home_organization"],
                **form.person_fields(),
            )
        except DomainError as error:
            add_domain_error(form, error, ERROR_ALIASES)
        else:
            messages.success(request, _("%(name)s is recorded.") % {"name": person.full_name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The basics of the curriculum vitae, with what can be done next."""
    person = selectors.person_for(request.user, pk)
    member = Member.objects.filter(person=person).first()
    home = person.home_organization
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "member": member,
            "dossier_url": dossier_url(member) if member else "",
            "masked_id": mask_identifier(person.national_id),
            "may_edit": scoping.has_role(request.user, Role.CLERK, home),
            "may_admit": member is None and scoping.has_role(request.user, Role.APPROVER, home),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the basics of a curriculum vitae; only the fields changed are audited."""
    person = selectors.person_for(request.user, pk)
    if not scoping.has_role(request.user, Role.CLERK, person.home_organization):
        raise PermissionDenied
    form = PersonForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(
                actor=request.user,
                person=person,
                reason=form.cleaned_data["reason"],
                **form.person_fields(),
            )
        except DomainError as error:
            add_domain_error(form, error, ERROR_ALIASES)
        else:
            messages.success(request, _("The curriculum vitae is saved."))
            return redirect("people:detail", pk=person.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )
