"""The dashboard after sign-in: its figures equal the engine's and the brute force's, its
deadlines are dated right, it shows only the user's scope, and its query count does not grow
with the members listed."""

from datetime import date, timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from dangvu.accounts.models import Role
from dangvu.core.dates import add_months
from dangvu.core.models import OrganizationKind
from dangvu.core.text import thousands
from dangvu.membership import services
from dangvu.reports import dashboard
from dangvu.reports.dashboard import STATUS, section, tops
from dangvu.reports.engine import report
from dangvu.reports.movements import movements
from tests.reports.test_movements import brute_force as brute_force_movements
from tests.world import make_user

pytestmark = pytest.mark.django_db


def ceremony_for(end: date) -> date:
    """The ceremony whose 12 months of probation end on ``end``."""
    return add_months(end, -12)


@pytest.fixture
def scene(world, admit):
    """Province A: official members, an exempted one, probations ending in 59 and 61 days and
    one that ended 5 days ago unrecognized, an admission today, and a member sent to province
    B ten days ago; province B: one official member."""
    today = timezone.localdate()
    s = {"today": today}
    s["official"] = admit(date(2019, 1, 10), ceremony=date(2019, 2, 1), recognized=True)
    s["exempted"] = admit(date(2019, 3, 10), ceremony=date(2019, 4, 1), recognized=True)
    services.exempt_member(
        actor=world.root, member=s["exempted"], on=date(2024, 1, 1), reason="age"
    )
    for name, days in [("soon", 59), ("later", 61), ("ended", -5)]:
        ceremony = ceremony_for(today + timedelta(days=days))
        s[name] = admit(ceremony - timedelta(days=20), ceremony=ceremony)
    s["new"] = admit(today)
    s["sent"] = admit(
        date(2018, 1, 10), cell=world.cell_a2, ceremony=date(2018, 2, 1), recognized=True
    )
    services.record_transfer_out(
        actor=world.root, member=s["sent"], to=world.cell_b1, on=today - timedelta(days=10)
    )
    admit(date(2017, 1, 10), cell=world.cell_b1, ceremony=date(2017, 2, 1), recognized=True)
    return s


def sections_of(client, user) -> list[dashboard.Section]:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.context["sections"]


def test_every_figure_equals_the_engine_and_opens_a_list_as_long(client, world, scene):
    today = scene["today"]
    [shown] = sections_of(client, world.viewer_a)
    assert shown.organization == world.province_a
    counted = report(world.province_a, today).of(world.province_a.pk)
    assert [figure.count for figure in shown.status] == [counted[key] for key in STATUS]
    # total, official, probationary, exempted, in transit: counted by hand as well
    assert [figure.count for figure in shown.status] == [6, 2, 4, 1, 1]
    kinds = OrganizationKind.objects.values_list("pk", "name")
    assert {f.label: f.count for f in shown.kinds} == {
        name: counted[("kind", code)] for code, name in kinds if counted[("kind", code)]
    }
    assert sum(f.count for f in shown.kinds) == 4  # two communes, two cells
    for figure in shown.status + shown.kinds:
        listed = client.get(figure.url)
        assert listed.status_code == 200 and listed.context["count"] == figure.count, figure


def test_the_movements_of_this_month_and_this_year_equal_the_brute_force(client, world, scene):
    today = scene["today"]
    [shown] = sections_of(client, world.admin_a)
    starts = [today.replace(day=1), today.replace(month=1, day=1)]
    a = world.province_a.pk
    for start, which in zip(starts, ("month", "year"), strict=True):
        brute = brute_force_movements(world.central.pk, start, today)[a]
        engine = movements(world.province_a, start, today).of(a)
        for row in shown.movements:
            figure = getattr(row, which)
            assert figure.count == brute[row.key] == engine[row.key], (which, row.key)
            if figure.count:
                assert client.get(figure.url).context["count"] == figure.count, row.key
    counted = {row.key[1]: (row.month.count, row.year.count) for row in shown.movements}
    assert counted["admitted"][0] == 1  # today's admission; the others are months older
    assert counted["transferred_out"][1] == 1 and counted["transferred_in"] == (0, 0)


def test_a_probation_ending_in_59_days_is_listed_and_one_in_61_days_is_not(client, world, scene):
    today = scene["today"]
    [shown] = sections_of(client, world.secretary_a1)
    assert shown.organization == world.cell_a1
    lines = [(member, end, ended) for member, end, ended in shown.probations.lines]
    assert lines == [
        (scene["ended"], today - timedelta(days=5), True),
        (scene["soon"], today + timedelta(days=59), False),
    ]
    assert shown.probations.count == 2
    page = client.get(reverse("home")).content.decode()
    assert f'href="/members/{scene["soon"].pk}/"' in page
    assert f'href="/members/{scene["later"].pk}/"' not in page
    assert (today + timedelta(days=59)).strftime("%d/%m/%Y") in page


