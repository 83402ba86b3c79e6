"""The member list: scoped, filtered by the statistics' bands, searched without diacritics,
sorted and paginated stably, exported to xlsx with the same filters, and the former members of
an organization. National ID numbers are masked unless an administrator exports them."""

import html
import re
from datetime import date
from io import BytesIO
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangvu.core.models import AuditEntry, Ethnicity
from dangvu.membership import selectors, services, views
from dangvu.membership.list_forms import MemberFilters, latest_start
from dangvu.membership.models import Member
from dangvu.people import services as people
from dangvu.reports import rules as bands

LIST = reverse("members:list")
EXPORT = reverse("members:export")
HUNG_ID = "001070012345"


def names(response) -> list[str]:
    return [member.person.full_name for member, _id in response.context["rows"]]


def workbook_rows(response) -> list[tuple]:
    sheet = load_workbook(BytesIO(response.content)).active
    return list(sheet.iter_rows(min_row=5, values_only=True))


@pytest.fixture
def hung(admit):
    return admit(date(2005, 6, 1), full_name="Nguyễn Văn Hùng", national_id=HUNG_ID)


@pytest.fixture
def cell_members(world, admit, hung):
    """Hùng plus three members of cell A1 and one of cell B1."""
    return {
        "hung": hung,
        "lan": admit(
            date(2010, 3, 1), full_name="Trần Thị Lan", gender="female", birth=(1985, 2, 3)
        ),
        "dung": admit(date(2010, 9, 1), ceremony=date(2010, 9, 20), full_name="Lê Văn Dũng"),
        "a2": admit(date(2015, 1, 5), cell=world.cell_a2, full_name="Phạm Văn Hưng"),
        "b1": admit(date(2012, 1, 5), cell=world.cell_b1, full_name="Đỗ Văn Hùng"),
    }


def test_a_cell_secretary_lists_his_cell_and_a_provincial_viewer_his_province(
    client, world, cell_members
):
    client.force_login(world.secretary_a1)
    assert names(client.get(LIST)) == ["Lê Văn Dũng", "Nguyễn Văn Hùng", "Trần Thị Lan"]
    client.force_login(world.viewer_a)
    assert len(names(client.get(LIST))) == 4
    client.force_login(world.outsider)
    assert names(client.get(LIST)) == []


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "typed", ["nguyen van hung", "NGUYEN VAN HUNG", "Hùng", "hung", "nguyễn hùng", "ng v h"]
)
def test_the_search_finds_a_name_typed_without_diacritics_or_in_part(
    client, world, cell_members, typed
):
    client.force_login(world.viewer_a)
    found = names(client.get(LIST, {"q": typed}))
    assert "Nguyễn Văn Hùng" in found
    assert "Đỗ Văn Hùng" not in found  # another province
    assert "Trần Thị Lan" not in found


def test_a_word_must_begin_a_word_of_the_name(client, world, cell_members):
    client.force_login(world.viewer_a)
    assert names(client.get(LIST, {"q": "ung"})) == []
    assert names(client.get(LIST, {"q": "van hung"})) == ["Nguyễn Văn Hùng", "Phạm Văn Hưng"]


def test_the_search_finds_a_national_id_in_scope_only(client, world, cell_members):
    client.force_login(world.viewer_a)
    assert names(client.get(LIST, {"q": HUNG_ID})) == ["Nguyễn Văn Hùng"]
    assert names(client.get(LIST, {"q": "0010 7001 2345"})) == ["Nguyễn Văn Hùng"]
    client.force_login(world.clerk_b1)
    assert names(client.get(LIST, {"q": HUNG_ID})) == []


def test_filters_narrow_the_list_by_organization_status_gender_and_admission_year(
    client, world, cell_members
):
    client.force_login(world.viewer_a)
    assert names(client.get(LIST, {"organization": world.commune_a2.pk})) == ["Phạm Văn Hưng"]
    assert names(client.get(LIST, {"gender": "female"})) == ["Trần Thị Lan"]
    assert names(client.get(LIST, {"admitted_in": "2010"})) == ["Lê Văn Dũng", "Trần Thị Lan"]
    assert names(client.get(LIST, {"status": "probationary", "admitted_in": 2010})) == [
        "Lê Văn Dũng",
        "Trần Thị Lan",
    ]
    services.exempt_member(actor=world.root, member=cell_members["lan"], on=date(2024, 1, 1))
    assert names(client.get(LIST, {"status": "exempted"})) == ["Trần Thị Lan"]
    kinh = Ethnicity.objects.get(code="01")
    assert len(names(client.get(LIST, {"ethnicity": kinh.pk}))) == 4


