"""The restructuring screens: a form, a preview that writes nothing, a confirmation that calls
the service; refusals next to their field with everything typed kept; 403 with the reason for
those who see the organization without administering it, 404 outside the scope."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangvu.core.models import AuditEntry
from dangvu.membership.models import Member
from dangvu.organizations.models import Organization, OrganizationSuccession, OrganizationVersion
from tests.world import kind, make_org

REFORM = date(2025, 7, 1)
ON = "01/07/2025"


def url(organization, operation):
    return reverse("organizations:restructure", args=[organization.pk, operation])


def written() -> tuple[int, int, int]:
    """What any restructuring writes: audit entries, versions, succession links."""
    return (
        AuditEntry.objects.count(),
        OrganizationVersion.objects.count(),
        OrganizationSuccession.objects.count(),
    )


def preview(client, organization, operation, **data):
    return client.post(url(organization, operation), {"on": ON, **data, "preview": "1"})


def confirm(client, organization, operation, **data):
    return client.post(url(organization, operation), {"on": ON, **data, "confirm": "1"})


@pytest.mark.django_db
def test_only_an_administrator_of_the_organization_opens_the_screens(en_client, world):
    for operation in ("establish", "rename", "reclassify", "move", "merge", "split", "dissolve"):
        en_client.force_login(world.admin_a)
        assert en_client.get(url(world.commune_a1, operation)).status_code == 200, operation
        en_client.force_login(world.viewer_a)
        refused = en_client.get(url(world.commune_a1, operation))
        assert refused.status_code == 403, operation
        assert "You need the administrator role on Đảng bộ xã A1" in refused.content.decode()
        en_client.force_login(world.clerk_b1)
        assert en_client.get(url(world.commune_a1, operation)).status_code == 404, operation
        assert en_client.get(url(Organization(pk=999_999), operation)).status_code == 404
    assert en_client.get(url(world.commune_b1, "unknown")).status_code == 404


@pytest.mark.django_db
def test_the_organization_page_offers_the_screens_to_its_administrators_only(en_client, world):
    page = reverse("organizations:detail", args=[world.commune_a1.pk])
    en_client.force_login(world.admin_a)
    assert url(world.commune_a1, "merge") in en_client.get(page).content.decode()
    en_client.force_login(world.viewer_a)
    assert url(world.commune_a1, "merge") not in en_client.get(page).content.decode()


@pytest.mark.django_db
def test_a_rename_is_previewed_without_writing_then_recorded_on_confirmation(en_client, world):
    en_client.force_login(world.admin_a)
    before = written()
    shown = preview(
        en_client, world.commune_a1, "rename", name="Đảng bộ xã Hòa Bình", reason="NQ 1"
    )
    text = shown.content.decode()
    assert shown.status_code == 200
    assert "Đảng bộ xã A1" in text and "Đảng bộ xã Hòa Bình" in text and "01/07/2025" in text
    assert (
        'name="confirm"' in text and 'type="hidden" name="name" value="Đảng bộ xã Hòa Bình"' in text
    )
    assert written() == before
    world.commune_a1.refresh_from_db()
    assert world.commune_a1.name == "Đảng bộ xã A1"
    done = confirm(en_client, world.commune_a1, "rename", name="Đảng bộ xã Hòa Bình", reason="NQ 1")
    assert done.status_code == 302
    assert done["Location"] == reverse("organizations:detail", args=[world.commune_a1.pk])
    world.commune_a1.refresh_from_db()
    assert world.commune_a1.name == "Đảng bộ xã Hòa Bình"
    version = world.commune_a1.versions.get(valid_to=None)
    assert (version.valid_from, version.change) == (REFORM, "renamed")
    entry = AuditEntry.objects.latest("pk")
    assert entry.action == "organizations.organization.renamed" and entry.reason == "NQ 1"


@pytest.mark.django_db
def test_going_back_from_the_preview_keeps_what_was_typed(en_client, world):
    en_client.force_login(world.admin_a)
    data = {"on": ON, "name": "Tên mới", "reason": "Quyết định 5", "edit": "1"}
    page = en_client.post(url(world.commune_a1, "rename"), data).content.decode()
    assert 'value="Tên mới"' in page and "Quyết định 5</textarea>" in page
    assert 'value="01/07/2025"' in page and 'name="confirm"' not in page


@pytest.mark.django_db
def test_a_wrong_date_is_explained_next_to_the_field_and_kept(en_client, world):
    en_client.force_login(world.admin_a)
    before = written()
    page = preview(en_client, world.commune_a1, "rename", name="Tên mới", on="31/02/2025")
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_on-error">Type the date as dd/mm/yyyy.' in text
    assert 'value="31/02/2025"' in text and 'value="Tên mới"' in text
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    page = preview(en_client, world.commune_a1, "rename", name="Tên mới", on=tomorrow)
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_on-error">The effective date cannot be later than today.' in text
    assert f'value="{tomorrow}"' in text and 'aria-describedby="id_on-error"' in text
    # the same refusal on confirmation (the data may have changed since the preview)
    page = confirm(en_client, world.commune_a1, "rename", name="Tên mới", on=tomorrow)
    assert page.status_code == 400 and "cannot be later than today" in page.content.decode()
    assert written() == before


@pytest.mark.django_db
def test_a_merger_previews_the_members_it_reassigns_and_moves_them_on_confirmation(
    en_client, world, admit
):
    members = [admit(date(2024, 3, 1), cell=world.cell_a2) for _ in range(3)]
    en_client.force_login(world.admin_a)
    before = written()
    text = preview(en_client, world.cell_a2, "merge", into="A1-01").content.decode()
    assert "3 members of Chi bộ tổ dân phố 1 are reassigned to Chi bộ thôn Đông" in text
    assert "dissolved on 01/07/2025, merged into Chi bộ thôn Đông" in text
    assert written() == before
    assert all(m.organization_id == world.cell_a2.pk for m in Member.objects.all())
    done = confirm(en_client, world.cell_a2, "merge", into="A1-01", reason="NQ sáp nhập")
    assert done["Location"] == reverse("organizations:detail", args=[world.cell_a1.pk])
    assert {m.organization_id for m in Member.objects.filter(pk__in=[m.pk for m in members])} == {
        world.cell_a1.pk
    }
    world.cell_a2.refresh_from_db()
    assert world.cell_a2.dissolved_on == REFORM
    link = OrganizationSuccession.objects.get(predecessor=world.cell_a2)
    assert (link.successor, link.kind, link.effective_on) == (world.cell_a1, "merge", REFORM)


@pytest.mark.django_db
def test_a_merger_of_several_organizations_at_once(en_client, world):
    en_client.force_login(world.admin_a)
    commune = make_org(world.root, "A3", "Đảng bộ xã A3", "upper", world.province_a, "commune")
    text = preview(en_client, world.commune_a2, "merge", into="A1", others="A3").content.decode()
    assert "Đảng bộ phường A2" in text and "Đảng bộ xã A3" in text
    assert "1 subordinate organization of Đảng bộ phường A2 passes to Đảng bộ xã A1" in text
    confirm(en_client, world.commune_a2, "merge", into="A1", others="A3")
    commune.refresh_from_db()
    world.cell_a2.refresh_from_db()
    assert commune.dissolved_on == REFORM and world.cell_a2.parent == world.commune_a1


@pytest.mark.django_db
def test_a_code_outside_the_scope_is_explained_next_to_its_field(en_client, world):
    en_client.force_login(world.admin_a)
    page = preview(en_client, world.commune_a1, "merge", into="B1")  # province B: not his
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_into-error">No live organization of your scope has the code B1.' in text
    assert 'value="B1"' in text


@pytest.mark.django_db
def test_a_move_previews_the_new_place_and_what_moves_with_it(en_client, world, admit):
    admit(date(2024, 3, 1), cell=world.cell_a1)
    en_client.force_login(world.admin_a)
    text = preview(en_client, world.cell_a1, "move", parent="A2").content.decode()
    assert "Trung ương › Đảng bộ tỉnh A › Đảng bộ xã A1 › Chi bộ thôn Đông" not in text  # above him
    assert "Đảng bộ tỉnh A › Đảng bộ xã A1 › Chi bộ thôn Đông" in text
    assert "Đảng bộ tỉnh A › Đảng bộ phường A2 › Chi bộ thôn Đông" in text
    assert "1 member stays in his organization and moves with it" in text
    confirm(en_client, world.cell_a1, "move", parent="A2")
    world.cell_a1.refresh_from_db()
    assert world.cell_a1.parent == world.commune_a2
    assert world.cell_a1.path.startswith(world.commune_a2.path)


@pytest.mark.django_db
def test_a_move_under_a_cell_is_refused_next_to_the_parent_field(en_client, world):
    en_client.force_login(world.admin_a)
    page = preview(en_client, world.commune_a2, "move", parent="A1-01")
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_parent-error">Chi bộ thôn Đông is a cell' in text


@pytest.mark.django_db
def test_dissolving_with_subordinates_or_members_needs_a_successor(en_client, world, admit):
    admit(date(2024, 3, 1), cell=world.cell_a1)
    en_client.force_login(world.admin_a)
    page = preview(en_client, world.commune_a1, "dissolve").content.decode()
    assert 'id="id_target-error">Đảng bộ xã A1 still has 1 subordinate organization' in page
    page = preview(en_client, world.cell_a1, "dissolve").content.decode()
    # the first layer to refuse speaks: the dossier kept there, or the member
    assert 'id="id_target-error">1 person has a dossier at Chi bộ thôn Đông' in page
    text = preview(en_client, world.cell_a1, "dissolve", target="A2-01").content.decode()
    assert "1 member of Chi bộ thôn Đông is reassigned to Chi bộ tổ dân phố 1" in text
    confirm(en_client, world.cell_a1, "dissolve", target="A2-01")
    world.cell_a1.refresh_from_db()
    assert world.cell_a1.dissolved_on == REFORM
    assert Member.objects.get().organization == world.cell_a2


@pytest.mark.django_db
def test_a_split_sends_each_subordinate_where_it_is_assigned(en_client, world, admit):
    second = make_org(world.root, "A1-02", "Chi bộ thôn Tây", "cell", world.commune_a1)
    east = make_org(world.root, "A5", "Đảng bộ xã Đông A", "upper", world.province_a, "commune")
    west = make_org(world.root, "A6", "Đảng bộ xã Tây A", "upper", world.province_a, "commune")
    en_client.force_login(world.admin_a)
    field = f"child_{second.pk}"
    before = written()
    text = preview(en_client, world.commune_a1, "split", records_to="A5", **{field: "A6"}).content
    text = text.decode()
    assert "Its successors: Đảng bộ xã Tây A, Đảng bộ xã Đông A." in text
    assert written() == before
    confirm(en_client, world.commune_a1, "split", records_to="A5", **{field: "A6"})
    world.cell_a1.refresh_from_db()
    second.refresh_from_db()
    assert (world.cell_a1.parent, second.parent) == (east, west)  # empty: with the records
    links = OrganizationSuccession.objects.filter(predecessor=world.commune_a1)
    assert {(link.successor, link.takes_records) for link in links} == {(east, True), (west, False)}


@pytest.mark.django_db
def test_establishing_a_cell_then_reusing_its_code_is_refused_next_to_the_code(en_client, world):
    en_client.force_login(world.admin_a)
    data = {
        "code": "A1-02",
        "name": "Chi bộ thôn Nam",
        "kind": "cell",
        "reason": "Quyết định 12-QĐ/ĐU",
    }
    text = preview(en_client, world.commune_a1, "establish", **data).content.decode()
    assert "Đảng bộ tỉnh A › Đảng bộ xã A1 › Chi bộ thôn Nam" in text
    assert not Organization.objects.filter(code="A1-02").exists()
    done = confirm(en_client, world.commune_a1, "establish", **data)
    created = Organization.objects.get(code="A1-02")
    assert done["Location"] == reverse("organizations:detail", args=[created.pk])
    assert (created.parent, created.established_on) == (world.commune_a1, REFORM)
    entry = AuditEntry.objects.get(
        action="organizations.organization.established", target_id=str(created.pk)
    )
    assert entry.reason == "Quyết định 12-QĐ/ĐU"
    page = preview(en_client, world.commune_a1, "establish", **data)
    assert page.status_code == 400
    assert 'id="id_code-error">The code A1-02 is already used' in page.content.decode()


@pytest.mark.django_db
def test_a_change_of_kind_shows_before_and_after(en_client, world):
    en_client.force_login(world.admin_a)
    text = preview(
        en_client, world.commune_a1, "reclassify", kind="grassroots_committee", category="commune"
    ).content.decode()
    row = f'<td>{world.commune_a1.kind.name}</td><td class="fw-bold">{kind("grassroots_committee").name}</td>'
    assert row in text
    confirm(
        en_client, world.commune_a1, "reclassify", kind="grassroots_committee", category="commune"
    )
    world.commune_a1.refresh_from_db()
    assert world.commune_a1.kind_id == "grassroots_committee"
