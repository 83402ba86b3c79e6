"""The daily work of issue 5 in the real browser, on the production server: a transfer between
two communes from the proposal to the receipt.

A cell secretary finds a member by typing his name without diacritics, opens the dossier and
proposes a transfer to a cell of another commune; the sending commune's approver issues the
introduction letter; the receiving commune's clerk receives the member. The sending cell's and
the receiving commune's dashboards count him where he now is, and he is listed among the
first cell's former members. The users are made through the services beforehand (an
administrator would do it on the users page). Between the steps the test runs one fold of the
figures, as the folder beside the server does every 20 seconds.
"""

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from dangvu.core.text import search_key
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    PROJECT_DIR,
    Server,
    chromium,  # noqa: F401  (fixture)
    server,  # noqa: F401  (fixture)
    server_env,
    watched_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSWORD = "Chuyển-sinh-hoạt-2026!"
PEOPLE = """
import json
from dangvu.accounts import services
from dangvu.accounts.models import Role, User
from dangvu.membership.models import Member, Standing
from dangvu.organizations.models import Organization

root = User.objects.get(username="browser-admin")
member = (
    Member.objects.filter(
        standing=Standing.OFFICIAL, is_in_transit=False, is_temporarily_away=False,
        organization__kind__is_cell=True, organization__parent__parent__isnull=False,
    )
    .select_related("organization__parent", "person")
    .order_by("pk")
    .first()
)
cell = member.organization
commune = cell.parent
other = (
    Organization.objects.filter(kind=commune.kind, dissolved_on__isnull=True)
    .exclude(pk=commune.pk)
    .filter(children__kind__is_cell=True)
    .order_by("pk")
    .first()
)
target = other.children.filter(kind__is_cell=True, dissolved_on__isnull=True).order_by("pk").first()
for name, place, role in (
    ("bi-thu", cell, Role.CLERK),
    ("duyet-xa", commune, Role.APPROVER),
    ("van-thu-xa-moi", other, Role.CLERK),
):
    services.create_user(
        actor=root, username=name, password=PASSWORD, organization=place, role=role
    )
print(json.dumps({
    "member": member.pk, "name": member.person.full_name, "cell": cell.pk,
    "cell_name": cell.name, "commune": commune.name, "other": other.pk,
    "other_name": other.name, "target": target.code, "target_name": target.name,
}))
"""


def manage_output(live: Server, *args: str) -> str:
    """Run manage.py on the server's database (its environment) and return what it printed."""
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        env=server_env(live.log.parent),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sign_in(browser: "Browser", live: Server, username: str, problems: list[str]) -> "Page":
    page = watched_page(browser, problems)
    page.goto(live.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#content button[type=submit]")
    page.wait_for_load_state("load")
    assert page.url == live.url + "/", page.url
    return page


def members_card(page: "Page", section: str) -> int:
    """The 'Party members' total on the dashboard section of ``section``."""
    card = page.locator("section", has=page.locator("h2", has_text=section))
    return int(card.locator(".card .display-6").first.inner_text().replace(".", ""))


@pytest.mark.browser
def test_a_transfer_from_proposal_to_receipt_in_the_browser(
    chromium: str,  # noqa: F811
    server: Server,  # noqa: F811
) -> None:
    from playwright.sync_api import sync_playwright

    people = json.loads(
        manage_output(
            server, "shell", "--no-imports", "-c", PEOPLE.replace("PASSWORD", repr(PASSWORD))
        )
    )
    ARTIFACTS.mkdir(exist_ok=True)
    today = timezone.localdate().strftime("%d/%m/%Y")  # the server's time zone, Hanoi
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # the receiving commune's dashboard before
            clerk = sign_in(browser, server, "van-thu-xa-moi", problems)
            received_before = members_card(clerk, people["other_name"])

            # the cell secretary: search without diacritics, open the dossier, propose
            secretary = sign_in(browser, server, "bi-thu", problems)
            sent_before = members_card(secretary, people["cell_name"])
            secretary.click("nav >> text=Đảng viên")
            secretary.fill("#id_q", search_key(people["name"]))
            secretary.click("form.member-filters button[type=submit]")
            secretary.wait_for_load_state("load")
            secretary.click(f"td.name a >> text={people['name']}")
            secretary.wait_for_load_state("load")
            assert secretary.locator("h1").inner_text().strip() == people["name"]
            secretary.screenshot(path=ARTIFACTS / "transfer-dossier-1366x768.png", full_page=True)
            secretary.click("text=Đề nghị chuyển sinh hoạt")
            secretary.wait_for_load_state("load")
            secretary.select_option("#id_to", label=f"{people['target_name']} ({people['target']})")
            secretary.fill("#id_effective_date", today)
            secretary.click("#content button[type=submit]")
            secretary.wait_for_load_state("load")
            assert secretary.locator(".alert-success").count() == 1, secretary.content()

            # the commune's approver issues the introduction letter
            approver = sign_in(browser, server, "duyet-xa", problems)
            approver.click("nav >> text=Chuyển sinh hoạt")
            approver.wait_for_load_state("load")
            approver.click(f"tr:has-text('{people['name']}') >> a")
            approver.wait_for_load_state("load")
            approver.screenshot(path=ARTIFACTS / "transfer-letter-1366x768.png", full_page=True)
            letter = approver.locator("form", has=approver.locator("input[value=letter]"))
            letter.locator("#id_effective_date").fill(today)
            letter.locator("button[type=submit]").click()
            approver.wait_for_load_state("load")
            assert approver.locator(".alert-success").count() == 1, approver.content()

            # the receiving commune's clerk receives him
            clerk.goto(server.url + "/members/transfers/incoming/")
            clerk.click(f"tr:has-text('{people['name']}') >> a")
            clerk.wait_for_load_state("load")
            clerk.fill("#id_effective_date", today)
            clerk.click("#content button[type=submit]")
            clerk.wait_for_load_state("load")
            assert clerk.locator(".alert-success").count() == 1, clerk.content()

            manage_output(server, "fold_figures")  # what the folder does within 20 seconds
            clerk.goto(server.url + "/")
            assert members_card(clerk, people["other_name"]) == received_before + 1
            clerk.screenshot(path=ARTIFACTS / "transfer-dashboard-1366x768.png", full_page=True)
            clerk.set_viewport_size({"width": 390, "height": 844})
            clerk.screenshot(path=ARTIFACTS / "transfer-dashboard-390x844.png", full_page=True)
            secretary.goto(server.url + "/")
            assert members_card(secretary, people["cell_name"]) == sent_before - 1
            secretary.goto(f"{server.url}/members/former/?organization={people['cell']}")
            assert secretary.locator(f"text={people['name']}").count() >= 1
            secretary.set_viewport_size({"width": 390, "height": 844})
            secretary.screenshot(path=ARTIFACTS / "transfer-former-390x844.png", full_page=True)
        finally:
            browser.close()
    assert not problems, "\n".join(problems) + f"\n(server log: {server.log})"
