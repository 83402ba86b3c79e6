"""The member list's filters, search and sort: one form read from the query string, applied
alike to the page, its printout and its xlsx export.

Age and party-age bands are the statistics' bands (``reports.rules``), counted the same way
(completed years, a partial birth date from its first possible day), so that a list filtered
by a band holds the members behind the report's figure.
"""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.core.dates import add_months
from dangvu.core.models import Ethnicity
from dangvu.core.rulebook import Rulebook
from dangvu.membership.models import Member, Standing
from dangvu.organizations.models import Organization
from dangvu.people.models import Gender
from dangvu.people.selectors import matching_filter
from dangvu.reports import rules as bands

STATUSES = [
    ("probationary", _("probationary")),
    ("official", _("official")),
    ("exempted", _("exempted")),
    ("in_transit", _("in transit")),
]
STATUS_FILTERS = {
    "probationary": Q(standing=Standing.PROBATIONARY),
    "official": Q(standing=Standing.OFFICIAL),
    "exempted": Q(is_exempted=True),
    "in_transit": Q(is_in_transit=True),
}

# Sort keys of the list's columns; every order ends on the primary key so pages never overlap.
# The name is the member's copy of his person's search key; a birth date known by its year
# alone (or month) comes first among that year's (month's): an unknown part counts as 0.
SORTS: dict[str, tuple[Any, ...]] = {
    "name": (F("search_key"),),
    "birth": (
        F("person__birth_year"),
        Coalesce("person__birth_month", 0),
        Coalesce("person__birth_day", 0),
    ),
    "admitted": (F("admission_date"),),
    "organization": (F("organization__name"), F("search_key")),
}
EVERYONE = _("All")


def band_choices(table: list[tuple[str, int | None, int | None]]) -> list[tuple[str, Any]]:
    return [("", EVERYONE), *((str(i), label) for i, (label, _, _) in enumerate(table))]