def test_an_organization_outside_the_scope_is_refused_next_to_the_field(
    client, world, cell_members
):
    client.force_login(world.secretary_a1)
    response = client.get(LIST, {"organization": world.cell_b1.pk, "q": "hung"})
    assert response.status_code == 400
    assert response.context["form"].errors["organization"]
    assert 'value="hung"' in response.content.decode()  # what was typed is kept


def test_a_wrong_admission_year_is_explained_and_kept(client, world, cell_members):
    client.force_login(world.viewer_a)
    response = client.get(LIST, {"admitted_in": "20x0"})
    assert response.status_code == 400
    assert response.context["form"].errors["admitted_in"] == ["Gõ năm bằng bốn chữ số, ví dụ 2010."]
    page = response.content.decode()
    assert 'id="id_admitted_in-error"' in page and 'value="20x0"' in page


def test_the_organization_filter_offers_the_scope_top_and_the_way_down(world):
    choices = selectors.organization_choices(world.viewer_a, None)
    assert [o.code for o in choices] == ["A", "A1", "A2"]
    chosen = selectors.organization_choices(world.viewer_a, world.commune_a1)
    assert [o.code for o in chosen] == ["A", "A1", "A1-01", "A2"]
    assert [o.code for o in selectors.organization_choices(world.secretary_a1, None)] == ["A1-01"]


# --- bands: the same members as the statistics count -----------------------------------------


def test_the_last_birth_day_of_a_band_follows_the_anniversary_rule():
    assert latest_start(date(2025, 6, 15), 30) == date(1995, 6, 15)
    # on 28/02/2023 someone born on 29/02/1992 has completed 31 years
    assert latest_start(date(2023, 2, 28), 31) == date(1992, 2, 29)
    assert latest_start(date(2024, 2, 28), 32) == date(1992, 2, 28)


@pytest.mark.parametrize(
    "today", [date(2025, 6, 15), date(2023, 2, 28), date(2024, 2, 29), date(2026, 1, 1)]
)
def test_an_age_band_holds_exactly_the_members_the_report_counts_in_it(world, admit, today):
    births = [
        (1992, 2, 29), (1995, 6, 15), (1995, 6, 16), (1994, 12, 31), (1985, 1, 1),
        (1984, 12, 31), (1975, 3, 1), (1965, 6, 15), (1964, 6, 16), (1960, 1, 1),
    ]  # fmt: skip
    members = [admit(date(2015, 3, 1), birth=birth) for birth in births]
    # a year alone, and a month and year: counted from their first possible day
    for member, (year, month) in zip(members[:2], [(1995, None), (1994, 7)], strict=True):
        people.update_person(
            actor=world.root, person=member.person, birth_year=year, birth_month=month,
            birth_day=None,
        )  # fmt: skip
    expected: dict[str, set[int]] = {}
    for member in members:
        member.person.refresh_from_db()
        born = bands.birth_date(
            member.person.birth_year, member.person.birth_month, member.person.birth_day
        )
        label = bands.band(bands.age_on(born, today), bands.AGE_BANDS)
        expected.setdefault(label, set()).add(member.pk)
    for index, (label, _low, _high) in enumerate(bands.AGE_BANDS):
        form = MemberFilters({"age": str(index)}, [])
        assert form.is_valid()
        found = set(form.apply(selectors.current_members_for(world.root), today).values_list(
            "pk", flat=True
        ))  # fmt: skip
        assert found == expected.get(label, set()), label