def test_a_probation_extended_by_a_provincial_rule_ends_later(client, world, scene, rule_version):
    rule_version("probation", date(1930, 1, 1), world.province_a, months=12, max_extension_months=6)
    services.extend_probation(
        actor=world.root, member=scene["soon"], on=scene["today"] - timedelta(days=1), months=1
    )
    [shown] = sections_of(client, world.clerk_a1)
    assert [member for member, _end, _ended in shown.probations.lines] == [scene["ended"]]


def test_a_member_in_transit_shows_as_sent_on_one_side_and_awaited_on_the_other(
    client, world, scene
):
    sent, today = scene["sent"], scene["today"]
    [a] = sections_of(client, world.admin_a)
    [b] = sections_of(client, world.clerk_b1)
    assert (a.outgoing.lines, a.outgoing.count, a.incoming.count) == ([sent], 1, 0)
    assert (b.incoming.lines, b.incoming.count, b.outgoing.count) == ([sent], 1, 0)
    assert b.incoming.lines[0].sent_on == today - timedelta(days=10)
    assert b.incoming.lines[0].pending_transfer_to == world.cell_b1
    client.force_login(world.admin_a)
    assert client.get(a.outgoing.url).context["count"] == 1  # the whole list
    # commune A1 sent nobody: the member left from commune A2
    [a1] = sections_of(client, world.clerk_a1)
    assert (a1.outgoing.count, a1.incoming.count) == (0, 0)

    services.receive_transfer(actor=world.root, member=sent, on=today)
    [a] = sections_of(client, world.admin_a)
    [b] = sections_of(client, world.clerk_b1)
    assert (a.outgoing.count, b.incoming.count) == (0, 0)


def test_a_user_sees_only_his_scope_and_another_province_looks_missing(client, world, scene):
    [b] = sections_of(client, world.clerk_b1)
    assert b.organization == world.commune_b1
    assert [figure.count for figure in b.status] == [1, 1, 0, 0, 0]
    page = client.get(reverse("home")).content.decode()
    assert world.province_a.name not in page and scene["soon"].person.full_name not in page
    for hidden in (world.province_a, world.central):
        with pytest.raises(Http404):
            section(world.clerk_b1, hidden, scene["today"], [])
    assert sections_of(client, world.outsider) == []
    assert sections_of(client, world.expired_a1) == []
    client.logout()
    assert client.get(reverse("home")).status_code == 302


def test_one_section_per_organization_not_inside_another(world):
    today = timezone.localdate()
    both = make_user(
        world.root, "both", (world.commune_a1, Role.CLERK), (world.commune_b1, Role.CLERK)
    )
    nested = make_user(
        world.root, "nested", (world.province_a, Role.VIEWER), (world.cell_a1, Role.CLERK)
    )
    assert tops(both, today) == [world.commune_a1, world.commune_b1]
    assert tops(nested, today) == [world.province_a]
    assert tops(world.secretary_a1, today) == [world.cell_a1]  # two roles, one section
    assert tops(world.root, today) == [world.central]


def test_the_query_count_does_not_grow_with_the_members_listed(
    client, world, scene, admit, django_assert_max_num_queries
):
    today = scene["today"]
    client.force_login(world.admin_a)
    client.get(reverse("home"))  # the first read of the day folds the figures
    with django_assert_max_num_queries(60) as captured:
        client.get(reverse("home"))
    few = len(captured)  # now, before the log moves on
    for n in range(dashboard.SHOWN + 5):
        ceremony = ceremony_for(today + timedelta(days=1 + n % 50))
        admit(ceremony - timedelta(days=20), ceremony=ceremony, cell=world.cell_a2)
        sent = admit(date(2018, 1, 10), ceremony=date(2018, 2, 1), recognized=True)
        services.record_transfer_out(actor=world.root, member=sent, to=world.cell_b1, on=today)
    client.get(reverse("home"))
    with django_assert_max_num_queries(few):
        response = client.get(reverse("home"))
    [shown] = response.context["sections"]
    assert (len(shown.probations.lines), shown.probations.more) == (dashboard.SHOWN, 7)
    assert (len(shown.outgoing.lines), shown.outgoing.count) == (dashboard.SHOWN, 26)


def test_counts_are_written_with_dots_between_thousands():
    assert [thousands(n) for n in (7, 1234, 6012345)] == ["7", "1.234", "6.012.345"]
