"""The statistics engine against a brute force written apart from it.

The brute force replays every member's events (``membership.rules``, the ledger's own rules)
and reads people, curricula and organization versions with plain Python: no code of
``dangvu.reports``, no effect rows, no tree selector. Every figure of every node must agree, for
the demo's today and for three past dates, one of them before the 2025 merge.
"""

import calendar
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from dangvu.core.rulebook import Rulebook
from dangvu.demo.management.commands.seed_demo import system_user
from dangvu.membership import services
from dangvu.membership.models import Member, MembershipEvent, Standing
from dangvu.membership.rules import FLAG_COUNTERS, state_on
from dangvu.membership.rules import party_age as ledger_party_age
from dangvu.organizations.models import Organization, OrganizationVersion
from dangvu.people.models import (
    EducationRecord,
    OccupationRecord,
    Person,
    PoliticalTheoryRecord,
    QualificationRecord,
)
from dangvu.reports.engine import members_behind, report
from dangvu.reports.selectors import members_behind_for, report_for

AS_OF = date(2026, 6, 30)
DATES = [AS_OF, date(2025, 6, 30), date(2015, 12, 31), date(1995, 12, 31)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", provinces=1, seed=11, members=1500, as_of=AS_OF)
    return Organization.objects.get(parent=None)


def age(born: date, on: date) -> int:
    """Completed years; a 29 February birthday falls on 28 February in other years."""
    last = calendar.monthrange(on.year, born.month)[1]
    birthday = date(on.year, born.month, min(born.day, last))
    return on.year - born.year - (on < birthday)


def age_band(years: int, width: int, top: int) -> str:
    """≤ 30, then bands of ``width`` years from 31, then ≥ ``top``."""
    if years <= 30:
        return "≤ 30"
    if years >= top:
        return f"≥ {top}"
    low = 31 + (years - 31) // width * width
    return f"{low}–{low + width - 1}"


def brute_force(root_id: int, on: date, known_at: datetime | None = None) -> dict[int, Counter]:
    alive = [
        v
        for v in OrganizationVersion.objects.all()
        if v.valid_from <= on and (v.valid_to is None or on < v.valid_to)
    ]
    parent = {v.organization_id: v.parent_id for v in alive}
    version = {v.organization_id: v for v in alive}

    def chain(org_id):  # the organization and its ancestors on the date
        while org_id is not None:
            yield org_id
            org_id = parent.get(org_id)

    nodes = [o for o in parent if root_id in chain(o)]
    figures = {o: Counter() for o in nodes}
    for o in nodes:  # organizations below each node, by kind and category
        for above in list(chain(o))[1:]:
            if above in figures:
                figures[above][("kind", version[o].kind_id)] += 1
                figures[above][("category", version[o].category_id or "")] += 1

    book = Rulebook.load()
    events = defaultdict(list)
    for event in MembershipEvent.objects.all():
        if known_at is None or event.recorded_at <= known_at:
            events[event.member_id].append(event)
    curricula = {}
    for name, model, attr in [
        ("education", EducationRecord, "level"),
        ("qualification", QualificationRecord, "level"),
        ("theory", PoliticalTheoryRecord, "level"),
        ("occupation", OccupationRecord, "group"),
    ]:
        latest = {}
        for row in model.objects.select_related(attr).order_by("pk"):
            if row.valid_from is not None and row.valid_from > on:
                continue
            key = (row.valid_from is not None, row.valid_from or on, row.pk)
            if row.person_id not in latest or key > latest[row.person_id][0]:
                catalogue = getattr(row, attr)
                latest[row.person_id] = (key, catalogue.report_group or catalogue.code)
        curricula[name] = {person: value for person, (_, value) in latest.items()}
    people = {p.pk: p for p in Person.objects.select_related("ethnicity", "religion")}

    def add(org_id, key):
        for above in chain(org_id):
            if above in figures:
                figures[above][key] += 1

    for member in Member.objects.all():
        rule_events = services.rule_events(
            MembershipEvent.objects.filter(pk__in=[e.pk for e in events[member.pk]])
        )
        state = state_on(rule_events, on, book, services.organization_lookup())
        if state.standing not in (Standing.PROBATIONARY, Standing.OFFICIAL):
            continue
        home = state.organization_id
        for flag in state.flags:
            add(home, ("activity", FLAG_COUNTERS[flag]))
        if "temporarily_away" in state.flags and state.host_received:
            add(state.host_id, ("hosted", ""))
        if state.pending_to is not None:
            add(home, ("in_transit", ""))
            continue
        person = people[member.person_id]
        born = date(person.birth_year, person.birth_month or 1, person.birth_day or 1)
        years = age(born, on)
        for key in [
            ("total", ""),
            ("standing", state.standing),
            ("gender", person.gender),
            ("ethnicity", person.ethnicity_id),
            ("religion", person.religion_id),
            ("age", age_band(years, 10, 61)),
            ("age5", age_band(years, 5, 81)),
            *((name, values.get(person.pk, "")) for name, values in curricula.items()),
        ]:
            add(home, key)
        if person.ethnicity.is_minority:
            add(home, ("minority", ""))
        if person.religion.is_religious:
            add(home, ("religious", ""))
        if state.standing == Standing.OFFICIAL:
            party = party_age_of(member, on, rule_events, book)
            decade = party.years // 10 * 10
            add(
                home,
                (
                    "party_age",
                    "< 10" if decade == 0 else "≥ 50" if decade >= 50 else f"{decade}–{decade + 9}",
                ),
            )
            rule = book.find("badges.milestones", on=on)
            for years in rule["years"] if rule else []:
                if party.years * 12 + party.months >= years * 12:
                    add(home, ("badge", str(years)))
    return figures


def party_age_of(member, on, events, book):
    """As ``membership.services.party_age``, but from the events known at the report's time."""
    decision = member.party_age_decisions.filter(as_of__lte=on).order_by("-as_of", "-pk").first()
    decided = (decision.as_of, decision.years, decision.months, decision.days) if decision else None
    return ledger_party_age(
        state_on(events, on, book, services.organization_lookup()), on, book, decided
    )


@pytest.mark.django_db
@pytest.mark.parametrize("on", DATES)
def test_every_figure_of_every_node_equals_the_brute_force(demo, on):
    computed = report(demo, on)
    expected = brute_force(demo.pk, on)
    assert set(computed.figures) == set(expected)
    for organization_id, figures in expected.items():
        assert computed.of(organization_id) == figures, organization_id
    root = computed.of(demo.pk)
    if on >= date(2000, 1, 1):
        assert root[("total", "")] > 100
    if on == AS_OF:  # the comparison covers every kind of figure, not empty ones
        present = {dimension for dimension, _ in root}
        assert present >= {
            "total",
            "standing",
            "activity",
            "gender",
            "ethnicity",
            "minority",
            "religion",
            "age",
            "age5",
            "education",
            "theory",
            "party_age",
            "badge",
            "kind",
            "category",
        }
        assert (
            root[("standing", "official")] + root[("standing", "probationary")]
            == root[("total", "")]
        )


@pytest.mark.django_db
def test_a_past_date_uses_the_tree_of_that_date(demo):
    before, after = report(demo, date(2025, 6, 30)), report(demo, AS_OF)
    kinds_before = Counter(n.kind_id for n in before.nodes())
    kinds_after = Counter(n.kind_id for n in after.nodes())
    assert kinds_before["provincial"] >= 2 and kinds_after["provincial"] == 1
    assert before.of(demo.pk)[("kind", "grassroots_committee")] > 0  # communes before 7/2025
    assert (
        after.of(demo.pk)[("kind", "grassroots_committee")]
        < before.of(demo.pk)[("kind", "grassroots_committee")]
    )


@pytest.mark.django_db
def test_as_known_at_a_moment_a_later_back_dated_event_does_not_change_the_figures(demo):
    on = date(2026, 1, 1)
    known = timezone.now()
    member = (
        Member.objects.filter(standing=Standing.OFFICIAL, is_exempted=False, is_in_transit=False)
        .exclude(official_date__gt=on)
        .first()
    )
    before = report(demo, on, known_at=known)
    services.exempt_member(
        actor=system_user(), member=member, on=date(2025, 12, 1), reason="age_health"
    )
    assert report(demo, on, known_at=known).figures == before.figures
    now = report(demo, on)
    exempted = ("activity", "exempted")
    assert now.of(demo.pk)[exempted] == before.of(demo.pk)[exempted] + 1
    assert now.of(member.organization_id)[exempted] == (
        before.of(member.organization_id)[exempted] + 1
    )
    assert report(demo, on, known_at=timezone.now()).figures == now.figures
    assert before.figures == brute_force(demo.pk, on, known_at=known)


@pytest.mark.django_db
def test_a_report_outside_the_users_scope_is_not_found_like_a_missing_one(world):
    outsider = world.outsider
    with pytest.raises(Http404):
        report_for(outsider, world.cell_a1.pk, AS_OF)
    with pytest.raises(Http404):
        report_for(outsider, 999_999, AS_OF)
    assert report_for(world.viewer_a, world.cell_a1.pk, AS_OF).organization_id == world.cell_a1.pk


@pytest.mark.django_db
@pytest.mark.parametrize("on", [AS_OF, date(2025, 6, 30)])
def test_a_drill_down_lists_exactly_as_many_members_as_the_figure(demo, on):
    computed = report(demo, on)
    cell = next(
        n
        for n in computed.nodes()
        if n.kind_id == "cell" and computed.of(n.organization_id)[("total", "")]
    )
    for organization_id in (demo.pk, cell.organization_id):
        figures = computed.of(organization_id)
        organization = Organization.objects.get(pk=organization_id)
        for key in [
            ("total", ""),
            ("gender", "female"),
            ("age", "51–60"),
            ("education", "upper_secondary"),
            ("party_age", "≥ 50"),
            ("badge", "30"),
            ("activity", "exempted"),
        ]:
            listed = members_behind(organization, on, key)
            assert len(listed) == figures[key] == len(set(listed)), (organization_id, key)
    everyone = set(members_behind(demo, on, ("total", "")))
    assert (
        set(members_behind(Organization.objects.get(pk=cell.organization_id), on, ("total", "")))
        <= everyone
    )


@pytest.mark.django_db
def test_a_users_drill_down_lists_no_member_outside_the_scope(world, admit):
    inside = admit(date(2020, 3, 1))
    outside = admit(date(2020, 3, 1), cell=world.cell_b1)
    listed = members_behind_for(world.viewer_a, world.province_a.pk, AS_OF, ("total", ""))
    assert listed == [inside.pk] and outside.pk not in listed
    with pytest.raises(Http404):
        members_behind_for(world.viewer_a, world.province_b.pk, AS_OF, ("total", ""))


@pytest.mark.django_db
def test_todays_figures_equal_the_brute_force(demo):
    """From today on, party age is banded from ``Member.party_age_from``, not replayed."""
    today = timezone.localdate()
    computed = report(demo, today)
    expected = brute_force(demo.pk, today)
    for organization_id, figures in expected.items():
        assert computed.of(organization_id) == figures, organization_id
    assert computed.of(demo.pk)[("party_age", "≥ 50")] > 0


def test_todays_party_age_figures_read_the_member_and_replay_an_open_gap(world, admit, decide):
    today = timezone.localdate()
    born = {"birth": (1950, 1, 1)}
    settled = admit(date(1976, 5, 10), ceremony=date(1976, 6, 1), recognized=True, **born)
    lost = admit(date(1990, 3, 15), ceremony=date(1990, 4, 1), recognized=True, **born)
    # Lost contact 75 days before the report: his party age stopped growing then.
    services.record_loss_of_contact(actor=world.root, member=lost, on=today - timedelta(days=75))
    readmitted = admit(date(1980, 1, 10), ceremony=date(1980, 2, 1), recognized=True, **born)
    services.remove_member(
        actor=world.root,
        member=readmitted,
        on=date(2010, 1, 10),
        reason="unpaid_dues",
        decision=decide(date(2010, 1, 10)),
    )
    services.readmit_member(
        actor=world.root,
        member=readmitted,
        organization=world.cell_a1,
        decision=decide(date(2015, 1, 10)),
        resolution_date=date(2015, 1, 5),
        provincial_consent=decide(date(2014, 12, 20), issuer=world.province_a),
    )
    services.record_ceremony(actor=world.root, member=readmitted, on=date(2015, 2, 1))
    services.recognize_member(
        actor=world.root, member=readmitted, decision=decide(date(2016, 2, 1))
    )
    services.decide_party_age(
        actor=world.root,
        member=readmitted,
        decision=decide(date(2016, 3, 1), issuer=world.province_a),
        as_of=date(2016, 2, 1),
        years=40,  # decided well above the computed 31 years: the decision must win
        months=0,
    )
    for member in (settled, lost, readmitted):
        member.refresh_from_db()
    assert settled.party_age_from is not None and readmitted.party_age_from is not None
    assert lost.party_age_from is None  # the open gap: the report replays his ledger

    computed = report(world.central, today)

    for organization_id, figures in brute_force(world.central.pk, today).items():
        assert computed.of(organization_id) == figures, organization_id
    # 1976 and the decided 40 years on 01/02/2016 reach 50 years; 1990 less 75 days does not
    assert computed.of(world.central.pk)[("badge", "50")] == 2
    # Past days: the settled member counts from his admission without a replay; the others
    # are replayed (before the decision, during the removal, before the loss of contact).
    for on in (date(2012, 6, 30), date(2015, 12, 31), today - timedelta(days=100)):
        past = report(world.central, on)
        for organization_id, figures in brute_force(world.central.pk, on).items():
            assert past.of(organization_id) == figures, (on, organization_id)
    bands = report(world.central, date(2015, 12, 31)).of(world.central.pk)
    assert (bands[("party_age", "30–39")], bands[("party_age", "20–29")]) == (1, 1)
