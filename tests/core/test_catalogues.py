"""The catalogues loaded by migration from core/data: counts, links, flags, sources, admin."""

import pytest
from django.apps import apps as django_apps
from django.db.models import Count
from django.urls import reverse

from dangvu.core import catalogues
from dangvu.core.models import (
    AuditEntry,
    Commune,
    Ethnicity,
    GeneralEducation,
    OccupationGroup,
    OrganizationCategory,
    OrganizationKind,
    PoliticalTheory,
    ProfessionalQualification,
    Province,
    Religion,
)

pytestmark = pytest.mark.django_db

CATALOGUE_MODELS = [
    Ethnicity,
    Religion,
    GeneralEducation,
    ProfessionalQualification,
    PoliticalTheory,
    OccupationGroup,
    OrganizationCategory,
    OrganizationKind,
]
NEW_CATALOGUES = [
    (GeneralEducation, 7),
    (ProfessionalQualification, 8),
    (PoliticalTheory, 5),
    (OccupationGroup, 13),
    (OrganizationCategory, 19),
    (OrganizationKind, 7),
]


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in [*CATALOGUE_MODELS, Province, Commune]}


def test_ethnicities_are_the_54_groups_plus_foreigners_and_unknown():
    assert Ethnicity.objects.count() == 56
    assert Ethnicity.objects.get(code="55").name == "Người nước ngoài"
    assert Ethnicity.objects.get(code="56").name == "Không rõ"


def test_only_groups_02_to_54_count_as_minorities():
    minority = dict(Ethnicity.objects.values_list("code", "is_minority"))
    assert minority["01"] is False
    assert all(minority[f"{n:02}"] is True for n in range(2, 55))
    assert minority["55"] is None and minority["56"] is None


def test_ethnicity_aliases_come_from_the_file():
    assert "H'Mông" in Ethnicity.objects.get(code="08").aliases.split("|")
    assert Ethnicity.objects.get(code="01").aliases == "Việt"


def test_religions_are_the_16_recognised_plus_none():
    assert Religion.objects.count() == 17
    assert Religion.objects.filter(is_religious=True).count() == 16
    none = Religion.objects.get(is_religious=False)
    assert (none.code, none.name, none.gso_code) == ("17", "Không", "")


def test_religion_codes_are_the_file_order_zero_padded_with_the_gso_code_beside():
    assert Religion.objects.get(code="01").name == "Phật giáo"
    assert Religion.objects.get(code="14").gso_code == "14"
    assert Religion.objects.get(code="16").gso_code == ""


def test_there_are_63_provinces_in_2008_and_34_in_2025():
    counts = dict(Province.objects.values_list("version").annotate(n=Count("pk")))
    assert counts == {"2008": 63, "2025": 34}


def test_every_2008_province_points_to_its_2025_successor():
    old = Province.objects.filter(version="2008")
    assert not old.filter(successor=None).exists()
    assert set(old.values_list("successor__version", flat=True)) == {"2025"}
    assert not Province.objects.filter(version="2025").exclude(successor=None).exists()


@pytest.mark.parametrize(
    ("code_2008", "code_2025", "name_2025"),
    [
        ("02", "08", "Tuyên Quang"),  # Hà Giang merged into Tuyên Quang
        ("74", "79", "Hồ Chí Minh"),  # Bình Dương merged into Hồ Chí Minh City
        ("24", "24", "Bắc Ninh"),  # old Bắc Giang gave its code to the new Bắc Ninh
        ("27", "24", "Bắc Ninh"),
        ("01", "01", "Hà Nội"),  # unchanged
    ],
)
def test_the_2008_provinces_map_to_the_2025_units_they_joined(code_2008, code_2025, name_2025):
    successor = Province.objects.get(version="2008", code=code_2008).successor
    assert (successor.code, successor.name) == (code_2025, name_2025)


def test_every_2025_province_absorbed_at_least_one_2008_province():
    assert not Province.objects.filter(version="2025", predecessors=None).exists()


def test_there_are_3321_communes_in_2025_split_by_kind():
    assert Commune.objects.filter(version="2025").count() == 3321
    by_kind = dict(Commune.objects.values_list("kind").annotate(n=Count("pk")))
    assert by_kind == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_commune_00004_is_now_phuong_ba_dinh_of_ha_noi():
    commune = Commune.objects.get(version="2025", code="00004")
    assert commune.name == "Phường Ba Đình"
    assert (commune.province.version, commune.province.code) == ("2025", "01")


def test_communes_belong_to_2025_provinces_only():
    assert set(Commune.objects.values_list("province__version", flat=True)) == {"2025"}


def test_loading_again_changes_no_counts():
    before = row_counts()  # the migration has loaded them once already
    catalogues.load_catalogues(django_apps)
    assert row_counts() == before