def test_a_party_age_band_counts_a_member_in_an_open_gap_from_his_ledger(world, admit):
    settled = admit(date(2000, 3, 15), ceremony=date(2000, 4, 1), recognized=True)
    away = admit(date(1995, 3, 15), ceremony=date(1995, 4, 1), recognized=True)
    # lost contact for ten years and still away: his party age stops growing
    services.record_loss_of_contact(actor=world.root, member=away, on=date(2015, 3, 15))
    away.refresh_from_db()
    assert away.party_age_from is None
    today = date(2026, 3, 15)

    def band(label: str) -> set[int]:
        index = [b[0] for b in bands.PARTY_AGE_BANDS].index(label)
        form = MemberFilters({"party_age": str(index)}, [])
        assert form.is_valid()
        members = form.apply(selectors.current_members_for(world.root), today)
        return set(members.values_list("pk", flat=True))

    assert band("20–29") == {settled.pk, away.pk}  # 26 years; 20 years (1995 to 2015)
    assert band("30–39") == set()
    assert band("< 10") == set()


# --- order, pages, query counts -----------------------------------------------------------------


def test_pages_of_equal_names_neither_overlap_nor_skip_anyone(client, world, admit):
    same = [admit(date(2010, 3, 1), full_name="Nguyễn Văn An") for _ in range(55)]
    client.force_login(world.viewer_a)
    seen = []
    for page in (1, 2):
        response = client.get(LIST, {"sort": "name", "page": page})
        seen += [member.pk for member, _id in response.context["rows"]]
    assert seen == sorted(m.pk for m in same)
    backwards = client.get(LIST, {"sort": "-name"}).context["rows"]
    assert [m.pk for m, _id in backwards] == sorted((m.pk for m in same), reverse=True)[:50]


def test_each_column_sorts_with_the_member_as_tie_break(client, world, cell_members):
    client.force_login(world.viewer_a)
    by_admission = names(client.get(LIST, {"sort": "admitted"}))
    assert by_admission == ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Dũng", "Phạm Văn Hưng"]
    assert names(client.get(LIST, {"sort": "-admitted"})) == by_admission[::-1]
    by_birth = names(client.get(LIST, {"sort": "birth"}))
    assert by_birth[-1] == "Trần Thị Lan"  # born 1985, the others 1970
    by_organization = names(client.get(LIST, {"sort": "organization"}))
    assert by_organization[0] == "Lê Văn Dũng"  # Chi bộ thôn Đông before Chi bộ tổ dân phố 1
    assert by_organization[-1] == "Phạm Văn Hưng"


def test_the_list_reads_the_same_number_of_queries_for_5_or_50_rows(client, world, admit):
    client.force_login(world.viewer_a)
    for _ in range(5):
        admit(date(2010, 3, 1))
    params = {"q": "nguyen", "status": "probationary", "age": "3", "sort": "birth"}
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LIST, params).context["rows"]) == 5
    for _ in range(50):
        admit(date(2011, 3, 1))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIST, params).context["rows"]) == 50
    assert len(many) == len(few)
    # the session, the user, the grants (once), the organizations offered, the ethnic groups,
    # the page's ids (which count a search's matches) and its rows
    assert len(few) <= 7


@pytest.fixture
def crowd(world, admit):
    """Fourteen members in two cells with equal names, birth dates known in part and equal
    admission dates, so that every order has ties the member settles."""
    births = [(1970, 5, 15), (1970, None, None), (1970, 5, None), (1985, 2, 3), (1970, 5, 15)]
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Văn An", "Lê Văn Cường", "Phạm Văn Dũng"]
    members = []
    for i in range(14):
        year, month, day = births[i % len(births)]
        member = admit(
            date(2010 + i % 3, 3, 1),
            cell=world.cell_a1 if i % 2 else world.cell_a2,
            full_name=names[i % len(names)],
        )
        people.update_person(
            actor=world.root, person=member.person, birth_year=year, birth_month=month,
            birth_day=day,
        )  # fmt: skip
        members.append(member)
    return members


def link(response, step: int) -> dict[str, str] | None:
    """The parameters of the link to the next page (``step`` 1) or the previous one (-1)."""
    wanted = str(response.context["page"].number + step)
    for href in re.findall(r'class="page-link" href="\?([^"]*)"', response.content.decode()):
        params = {k: v[0] for k, v in parse_qs(html.unescape(href)).items()}
        if params["page"] == wanted:
            return params
    return None


