"""The pages that create a person and correct a curriculum vitae: a birth date typed with only a
year, a month and year or a full date; the national ID's messages next to the field; input kept
and nothing written on an error; 403 without the clerk role, 404 outside the scope."""

import pytest
from django.test import Client
from django.urls import reverse

from dangvu.core.models import AuditEntry, Ethnicity, Religion
from dangvu.people.models import Person

HUNG_ID = "001075012345"  # Hà Nội, a man born in 1975


@pytest.fixture
def client():
    """Pages in English (the source language) so that messages can be matched."""
    return Client(headers={"accept-language": "en"})


def typed(world, **changes):
    """What a clerk of commune A1 types to add a person kept by cell A1."""
    return {
        "home_organization": world.cell_a1.code,
        "full_name": "Nguyễn Văn Hùng",
        "gender": "male",
        "birth_date": "1975",
        "ethnicity": Ethnicity.objects.get(code="01").pk,
        "religion": Religion.objects.get(name="Không").pk,
        "national_id": "",
        **changes,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, parts",
    [("1975", (1975, None, None)), ("03/1975", (1975, 3, None)), ("05/03/1975", (1975, 3, 5))],
)
def test_a_birth_date_is_typed_as_a_year_a_month_and_year_or_a_full_date(
    client, world, text, parts
):
    client.force_login(world.clerk_a1)
    response = client.post(reverse("people:create"), typed(world, birth_date=text))
    person = Person.objects.get(full_name="Nguyễn Văn Hùng")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    assert (person.birth_year, person.birth_month, person.birth_day) == parts
    assert person.home_organization == world.cell_a1
    assert AuditEntry.objects.filter(action="people.person.created", actor=world.clerk_a1).exists()
    page = client.get(response["Location"]).content.decode()
    assert text in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, message",
    [
        ("31/02/1975", "This day does not exist in that month."),
        ("13/1975", "The month must be between 1 and 12."),
        ("75", "Type the date as dd/mm/yyyy, mm/yyyy or yyyy."),
    ],
)
def test_a_wrong_birth_date_is_refused_next_to_its_field_and_the_input_is_kept(
    client, world, text, message
):
    client.force_login(world.clerk_a1)
    response = client.post(
        reverse("people:create"), typed(world, birth_date=text, birthplace="Hà Nội")
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"birth_date": [message]}
    page = response.content.decode()
    assert f'value="{text}"' in page and 'value="Hà Nội"' in page
    assert 'aria-describedby="id_birth_date-error"' in page
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_the_national_id_needs_twelve_digits_said_in_vietnamese(client, world):
    client = Client(headers={"accept-language": "vi"})
    client.force_login(world.clerk_a1)
    response = client.post(reverse("people:create"), typed(world, national_id="12345"))
    assert response.status_code == 400
    assert response.context["form"].errors["national_id"] == [
        "Số định danh cá nhân phải có đúng 12 chữ số."
    ]
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_the_services_refusal_of_a_national_id_shows_next_to_it(client, world):
    """Twelve digits whose year digits disagree with the year of birth: the service's rule."""
    client.force_login(world.clerk_a1)
    response = client.post(
        reverse("people:create"), typed(world, birth_date="1980", national_id=HUNG_ID)
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["national_id"]
    assert (
        "last two digits of the year of birth" in response.context["form"].errors["national_id"][0]
    )
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_spaces_in_a_national_id_are_dropped(client, world):
    client.force_login(world.clerk_a1)
    client.post(reverse("people:create"), typed(world, national_id="001 075 012 345"))
    assert Person.objects.get().national_id == HUNG_ID


@pytest.mark.django_db
def test_a_dossier_can_only_be_kept_where_the_user_is_a_clerk(client, world):
    client.force_login(world.clerk_a1)
    response = client.post(
        reverse("people:create"), typed(world, home_organization=world.cell_b1.code)
    )
    assert response.status_code == 400
    assert "home_organization" in response.context["form"].errors
    client.force_login(world.viewer_a)
    assert client.get(reverse("people:create")).status_code == 403
    client.force_login(world.outsider)
    assert client.get(reverse("people:create")).status_code == 403


@pytest.mark.django_db
def test_editing_changes_only_what_was_corrected_and_audits_it(client, world, person_factory):
    person = person_factory(world.cell_a1, full_name="Lê Thị Hoa", gender="female")
    client.force_login(world.clerk_a1)
    url = reverse("people:edit", args=[person.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(birth_date="07/1980", hometown="Nghệ An", reason="Theo giấy khai sinh")
    response = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.birth_year, person.birth_month, person.hometown) == (1980, 7, "Nghệ An")
    entry = AuditEntry.objects.get(action="people.person.updated")
    assert set(entry.after) == {"birth_month", "hometown"}
    assert entry.reason == "Theo giấy khai sinh"


@pytest.mark.django_db
def test_a_person_outside_the_scope_is_not_found_and_a_viewer_may_not_edit(
    client, world, person_factory
):
    person = person_factory(world.cell_a1)
    client.force_login(world.clerk_b1)
    for name in ("people:detail", "people:edit"):
        assert client.get(reverse(name, args=[person.pk])).status_code == 404
        assert client.get(reverse(name, args=[999_999])).status_code == 404
    client.force_login(world.viewer_a)
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200
    assert client.get(reverse("people:edit", args=[person.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("people:create")).status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_the_person_page_masks_the_national_id(client, world, person_factory):
    person = person_factory(world.cell_a1, birth_year=1975, national_id=HUNG_ID)
    client.force_login(world.clerk_a1)
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert HUNG_ID not in page and "345" in page
