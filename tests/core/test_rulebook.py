"""The rulebook and the working-day calendar: versions by date, a province's own rules, overrides."""

from datetime import date

import pytest
from django.db import transaction

from dangvu.core import services
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import AuditEntry, DayKind
from dangvu.core.rulebook import Rulebook
from dangvu.core.workdays import WorkingCalendar


@pytest.mark.django_db
def test_the_admission_decision_deadline_is_60_working_days_until_30_06_2025_and_45_after():
    book = Rulebook.load()
    old = book.get("admission.decision_deadline", on=date(2025, 6, 30))
    new = book.get("admission.decision_deadline", on=date(2025, 7, 1))
    assert (old["admission_working_days"], old["extension_working_days"]) == (60, 30)
    assert (new["admission_working_days"], new["extension_working_days"]) == (45, 15)
    assert "294-QĐ/TW" in new.citation


@pytest.mark.django_db
def test_no_admission_age_rule_before_30_04_1975():
    assert Rulebook.load().find("admission.age", on=date(1970, 1, 1)) is None


def test_every_national_rule_cites_its_source(db):
    book = Rulebook.load()
    for key in [
        "admission.age",
        "probation",
        "dates.nonexistent_day",
        "party_age.gaps",
        "readmission",
        "badges.milestones",
        "transfer.deadlines",
    ]:
        assert book.get(key, on=date(2026, 1, 1)).citation.strip()


def test_a_provinces_own_version_wins_in_its_subtree_only(world):
    services.add_rule_version(
        actor=world.admin_a,
        key="probation",
        valid_from=date(2025, 11, 1),
        params={"max_extension_months": 12},
        citation="Hướng dẫn Ban Tổ chức Thành ủy Hà Nội 11/2025",
        organization=world.province_a,
    )
    book = Rulebook.load()
    in_a = book.get("probation", on=date(2026, 1, 1), organization=world.cell_a1)
    in_b = book.get("probation", on=date(2026, 1, 1), organization=world.cell_b1)
    before = book.get("probation", on=date(2025, 10, 31), organization=world.cell_a1)
    assert (in_a["max_extension_months"], in_a["months"]) == (12, 12)
    assert in_b["max_extension_months"] == 0 and before["max_extension_months"] == 0
    assert AuditEntry.objects.filter(action="core.rule_version.added").exists()


def test_a_new_version_closes_the_previous_one_and_unknown_parameters_are_refused(world):
    first = services.add_rule_version(
        actor=world.root,
        key="probation",
        valid_from=date(2026, 1, 1),
        params={"months": 12},
        citation="test",
    )
    with pytest.raises(DomainError, match="mounths"):
        services.add_rule_version(
            actor=world.root,
            key="probation",
            valid_from=date(2026, 2, 1),
            params={"mounths": 12},
            citation="test",
        )
    services.add_rule_version(
        actor=world.root,
        key="probation",
        valid_from=date(2026, 3, 1),
        params={"months": 12},
        citation="test",
    )
    first.refresh_from_db()
    assert first.valid_to == date(2026, 3, 1)


def test_only_the_system_administrator_changes_national_rules_and_the_calendar(world):
    with pytest.raises(NotPermitted):
        services.add_rule_version(
            actor=world.admin_a,
            key="probation",
            valid_from=date(2026, 1, 1),
            params={},
            citation="x",
        )
    with pytest.raises(NotPermitted):
        services.set_day_override(
            actor=world.admin_a, day=date(2026, 12, 31), kind=DayKind.DAY_OFF, name="x", basis="x"
        )
    with pytest.raises(NotPermitted):
        services.add_rule_version(
            actor=world.admin_a,
            key="probation",
            valid_from=date(2026, 1, 1),
            params={},
            citation="x",
            organization=world.province_b,
        )


@pytest.mark.django_db
def test_the_new_year_2026_swap_comes_from_the_overrides():
    calendar = WorkingCalendar.load(2025, 2026)
    assert not calendar.is_working_day(
        date(2026, 1, 2)
    )  # swapped day off (Công văn 12729/VPCP-KGVX)
    assert calendar.is_working_day(date(2026, 1, 10))  # the Saturday worked in exchange
    assert not calendar.is_working_day(date(2026, 2, 17))  # Tết
    assert calendar.add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 6)


@pytest.mark.django_db
def test_forty_five_working_days_from_a_cell_resolution_skip_tet_2026():
    calendar = WorkingCalendar.load(2026, 2026)
    # From Monday 2/2/2026: 3–6/2 (4), 9–13/2 (9), Tết 16–20/2 off, 23–27/2 (14), five full
    # weeks of March to 3/4 (39), 6–10/4 (44): the 45th working day is Monday 13/4/2026.
    deadline = calendar.add_working_days(date(2026, 2, 2), 45)
    assert deadline == date(2026, 4, 13)
    assert calendar.working_days_between(date(2026, 2, 2), deadline) == 45


def test_an_administrator_declares_a_day_off_and_the_calendar_follows(world):
    services.set_day_override(
        actor=world.root,
        day=date(2026, 12, 31),
        kind=DayKind.DAY_OFF,
        name="Nghỉ bù",
        basis="Thông báo số 1/TB-VPCP",
    )
    assert not WorkingCalendar.load(2026, 2026).is_working_day(date(2026, 12, 31))
    with pytest.raises(DomainError, match="Saturday"):
        services.set_day_override(
            actor=world.root,
            day=date(2026, 12, 30),
            kind=DayKind.WORKING_SATURDAY,
            name="x",
            basis="x",
        )


def test_the_admin_form_shows_a_refusal_next_to_its_field_and_saves_nothing(client, world):
    from dangvu.core.models import DayOverride

    client.force_login(world.root)
    world.root.is_staff = True
    world.root.save()
    typed = {"date": "2026-12-30", "kind": "working_saturday", "name": "Làm bù", "basis": "TB 1"}
    response = client.post("/admin/core/dayoverride/add/", typed)
    assert response.status_code == 200
    assert "Ngày làm bù phải là ngày thứ Bảy." in response.content.decode()  # in Vietnamese
    assert 'value="Làm bù"' in response.content.decode()  # what was typed is kept
    assert not DayOverride.objects.filter(date=date(2026, 12, 30)).exists()
    typed["date"] = "2026-12-26"  # a Saturday
    assert client.post("/admin/core/dayoverride/add/", typed).status_code == 302
    assert AuditEntry.objects.filter(action="core.calendar.day_set").exists()


def test_the_rulebook_kept_in_memory_follows_every_change_and_every_rollback(world):
    def months(cell) -> int:
        return int(
            Rulebook.load().get("probation", on=date(2026, 6, 1), organization=cell)["months"]
        )

    book = Rulebook.load()
    assert Rulebook.load() is book  # unchanged: not read again
    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_rule_version(
            actor=world.root,
            key="probation",
            valid_from=date(2026, 1, 1),
            params={"months": 18},
            citation="a version rolled back",
        )
        assert months(world.cell_a1) == 18  # read inside the transaction that added it
        raise RuntimeError
    # As many versions as inside the rolled-back transaction, but not the same ones.
    services.add_rule_version(
        actor=world.admin_a,
        key="probation",
        valid_from=date(2026, 1, 1),
        params={"months": 9},
        citation="a province's own version",
        organization=world.province_a,
    )
    assert (months(world.cell_a1), months(world.cell_b1)) == (9, 12)