@pytest.mark.parametrize(
    "sort", ["name", "-name", "birth", "-birth", "admitted", "-admitted", "organization"]
)
@pytest.mark.parametrize(("q", "searched"), [("", 5000), ("van", 5000), ("van", 2)])
def test_pages_reached_by_their_links_hold_the_rows_of_the_pages_by_number(
    client, world, crowd, monkeypatch, sort, q, searched
):
    """The next and previous links carry the row they follow (keyset pages, ``core.paging``):
    walking them both ways shows the same rows, numbered the same, as asking for each page by
    its number, which counts the rows before it. A search with few matches reads them all at
    once; with more than ``SEARCHED`` it pages as the list does."""
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    monkeypatch.setattr(views, "SEARCHED", searched)
    client.force_login(world.viewer_a)
    params = {"sort": sort, "q": q}
    by_number, numbers = [], []
    first = client.get(LIST, params)
    pages = first.context["page"].paginator.num_pages
    assert pages >= 3
    for number in range(1, pages + 1):
        response = client.get(LIST, {**params, "page": number})
        by_number.append([m.pk for m, _id in response.context["rows"]])
        numbers.append(response.context["page"].start_index())
    forward, response = [], first
    while True:
        forward.append([m.pk for m, _id in response.context["rows"]])
        assert response.context["page"].start_index() == numbers[len(forward) - 1]
        following = link(response, 1)
        if following is None:
            break
        assert following["page"] == str(len(forward) + 1) and "after" in following
        response = client.get(LIST, following)
    assert forward == by_number
    backward = [forward[-1]]
    while (preceding := link(response, -1)) is not None:
        response = client.get(LIST, preceding)
        backward.insert(0, [m.pk for m, _id in response.context["rows"]])
    assert backward == by_number
    everyone = [pk for rows in by_number for pk in rows]
    assert len(everyone) == len(set(everyone)) == first.context["page"].paginator.count


