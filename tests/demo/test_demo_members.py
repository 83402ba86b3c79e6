"""Demo members: bulk-written from the services' own rules, and check_ledger agrees."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from dangvu.demo.management.commands.seed_demo import system_user
from dangvu.demo.member_writer import MemberSeeder
from dangvu.membership import selectors
from dangvu.membership.models import (
    Counter,
    EventEffect,
    Member,
    MembershipEvent,
    PartyCard,
    Standing,
)
from dangvu.people.models import Person

AS_OF = date(2026, 6, 30)


def seed(members: int, seed: int = 3) -> None:
    call_command("seed_demo", provinces=1, seed=seed, members=members, as_of=AS_OF)


def check_ledger() -> int:
    with pytest.raises(SystemExit) as exit_status:
        call_command("check_ledger")
        raise SystemExit(0)
    return int(exit_status.value.code or 0)


@pytest.mark.django_db
def test_demo_members_pass_check_ledger_and_a_tampered_projection_does_not(capsys):
    seed(2000)
    assert Member.objects.count() == 2000
    assert check_ledger() == 0
    member = Member.objects.filter(standing=Standing.OFFICIAL).first()
    Member.objects.filter(pk=member.pk).update(standing=Standing.PROBATIONARY)
    assert check_ledger() == 1
    assert f"member {member.pk}: standing is 'probationary'" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_histories_hold_every_kind_of_movement():
    seed(2000)
    kinds = dict(MembershipEvent.objects.values_list("kind").annotate(n=Count("id")))
    for kind in [
        "admission",
        "ceremony",
        "recognition",
        "transfer_out",
        "transfer_in",
        "exemption",
        "death",
        "removal",
    ]:
        assert kinds.get(kind, 0) > 0, kind
    across_reform = MembershipEvent.objects.filter(
        kind="transfer_in", effective_date__gte=date(2025, 7, 1)
    )
    assert across_reform.exists()


@pytest.mark.django_db
def test_the_one_sum_counts_equal_the_projection_for_every_cell():
    seed(2000)
    projected = {
        (row["organization_id"], row["standing"]): row["n"]
        for row in Member.objects.filter(is_in_transit=False)
        .exclude(standing=Standing.LEFT)
        .values("organization_id", "standing")
        .annotate(n=Count("id"))
    }
    cells = {org for org, _ in projected}
    for cell in (
        Member.objects.filter(organization_id__in=cells)
        .values_list("organization", flat=True)
        .distinct()
    ):
        org = Member.objects.filter(organization_id=cell).first().organization
        for standing in (Standing.PROBATIONARY, Standing.OFFICIAL):
            assert selectors.count(org, Counter(standing), AS_OF) == projected.get(
                (cell, standing), 0
            )


@pytest.mark.django_db
@pytest.mark.slow
def test_the_twenty_thousand_member_demo_passes_check_ledger():
    seed(20_000, seed=1)
    assert Member.objects.count() == 20_000
    assert check_ledger() == 0


def member_rows() -> list:
    return [
        list(Person.objects.order_by("pk").values_list("pk", "full_name", "national_id")),
        list(
            Member.objects.order_by("pk").values_list("pk", "person_id", "standing", "card_number")
        ),
        list(
            MembershipEvent.objects.order_by("pk").values_list(
                "pk", "member_id", "kind", "effective_date", "voids_id", "decision__number"
            )
        ),
        list(EventEffect.objects.order_by("pk").values_list("pk", "member_id", "counter", "delta")),
        list(PartyCard.objects.order_by("pk").values_list("pk", "member_id", "number")),
    ]


@pytest.mark.django_db(transaction=True)
def test_chunks_made_by_worker_processes_give_the_same_rows_as_made_in_turn():
    """Keys are dense and taken in chunk order, whichever process makes a chunk first."""
    call_command("seed_demo", provinces=1, seed=4, as_of=AS_OF, people_per_cell=0)
    built = []
    for processes in (0, 2):
        with transaction.atomic():
            MemberSeeder(system_user(), 900, 4, AS_OF, processes=processes, chunk_size=200).run()
            built.append(member_rows())
            assert check_ledger() == 0
            transaction.set_rollback(True)
    people, members, events, effects, cards = built[0]
    assert len(members) == 900 and [m[0] for m in members] == list(
        range(members[0][0], members[0][0] + 900)
    )
    assert len({p[2] for p in people}) == 900  # national IDs unique across the chunks
    assert len({c[2] for c in cards}) == len(cards)  # and card numbers
    assert any(e[4] for e in events)  # a correction points at the event it voids
    assert built[0] == built[1]
