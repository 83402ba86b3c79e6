"""The canonical test world, built through the services like real data.

Two provinces under the central root; two communes in province A and one in province B, each
with a cell. Users (names say what they hold):

- root: superuser
- admin_a: admin on province A          - viewer_a: viewer on province A
- clerk_a1: clerk on commune A1         - approver_a1: approver on commune A1
- secretary_a1: clerk and approver on cell A1 (a cell secretary)
- clerk_b1: clerk on commune B1         - outsider: no grant
- expired_a1: clerk on commune A1, grant ended yesterday
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dangvu.accounts import services as accounts
from dangvu.accounts.models import Role, User
from dangvu.core.models import OrganizationCategory, OrganizationKind
from dangvu.organizations import services as organizations
from dangvu.organizations.models import Organization

FOUNDED = date(1950, 1, 1)


def kind(code: str) -> OrganizationKind:
    return OrganizationKind.objects.get(code=code)


def category(code: str) -> OrganizationCategory | None:
    return OrganizationCategory.objects.filter(code=code).first()


def make_org(
    actor: User,
    code: str,
    name: str,
    kind_code: str,
    parent: Organization | None,
    category_code: str = "",
    on: date = FOUNDED,
) -> Organization:
    return organizations.establish(
        actor=actor,
        code=code,
        name=name,
        kind=kind(kind_code),
        parent=parent,
        on=on,
        category=category(category_code) if category_code else None,
    )


def make_user(
    actor: User, username: str, *grants: tuple[Organization, Role], valid_to: date | None = None
) -> User:
    """A user with the given grants, valid from FOUNDED (until ``valid_to`` if given)."""
    user = User.objects.create_user(username=username)  # no password: tests use force_login
    for organization, role in grants:
        accounts.grant_role(
            actor=actor,
            user=user,
            organization=organization,
            role=role,
            valid_from=FOUNDED,
            valid_to=valid_to,
        )
    return user


def build_world() -> SimpleNamespace:
    root = User.objects.create_superuser(username="root", password=None)
    w = SimpleNamespace(root=root)
    w.central = make_org(root, "TW", "Trung ương", "central", None)
    w.province_a = make_org(root, "A", "Đảng bộ tỉnh A", "provincial", w.central)
    w.province_b = make_org(root, "B", "Đảng bộ tỉnh B", "provincial", w.central)
    w.commune_a1 = make_org(root, "A1", "Đảng bộ xã A1", "upper", w.province_a, "commune")
    w.commune_a2 = make_org(root, "A2", "Đảng bộ phường A2", "upper", w.province_a, "ward")
    w.commune_b1 = make_org(root, "B1", "Đảng bộ xã B1", "upper", w.province_b, "commune")
    w.cell_a1 = make_org(
        root, "A1-01", "Chi bộ thôn Đông", "grassroots_cell", w.commune_a1, "village"
    )
    w.cell_a2 = make_org(
        root, "A2-01", "Chi bộ tổ dân phố 1", "grassroots_cell", w.commune_a2, "residential_group"
    )
    w.cell_b1 = make_org(
        root, "B1-01", "Chi bộ thôn Bắc", "grassroots_cell", w.commune_b1, "village"
    )
    w.admin_a = make_user(root, "admin_a", (w.province_a, Role.ADMIN))
    w.viewer_a = make_user(root, "viewer_a", (w.province_a, Role.VIEWER))
    w.clerk_a1 = make_user(root, "clerk_a1", (w.commune_a1, Role.CLERK))
    w.approver_a1 = make_user(root, "approver_a1", (w.commune_a1, Role.APPROVER))
    w.secretary_a1 = make_user(
        root, "secretary_a1", (w.cell_a1, Role.CLERK), (w.cell_a1, Role.APPROVER)
    )
    w.clerk_b1 = make_user(root, "clerk_b1", (w.commune_b1, Role.CLERK))
    w.outsider = make_user(root, "outsider")
    yesterday = timezone.localdate() - timedelta(days=1)
    w.expired_a1 = make_user(root, "expired_a1", (w.commune_a1, Role.CLERK), valid_to=yesterday)
    return w


@pytest.fixture
def world(db: None) -> SimpleNamespace:
    """The canonical test world (see the module docstring)."""
    return build_world()


@pytest.fixture
def person_factory(db: None):
    """Make a person whose dossier is kept by an organization (through the people service)."""
    from dangvu.core.models import Ethnicity, Religion
    from dangvu.people import services as people

    counter = iter(range(1, 10_000))

    def make(home: Organization, **fields):
        root = User.objects.filter(is_superuser=True).first()
        values = {
            "full_name": f"Nguyễn Văn Thử {next(counter)}",
            "gender": "male",
            "birth_year": 1980,
            "ethnicity": Ethnicity.objects.get(code="01"),
            "religion": Religion.objects.get(name="Không"),
            **fields,
        }
        return people.create_person(actor=root, home_organization=home, **values)

    return make
