"""Member pages: the list of current members (filters, search, sort, print, xlsx), the former
members of an organization, and a member's dossier with his ledger and party age.

Every read goes through ``membership.selectors`` (404 outside the user's scope, exactly as for
a missing member). Personal identification numbers are masked on every page and in every
export; a look at one number in clear is a POST to ``reveal_national_id`` (audited by
``people.services.reveal_national_id``). Exporting a list with the numbers in clear is a
permission of its own: the administrator role on the organization the list covers, or a
superuser (``clear_ids_organization``); everyone else gets the masked column, and every clear
export is audited (``people.services.export_national_ids``).
"""

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core import paging
from dangvu.core.dates import format_date
from dangvu.core.errors import NotPermitted
from dangvu.core.rulebook import Rulebook
from dangvu.core.text import mask_identifier
from dangvu.membership import exports, selectors, services
from dangvu.membership.list_forms import FormerFilters, MemberFilters
from dangvu.membership.models import EventKind, ExitReason, Member, Standing
from dangvu.organizations.models import Organization
from dangvu.organizations.selectors import organization_for, organizations_for
from dangvu.people import selectors as people_selectors
from dangvu.people import services as people_services

PAGE_SIZE = 50
# the matches of a search read at once, which then need no count apart (core.paging)
SEARCHED = 50_000
# The list's columns after "No.", with their sort keys (None: not sortable).
LIST_COLUMNS = [
    ("name", gettext_lazy("Full name")),
    (None, gettext_lazy("Gender")),
    ("birth", gettext_lazy("Born")),
    (None, gettext_lazy("Personal identification number")),
    ("organization", gettext_lazy("Organization")),
    ("admitted", gettext_lazy("Admission decision")),
    (None, gettext_lazy("Standing")),
]


# --- the list of current members ------------------------------------------------------------


def member_filters(request: HttpRequest) -> MemberFilters:
    """The list's filter form, offering the organizations around the one chosen."""
    pk = request.GET.get("organization", "")
    chosen = organizations_for(request.user).filter(pk=pk).first() if pk.isdigit() else None
    return MemberFilters(request.GET, selectors.organization_choices(request.user, chosen))


def clear_ids_organization(user: Any, form: MemberFilters) -> Organization | None:
    """The organization whose administrators may export this list's numbers in clear: the one
    chosen, or the single top of the user's scope. None when the user may not (a user with
    grants on several organizations chooses one first)."""
    organization = form.chosen_organization
    if organization is None:
        top = tops(form)
        organization = top[0] if len(top) == 1 else None
    if organization is None or not scoping.has_role(user, Role.ADMIN, organization):
        return None
    return organization


def tops(form: MemberFilters) -> list[Organization]:
    """The organizations at the top of the list's scope (the user's grants, or the root):
    those offered whose parent is not."""
    offered = form.organizations
    return [o for o in offered.values() if o.parent_id not in offered]


# a page's number and the row its page follows or precedes (``core.paging``)
PAGE = ("page", "after", "before")
# what a row of the list shows (list.html and the standing tag of templatetags/members.py):
# the rest of a person's curriculum vitae is not read for fifty rows
ROW_FIELDS = (
    "standing",
    "is_exempted",
    "is_suspended",
    "is_in_transit",
    "is_temporarily_away",
    "is_lost_contact",
    "admission_date",
    "person__full_name",
    "person__gender",
    "person__birth_year",
    "person__birth_month",
    "person__birth_day",
    "person__national_id",
    "organization__name",
)


def sort_links(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    """Each column's header; a sortable one with its link (reversing the order when it is the
    current one) and its state for ``aria-sort``."""
    base = paging.query_without(request, "sort", *PAGE)
    links: list[dict[str, Any]] = []
    for key, label in LIST_COLUMNS:
        if key is None:
            links.append({"label": label})
            continue
        state = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        target = f"-{key}" if current == key else key
        links.append({"label": label, "url": f"?{base}sort={target}", "state": state})
    return links


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    form = member_filters(request)
    more = ("gender", "ethnicity", "age", "party_age", "admitted_in")
    context: dict[str, Any] = {
        "form": form,
        "page": None,
        "more_filters": any(request.GET.get(name) for name in more),
        # a clerk somewhere in the scope keeps dossiers: he may add a person (then admit him)
        "may_add": any(g.role == Role.CLERK for g in scoping.active_grants(request.user))
        or request.user.is_superuser,
    }
    if form.is_valid():
        members = form.apply(selectors.current_members_for(request.user)).only(*ROW_FIELDS)
        few = SEARCHED if form.search() is not None else 0
        page = paging.page(members, *form.sort_keys(), PAGE_SIZE, request.GET, few)
        context.update(
            page=page,
            rows=[(member, mask_identifier(member.person.national_id)) for member in page],
            columns=sort_links(request, form.cleaned_data.get("sort") or "name"),
            query=paging.query_without(request, *PAGE),
            export_query=paging.query_without(request, *PAGE, "ids"),
            may_export_clear=clear_ids_organization(request.user, form) is not None,
            chosen=form.chosen_organization,
            scope_name=form.chosen_organization or ", ".join(o.name for o in tops(form)),
        )
    return render(request, "membership/list.html", context, status=200 if form.is_valid() else 400)


@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    """The list as xlsx: every row of the filtered list, in the list's order."""
    form = member_filters(request)
    if not form.is_valid():
        return member_list(request)
    today = timezone.localdate()
    members = form.apply(selectors.current_members_for(request.user), today)
    clear = _clear_export(request, clear_ids_organization(request.user, form), members)
    where = form.chosen_organization or ", ".join(o.name for o in tops(form))
    content = exports.workbook(
        _("List of party members"),
        _("%(organization)s, as of %(date)s") % {"organization": where, "date": format_date(today)},
        exports.CURRENT_HEADERS,
        exports.current_rows(members, today, clear),
    )
    return _xlsx(content, f"dang-vien-{slugify(str(where))}-{today:%Y-%m-%d}")


def _clear_export(request: HttpRequest, organization: Organization | None, members: Any) -> bool:
    """Whether this export shows the numbers in clear (asked for, and allowed); audited."""
    if request.GET.get("ids") != "clear" or organization is None:
        return False
    people_services.export_national_ids(
        actor=request.user,
        organization=organization,
        count=members.count(),
        query=paging.query_without(request, "page").rstrip("&"),
    )
    return True


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- former members ---------------------------------------------------------------------------


def former_organization(request: HttpRequest) -> Organization | None:
    """The organization asked for (404 outside the scope), else the top of the user's scope."""
    pk = request.GET.get("organization")
    if pk:
        return organization_for(request.user, pk)
    return organizations_for(request.user).order_by("path").first()


@login_required
def former_list(request: HttpRequest) -> HttpResponse:
    """Members who belonged to the organization's subtree and no longer do."""
    organization = former_organization(request)
    form = FormerFilters(request.GET)
    context: dict[str, Any] = {"organization": organization, "form": form, "page": None}
    if organization is not None and form.is_valid():
        members = form.apply(selectors.former_members_for(request.user, organization))
        page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            rows=[(member, mask_identifier(member.person.national_id)) for member in page],
            query=paging.query_without(request, "page"),
            export_query=paging.query_without(request, "page", "ids"),
            sort=form.cleaned_data.get("sort") or "name",
            sort_query=paging.query_without(request, "page", "sort"),
            may_export_clear=scoping.has_role(request.user, Role.ADMIN, organization),
        )
    return render(request, "membership/former.html", context)


