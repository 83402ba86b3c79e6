"""Filed reports: frozen figures and files that later events never change, sent to the level
above, accepted or returned with a reason, and compared with today's figures."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from dangvu.accounts.models import Role
from dangvu.core.errors import DomainError, NotPermitted
from dangvu.core.models import AuditEntry
from dangvu.membership import services as membership
from dangvu.reports import services
from dangvu.reports.layouts import LAYOUTS
from dangvu.reports.models import FiledReport, FiledStatus
from dangvu.reports.tables import build
from tests.world import make_user

TODAY = timezone.localdate()


@pytest.fixture
def filed(world, admit):
    for _ in range(3):
        admit(date(2024, 3, 1))
    return services.file_report(
        actor=world.clerk_a1,
        organization=world.commune_a1,
        layout=LAYOUTS["quality"],
        on=date(2025, 12, 31),
    )


@pytest.mark.django_db
def test_a_filed_report_keeps_its_figures_and_files_after_back_dated_events(
    client, world, admit, filed
):
    before = services.frozen_table(filed)
    assert before.total.values[0] == 3 and filed.addressed_to == world.province_a
    client.force_login(world.clerk_a1)
    xlsx = client.get(reverse("reports:filed_xlsx", args=[filed.pk])).content
    pdf = client.get(reverse("reports:filed_pdf", args=[filed.pk])).content
    assert xlsx.startswith(b"PK") and pdf.startswith(b"%PDF-")
    # a member admitted back in 2024, recorded now, and a death dated before the report's date
    late = admit(date(2024, 6, 1))
    member = world.cell_a1.members.exclude(pk=late.pk).first()
    membership.record_death(actor=world.root, member=member, on=date(2025, 11, 1))
    now = build(LAYOUTS["quality"], world.commune_a1, date(2025, 12, 31))
    assert now.total.values[0] == 3  # one more, one fewer: the same total, other members
    filed.refresh_from_db()
    again = services.frozen_table(filed)
    assert [r.values for r in again.rows] == [r.values for r in before.rows]
    assert [c.key for c in again.columns] == [c.key for c in before.columns]
    assert client.get(reverse("reports:filed_xlsx", args=[filed.pk])).content == xlsx
    assert client.get(reverse("reports:filed_pdf", args=[filed.pk])).content == pdf
    # the later view says what differs and why
    found, events = services.differences(filed)
    assert {(e.member_id, e.kind) for e in events} >= {(member.pk, "death")}
    assert late.pk in {e.member_id for e in events}
    page = client.get(reverse("reports:filed", args=[filed.pk])).content.decode()
    assert member.person.full_name in page and late.person.full_name in page


@pytest.mark.django_db
def test_a_difference_is_listed_with_the_filed_and_todays_figure(world, admit, filed):
    admit(date(2024, 6, 1))
    found, _events = services.differences(filed)
    total = [d for d in found if d.column.key == ("total", "") and d.row == world.commune_a1.name]
    assert [(d.filed, d.today) for d in total] == [(3, 4)]


@pytest.mark.django_db
def test_the_level_above_accepts_or_returns_with_a_reason(world, filed, admit):
    approver = make_user(world.root, "approver_pa", (world.province_a, Role.APPROVER))
    with pytest.raises(NotPermitted):  # the commune's own approver is not the level above
        services.accept_report(actor=world.approver_a1, report=filed)
    with pytest.raises(DomainError) as refused:
        services.return_report(actor=approver, report=filed, reason="  ")
    assert refused.value.field == "reason"
    services.return_report(actor=approver, report=filed, reason="Thiếu chi bộ mới thành lập")
    filed.refresh_from_db()
    assert filed.status == FiledStatus.RETURNED and filed.decided_by == approver
    with pytest.raises(DomainError):
        services.accept_report(actor=approver, report=filed)
    again = services.file_report(
        actor=world.clerk_a1, organization=world.commune_a1, layout=LAYOUTS["quality"], on=TODAY
    )
    services.accept_report(actor=approver, report=again)
    assert FiledReport.objects.get(pk=again.pk).status == FiledStatus.ACCEPTED
    actions = list(
        AuditEntry.objects.filter(action__startswith="reports.report.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted(
        ["reports.report.filed"] * 2 + ["reports.report.returned", "reports.report.accepted"]
    )


@pytest.mark.django_db
def test_only_a_clerk_approver_or_admin_of_the_organization_files(world):
    with pytest.raises(NotPermitted):
        services.file_report(
            actor=world.viewer_a,
            organization=world.commune_a1,
            layout=LAYOUTS["organizations"],
            on=TODAY,
        )


@pytest.mark.django_db
def test_the_pages_of_filing_and_deciding(client, world, filed):
    client.force_login(world.clerk_a1)
    table = reverse("reports:table", args=[world.commune_a1.pk, "movement"])
    response = client.post(
        reverse("reports:file", args=[world.commune_a1.pk, "movement"]),
        {"start": "01/01/2025", "end": "31/12/2025"},
    )
    report = FiledReport.objects.get(layout="movement")
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:filed", args=[report.pk]
    )
    assert report.start == date(2025, 1, 1) and report.on == date(2025, 12, 31)
    assert "Lưu và gửi báo cáo lên cấp trên" in client.get(table).content.decode()
    listing = client.get(reverse("reports:filed_list", args=[world.province_a.pk]))
    assert listing.status_code == 404  # the commune's clerk does not see the province
    own = client.get(reverse("reports:filed_list", args=[world.commune_a1.pk])).content.decode()
    assert "Tăng, giảm đảng viên" in own and "Chất lượng đảng viên" in own
    # the province's admin returns it; an empty reason is refused next to the field, kept
    client.force_login(world.admin_a)
    decide = reverse("reports:decide", args=[filed.pk])
    page = client.post(decide, {"action": "return", "reason": ""})
    assert page.status_code == 400 and "Cho biết lý do trả lại báo cáo." in page.content.decode()
    client.post(decide, {"action": "return", "reason": "Số liệu chưa khớp"})
    filed.refresh_from_db()
    assert filed.status == FiledStatus.RETURNED and filed.reason == "Số liệu chưa khớp"
    # outside the scope a filed report is missing
    client.force_login(world.clerk_b1)
    for name in ("reports:filed", "reports:filed_xlsx", "reports:filed_pdf"):
        assert client.get(reverse(name, args=[filed.pk])).status_code == 404
        assert client.get(reverse(name, args=[999_999])).status_code == 404
