"""manage.py check_ledger: replay every member's events and report whatever differs from what
is stored (the projection, the periods, the effect sums, the current card, the copy of the
person's search key). Exit status 1 when anything differs, so it can run in cron or CI."""

import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Sum

from dangvu.core.errors import DomainError
from dangvu.core.rulebook import Rulebook
from dangvu.membership import rules
from dangvu.membership.models import (
    CardKind,
    EventEffect,
    Member,
    MemberPeriod,
    MembershipEvent,
    PartyAgeDecision,
    PartyCard,
    Standing,
)
from dangvu.membership.services import (
    EVENT_FIELDS,
    PROJECTED_FIELDS,
    projection,
    wanted_effects,
)
from dangvu.organizations.models import Organization

CHUNK = 5000


class Command(BaseCommand):
    help = "Replay every member's ledger and report projections, periods or effects that differ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20, help="differences to print")

    def handle(self, *args: Any, **options: Any) -> None:
        started, book = time.monotonic(), Rulebook.load()
        paths = dict(Organization.objects.values_list("pk", "path"))
        checked, problems = 0, []
        for members in chunks():
            for member_id, message in check_chunk(members, book, paths):
                problems.append((member_id, message))
            checked += len(members)
        for member_id, message in problems[: options["limit"]]:
            self.stdout.write(f"member {member_id}: {message}")
        self.stdout.write(
            f"check_ledger: {checked} members, {len(problems)} differences, "
            f"{time.monotonic() - started:.1f} s"
        )
        if problems:
            sys.exit(1)


def chunks() -> Iterator[dict[int, dict[str, Any]]]:
    fields = [
        "id",
        *PROJECTED_FIELDS,
        "card_number",
        "person__home_organization_id",
        "search_key",
        "person__search_key",
    ]
    last = 0
    while True:
        rows = list(Member.objects.filter(pk__gt=last).order_by("pk").values(*fields)[:CHUNK])
        if not rows:
            return
        last = rows[-1]["id"]
        yield {row["id"]: row for row in rows}


def grouped(queryset: Any, key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in queryset:
        groups[getattr(row, key) if not isinstance(row, dict) else row[key]].append(row)
    return groups


class OrganizationPath:
    """Just what the rulebook needs to find a province's own rule versions: the ancestors."""

    def __init__(self, path: str):
        self.path = path

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


def check_chunk(
    members: dict[int, dict[str, Any]], book: Rulebook, paths: dict[int, str]
) -> Iterator[tuple[int, str]]:
    ids = {"member_id__gte": min(members), "member_id__lte": max(members)}  # a chunk is a range
    events: dict[int, list[rules.Event]] = defaultdict(list)
    for row in (
        MembershipEvent.objects.filter(**ids).order_by("id").values("member_id", *EVENT_FIELDS)
    ):
        events[row.pop("member_id")].append(rules.Event(**row))
    periods = grouped(
        MemberPeriod.objects.filter(**ids)
        .order_by("valid_from", "id")
        .values("member_id", "organization_id", "valid_from", "valid_to"),
        "member_id",
    )
    effects = grouped(
        EventEffect.objects.filter(**ids)
        .values("member_id", "organization_id", "counter", "effective_date")
        .annotate(total=Sum("delta")),
        "member_id",
    )
    decided = {  # the latest recalculation decision of each member wins
        row.member_id: row.decided
        for row in PartyAgeDecision.objects.filter(**ids).order_by("as_of", "pk")
    }
    cards = dict(  # the latest open paper card of each member wins (ordered by issue)
        PartyCard.objects.filter(**ids, recovered_on__isnull=True, replaced_on__isnull=True)
        .exclude(kind=CardKind.ELECTRONIC)
        .order_by("issued_on", "id")
        .values_list("member_id", "number")
    )
    for member_id, stored in members.items():
        try:
            state = rules.replay(
                events.get(member_id, []),
                book,
                lambda pk: OrganizationPath(paths[pk]),
            )
        except DomainError as error:
            yield member_id, f"the ledger is refused by the rules: {error}"
            continue
        yield from compare(
            member_id,
            stored,
            projection(state, book, decided.get(member_id)),
            state,
            periods.get(member_id, []),
            effects.get(member_id, []),
            cards.get(member_id, ""),
        )


def compare(
    member_id: int,
    stored: dict[str, Any],
    projected: dict[str, Any],
    state: rules.State,
    periods: list[Any],
    effects: list[Any],
    card: str,
) -> Iterator[tuple[int, str]]:
    for name, value in projected.items():
        if stored[name] != value:
            yield member_id, f"{name} is {stored[name]!r}, the ledger gives {value!r}"
    replayed = [(p.organization_id, p.valid_from, p.valid_to) for p in state.periods]
    written = [(p["organization_id"], p["valid_from"], p["valid_to"]) for p in periods]
    if replayed != written:
        yield member_id, f"periods are {written}, the ledger gives {replayed}"
    wanted = {key: delta for key, delta in wanted_effects(state).items() if delta}
    sums = {
        (e["organization_id"], e["counter"], e["effective_date"]): e["total"]
        for e in effects
        if e["total"]
    }
    if wanted != sums:
        differing = sorted(
            set(wanted) ^ set(sums) | {k for k in wanted if sums.get(k) != wanted[k]}, key=str
        )
        yield member_id, f"effect sums differ at {differing[:3]}"
    home = stored["person__home_organization_id"]
    if state.standing != Standing.LEFT and home != state.organization_id:
        yield (
            member_id,
            f"the dossier is kept by {home}, the member belongs to {state.organization_id}",
        )
    if stored["search_key"] != stored["person__search_key"]:
        yield member_id, f"search_key is {stored['search_key']!r}, the person's is different"
    if stored["card_number"] != card:
        yield member_id, f"card_number is {stored['card_number']!r}, the cards give {card!r}"
