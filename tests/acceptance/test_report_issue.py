"""Issuing the signed 验收报告 from the portal: the page's button and the API's ``issue``
action both call acceptance.services.outcome.issue_result."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from acceptance.choices import AcceptanceState, ItemResult, ReportState, SignatureRole
from acceptance.models import Publication, RectificationNotice
from acceptance.services.outcome import issue_result
from acceptance.services.report import sign_report, update_report
from portal.models import Notification, Stage
from reports.models import DocumentKind, IssuedDocument

from ..portal.factories import EnterpriseFactory, member_of
from .conftest import PASSWORD, WRITTEN, resubmit
from .test_outcome import sign_all

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def failed_and_signed(report, people, capture):
    report = update_report(
        report,
        people["institute"],
        {**WRITTEN, "result": ItemResult.FAIL, "fail_conditions": {"3": "经第三方中转"}},
    )
    return sign_all(resubmit(report, people, capture), people)


def test_the_button_appears_only_once_five_have_signed(signing, client):
    report, people = signing
    client.force_login(people["institute"])
    url = reverse("acceptance:report_detail", args=[report.pk])
    assert 'id="issue-report"' not in client.get(url).content.decode()
    sign_all(report, people)
    body = client.get(url).content.decode()
    assert 'id="issue-report"' in body
    assert reverse("acceptance:report_issue", args=[report.pk]) in body
    assert 'data-confirm="确定出具验收报告吗' in body
    # Only the institute issues: the enterprise's own page has no such button.
    client.force_login(people["owner"])
    assert 'id="issue-report"' not in client.get(url).content.decode()


def test_the_page_refuses_before_five_signatures(signing, client):
    report, people = signing
    sign_report(report, people["ndrc"], SignatureRole.NDRC, PASSWORD)
    client.force_login(people["institute"])
    response = client.post(reverse("acceptance:report_issue", args=[report.pk]), follow=True)
    report.refresh_from_db()
    assert report.state == ReportState.SIGNING
    assert not IssuedDocument.objects.exists()
    assert [str(m) for m in response.context["messages"]] != []
    assert "验收报告已出具" not in response.content.decode()


def test_the_page_issues_a_pass_to_stage_6_and_publishes_it(signing, client):
    report, people = signing
    report = sign_all(report, people)
    client.force_login(people["institute"])
    response = client.post(reverse("acceptance:report_issue", args=[report.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("acceptance:report_detail", args=[report.pk])
    assert "验收报告已出具" in response.content.decode()
    report.refresh_from_db()
    assert report.state == ReportState.ISSUED
    document = IssuedDocument.objects.get(pk=report.document_id)
    assert document.kind == DocumentKind.ACCEPTANCE
    enterprise = report.onsite.application.enterprise
    enterprise.refresh_from_db()
    assert enterprise.stage == Stage.SUPERVISION
    assert Publication.objects.get().document_number == document.number


def test_the_page_issues_a_fail_with_a_rectification_notice(
    signing, client, django_capture_on_commit_callbacks
):
    report, people = signing
    report = failed_and_signed(report, people, django_capture_on_commit_callbacks)
    client.force_login(people["institute"])
    client.post(reverse("acceptance:report_issue", args=[report.pk]))
    report.refresh_from_db()
    assert report.state == ReportState.ISSUED
    notice = RectificationNotice.objects.get()
    assert notice.situations == {"3": "经第三方中转"}
    application = report.onsite.application
    application.refresh_from_db()
    assert application.state == AcceptanceState.FAILED
    assert application.enterprise.stage != Stage.SUPERVISION


def test_a_panel_member_who_is_not_staff_cannot_issue(signing, client):
    report, people = signing
    report = sign_all(report, people)
    client.force_login(people["ndrc"])
    response = client.post(reverse("acceptance:report_issue", args=[report.pk]))
    assert response.status_code in (302, 403)
    report.refresh_from_db()
    assert report.state == ReportState.SIGNED


def test_an_outsider_enterprise_cannot_reach_it(signing, client):
    report, people = signing
    report = sign_all(report, people)
    client.force_login(member_of(EnterpriseFactory()))
    response = client.post(reverse("acceptance:report_issue", args=[report.pk]))
    assert response.status_code == 403  # issuing is the reviewers': refused by role, no lookup
    response = api_as(member_of(EnterpriseFactory())).post(
        f"/api/v1/acceptance-reports/{report.pk}/issue/"
    )
    assert response.status_code == 404  # the report is out of the outsider's scope
    report.refresh_from_db()
    assert report.state == ReportState.SIGNED


def test_the_api_refuses_before_five_signatures_with_a_reason(signing):
    report, people = signing
    response = api_as(people["institute"]).post(f"/api/v1/acceptance-reports/{report.pk}/issue/")
    assert response.status_code == 409
    assert response.json()["errors"][0]["reason"]
    report.refresh_from_db()
    assert report.state == ReportState.SIGNING


def test_the_api_issues_a_pass(signing):
    report, people = signing
    report = sign_all(report, people)
    response = api_as(people["institute"]).post(f"/api/v1/acceptance-reports/{report.pk}/issue/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReportState.ISSUED
    assert response.json()["issued_at"]
    report.refresh_from_db()
    assert report.onsite.application.enterprise.stage == Stage.SUPERVISION
    assert Publication.objects.get().result == "合格"


def test_the_api_issues_a_fail(signing, django_capture_on_commit_callbacks):
    report, people = signing
    report = failed_and_signed(report, people, django_capture_on_commit_callbacks)
    response = api_as(people["institute"]).post(f"/api/v1/acceptance-reports/{report.pk}/issue/")
    assert response.status_code == 200, response.content
    assert RectificationNotice.objects.count() == 1
    assert Publication.objects.get().result == "不合格"


def test_a_second_issue_is_refused_409(signing):
    report, people = signing
    report = sign_all(report, people)
    client = api_as(people["institute"])
    assert client.post(f"/api/v1/acceptance-reports/{report.pk}/issue/").status_code == 200
    assert client.post(f"/api/v1/acceptance-reports/{report.pk}/issue/").status_code == 409
    assert IssuedDocument.objects.filter(kind=DocumentKind.ACCEPTANCE).count() == 1


def test_the_api_refuses_a_government_panel_member(signing):
    report, people = signing
    report = sign_all(report, people)
    response = api_as(people["ndrc"]).post(f"/api/v1/acceptance-reports/{report.pk}/issue/")
    assert response.status_code in (403, 409)
    report.refresh_from_db()
    assert report.state == ReportState.SIGNED


def test_the_enterprise_reads_the_issued_notice_in_its_own_language(signing):
    report, people = signing
    report = sign_all(report, people)
    issue_result(report, people["institute"])
    note = Notification.objects.filter(recipient=people["owner"]).latest("pk")
    assert note.title == "验收报告已出具：合格"
    assert note.texts["title"]["msgid"] == "验收报告已出具：%(r)s"
    # The result is kept as its label's message id, so it is shown in the reader's language.
    assert note.texts["title"]["params"]["r"]["msgid"] == "合格"
    assert note.shown_title == "验收报告已出具：合格"