class MemberFilters(forms.Form):
    """What the user narrows the list to. ``organization`` offers ``choices`` (the selector
    ``organization_choices``); an organization outside them is refused like a wrong value."""

    q = forms.CharField(
        label=_("Name or personal identification number"), required=False, max_length=100
    )
    organization = forms.TypedChoiceField(label=_("Organization"), coerce=int, required=False)
    status = forms.ChoiceField(
        label=_("Standing"), choices=[("", EVERYONE), *STATUSES], required=False
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", EVERYONE), *Gender.choices], required=False
    )
    ethnicity = forms.ModelChoiceField(
        Ethnicity.objects.all(), label=_("Ethnic group"), required=False, empty_label=EVERYONE
    )
    age = forms.ChoiceField(label=_("Age"), choices=band_choices(bands.AGE_BANDS), required=False)
    party_age = forms.ChoiceField(
        label=_("Party age"), choices=band_choices(bands.PARTY_AGE_BANDS), required=False
    )
    admitted_in = forms.IntegerField(
        label=_("Year of admission"),
        required=False,
        min_value=1930,
        max_value=2200,
        error_messages={
            key: _("Type the year with four digits, for example 2010.")
            for key in ("invalid", "min_value", "max_value")
        },
    )
    sort = forms.ChoiceField(
        choices=[(f"{sign}{key}", key) for key in SORTS for sign in ("", "-")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, data: Any, organizations: list[Organization]):
        super().__init__(data)
        self.organizations = {o.pk: o for o in organizations}
        top = min((o.depth for o in organizations), default=0)
        field: Any = self.fields["organization"]
        field.choices = [("", _("Everything I may see"))] + [
            (o.pk, "\u2003" * (o.depth - top) + o.name) for o in organizations
        ]
        ethnicity: Any = self.fields["ethnicity"]
        ethnicity.choices = list(iter(ethnicity.choices))  # one query: iter() asks no count

    @property
    def chosen_organization(self) -> Organization | None:
        pk = self.cleaned_data.get("organization") if self.is_bound and self.is_valid() else None
        return self.organizations.get(pk) if pk else None

    def apply(self, members: QuerySet[Member], today: date | None = None) -> QuerySet[Member]:
        """``members`` narrowed by the valid filters and sorted."""
        today = today or timezone.localdate()
        data = self.cleaned_data
        organization = self.chosen_organization
        if organization is not None:
            members = members.filter(organization__path__startswith=organization.path)
        found = self.search()
        if found is not None:
            members = members.filter(found)
        if data.get("status"):
            members = members.filter(STATUS_FILTERS[data["status"]])
        if data.get("gender"):
            members = members.filter(person__gender=data["gender"])
        if data.get("ethnicity"):
            members = members.filter(person__ethnicity=data["ethnicity"])
        if data.get("admitted_in"):
            year = data["admitted_in"]
            members = members.filter(admission_date__range=(date(year, 1, 1), date(year, 12, 31)))
        if data.get("age"):
            members = members.filter(age_filter(bands.AGE_BANDS[int(data["age"])], today))
        if data.get("party_age"):
            band = bands.PARTY_AGE_BANDS[int(data["party_age"])]
            members = members.filter(party_age_filter(members, band, today))
        keys, descending = self.sort_keys()
        return members.order_by(*ordering(keys, descending, searching=found is not None))

    def search(self) -> Q | None:
        """The search box's filter: a national ID, or the name words.

        Within a subtree (the list of a province, a commune: every user below the whole
        country) the words are compared with the member's copy of the search key, which the
        index ``member_org_standing`` holds beside the organization: PostgreSQL reads the
        subtree's members from that index alone, whatever the name, and never a person per
        member (research/perf-limits.md §C: a common family name matches a tenth of the
        country). Over the whole country the people's GIN index of name words finds rare
        names without reading everyone (``people.selectors.matching_filter``)."""
        text = self.cleaned_data.get("q") or ""
        if self.whole_country():
            return matching_filter(text, prefix="person__")
        return matching_filter(text, prefix="person__", search_key="search_key")

    def whole_country(self) -> bool:
        """Whether the list covers the whole tree: no organization chosen, and a root among
        the organizations at the top of the user's scope (a superuser's, a grant on the
        top of the tree)."""
        if self.chosen_organization is not None:
            return False
        return any(o.parent_id is None for o in self.organizations.values())

    def sort_keys(self) -> tuple[list[Any], bool]:
        """The keys of the chosen order, ending on the member, and whether it is descending."""
        sort = self.cleaned_data.get("sort") or "name"
        return [*SORTS[sort.lstrip("-")], F("pk")], sort.startswith("-")


def ordering(keys: list[Any], descending: bool, searching: bool = False) -> list[OrderBy]:
    """The ORDER BY of the sort keys (none of them empty).

    Without a search, the name keeps its plain order, which PostgreSQL reads from the index
    ``member_name``: page 1 of a province in a millisecond, and the page after a given member
    as fast (``core.paging``). With a search it must not: the planner would walk that index in
    order hoping to meet 50 matches soon, the LIMIT trap of research/perf-limits.md §C (2.1 s
    for a rare name at 300,000). Asked NULLS FIRST (the same order: no key is empty), the
    order is one the index cannot give, so the planner reads the matches (``search``) and
    sorts them."""
    options = ({"nulls_last": True} if descending else {"nulls_first": True}) if searching else {}
    return [key.desc(**options) if descending else key.asc(**options) for key in keys]


def latest_start(on: date, years: int) -> date:
    """The last day from which ``years`` whole years are completed on ``on`` (the anniversary
    rule of ``membership.rules.completed_months``: someone born on 29 February has his
    birthday on 28 February in other years)."""
    start = add_months(on, -12 * years)
    # on the last day of a month, every day of that month years ago has had its anniversary
    return month_end(start) if on == month_end(on) else start


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def born_by(day: date) -> Q:
    """People whose birth date, counted from its first possible day, is on or before ``day``."""
    p = "person__"
    same_month = Q(**{f"{p}birth_day__isnull": True}) | Q(**{f"{p}birth_day__lte": day.day})
    same_year = (
        Q(**{f"{p}birth_month__isnull": True})
        | Q(**{f"{p}birth_month__lt": day.month})
        | Q(same_month, **{f"{p}birth_month": day.month})
    )
    return Q(**{f"{p}birth_year__lt": day.year}) | Q(same_year, **{f"{p}birth_year": day.year})


def age_filter(band: tuple[str, int | None, int | None], today: date) -> Q:
    """Members whose age in completed years on ``today`` is in ``band``."""
    _, low, high = band
    condition = Q()
    if low is not None:
        condition &= born_by(latest_start(today, low))
    if high is not None:
        condition &= ~born_by(latest_start(today, high + 1))
    return condition


def party_age_filter(
    members: QuerySet[Member], band: tuple[str, int | None, int | None], today: date
) -> Q:
    """Official members whose party age on ``today`` is in ``band``: from the day it counts from
    (``Member.party_age_from``), and for the few whose party age is not settled (a gap still
    open) from their ledger, as the statistics count them."""
    from dangvu.reports.engine import party_ages  # the reports app sits above membership

    _, low, high = band
    condition = Q(party_age_from__isnull=False)
    if low is not None:
        condition &= Q(party_age_from__lte=latest_start(today, low))
    if high is not None:
        condition &= Q(party_age_from__gt=latest_start(today, high + 1))
    unsettled = list(
        members.filter(standing=Standing.OFFICIAL, party_age_from__isnull=True).values_list(
            "pk", flat=True
        )
    )
    in_band = [
        member_id
        for member_id, _day, age in party_ages(
            {member_id: [0] for member_id in unsettled}, [today], None, Rulebook.load()
        )
        if (low is None or age.years >= low) and (high is None or age.years <= high)
    ]
    return condition | Q(pk__in=in_band)


class FormerFilters(forms.Form):
    """The former members of one organization: a search and an order."""

    q = forms.CharField(
        label=_("Name or personal identification number"), required=False, max_length=100
    )
    sort = forms.ChoiceField(
        choices=[(f"{sign}{key}", key) for key in ("name", "left") for sign in ("", "-")],
        required=False,
        widget=forms.HiddenInput,
    )

    def apply(self, members: QuerySet[Member]) -> QuerySet[Member]:
        found = matching_filter(self.cleaned_data.get("q") or "", prefix="person__")
        if found is not None:
            members = members.filter(found)
        sort = self.cleaned_data.get("sort") or "name"
        field = "left_on" if sort.lstrip("-") == "left" else "person__search_key"
        if field == "person__search_key":  # NOT NULL: the plain order can use its index
            return (
                members.order_by(f"-{field}", "-pk")
                if sort.startswith("-")
                else members.order_by(field, "pk")
            )
        if sort.startswith("-"):
            return members.order_by(F(field).desc(nulls_last=True), "-pk")
        return members.order_by(F(field).asc(nulls_first=True), "pk")
