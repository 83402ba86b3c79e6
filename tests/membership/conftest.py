"""Helpers for ledger tests: decisions, members and rule versions built through the services."""

from datetime import date

import pytest

from dangvu.accounts.models import Role
from dangvu.core.models import RuleVersion
from dangvu.membership import selectors, services
from dangvu.membership.models import Counter, Decision
from tests.world import make_user


@pytest.fixture
def decide(world):
    """Make a decision of an organization (the commune by default) on a date."""
    counter = iter(range(1, 100_000))

    def make(on: date, issuer=None, subject: str = "") -> Decision:
        return Decision.objects.create(
            number=f"{next(counter)}-QĐ/ĐU",
            issuer=issuer or world.commune_a1,
            decided_on=on,
            subject=subject,
        )

    return make


@pytest.fixture
def admit(world, person_factory, decide):
    """Admit a new person (born 15/05/1970 unless told) into a cell (default cell A1), with a
    ceremony if given, optionally recognized."""

    def make(
        decided: date,
        cell=None,
        ceremony: date | None = None,
        recognized: bool = False,
        birth=(1970, 5, 15),
        **person_fields,
    ):
        cell = cell or world.cell_a1
        year, month, day = birth
        person = person_factory(
            cell, birth_year=year, birth_month=month, birth_day=day, **person_fields
        )
        member = services.admit_member(
            actor=world.root,
            person=person,
            organization=cell,
            decision=decide(decided),
            resolution_date=decided,
        )
        if ceremony:
            services.record_ceremony(actor=world.root, member=member, on=ceremony)
        if recognized:
            services.recognize_member(actor=world.root, member=member, decision=decide(ceremony))
        member.refresh_from_db()
        return member

    return make


@pytest.fixture
def approver_b1(world):
    """An approver of commune B1 (the receiving side in transfer tests)."""
    return make_user(world.root, "approver_b1", (world.commune_b1, Role.APPROVER))


@pytest.fixture
def rule_version(db):
    """Add a rule version (a province's own when ``organization`` is given)."""

    def make(
        key: str, valid_from: date, organization=None, citation: str = "Test version", **params
    ) -> RuleVersion:
        return RuleVersion.objects.create(
            key=key,
            organization=organization,
            valid_from=valid_from,
            params=params,
            citation=citation,
        )

    return make


@pytest.fixture
def replace_national_rule(rule_version):
    """Close the open national version of a rule on ``on`` and open one from ``on`` with some
    parameters changed: another reading of a rule is one new version."""

    def replace(key: str, on: date, **changes) -> RuleVersion:
        current = RuleVersion.objects.get(key=key, organization=None, valid_to__isnull=True)
        current.valid_to = on
        current.save(update_fields=["valid_to"])
        return rule_version(key, on, **{**current.params, **changes})

    return replace


@pytest.fixture
def counts(db):
    """The non-zero counters of an organization as of a date: {"official": 1, ...}."""

    def read(organization, on: date, known_at=None, subtree: bool = False) -> dict[str, int]:
        values = {
            counter.value: selectors.count(
                organization, counter, on, known_at=known_at, subtree=subtree
            )
            for counter in Counter
        }
        return {name: value for name, value in values.items() if value}

    return read
