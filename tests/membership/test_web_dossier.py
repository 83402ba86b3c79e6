"""The dossier: the curriculum vitae by sections, the ledger with its corrections, party age with
the gaps it subtracted; the national ID masked until a click that is audited; 404 outside the
scope exactly as for a missing member; a fixed number of queries whatever the dossier holds."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangvu.core.models import AuditEntry, GeneralEducation
from dangvu.membership import services
from dangvu.people import services as people

NATIONAL_ID = "001070012345"


def page_text(response) -> str:
    """The page without its CSRF token (masked afresh on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def dossier(member) -> str:
    return reverse("members:dossier", args=[member.pk])


def reveal(member) -> str:
    return reverse("members:reveal_national_id", args=[member.pk])


@pytest.fixture
def official(admit):
    """Official member of cell A1: admitted 15/03/2000, ceremony 01/04/2000."""
    return admit(
        date(2000, 3, 15),
        ceremony=date(2000, 4, 1),
        recognized=True,
        full_name="Nguyễn Văn Hùng",
        national_id=NATIONAL_ID,
        hometown="Xã Đông Anh",
    )


def test_the_dossier_shows_the_curriculum_and_the_membership_by_sections(client, world, official):
    level = GeneralEducation.objects.first()
    people.record_education(
        actor=world.root, person=official.person, level=level, valid_from=date(1988, 6, 1)
    )
    people.record_work(
        actor=world.root, person=official.person, position="Trưởng thôn",
        workplace="Thôn Đông", valid_from=date(2005, 1, 1),
    )  # fmt: skip
    people.add_family_relation(
        actor=world.root, person=official.person, relation="father", full_name="Nguyễn Văn Cha"
    )
    people.add_award(
        actor=world.root, person=official.person, title="Giấy khen", decided_on=date(2019, 5, 1)
    )
    client.force_login(world.secretary_a1)
    page = client.get(dossier(official)).content.decode()
    for text in ("Nguyễn Văn Hùng", "Xã Đông Anh", level.name, "Trưởng thôn", "Nguyễn Văn Cha",
                 "Giấy khen", "15/03/2000", "01/04/2000", world.cell_a1.name):  # fmt: skip
        assert text in page, text
    assert 'id="party-age-heading"' in page and 'id="timeline-heading"' in page


def test_a_member_outside_the_scope_answers_exactly_like_a_missing_one(client, world, official):
    client.force_login(world.clerk_b1)
    outside = client.get(dossier(official))
    missing_url = reverse("members:dossier", args=[999_999])
    missing = client.get(missing_url)
    assert outside.status_code == missing.status_code == 404
    assert page_text(outside).replace(dossier(official), missing_url) == page_text(missing)
    assert client.post(reveal(official)).status_code == 404
    assert not AuditEntry.objects.filter(action="people.national_id.revealed").exists()


def test_the_national_id_is_masked_until_revealed_and_each_look_is_audited(client, world, official):
    client.force_login(world.viewer_a)
    page = client.get(dossier(official)).content.decode()
    assert NATIONAL_ID not in page and "•••••••••345" in page
    assert client.get(reveal(official)).status_code == 405  # a look is a POST, never a link

    fragment = client.post(reveal(official), headers={"HX-Request": "true"})
    assert NATIONAL_ID in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    full_page = client.post(reveal(official)).content.decode()
    assert NATIONAL_ID in full_page and "<html" in full_page

    entries = AuditEntry.objects.filter(action="people.national_id.revealed")
    assert entries.count() == 2
    assert {(e.actor, e.target_id) for e in entries} == {(world.viewer_a, str(official.person.pk))}
    assert NATIONAL_ID not in str(entries.first().after)


def test_an_organization_the_member_left_sees_his_dossier_but_not_his_number(
    client, world, official
):
    services.record_transfer_out(
        actor=world.root, member=official, to=world.cell_b1, on=date(2025, 3, 3)
    )
    services.receive_transfer(actor=world.clerk_b1, member=official, on=date(2025, 4, 1))
    client.force_login(world.secretary_a1)
    page = client.get(dossier(official))
    assert page.status_code == 200
    assert reveal(official) not in page.content.decode()
    assert client.post(reveal(official)).status_code == 403
    client.force_login(world.clerk_b1)
    assert NATIONAL_ID in client.post(reveal(official)).content.decode()


def test_party_age_says_which_gap_it_subtracted(client, world, official):
    services.record_loss_of_contact(actor=world.root, member=official, on=date(2010, 3, 1))
    services.resume_contact(actor=world.root, member=official, on=date(2010, 6, 9))
    client.force_login(world.secretary_a1)
    response = client.get(dossier(official))
    age = response.context["party_age"]
    assert [(g["start"], g["end"], g["days"]) for g in age["gaps"]] == [
        (date(2010, 3, 1), date(2010, 6, 9), 100)
    ]
    # 15/03/2000 moved 100 days later
    assert age["age"].counts_from == date(2000, 6, 23)
    assert "23/06/2000" in response.content.decode()


def test_a_probationary_member_has_no_party_age(client, world, admit):
    member = admit(date(2025, 3, 1))
    client.force_login(world.secretary_a1)
    assert client.get(dossier(member)).context["party_age"] == {"age": None}


def test_a_corrected_event_shows_as_voided_beside_its_correction(client, world, official):
    wrong = services.exempt_member(actor=world.root, member=official, on=date(2024, 1, 1))
    services.correct_event(actor=world.root, event=wrong, reason="Nhập nhầm người")
    client.force_login(world.secretary_a1)
    response = client.get(dossier(official))
    rows = {row["event"].kind: row for row in response.context["events"]}
    assert rows["exemption"]["voided_by"].kind == "correction"
    assert rows["correction"]["event"].voids_id == wrong.pk
    page = response.content.decode()
    assert 'class="voided"' in page and "Nhập nhầm người" in page


def test_the_dossier_reads_a_fixed_number_of_queries_however_long_it_is(
    client, world, admit, official
):
    short = admit(
        date(2020, 3, 1), ceremony=date(2020, 3, 20), recognized=True, national_id="001070012346"
    )
    for year in range(2001, 2011):
        services.exempt_member(actor=world.root, member=official, on=date(year, 1, 1))
        services.end_exemption(actor=world.root, member=official, on=date(year, 6, 1))
        people.record_work(
            actor=world.root, person=official.person, position=f"Cán bộ {year}",
            valid_from=date(year, 1, 1),
        )  # fmt: skip
        people.add_award(
            actor=world.root, person=official.person, title="Giấy khen", decided_on=date(year, 5, 1)
        )
    client.force_login(world.secretary_a1)
    counts = []
    for member in (short, official):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(dossier(member)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 30
