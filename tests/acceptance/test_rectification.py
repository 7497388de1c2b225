"""整改通知 to closure: acknowledge, rectification report with evidence, re-check (closed, or
sent back with a reason), escalation when the deadline passes, reminders, the announcement's
closure date; each refusal with its own message."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from acceptance.choices import NoticeState, Occasion
from acceptance.models import Publication, RectificationNotice, RectificationReport
from acceptance.services.rectification import (
    acknowledge_notice,
    escalate_overdue,
    recheck,
    send_reminders,
    submit_report,
)
from portal.attachments import attachments_of
from portal.models import Notification, Region
from portal.workflow import TransitionRefused

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from .supervision import evidence, failed_audit_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued():
    return failed_audit_notice(region=Region.WUHAN)


def test_the_audit_notice_names_the_6_2_situation_and_is_announced(issued):
    notice, _member, _reviewer = issued
    assert notice.occasion == Occasion.ANNUAL_AUDIT and notice.audit_year == 2026
    assert notice.situation_rows[0]["label"].startswith("能耗在线监测数据不能持续稳定上传")
    announcement = Publication.objects.get(enterprise=notice.enterprise)
    assert announcement.deadline == notice.deadline and announcement.closed_on is None


def test_the_whole_path_to_closure(issued, client):
    notice, member, reviewer = issued
    with pytest.raises(ValidationError, match="请先签收整改通知"):
        submit_report(notice, member, "已修复", [evidence()])
    acknowledge_notice(notice, member)
    with pytest.raises(ValidationError, match="请上传整改证明材料"):
        submit_report(notice, member, "已修复", [])
    assert not RectificationReport.objects.exists()  # nothing half-written
    first = submit_report(notice, member, "更换了端设备的通信模块", [evidence()])
    notice.refresh_from_db()
    assert notice.state == NoticeState.REPORTED and first.round == 1
    assert attachments_of(first).get().sha256
    with pytest.raises(ValidationError, match="正在复查"):
        submit_report(notice, member, "再报一次", [evidence()])

    with pytest.raises(TransitionRefused, match="请填写意见或理由"):
        recheck(notice, reviewer, rectified=False)
    notice = recheck(notice, reviewer, rectified=False, note="3 月数据仍不完整")
    assert notice.state == NoticeState.ACKNOWLEDGED
    first.refresh_from_db()
    assert first.accepted is False and first.recheck_note == "3 月数据仍不完整"
    assert Notification.objects.filter(recipient=member, title__contains="复查未通过").exists()

    second = submit_report(notice, member, "补传了缺失数据", [evidence("b.pdf")])
    assert second.round == 2
    notice = recheck(notice, reviewer, rectified=True, note="已整改到位")
    assert notice.state == NoticeState.CLOSED and notice.closed_by == reviewer
    announcement = Publication.objects.get(enterprise=notice.enterprise)
    assert announcement.closed_on == timezone.localdate()

    with pytest.raises(ValidationError, match=r"已于 .* 关闭，不能再提交整改报告"):
        submit_report(notice, member, "还想再报", [evidence()])
    page = client.get(reverse("acceptance:results")).content.decode()
    assert f"{timezone.localdate():%Y-%m-%d} 整改完成" in page
    feed = client.get(reverse("acceptance:results_json")).json()["results"]
    assert feed[0]["closed_on"] == timezone.localdate().isoformat()
    atom = client.get(reverse("acceptance:results_atom")).content.decode()
    assert f"整改完成 {timezone.localdate():%Y-%m-%d}" in atom


def test_only_the_enterprise_reports_and_only_a_reviewer_rechecks(issued):
    notice, member, reviewer = issued
    acknowledge_notice(notice, member)
    outsider = member_of(EnterpriseFactory())
    with pytest.raises(TransitionRefused):
        submit_report(notice, outsider, "冒名", [evidence()])
    with pytest.raises(TransitionRefused):
        submit_report(notice, reviewer, "代报", [evidence()])
    submit_report(notice, member, "已修复", [evidence()])
    with pytest.raises(TransitionRefused):
        recheck(notice, member, rectified=True)
    with pytest.raises(TransitionRefused):
        recheck(notice, GovernmentViewerFactory(region=Region.WUHAN), rectified=True)


def test_escalation_when_the_deadline_passes_is_once_and_tells_the_reviewers(issued):
    notice, member, reviewer = issued
    RectificationNotice.objects.filter(pk=notice.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    assert escalate_overdue() == 1
    assert escalate_overdue() == 0  # idempotent
    notice.refresh_from_db()
    assert notice.state == NoticeState.ESCALATED and notice.escalated_at
    assert -1 in notice.reminded_days
    told = Notification.objects.filter(recipient=reviewer, title__contains="逾期未整改")
    assert told.count() == 1
    assert send_reminders() == 0  # the reviewers were told with the escalation
    assert told.count() == 1
    # An escalated notice is acknowledged and reported like any other, and stays escalated
    # when the report is sent back.
    assert acknowledge_notice(notice, member).state == NoticeState.ESCALATED
    submit_report(notice, member, "已修复", [evidence()])
    notice = recheck(notice, reviewer, rectified=False, note="仍有中断")
    assert notice.state == NoticeState.ESCALATED


def test_a_reported_or_closed_notice_is_not_escalated_nor_reminded(issued, settings):
    notice, member, reviewer = issued
    acknowledge_notice(notice, member)
    submit_report(notice, member, "已修复", [evidence()])
    settings.RECTIFICATION_REMINDER_DAYS = [7]
    assert send_reminders(today=notice.deadline - timedelta(days=7)) == 0
    RectificationNotice.objects.filter(pk=notice.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    assert escalate_overdue() == 0
    recheck(notice, reviewer, rectified=True)
    assert send_reminders() == 0


def test_reminders_use_the_configured_days(issued, settings):
    notice, member, _reviewer = issued
    settings.RECTIFICATION_REMINDER_DAYS = [14, 3]
    assert send_reminders(today=notice.deadline - timedelta(days=15)) == 0
    assert send_reminders(today=notice.deadline - timedelta(days=14)) == 1
    assert send_reminders(today=notice.deadline - timedelta(days=3)) == 1
    assert (
        Notification.objects.filter(recipient=member, title__contains="整改期限将至").count() == 2
    )


def test_the_pages_report_and_recheck(issued, client):
    notice, member, reviewer = issued
    client.force_login(member)
    url = reverse("acceptance:notice_detail", args=[notice.pk])
    client.post(reverse("acceptance:notice_acknowledge", args=[notice.pk]))
    assert 'id="report-form"' in client.get(url).content.decode()
    client.post(
        reverse("acceptance:notice_report", args=[notice.pk]),
        {"description": "更换模块", "files": [evidence("a.pdf"), evidence("b.pdf")]},
    )
    report = RectificationReport.objects.get()
    assert attachments_of(report).count() == 2
    page = client.get(url).content.decode()
    assert "更换模块" in page and "a.pdf" in page and 'id="recheck-form"' not in page

    client.force_login(reviewer)
    queue = client.get(reverse("acceptance:notice_queue")).content.decode()
    assert notice.enterprise.name in queue
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "待复查的整改报告" in dashboard
    assert 'id="recheck-form"' in client.get(url).content.decode()
    client.post(
        reverse("acceptance:notice_recheck", args=[notice.pk]), {"verdict": "closed", "note": ""}
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED


def test_evidence_files_follow_the_notice_but_not_to_a_government_viewer(issued, client):
    notice, member, _reviewer = issued
    acknowledge_notice(notice, member)
    report = submit_report(notice, member, "已修复", [evidence()])
    file_url = reverse("attachment_download", args=[attachments_of(report).get().pk])
    client.force_login(member)
    assert client.get(file_url).status_code == 200
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    assert client.get(file_url).status_code == 404
    assert client.get(reverse("acceptance:notice_detail", args=[notice.pk])).status_code == 200
    client.force_login(member_of(EnterpriseFactory()))
    assert client.get(file_url).status_code == 404


def test_dashboard_cards(issued, client):
    notice, member, _reviewer = issued
    client.force_login(member)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="notice-panel"' in page and notice.get_state_display() in page
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="notice-government-panel"' in page


def test_the_queue_counts_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        notice, member, _reviewer = failed_audit_notice(
            year=2026 + RectificationNotice.objects.count()
        )
        acknowledge_notice(notice, member)
        submit_report(notice, member, "已修复", [evidence()])
    client.force_login(ReviewerFactory())
    with django_assert_max_num_queries(12):
        page = client.get(reverse("acceptance:notice_queue")).content.decode()
    assert page.count("/acceptance/notices/") >= 3
