"""Helpers for ledger tests: decisions and members built through the services."""

from datetime import date

import pytest

from dangvu.membership import services
from dangvu.membership.models import Decision


@pytest.fixture
def decide(world):
    """Make a decision of an organization (the commune by default) on a date."""
    counter = iter(range(1, 100_000))

    def make(on: date, issuer=None, subject: str = "") -> Decision:
        return Decision.objects.create(number=f"{next(counter)}-QĐ/ĐU", issuer=issuer or world.commune_a1,
                                       decided_on=on, subject=subject)

    return make


@pytest.fixture
def admit(world, person_factory, decide):
    """Admit a new person into a cell (default cell A1) with ceremony, optionally recognized."""

    def make(decided: date, cell=None, ceremony: date | None = None, recognized: bool = False,
             birth=(1990, 5, 15), **person_fields):
        cell = cell or world.cell_a1
        year, month, day = birth
        person = person_factory(cell, birth_year=year, birth_month=month, birth_day=day,
                                **person_fields)
        member = services.admit_member(actor=world.root, person=person, organization=cell,
                                       decision=decide(decided), resolution_date=decided)
        if ceremony:
            services.record_ceremony(actor=world.root, member=member, on=ceremony)
        if recognized:
            services.recognize_member(actor=world.root, member=member, decision=decide(ceremony))
        member.refresh_from_db()
        return member

    return make
