"""The permission matrix: every URL of the web application tried as anonymous, outsider, viewer,
clerk, approver and admin, with the answer each role must get written here.

The roles are those of the test world (``tests/world.py``): viewer_a and admin_a hold province
A, clerk_a1 and approver_a1 commune A1; the outsider holds nothing. Roles do not stack: an
administrator manages users and the tree, he does not record events (foundation issue).

For a URL about an object, the object lies in commune A1 (cell A1), so every role but the
outsider covers it. The same URL is then tried with the same kind of object in province B and
with an id that does not exist: each role must get exactly the same answer for both (out of
scope looks like missing), and that answer is a 404, or the 403 a role gets on that page
whatever the object (the audit log for a non-administrator), or the sign-in page.

``test_every_url_is_in_the_matrix`` fails when a URL is added without its line here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangvu.core.models import AuditEntry
from dangvu.membership import services as membership
from dangvu.reports import services as reports
from dangvu.reports.layouts import LAYOUTS
from tests.membership.conftest import admit, decide  # noqa: F401  (fixtures)

ROLES = ("anonymous", "outsider", "viewer", "clerk", "approver", "admin")
USERS = {
    "outsider": "outsider",
    "viewer": "viewer_a",
    "clerk": "clerk_a1",
    "approver": "approver_a1",
    "admin": "admin_a",
}
MISSING = 987_654_321


@dataclass
class Case:
    """A URL name, how to build its arguments for a side ("a": in commune A1, "b": in province
    B, None: a missing id), and the expected status per role (in ROLES order) on side "a"."""

    name: str
    expected: str  # six statuses, e.g. "302 404 200 200 200 200"
    args: Callable[[Any, str | None], list[Any]] | None = None
    method: str = "get"
    query: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def statuses(self) -> dict[str, int]:
        codes = [int(code) for code in self.expected.split()]
        assert len(codes) == len(ROLES), self.name
        return dict(zip(ROLES, codes, strict=True))


def pick(attribute: str) -> Callable[[Any, str | None], list[Any]]:
    """Arguments: the pk of ``things.<attribute>_<side>`` (a missing id for side None)."""

    def args(things: Any, side: str | None) -> list[Any]:
        return [getattr(things, f"{attribute}_{side}").pk if side else MISSING]

    return args


def with_(attribute: str, *more: Any) -> Callable[[Any, str | None], list[Any]]:
    return lambda things, side: [*pick(attribute)(things, side), *more]


ORG = pick("org")
MEMBER = pick("member")
EVERYONE = "302 200 200 200 200 200"  # any signed-in user; the page shows his own scope
IN_SCOPE = "302 404 200 200 200 200"  # anyone whose grants cover the object
ADMINS = "302 403 403 403 403 200"  # administrators only, a 403 with the reason for others
ADMIN_OBJECT = "302 404 403 403 403 200"  # an object in scope, for administrators only

CASES = [
    Case("home", EVERYONE),
    Case("login", "200 302 302 302 302 302"),
    Case("logout", "302 302 302 302 302 302", method="post"),
    Case("health", "200 200 200 200 200 200"),
    Case("accounts:text_size", "302 302 302 302 302 302", method="post"),
    Case("accounts:password", EVERYONE),
    Case("accounts:users", ADMINS),
    Case("accounts:user_create", ADMINS),
    Case("accounts:user", ADMINS, pick("user")),
    # an empty form: refused with its messages (400) for an administrator
    Case("accounts:user_grant", "302 403 403 403 403 400", pick("user"), method="post"),
    Case(
        "accounts:grant_end",
        "302 403 403 403 403 400",
        lambda t, side: [*pick("user")(t, side), *pick("grant")(t, side)],
        method="post",
    ),
    Case("accounts:user_password", ADMINS, pick("user"), method="post"),
    Case("audit:list", ADMINS),
    Case("audit:detail", ADMINS, pick("entry")),
    Case("organizations:tree", EVERYONE),
    Case("organizations:detail", IN_SCOPE, ORG),
    Case("organizations:children", IN_SCOPE, ORG),
    Case("organizations:restructure", ADMIN_OBJECT, with_("org", "rename")),
    Case("members:list", EVERYONE),
    Case("members:export", EVERYONE),
    Case("members:former", IN_SCOPE, query="organization={org}"),
    Case("members:former_export", IN_SCOPE, query="organization={org}"),
    Case("members:dossier", IN_SCOPE, MEMBER),
    Case("members:reveal_national_id", IN_SCOPE, MEMBER, method="post"),
    # an exemption is decided by an approver of the member's organization
    Case("events:record", "302 404 403 403 200 403", with_("member", "exemption")),
    # the cell's clerk proposes a transfer
    Case("events:record", "302 404 403 200 403 403", with_("member", "transfer-proposal")),
    Case("events:admit", "302 404 403 403 200 403", pick("person")),
    Case("events:proposals", EVERYONE),
    Case("events:proposal", IN_SCOPE, pick("proposal")),
    Case("events:incoming", EVERYONE),
    Case("people:create", "302 403 403 200 403 403"),
    Case("people:detail", IN_SCOPE, pick("person")),
    Case("people:edit", "302 404 403 200 403 403", pick("person")),
    # a user with one organization is taken to its reports; the outsider has none
    Case("reports:index", "302 200 302 302 302 302"),
    Case("reports:table", IN_SCOPE, with_("org", "quality")),
    Case(
        "reports:behind",
        IN_SCOPE,
        with_("org", "quality"),
        query="dimension=total&value=&when=on",
    ),
    Case("reports:xlsx", IN_SCOPE, with_("org", "quality")),
    Case("reports:pdf", IN_SCOPE, with_("org", "quality")),
    Case("reports:csv", IN_SCOPE, with_("org", "quality")),
    # a clerk, approver or administrator of the organization files its report
    Case("reports:file", "302 404 403 302 302 302", with_("org", "quality"), method="post"),
    Case("reports:filed_list", IN_SCOPE, ORG),
    Case("reports:filed", IN_SCOPE, pick("filed")),
    # the level above decides: admin_a holds province A, approver_a1 only commune A1
    # (an empty form: a return needs its reason, 400)
    Case("reports:decide", "302 404 403 403 403 400", pick("filed"), method="post"),
    Case("reports:filed_xlsx", IN_SCOPE, pick("filed")),
    Case("reports:filed_pdf", IN_SCOPE, pick("filed")),
    Case("reports:checks", ADMIN_OBJECT, ORG),
    Case("reports:check_members", ADMIN_OBJECT, with_("org", "under_age")),
    Case("reports:charts", IN_SCOPE, ORG),
    Case("reports:chart", IN_SCOPE, with_("org", "age")),
]


def url_names() -> set[str]:
    """Every named URL of the application (Django's admin has its own tests)."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                if inner == "admin":
                    continue
                walk(pattern.url_patterns, f"{namespace}:{inner}" if namespace else inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_is_in_the_matrix() -> None:
    assert url_names() == {case.name for case in CASES}


@pytest.fixture
def things(world: SimpleNamespace, admit: Any, person_factory: Any) -> SimpleNamespace:  # noqa: F811
    """One object of each kind in commune A1 (side "a") and in province B (side "b")."""
    t = SimpleNamespace(org_a=world.commune_a1, org_b=world.commune_b1)
    for side, cell, commune in (("a", world.cell_a1, world.commune_a1), ("b", world.cell_b1, None)):
        member = admit(date(2020, 1, 10), cell=cell, ceremony=date(2020, 2, 1), recognized=True)
        setattr(t, f"member_{side}", member)
        setattr(t, f"person_{side}", person_factory(cell))
        other = admit(date(2021, 3, 1), cell=cell, ceremony=date(2021, 4, 1), recognized=True)
        setattr(
            t,
            f"proposal_{side}",
            membership.propose_transfer(
                actor=world.root, member=other, to=world.cell_a2, on=date(2026, 1, 5)
            ),
        )
        setattr(
            t,
            f"filed_{side}",
            reports.file_report(
                actor=world.root,
                organization=commune or world.commune_b1,
                layout=LAYOUTS["quality"],
                on=date(2025, 12, 31),
            ),
        )
        setattr(
            t,
            f"entry_{side}",
            AuditEntry.objects.filter(target_id=str(member.pk), action__startswith="membership.")
            .order_by("pk")
            .first(),
        )
    t.user_a, t.user_b = world.clerk_a1, world.clerk_b1
    t.grant_a = world.clerk_a1.grants.get()
    t.grant_b = world.clerk_b1.grants.get()
    return t


class Answered(Exception):
    """Raised to roll back whatever a request changed, with its status."""

    def __init__(self, status: int):
        self.status = status


def status(client: Any, world: Any, role: str, case: Case, url: str) -> int:
    """The status one role gets; the request's changes are rolled back."""
    client.logout()
    if role != "anonymous":
        client.force_login(getattr(world, USERS[role]))
    try:
        with transaction.atomic():
            response = getattr(client, case.method)(url, case.data)
            raise Answered(response.status_code)
    except Answered as answered:
        return answered.status


def url_of(case: Case, things: Any, side: str | None) -> str:
    args = case.args(things, side) if case.args else []
    url = reverse(case.name, args=args)
    if case.query:
        org = getattr(things, f"org_{side}").pk if side else MISSING
        url += "?" + case.query.format(org=org)
    return url


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}-{n}" for n, c in enumerate(CASES)])
def test_each_role_gets_its_answer_and_out_of_scope_looks_missing(
    client: Any, world: Any, things: Any, case: Case
) -> None:
    got = {role: status(client, world, role, case, url_of(case, things, "a")) for role in ROLES}
    assert got == case.statuses, f"{case.name}: {got}"
    if case.args is None and not case.query:
        return
    for role in ROLES:
        outside = status(client, world, role, case, url_of(case, things, "b"))
        missing = status(client, world, role, case, url_of(case, things, None))
        assert outside == missing, (case.name, role, outside, missing)
        if role == "anonymous":
            allowed = {302}
        else:  # a role refused on this page whatever the object may get that refusal
            allowed = {404, 403} if case.statuses[role] == 403 else {404}
        assert missing in allowed, (case.name, role, missing)
