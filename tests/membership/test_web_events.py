"""The pages that record membership events: one view for every kind (``event_views.KINDS``),
the admission of a person, the transfer proposal's pages and the receiving clerk's inbox.
Dates are typed dd/mm/yyyy; a service's refusal shows next to its field (or at the top), the
input is kept and nothing is written; roles are checked before the form is shown."""

from datetime import date

import pytest
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import reverse

from dangvu.membership import event_views, selectors
from dangvu.membership.models import (
    Decision,
    EventKind,
    Member,
    MembershipEvent,
    ProposalState,
    Standing,
    TransferProposal,
)
from dangvu.people.models import Discipline


@pytest.fixture
def client():
    """Pages in English (the source language) so that messages can be matched."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def official(admit):
    """An official member of cell A1: admitted 10/01/2020, ceremony 01/02/2020."""
    return admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)


def url(member, slug):
    return reverse("events:record", args=[member.pk, slug])


def decision(number, on, issuer):
    return {"decision_number": number, "decision_date": on, "decision_issuer": issuer.code}


def post(client, user, member, slug, data):
    client.force_login(user)
    return client.post(url(member, slug), data)


def assert_recorded(response, member):
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == f"/members/{member.pk}/"
    member.refresh_from_db()


# --- a life recorded through the pages --------------------------------------------------------


@pytest.mark.django_db
def test_a_member_is_admitted_and_followed_through_the_pages(client, world, person_factory):
    person = person_factory(world.cell_a1, birth_year=1970, birth_month=5, birth_day=15)
    client.force_login(world.approver_a1)
    response = client.post(
        reverse("events:admit", args=[person.pk]),
        {
            "organization": world.cell_a1.code,
            "resolution_date": "05/01/2020",
            "dossier_number": "A1-0001",
            **decision("12-QĐ/ĐU", "10/01/2020", world.commune_a1),
        },
    )
    member = Member.objects.get(person=person)
    assert_recorded(response, member)
    assert (member.standing, member.admission_date, member.dossier_number) == (
        Standing.PROBATIONARY,
        date(2020, 1, 10),
        "A1-0001",
    )
    assert Decision.objects.get().issuer == world.commune_a1

    steps = [
        (world.clerk_a1, "ceremony", {"effective_date": "01/02/2020", "place": "Nhà văn hóa"}),
        (world.approver_a1, "recognition", decision("30-QĐ/ĐU", "10/02/2021", world.commune_a1)),
        (world.approver_a1, "exemption", {"effective_date": "01/03/2022", "reason": "sức khỏe"}),
        (world.approver_a1, "exemption-end", {"effective_date": "01/03/2023"}),
        (
            world.approver_a1,
            "temporary-out",
            {"to": world.cell_a2.code, "effective_date": "01/04/2023", "ends_on": "01/12/2023"},
        ),
        (world.root, "temporary-in", {"effective_date": "05/04/2023"}),
        (world.clerk_a1, "temporary-return", {"effective_date": "01/12/2023"}),
        (world.clerk_a1, "loss-of-contact", {"effective_date": "01/01/2024"}),
        (world.clerk_a1, "contact-resumed", {"effective_date": "01/03/2024"}),
        (
            world.approver_a1,
            "removal",
            {"effective_date": "01/06/2024", "reason": "unpaid_dues"}
            | decision("41-QĐ/ĐU", "01/06/2024", world.commune_a1),
        ),
        (
            world.approver_a1,
            "restoration",
            {"organization": world.cell_a1.code}
            | decision("50-QĐ/ĐU", "01/09/2024", world.province_a),
        ),
    ]
    for user, slug, data in steps:
        assert_recorded(post(client, user, member, slug, data), member)
    assert (member.standing, member.official_date, member.organization) == (
        Standing.OFFICIAL,
        date(2021, 2, 1),
        world.cell_a1,
    )
    kinds = list(member.events.order_by("effective_date", "id").values_list("kind", flat=True))
    assert kinds == [
        "admission", "ceremony", "recognition", "exemption", "exemption_end", "temporary_out",
        "temporary_in", "temporary_return", "loss_of_contact", "contact_resumed", "removal",
        "restoration",
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_refusal_by_the_rules_shows_at_the_top_and_keeps_the_input(client, world, official):
    response = post(
        client,
        world.approver_a1,
        official,
        "transfer-out",
        {"to": world.cell_a1.code, "effective_date": "03/03/2025"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors() == [
        "official transfer out on 03/03/2025: choose the receiving organization."
    ]
    page = response.content.decode()
    assert 'value="03/03/2025"' in page
    assert not MembershipEvent.objects.filter(kind=EventKind.TRANSFER_OUT).exists()


@pytest.mark.django_db
def test_a_refusal_about_a_field_shows_next_to_it(client, world, official):
    response = post(client, world.approver_a1, official, "death", {"effective_date": "01/01/2099"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "effective_date": ["The effective date cannot be later than today."]
    }
    official.refresh_from_db()
    assert official.standing == Standing.OFFICIAL


@pytest.mark.django_db
def test_a_date_not_typed_dd_mm_yyyy_is_refused_next_to_it(client, world, official):
    response = post(client, world.approver_a1, official, "death", {"effective_date": "2025-03-01"})
    assert response.context["form"].errors == {"effective_date": ["Type the date as dd/mm/yyyy."]}


@pytest.mark.django_db
def test_a_decision_typed_in_part_asks_for_the_rest_and_none_is_recorded(client, world, official):
    response = post(
        client,
        world.approver_a1,
        official,
        "removal",
        {"effective_date": "01/06/2024", "reason": "unpaid_dues", "decision_number": "41"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"decision_date", "decision_issuer"}
    assert not Decision.objects.exclude(events__isnull=False).exists()


@pytest.mark.django_db
def test_a_refused_event_leaves_no_decision_behind(client, world, official):
    """The decision typed with a refused event is recorded in the same transaction."""
    before = Decision.objects.count()
    response = post(
        client,
        world.approver_a1,
        official,
        "expulsion",
        {"deciding_body": "UBKT", "effective_date": "01/01/2099", "reason": "other_violation"},
    )
    assert response.status_code == 400
    response = post(
        client,
        world.approver_a1,
        official,
        "interruption",
        {"effective_date": "01/03/2024", "ends_on": "01/01/2024"}
        | decision("9-QĐ/ĐU", "01/03/2024", world.commune_a1),
    )
    assert response.status_code == 400
    assert "give the date the interruption ended" in response.context["form"].non_field_errors()[0]
    assert Decision.objects.count() == before
    assert not Discipline.objects.exists()


@pytest.mark.django_db
def test_an_expulsion_records_its_discipline_decision(client, world, official):
    response = post(
        client,
        world.approver_a1,
        official,
        "expulsion",
        {
            "deciding_body": "Ủy ban Kiểm tra Đảng ủy xã A1",
            "discipline_number": "7-QĐ/UBKT",
            "effective_date": "01/03/2024",
            "reason": "corruption_conviction",
        },
    )
    assert_recorded(response, official)
    assert (official.standing, official.exit_kind, official.exit_date) == (
        Standing.LEFT,
        "expulsion",
        date(2024, 3, 1),
    )
    assert Discipline.objects.get().form == "expulsion"


@pytest.mark.django_db
def test_a_readmission_after_36_months_with_the_provincial_consent(client, world, official):
    response = post(
        client,
        world.approver_a1,
        official,
        "removal",
        {"effective_date": "01/06/2021", "reason": "unpaid_dues"}
        | decision("41-QĐ/ĐU", "01/06/2021", world.commune_a1),
    )
    assert_recorded(response, official)
    data = {
        "organization": world.cell_a1.code,
        "resolution_date": "01/05/2024",
        "consent_number": "3-QĐ/TU",
        "consent_date": "01/04/2024",
        "consent_issuer": world.province_a.code,
    } | decision("60-QĐ/ĐU", "01/05/2024", world.commune_a1)
    early = post(client, world.approver_a1, official, "readmission", data)
    assert "01/06/2024 at the earliest" in early.context["form"].non_field_errors()[0]
    data |= decision("60-QĐ/ĐU", "01/06/2024", world.commune_a1) | {"resolution_date": "01/06/2024"}
    assert_recorded(post(client, world.approver_a1, official, "readmission", data), official)
    assert (official.standing, official.admission_date) == (Standing.PROBATIONARY, date(2024, 6, 1))


@pytest.mark.django_db
def test_a_wrong_event_is_corrected_with_a_reason(client, world, official):
    post(
        client,
        world.approver_a1,
        official,
        "exemption",
        {"effective_date": "01/03/2022", "reason": "tuổi cao"},
    )
    wrong = MembershipEvent.objects.get(kind=EventKind.EXEMPTION)
    no_reason = post(client, world.approver_a1, official, "correction", {"event": wrong.pk})
    assert list(no_reason.context["form"].errors) == ["reason"]
    response = post(
        client,
        world.approver_a1,
        official,
        "correction",
        {"event": wrong.pk, "reason": "Nhầm người"},
    )
    assert_recorded(response, official)
    assert not official.is_exempted
    assert MembershipEvent.objects.get(voids=wrong).note == "Nhầm người"
    client.force_login(world.approver_a1)  # the voided event is no longer offered
    offered = dict(client.get(url(official, "correction")).context["form"].fields["event"].choices)
    assert wrong.pk not in offered


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_role_is_offered_the_events_it_may_record(world, official):
    clerk = [slug for slug, _title in event_views.actions_for(world.clerk_a1, official)]
    approver = [slug for slug, _title in event_views.actions_for(world.approver_a1, official)]
    assert clerk == ["transfer-proposal", "loss-of-contact"]
    assert approver == [
        "transfer-out", "temporary-out", "interruption", "exemption", "suspension", "death",
        "removal", "expulsion", "resignation", "correction",
    ]  # fmt: skip
    assert event_views.actions_for(world.viewer_a, official) == []
    assert event_views.actions_for(world.clerk_b1, official) == []
    assert len(event_views.actions_for(world.secretary_a1, official)) == 12


@pytest.mark.django_db
def test_a_probationer_without_ceremony_is_offered_the_ceremony_and_not_the_recognition(
    world, admit
):
    probationer = admit(date(2025, 1, 10))
    slugs = [slug for slug, _title in event_views.actions_for(world.secretary_a1, probationer)]
    assert "ceremony" in slugs and "recognition" not in slugs


@pytest.mark.django_db
def test_the_actions_partial_links_each_event_in_one_query(
    world, official, django_assert_num_queries
):
    request = RequestFactory().get("/")
    request.user = world.approver_a1
    member = selectors.member_for(world.approver_a1, official.pk)  # as the dossier reads it
    partial = engines["django"].from_string('{% include "membership/events/_actions.html" %}')
    with django_assert_num_queries(1):  # the user's grants
        html = partial.render({"member": member, "request": request})
    assert html.count('class="btn btn-outline-primary btn-sm"') == 10
    assert url(official, "transfer-out") in html


@pytest.mark.django_db
def test_roles_are_checked_before_the_form_is_shown(client, world, official):
    for user, slug, status in [
        (world.viewer_a, "death", 403),
        (world.clerk_a1, "death", 403),
        (world.approver_a1, "death", 200),
        (world.clerk_a1, "ceremony", 404),  # does not apply to an official member
        (world.approver_a1, "no-such-event", 404),
        (world.clerk_b1, "death", 404),  # outside the scope, like a missing member
        (world.outsider, "death", 404),
        (world.expired_a1, "loss-of-contact", 404),
    ]:
        client.force_login(user)
        assert client.get(url(official, slug)).status_code == status, (user, slug)
    client.force_login(world.approver_a1)
    assert client.get(reverse("events:record", args=[999_999, "death"])).status_code == 404
    client.logout()
    assert client.get(url(official, "death")).status_code == 302


# --- the transfer workflow ---------------------------------------------------------------------


@pytest.mark.django_db
def test_proposal_letter_and_receipt_through_the_pages(client, world, official):
    response = post(
        client,
        world.secretary_a1,
        official,
        "transfer-proposal",
        {"to": world.commune_b1.code, "effective_date": "01/03/2025", "note": "Chuyển nơi ở"},
    )
    assert_recorded(response, official)
    proposal = TransferProposal.objects.get()

    client.force_login(world.approver_a1)
    inbox = client.get(reverse("events:proposals")).content.decode()
    assert official.person.full_name in inbox
    assert reverse("events:proposal", args=[proposal.pk]) in inbox
    page = reverse("events:proposal", args=[proposal.pk])
    early = client.post(page, {"action": "letter", "effective_date": "28/02/2025"})
    assert early.status_code == 400
    assert "before the proposal" in early.context["letter"].errors["effective_date"][0]
    # the browser sends the issuer's default with the letter: no decision is asked for
    letter = {"action": "letter", "effective_date": "03/03/2025"}
    response = client.post(page, letter | {"decision_issuer": world.commune_a1.code})
    assert_recorded(response, official)
    assert official.pending_transfer_to == world.commune_b1

    client.force_login(world.clerk_b1)
    incoming = client.get(reverse("events:incoming")).content.decode()
    receive = url(official, "transfer-in")
    assert receive in incoming
    assert_recorded(client.post(receive, {"effective_date": "01/04/2025"}), official)
    assert official.organization == world.commune_b1
    assert official in selectors.former_members(world.secretary_a1, world.cell_a1)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.LETTER_ISSUED


@pytest.mark.django_db
def test_a_proposal_is_refused_with_a_reason_or_withdrawn(client, world, official):
    post(
        client,
        world.clerk_a1,
        official,
        "transfer-proposal",
        {"to": world.commune_b1.code, "effective_date": "01/03/2025"},
    )
    proposal = TransferProposal.objects.get()
    page = reverse("events:proposal", args=[proposal.pk])
    client.force_login(world.clerk_a1)
    assert client.post(page, {"action": "refuse", "reason": "x"}).status_code == 403
    client.force_login(world.approver_a1)
    empty = client.post(page, {"action": "refuse", "reason": ""})
    assert empty.status_code == 400 and "reason" in empty.context["refusal"].errors
    assert client.post(page, {"action": "refuse", "reason": "Chưa đủ hồ sơ"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.REFUSED

    post(
        client,
        world.clerk_a1,
        official,
        "transfer-proposal",
        {"to": world.commune_a2.code, "effective_date": "02/03/2025"},
    )
    second = TransferProposal.objects.get(state=ProposalState.PROPOSED)
    client.force_login(world.clerk_a1)
    response = client.post(reverse("events:proposal", args=[second.pk]), {"action": "withdraw"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == ProposalState.WITHDRAWN


@pytest.mark.django_db
def test_a_proposal_outside_the_scope_is_not_found(client, world, official):
    post(
        client,
        world.clerk_a1,
        official,
        "transfer-proposal",
        {"to": world.commune_b1.code, "effective_date": "01/03/2025"},
    )
    proposal = TransferProposal.objects.get()
    client.force_login(world.clerk_b1)
    assert client.get(reverse("events:proposal", args=[proposal.pk])).status_code == 404
    assert "No transfer proposal" in client.get(reverse("events:proposals")).content.decode()


@pytest.mark.django_db
def test_the_inboxes_do_not_issue_more_queries_as_rows_grow(
    client, world, admit, django_assert_max_num_queries
):
    from dangvu.membership import services

    def propose_and_send(count):
        for _ in range(count):
            member = admit(date(2020, 1, 10), ceremony=date(2020, 2, 1), recognized=True)
            services.propose_transfer(
                actor=world.root, member=member, to=world.commune_b1, on=date(2025, 3, 1)
            )
            other = admit(date(2020, 1, 10))
            services.record_transfer_out(
                actor=world.root, member=other, to=world.cell_b1, on=date(2025, 3, 1)
            )

    client.force_login(world.root)
    counts = []
    for rows in (1, 4):
        propose_and_send(rows if not counts else rows - 1)
        with django_assert_max_num_queries(12) as proposals:
            client.get(reverse("events:proposals"))
        with django_assert_max_num_queries(12) as incoming:
            client.get(reverse("events:incoming"))
        counts.append((len(proposals.captured_queries), len(incoming.captured_queries)))
    assert counts[0] == counts[1]