@login_required
def former_export(request: HttpRequest) -> HttpResponse:
    organization = former_organization(request)
    form = FormerFilters(request.GET)
    if organization is None or not form.is_valid():
        return former_list(request)
    members = form.apply(selectors.former_members_for(request.user, organization))
    allowed = scoping.has_role(request.user, Role.ADMIN, organization)
    clear = _clear_export(request, organization if allowed else None, members)
    today = timezone.localdate()
    content = exports.workbook(
        _("Former party members"),
        _("%(organization)s, as of %(date)s")
        % {"organization": organization.name, "date": format_date(today)},
        exports.FORMER_HEADERS,
        exports.former_rows(members.select_related("person"), clear),
    )
    return _xlsx(content, f"da-chuyen-di-{slugify(organization.name)}-{today:%Y-%m-%d}")


# --- the dossier ------------------------------------------------------------------------------


@login_required
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.dossier_member(request.user, pk)
    return render(request, "membership/dossier.html", dossier_context(request, member))


@login_required
@require_POST
def reveal_national_id(request: HttpRequest, pk: int) -> HttpResponse:
    """The number in clear (audited): the fragment for htmx, else the dossier showing it."""
    member = selectors.member_for(request.user, pk)
    try:
        number = people_services.reveal_national_id(actor=request.user, person=member.person)
    except NotPermitted as error:
        raise PermissionDenied(str(error)) from None
    if request.headers.get("HX-Request"):
        return render(
            request, "membership/_national_id.html", {"member": member, "national_id": number}
        )
    member = selectors.dossier_member(request.user, pk)
    context = dossier_context(request, member)
    context.update(national_id=number, may_reveal=False)
    return render(request, "membership/dossier.html", context)


def dossier_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    person = member.person
    today = timezone.localdate()
    events = selectors.timeline(member)
    return {
        "member": member,
        "person": person,
        "today": today,
        "now": people_selectors.as_of(person, today),
        "national_id": mask_identifier(person.national_id),
        "old_id_number": mask_identifier(person.old_id_number),
        "may_reveal": bool(person.national_id)
        and people_selectors.people_for(request.user, include_merged=True)
        .filter(pk=person.pk)
        .exists(),
        "events": [timeline_row(event, voided_by) for event, voided_by in events],
        "party_age": party_age_context(member, today, {e.pk: e for e, _v in events}),
        "cards": [(card, mask_identifier(card.number)) for card in member.cards.all()],
    }


def timeline_row(event: Any, voided_by: Any) -> dict[str, Any]:
    reason = event.reason
    if reason in ExitReason.values:
        reason = ExitReason(reason).label
    return {"event": event, "voided_by": voided_by, "reason": reason}


def party_age_context(member: Member, today: date, events: dict[int, Any]) -> dict[str, Any]:
    """Party age today with what it subtracted: each gap, its days and the events behind it."""
    if member.standing != Standing.OFFICIAL:
        return {"age": None}
    age = services.party_age(member, today)
    if age is None:
        return {"age": None}
    gaps = []
    for gap in age.gaps:
        end = min(gap.end or today, today)
        gaps.append(
            {
                "label": EventKind(gap.kind).label if gap.kind in EventKind.values else gap.kind,
                "start": gap.start,
                "end": gap.end,
                "days": (end - gap.start).days,
                "events": [events[pk] for pk in gap.event_ids if pk in events],
            }
        )
    rule = Rulebook.load().find("party_age.gaps", on=today)
    decisions = member.party_age_decisions.select_related("decision").order_by("-as_of", "-pk")
    return {
        "age": age,
        "gaps": gaps,
        "citation": rule.citation if rule else "",
        "decision": decisions.filter(as_of__lte=today).first() if age.decided else None,
    }