def test_loading_again_restores_a_row_edited_by_hand():
    Commune.objects.filter(version="2025", code="00004").update(name="Sửa tay")
    catalogues.load_catalogues(django_apps)
    assert Commune.objects.get(version="2025", code="00004").name == "Phường Ba Đình"


@pytest.mark.parametrize(("model", "count"), NEW_CATALOGUES)
def test_each_new_catalogue_has_its_rows_with_sources(model, count):
    assert model.objects.count() == count
    assert not model.objects.filter(source="").exists()
    assert not model.objects.filter(name="").exists()


@pytest.mark.parametrize("model", [*CATALOGUE_MODELS, Province])
def test_every_row_fits_its_fields(model):
    # SQLite ignores max_length; PostgreSQL would refuse the migration.
    for obj in model.objects.all():
        obj.full_clean(validate_unique=False, validate_constraints=False)


def test_organization_kinds_are_exactly_those_of_the_domain_guide():
    assert list(OrganizationKind.objects.values_list("code", flat=True)) == [
        "central",
        "provincial",
        "upper",
        "grassroots_committee",
        "grassroots_cell",
        "sub_committee",
        "cell",
    ]


def test_organization_kinds_carry_their_flags():
    def codes(**flags):
        return set(OrganizationKind.objects.filter(**flags).values_list("code", flat=True))

    assert codes(is_cell=True) == {"grassroots_cell", "cell"}
    assert codes(is_grassroots=True) == {"grassroots_committee", "grassroots_cell"}
    assert codes(may_decide_admission=True) == {"provincial", "upper"}


def test_organization_categories_include_those_the_test_world_uses():
    codes = set(OrganizationCategory.objects.values_list("code", flat=True))
    assert {"commune", "ward", "special_zone", "village", "residential_group", "other"} <= codes
    assert {"front_and_mass_organization", "foreign_invested_enterprise"} <= codes


def test_cao_cap_and_cu_nhan_are_separate_rows_in_one_report_group():
    advanced = PoliticalTheory.objects.filter(report_group="advanced")
    assert set(advanced.values_list("code", flat=True)) == {"advanced", "bachelor"}
    assert PoliticalTheory.objects.values("report_group").distinct().count() == 4


def test_the_old_10_year_school_system_counts_with_the_same_levels():
    groups = dict(GeneralEducation.objects.values_list("code", "report_group"))
    assert groups["upper_sec_10y"] == groups["upper_secondary"] == "upper_secondary"
    assert groups["lower_sec_10y"] == groups["lower_secondary"] == "lower_secondary"
    assert groups["primary_10y"] == groups["primary"] == "primary"
    assert "10/10" in GeneralEducation.objects.get(code="upper_sec_10y").name


def test_qualifications_group_as_the_statistics_do():
    groups = dict(ProfessionalQualification.objects.values_list("code", "report_group"))
    assert groups["college"] == groups["university"] == "college_university"
    assert groups["master"] == groups["doctor"] == groups["doctor_science"] == "postgraduate"


def test_army_and_police_are_separate_groups_counted_together():
    groups = dict(OccupationGroup.objects.values_list("code", "report_group"))
    assert groups["army"] == groups["police"] == "armed_forces"


@pytest.mark.parametrize("model", [*CATALOGUE_MODELS, Province, Commune, AuditEntry])
def test_every_core_admin_list_opens(admin_client, model):
    url = reverse(f"admin:core_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_catalogues_are_read_only_in_the_admin(admin_client):
    # corrections go through core/data and a migration, never through a hand edit
    assert admin_client.get(reverse("admin:core_religion_add")).status_code == 403
    page = admin_client.get(reverse("admin:core_religion_change", args=["17"]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_catalogue_admin_lists_and_searches(admin_client):
    url = reverse("admin:core_commune_changelist")
    response = admin_client.get(url, {"q": "Ba Đình"})
    assert response.status_code == 200
    assert "Phường Ba Đình" in response.content.decode()


def test_audit_log_admin_shows_entries_but_never_adds_changes_or_deletes(admin_client, admin_user):
    entry = AuditEntry.objects.create(
        action="test.done",
        target_type="core.commune",
        target_id="00004",
        target_repr="Phường Ba Đình",
        before={"name": "Phường Trúc Bạch"},
        after={"name": "Phường Ba Đình"},
        request_id="req-7",
    )
    changelist = reverse("admin:core_auditentry_changelist")
    assert "req-7" in admin_client.get(changelist, {"q": "req-7"}).content.decode()
    page = admin_client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert "&quot;name&quot;: &quot;Phường Trúc Bạch&quot;" in page.content.decode()
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    delete = reverse("admin:core_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