def test_a_page_after_a_member_who_left_or_is_out_of_scope_is_found_by_its_number(
    client, world, crowd, admit, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(world.viewer_a)
    second = [m.pk for m, _id in client.get(LIST, {"page": 2}).context["rows"]]
    last_of_first = client.get(LIST).context["page"].after
    services.record_death(
        actor=world.root, member=Member.objects.get(pk=last_of_first), on=date(2024, 1, 1)
    )
    moved_up = [m.pk for m, _id in client.get(LIST, {"page": 2}).context["rows"]]
    assert client_rows(client, {"page": 2, "after": last_of_first}) == moved_up != second
    elsewhere = admit(date(2012, 1, 5), cell=world.cell_b1, full_name="A A")
    assert client_rows(client, {"page": 2, "after": elsewhere.pk}) == moved_up
    assert client_rows(client, {"page": 2, "after": "x"}) == moved_up


def client_rows(client, params) -> list[int]:
    return [m.pk for m, _id in client.get(LIST, params).context["rows"]]


def test_a_renamed_person_is_listed_and_found_under_the_new_name(client, world, hung):
    people.update_person(actor=world.root, person=hung.person, full_name="Nguyễn Văn Hưởng")
    hung.refresh_from_db()
    assert hung.search_key == "nguyen van huong" == hung.person.search_key
    client.force_login(world.viewer_a)
    assert names(client.get(LIST, {"q": "huong"})) == ["Nguyễn Văn Hưởng"]
    assert names(client.get(LIST, {"q": "nguyen van hung"})) == []


# --- exports ---------------------------------------------------------------------------------


def test_the_export_has_every_row_of_the_filtered_list_with_ids_masked(
    client, world, cell_members, admit
):
    for _ in range(55):
        admit(date(2010, 3, 1), full_name="Trần Văn Nam")
    client.force_login(world.viewer_a)
    response = client.get(EXPORT, {"q": "tran", "sort": "name"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = workbook_rows(response)
    assert len(rows) == 56 and rows[0][1] == "Trần Thị Lan" and rows[-1][0] == 56
    hung = workbook_rows(client.get(EXPORT, {"q": "nguyen van hung"}))
    assert hung[0][1] == "Nguyễn Văn Hùng" and hung[0][5] == "•••••••••345"


def test_only_an_administrator_exports_the_numbers_in_clear_and_it_is_audited(
    client, world, cell_members
):
    client.force_login(world.viewer_a)
    page = client.get(LIST).content.decode()
    assert "ids=clear" not in page
    masked = workbook_rows(client.get(EXPORT, {"q": HUNG_ID, "ids": "clear"}))
    assert masked[0][5] == "•••••••••345"
    assert not AuditEntry.objects.filter(action="people.national_id.exported").exists()

    client.force_login(world.admin_a)
    assert "ids=clear" in client.get(LIST).content.decode()
    clear = workbook_rows(client.get(EXPORT, {"q": HUNG_ID, "ids": "clear"}))
    assert clear[0][5] == HUNG_ID
    entry = AuditEntry.objects.get(action="people.national_id.exported")
    assert (entry.actor, entry.target_id, entry.after["count"]) == (
        world.admin_a,
        str(world.province_a.pk),
        1,
    )
    assert HUNG_ID in entry.after["filters"]


# --- former members --------------------------------------------------------------------------


def test_a_member_received_elsewhere_shows_under_the_former_members_of_his_first_cell(
    client, world, admit
):
    moved = admit(
        date(2015, 1, 10), ceremony=date(2015, 2, 1), recognized=True, full_name="Vũ Văn Minh"
    )
    admit(date(2016, 1, 10), full_name="Hà Văn Ở Lại")
    services.record_transfer_out(
        actor=world.root, member=moved, to=world.cell_b1, on=date(2025, 3, 3)
    )
    client.force_login(world.secretary_a1)
    former = reverse("members:former")
    assert names(client.get(former)) == []  # in transit: still counted in the cell
    services.receive_transfer(actor=world.clerk_b1, member=moved, on=date(2025, 4, 1))

    response = client.get(former, {"organization": world.cell_a1.pk})
    assert names(response) == ["Vũ Văn Minh"]
    assert "01/04/2025" in response.content.decode()  # left the cell on the receipt
    assert "Vũ Văn Minh" not in names(client.get(LIST))
    rows = workbook_rows(client.get(reverse("members:former_export")))
    assert [row[1] for row in rows] == ["Vũ Văn Minh"]
    assert client.get(former, {"organization": world.cell_b1.pk}).status_code == 404


def test_a_user_with_grants_on_two_organizations_chooses_one_to_export_clear_numbers(
    client, world, cell_members
):
    from dangvu.accounts.models import Role
    from tests.world import make_user

    two = make_user(world.root, "two", (world.commune_a1, Role.ADMIN), (world.cell_b1, Role.VIEWER))
    client.force_login(two)
    assert "ids=clear" not in client.get(LIST).content.decode()
    rows = workbook_rows(client.get(EXPORT, {"ids": "clear"}))
    assert {row[5] for row in rows} == {None, "•••••••••345"}  # empty cells read as None
    chosen = client.get(LIST, {"organization": world.commune_a1.pk})
    assert "ids=clear" in chosen.content.decode()
    clear = workbook_rows(client.get(EXPORT, {"organization": world.commune_a1.pk, "ids": "clear"}))
    assert HUNG_ID in {row[5] for row in clear}
    assert "Đỗ Văn Hùng" not in {row[1] for row in clear}


def test_a_search_orders_by_name_in_a_form_the_name_index_cannot_serve(world):
    """With a search, PostgreSQL must sort the matches it found rather than walk the name index
    hoping for 50 matches soon (the LIMIT trap, perf-limits.md §C); without one, page 1 is read
    along the name index."""
    searched = MemberFilters({"q": "hung"}, [])
    plain = MemberFilters({}, [])
    assert searched.is_valid() and plain.is_valid()
    members = selectors.current_members_for(world.root)
    with_search = str(searched.apply(members).query)
    assert 'ORDER BY "membership_member"."search_key" ASC NULLS FIRST' in with_search
    without_search = str(plain.apply(members).query)
    assert 'ORDER BY "membership_member"."search_key" ASC, "membership_member"."id" ASC' in (
        without_search
    )
