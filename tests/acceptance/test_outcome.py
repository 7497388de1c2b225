"""Issuing the signed acceptance report: pass → stage 06 and a published result; fail → a
numbered rectification notice, the announcement, and a new 附表2 linked to the failed one."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from acceptance.choices import AcceptanceState, ItemResult, NoticeState, ReportState, SignatureRole
from acceptance.models import Publication, RectificationNotice
from acceptance.services.applications import create_application
from acceptance.services.outcome import issue_result
from acceptance.services.rectification import acknowledge_notice, send_reminders
from acceptance.services.report import sign_by_link, sign_report, update_report
from portal.models import Stage
from portal.workflow import TransitionRefused
from reports.models import DocumentKind, DocumentState, IssuedDocument

from ..portal.factories import member_of
from .conftest import PASSWORD, WRITTEN, contractor_token, resubmit
from .factories import form_data

pytestmark = pytest.mark.django_db


def sign_all(report, people):
    for role, key in (
        (SignatureRole.INSTITUTE, "institute"),
        (SignatureRole.NDRC, "ndrc"),
        (SignatureRole.SAMR, "samr"),
        (SignatureRole.ENTERPRISE, "owner"),
    ):
        sign_report(report, people[key], role, PASSWORD)
    sign_by_link(contractor_token(), "王五")
    report.refresh_from_db()
    return report


def test_issuing_needs_every_signature(signing):
    report, people = signing
    sign_report(report, people["ndrc"], SignatureRole.NDRC, PASSWORD)
    with pytest.raises(TransitionRefused):
        issue_result(report, people["institute"])
    assert not IssuedDocument.objects.exists()


def test_a_pass_is_issued_numbered_moves_to_stage_6_and_is_published(signing, client):
    report, people = signing
    report = sign_all(report, people)
    issued = issue_result(report, people["institute"])
    assert issued.state == ReportState.ISSUED
    document = IssuedDocument.objects.get(pk=issued.document_id)
    assert document.kind == DocumentKind.ACCEPTANCE and document.state == DocumentState.ISSUED
    assert document.number.startswith(f"HBJL-YS-{timezone.localdate().year}-")
    assert [s["role_label"] for s in document.content["signatures"]] == [
        str(role.label) for role in SignatureRole
    ]
    application = issued.onsite.application
    application.refresh_from_db()
    application.enterprise.refresh_from_db()
    assert application.state == AcceptanceState.PASSED
    assert application.enterprise.stage == Stage.SUPERVISION
    published = Publication.objects.get()
    assert published.document_number == document.number and published.result == "合格"
    assert published.verify_url.startswith(f"/verify/{document.number}?code=")
    body = client.get(reverse("acceptance:results")).content.decode()
    assert document.number in body


def test_a_fail_issues_a_notice_publishes_it_and_allows_a_linked_new_application(
    signing, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    report, people = signing
    report = update_report(
        report,
        people["institute"],
        {**WRITTEN, "result": ItemResult.FAIL, "fail_conditions": {"3": "经第三方中转"}},
    )
    report = sign_all(resubmit(report, people, capture), people)
    issue_result(report, people["institute"])
    notice = RectificationNotice.objects.get()
    assert notice.situations == {"3": "经第三方中转"}
    assert notice.consequence == "验收申请驳回"
    notice_doc = IssuedDocument.objects.get(pk=notice.document_id)
    assert notice_doc.kind == DocumentKind.RECTIFICATION and notice_doc.number.startswith(
        "HBJL-ZG-"
    )
    announcement = Publication.objects.get()
    assert announcement.deadline == notice.deadline and announcement.result == "不合格"
    failed = report.onsite.application
    failed.refresh_from_db()
    assert failed.state == AcceptanceState.FAILED
    # The enterprise files again; the new 附表2 links to the failed one.
    enterprise = failed.enterprise
    data = {
        **form_data(enterprise),
        "energy_coverage": ["electricity"],
        "metering_levels": ["1"],
        "collection_rows": [{"energy_type": "3300", "method": "meter"}],
        "started_on": date(2026, 1, 10),
        "completed_on": date(2026, 4, 30),
        "summary": "整改后重新申请",
    }
    again = create_application(people["owner"], enterprise, data)
    assert again.previous_id == failed.pk


def test_the_enterprise_acknowledges_and_an_outsider_cannot(
    signing, other_enterprise, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    report, people = signing
    report = update_report(
        report,
        people["institute"],
        {**WRITTEN, "result": ItemResult.FAIL, "fail_conditions": {"4": "缺少合格证"}},
    )
    report = sign_all(resubmit(report, people, capture), people)
    issue_result(report, people["institute"])
    notice = RectificationNotice.objects.get()
    with pytest.raises(TransitionRefused):
        acknowledge_notice(notice, member_of(other_enterprise))
    assert acknowledge_notice(notice, people["owner"]).state == NoticeState.ACKNOWLEDGED


def test_reminders_before_the_deadline_and_to_reviewers_after(
    signing, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    report, people = signing
    report = update_report(
        report,
        people["institute"],
        {**WRITTEN, "result": ItemResult.FAIL, "fail_conditions": {"2": "缺天然气"}},
    )
    report = sign_all(resubmit(report, people, capture), people)
    issue_result(report, people["institute"])
    notice = RectificationNotice.objects.get()
    settings.RECTIFICATION_REMINDER_DAYS = [7, 1]
    assert send_reminders(today=notice.deadline - timedelta(days=30)) == 0
    assert send_reminders(today=notice.deadline - timedelta(days=7)) == 1
    assert send_reminders(today=notice.deadline - timedelta(days=6)) == 0  # sent once
    assert send_reminders(today=notice.deadline - timedelta(days=1)) == 1
    assert send_reminders(today=notice.deadline + timedelta(days=1)) == 1  # to reviewers
    notice.refresh_from_db()
    assert notice.reminded_days == [7, 1, -1]
