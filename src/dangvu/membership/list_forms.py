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
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("person__search_key",),
    "birth": ("person__birth_year", "person__birth_month", "person__birth_day"),
    "admitted": ("admission_date",),
    "organization": ("organization__name", "person__search_key"),
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
        ethnicity.choices = list(ethnicity.choices)  # one query, not a count and a select

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
        found = matching_filter(data.get("q") or "", prefix="person__")
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
        return members.order_by(*ordering(data.get("sort") or "name", searching=found is not None))


# Columns that may be empty sort first (a year alone before the dates of that year) on every
# database; the others are NOT NULL.
NULLABLE = {"person__birth_month", "person__birth_day"}


def ordering(sort: str, searching: bool = False) -> list[OrderBy]:
    """The ORDER BY of a sort key ("name", "-birth", ...), ending on the member.

    Without a search, the name keeps its plain order, which PostgreSQL reads from the name's
    btree index: page 1 of 300,000 members in 4 ms. With a search it must not: the planner
    would walk that index in order hoping to meet 50 matches soon, the LIMIT trap of
    research/perf-limits.md §C (2.1 s for a rare name at 300,000). Asked NULLS FIRST (the same
    order: the name is never empty), the order is one the index cannot give, so the planner
    takes the GIN index of the name words and sorts the matches (measured at 300,000 members
    on PostgreSQL 15: 8 to 36 ms for a rare name, 0.27 s for the most common family name
    alone, "nguyen", 82,000 matches)."""
    descending = sort.startswith("-")
    fields = [*SORTS[sort.lstrip("-")], "pk"]
    order = []
    for name in fields:
        nulls = {"nulls_last": True} if descending else {"nulls_first": True}
        options = nulls if name in NULLABLE or searching else {}
        order.append(F(name).desc(**options) if descending else F(name).asc(**options))
    return order


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
        for member_id, age in party_ages(unsettled, today, None, Rulebook.load())
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
