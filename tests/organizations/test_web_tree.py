"""The organization tree on screen: the tree of the user's scope opened one level at a time,
the search over names and codes, and an organization's page."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangvu.core.text import search_key
from dangvu.organizations import services as org
from dangvu.organizations.models import Organization, SeatRole
from dangvu.reports import figures
from tests.test_browser import CHROMIUM_ARGS, PASSWORD, USERNAME, watched_page
from tests.world import make_org

REFORM = date(2025, 7, 1)


def tree(client, **params):
    return client.get(reverse("organizations:tree"), params)


def detail(client, organization):
    return client.get(reverse("organizations:detail", args=[organization.pk]))


def children(client, organization, htmx=False, **params):
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("organizations:children", args=[organization.pk])
    return client.get(url, params, headers=headers)


@pytest.mark.django_db
def test_the_tree_opens_at_the_top_of_the_scope_with_each_subordinate_and_its_members(
    en_client, world, admit
):
    for _ in range(2):
        admit(date(2024, 3, 1), cell=world.cell_a1)
    admit(date(2024, 3, 1), cell=world.cell_a2)
    figures.fold()
    en_client.force_login(world.viewer_a)
    text = tree(en_client).content.decode()
    assert world.province_a.name in text and world.province_b.name not in text
    assert f">{world.central.name}</a>" not in text  # above his grant
    assert "3 members" in text  # the province, with every subordinate
    assert f"{world.commune_a1.name}</a>" in text and "2 members" in text
    assert "1 member<" in text  # commune A2, singular
    # the cells, two levels down, are loaded only when their commune is opened
    assert world.cell_a1.name not in text
    assert reverse("organizations:children", args=[world.commune_a1.pk]) in text
    assert world.commune_a1.kind.name in text


@pytest.mark.django_db
def test_opening_a_node_loads_only_its_direct_subordinates(en_client, world, admit):
    admit(date(2024, 3, 1), cell=world.cell_a1)
    figures.fold()
    en_client.force_login(world.viewer_a)
    piece = children(en_client, world.commune_a1, htmx=True).content.decode()
    assert "<html" not in piece and piece.lstrip().startswith("<li>")
    assert world.cell_a1.name in piece and "1 member<" in piece
    assert world.cell_a2.name not in piece
    # without script, the same list is a page of its own, with the way back up
    page = children(en_client, world.commune_a1).content.decode()
    assert "<html" in page and world.cell_a1.name in page
    assert reverse("organizations:detail", args=[world.province_a.pk]) in page


@pytest.mark.django_db
def test_a_long_list_of_subordinates_comes_a_page_at_a_time(en_client, world, monkeypatch):
    for number in range(3):
        make_org(world.root, f"A1-1{number}", f"Chi bộ số {number}", "cell", world.commune_a1)
    monkeypatch.setattr("dangvu.organizations.views.CHILDREN_PAGE", 2)
    en_client.force_login(world.viewer_a)
    first = children(en_client, world.commune_a1, htmx=True).content.decode()
    assert first.count('class="org-leaf"') == 2 and "Show more (2 of 4 shown)" in first
    second = children(en_client, world.commune_a1, htmx=True, page=2).content.decode()
    assert second.count('class="org-leaf"') == 2 and "Show more" not in second


@pytest.mark.django_db
def test_the_search_finds_names_without_diacritics_and_codes_within_the_scope(en_client, world):
    en_client.force_login(world.viewer_a)
    found = tree(en_client, q="chi bo thon dong").content.decode()
    assert world.cell_a1.name in found and "Organizations found: 1." in found
    by_code = tree(en_client, q="a2-01").content.decode()
    assert world.cell_a2.name in by_code
    assert world.commune_a2.name in by_code  # shown as the parent of the cell found
    make_org(world.root, "A1-09", "Chi bộ buôn Ea H'Leo", "cell", world.commune_a1)
    assert "Chi bộ buôn Ea H&#x27;Leo" in tree(en_client, q="EA HLEO").content.decode()
    outside = tree(en_client, q="thon bac").content.decode()  # cell B1, out of his scope
    assert world.cell_b1.name not in outside and "Organizations found: 0." in outside


@pytest.mark.django_db
def test_the_search_lists_an_exact_code_first_and_dissolved_organizations_last(en_client, world):
    org.dissolve(actor=world.root, organization=world.cell_a2, on=REFORM)
    en_client.force_login(world.viewer_a)
    page = tree(en_client, q="a").content.decode()  # every organization of province A
    names = [world.province_a.name, world.commune_a1.name, world.cell_a2.name]
    positions = [page.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)
    assert "dissolved on 01/07/2025" in page
    exact = tree(en_client, q="A1").content.decode()
    assert exact.index(world.commune_a1.name) < exact.index(world.cell_a1.name)


@pytest.mark.django_db
def test_an_organization_out_of_the_scope_answers_like_a_missing_one(en_client, world):
    en_client.force_login(world.clerk_b1)
    missing = Organization(pk=999_999)
    assert detail(en_client, world.commune_a1).status_code == 404
    assert detail(en_client, missing).status_code == 404
    assert children(en_client, world.commune_a1).status_code == 404
    assert children(en_client, missing).status_code == 404
    assert detail(en_client, world.commune_b1).status_code == 200


@pytest.mark.django_db
def test_the_page_counts_members_by_standing_each_opening_its_list(en_client, world, admit):
    probationer = admit(date(2024, 3, 1))  # no ceremony yet
    official = admit(date(2023, 1, 10), ceremony=date(2023, 2, 1), recognized=True)
    admit(date(2024, 5, 1), cell=world.cell_a2)
    figures.fold()
    en_client.force_login(world.viewer_a)
    page = detail(en_client, world.commune_a1).content.decode()
    behind = reverse("reports:behind", args=[world.commune_a1.pk, "composition"])
    assert f'<a href="{behind}?dimension=total&amp;value=&amp;when=on">2</a>' in page
    probationary = f"{behind}?dimension=standing&amp;value=probationary&amp;when=on"
    assert f'<a href="{probationary}">1</a>' in page
    assert f"{behind}?dimension=standing&amp;value=official&amp;when=on" in page
    assert f"/members/?organization={world.commune_a1.pk}" in page
    assert reverse("reports:table", args=[world.commune_a1.pk, "quality"]) in page
    assert f"{world.cell_a1.name}</a>" in page
    # the link opens the list of the members behind the figure
    listed = en_client.get(behind, {"dimension": "standing", "value": "probationary", "when": "on"})
    names = listed.content.decode()
    assert probationer.person.full_name in names and official.person.full_name not in names


@pytest.mark.django_db
def test_the_page_shows_the_details_and_the_committee(en_client, world, person_factory):
    term = org.open_committee_term(
        actor=world.root,
        organization=world.commune_a1,
        name="2025–2030",
        starts_on=date(2025, 9, 1),
    )
    secretary = person_factory(world.commune_a1, full_name="Trần Thị Bí Thư")
    org.assign_seat(
        actor=world.root,
        term=term,
        person=secretary,
        role=SeatRole.SECRETARY,
        starts_on=date(2025, 9, 1),
    )
    en_client.force_login(world.viewer_a)
    page = detail(en_client, world.commune_a1).content.decode()
    assert "Term 2025–2030" in page and "01/09/2025" in page
    assert "Trần Thị Bí Thư" in page and "Secretary" in page
    assert "01/01/1950" in page  # established on
    assert f'href="{reverse("organizations:detail", args=[world.province_a.pk])}"' in page


@pytest.mark.django_db
def test_the_history_shows_renames_moves_and_mergers_with_their_dates(en_client, world):
    org.rename(
        actor=world.root, organization=world.cell_a2, name="Chi bộ khu phố 1", on=date(2010, 5, 1)
    )
    org.merge(actor=world.root, sources=[world.commune_a2], into=world.commune_a1, on=REFORM)
    en_client.force_login(world.viewer_a)
    cell = detail(en_client, world.cell_a2).content.decode()
    assert "01/05/2010" in cell and "Name: Chi bộ tổ dân phố 1 → Chi bộ khu phố 1" in cell
    assert "01/07/2025" in cell
    assert f"Under: {world.commune_a2.name} → {world.commune_a1.name}" in cell
    merged = detail(en_client, world.commune_a2).content.decode()
    assert "This organization was dissolved on 01/07/2025." in merged
    assert "merged into" in merged and world.commune_a1.name in merged
    successor = detail(en_client, world.commune_a1).content.decode()
    assert "Predecessors" in successor and world.commune_a2.name in successor
    assert reverse("organizations:detail", args=[world.commune_a2.pk]) in successor


@pytest.mark.django_db
def test_the_pages_issue_as_many_queries_for_many_subordinates_as_for_few(en_client, world, admit):
    admit(date(2024, 3, 1))
    figures.fold()
    en_client.force_login(world.viewer_a)
    pages = {
        "tree": lambda: tree(en_client),
        "detail": lambda: detail(en_client, world.commune_a1),
        "children": lambda: children(en_client, world.commune_a1, htmx=True),
        "search": lambda: tree(en_client, q="chi bo"),
    }

    def counts():
        found = {}
        for name, get in pages.items():
            with CaptureQueriesContext(connection) as queries:
                assert get().status_code == 200
            found[name] = len(queries)
        return found

    few = counts()
    for number in range(12):
        cell = make_org(world.root, f"A1-2{number}", f"Chi bộ {number}", "cell", world.commune_a1)
        admit(date(2024, 3, 1), cell=cell)
    figures.fold()
    assert counts() == few
    assert max(few.values()) <= 30


@pytest.mark.browser
def test_in_the_browser_a_node_opens_its_subordinates_and_the_search_finds_without_diacritics(
    chromium, server
):
    """The real server and Chromium: htmx (served locally) loads a commune's cells when it is
    opened, with no console error (so no inline style or script is needed), and the search
    box finds a cell typed without diacritics."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = watched_page(browser, problems)
            page.goto(server.url + "/organizations/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            closed = page.locator("details:not([open]) > summary")
            closed.first.click()  # the province: its communes
            communes = page.locator("details[open] details:not([open]) > summary")
            communes.first.wait_for()
            communes.first.click()  # a commune: its cells, loaded on demand
            cell = page.locator("details[open] details[open] .org-leaf .org-name").first
            cell.wait_for()
            name = cell.inner_text()
            page.fill("#q", search_key(name))
            page.click("form[role=search] button[type=submit]")
            page.wait_for_load_state("load")
            assert page.locator("table a", has_text=name).count() >= 1
            page.context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems) + f"\n(server log: {server.log})"
