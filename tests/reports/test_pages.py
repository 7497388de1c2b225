"""The conformance report's chain through the pages, and who sees what."""

import pytest
from django.urls import reverse

from portal.models import Stage
from reports.models import DocumentState, IssuedDocument
from telemetry.models import ConnectionState

from .chain import issue


@pytest.fixture
def issued(passed, drafter, checker, approver, ca, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    document.refresh_from_db()
    return document


def test_the_whole_chain_through_the_pages(
    passed, drafter, checker, approver, ca, member, client_for, django_capture_on_commit_callbacks
):
    queue = client_for(drafter).get(reverse("reports:conformance_queue"))
    assert passed.enterprise.name in queue.content.decode()
    draft_url = reverse("reports:conformance_draft", args=[passed.connection.pk])
    # Without both confirmations nothing is written.
    response = client_for(drafter).post(draft_url, {"display_enterprise": "on"}, follow=True)
    assert "政府子系统" in response.content.decode()
    assert not IssuedDocument.objects.exists()
    response = client_for(drafter).post(
        draft_url, {"display_enterprise": "on", "display_government": "on"}
    )
    document = IssuedDocument.objects.get()
    assert response.url == reverse("reports:document_detail", args=[document.pk])
    # Off the queue once drafted.
    queue = client_for(drafter).get(reverse("reports:conformance_queue"))
    assert passed.enterprise.name not in queue.content.decode()
    preview = client_for(drafter).get(reverse("reports:document_preview", args=[document.pk]))
    assert preview["Content-Type"] == "application/pdf"
    client_for(drafter).post(reverse("reports:document_compile", args=[document.pk]))
    # The compiler cannot check it too.
    response = client_for(drafter).post(
        reverse("reports:document_review", args=[document.pk]), follow=True
    )
    assert "三位不同人员" in response.content.decode()
    client_for(checker).post(reverse("reports:document_review", args=[document.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(approver).post(reverse("reports:document_approve", args=[document.pk]))
    document.refresh_from_db()
    assert document.state == DocumentState.ISSUED and document.sha256
    page = client_for(member).get(reverse("reports:document_detail", args=[document.pk]))
    assert document.number in page.content.decode()
    download = client_for(member).get(reverse("reports:document_download", args=[document.pk]))
    assert b"".join(download.streaming_content) == document.pdf.open("rb").read()
    passed.connection.refresh_from_db()
    passed.enterprise.refresh_from_db()
    assert passed.connection.state == ConnectionState.REPORT_ISSUED
    assert passed.enterprise.stage == Stage.ACCEPTANCE_APPLICATION


def test_progress_fragment_polls_while_rendering_and_shows_a_failure(
    passed, drafter, checker, approver, client_for
):
    # No CA: the approval commits, the PDF cannot be signed; the page says why.
    document = issue(passed, drafter, checker, approver)
    url = reverse("reports:document_progress", args=[document.pk])
    assert "hx-trigger" in client_for(checker).get(url).content.decode()
    from reports.tasks import render_document

    render_document.delay(document.pk)
    document.refresh_from_db()
    assert document.render_status == "failed" and document.render_error
    page = client_for(checker).get(url).content.decode()
    assert "PDF 生成失败" in page and "hx-trigger" not in page
    assert not document.pdf and not document.sha256


def test_a_failed_render_is_retried_from_the_page(
    passed, drafter, checker, approver, client_for, django_capture_on_commit_callbacks
):
    document = issue(passed, drafter, checker, approver)
    from reports.tasks import render_document

    render_document.delay(document.pk)  # fails: no CA yet
    from tests.applications.factories import make_root

    make_root()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(checker).post(reverse("reports:document_rerender", args=[document.pk]))
    document.refresh_from_db()
    assert document.render_status == "done" and document.sha256


@pytest.mark.parametrize("who", ["outsider", "other_viewer", "anonymous"])
def test_outsiders_and_other_regions_cannot_see_or_download(issued, who, request, client):
    url_names = ["document_detail", "document_download", "document_progress"]
    browser = client
    if who != "anonymous":
        from django.test import Client

        browser = Client()
        browser.force_login(request.getfixturevalue(who))
    for name in url_names:
        response = browser.get(reverse(f"reports:{name}", args=[issued.pk]))
        assert response.status_code in (404, 302), (name, response.status_code)
        if who != "anonymous":
            assert response.status_code == 404
    if who != "anonymous":
        listing = browser.get(reverse("reports:document_list")).content.decode()
        assert issued.number not in listing


def test_the_regions_viewer_sees_and_downloads(issued, viewer, client_for):
    browser = client_for(viewer)
    assert issued.number in browser.get(reverse("reports:document_list")).content.decode()
    response = browser.get(reverse("reports:document_download", args=[issued.pk]))
    assert response.status_code == 200


def test_drafts_are_the_institutes_only(passed, drafter, member, viewer, client_for):
    from .chain import draft

    document = draft(passed, drafter)
    for user in (member, viewer):
        response = client_for(user).get(reverse("reports:document_detail", args=[document.pk]))
        assert response.status_code == 404
    assert (
        client_for(member).get(reverse("reports:document_preview", args=[document.pk])).status_code
        == 403
    )


def test_the_list_takes_a_bounded_number_of_queries(
    issued, reviewer, client_for, django_assert_max_num_queries
):
    browser = client_for(reviewer)
    with django_assert_max_num_queries(12):
        assert browser.get(reverse("reports:document_list")).status_code == 200


def test_the_queue_is_on_the_reviewer_dashboard(passed, reviewer, client_for):
    page = client_for(reviewer).get(reverse("dashboard")).content.decode()
    assert "待出具符合性测试报告" in page


def test_the_enterprise_dashboard_shows_its_report(issued, member, client_for):
    page = client_for(member).get(reverse("dashboard")).content.decode()
    assert issued.number in page
    assert reverse("reports:document_download", args=[issued.pk]) in page


def test_the_queue_and_the_draft_form_are_the_institutes(passed, member, viewer, client_for):
    for user in (member, viewer):
        browser = client_for(user)
        assert browser.get(reverse("reports:conformance_queue")).status_code == 403
        url = reverse("reports:conformance_draft", args=[passed.connection.pk])
        assert browser.post(url, {"display_enterprise": "on"}).status_code == 403
    assert not IssuedDocument.objects.exists()


def test_the_queue_takes_a_bounded_number_of_queries(
    passed, reviewer, client_for, django_assert_max_num_queries
):
    browser = client_for(reviewer)
    with django_assert_max_num_queries(12):
        assert browser.get(reverse("reports:conformance_queue")).status_code == 200


def test_the_draft_form_says_why_a_trial_cannot_be_reported(enterprise, reviewer, client_for):
    from datetime import date

    from tests.telemetry.factories import trial_connection

    connection = trial_connection(enterprise, date(2026, 3, 1))
    page = client_for(reviewer).get(reverse("reports:conformance_draft", args=[connection.pk]))
    assert "尚未通过" in page.content.decode()


def test_the_detail_page_offers_the_next_steps(passed, drafter, checker, client_for):
    from reports.services import documents as engine

    from .chain import draft

    document = engine.compile_document(draft(passed, drafter), drafter)
    page = client_for(checker).get(reverse("reports:document_detail", args=[document.pk]))
    html = page.content.decode()
    assert reverse("reports:document_review", args=[document.pk]) in html
    assert reverse("reports:document_withdraw", args=[document.pk]) in html
    assert reverse("reports:document_approve", args=[document.pk]) not in html
    assert reverse("reports:document_preview", args=[document.pk]) in html


def test_a_draft_shows_its_steps_to_the_institute_without_error(passed, drafter, client_for):
    """A draft's available transitions include issue_signed_off (the acceptance report's own
    path), which has no page of its own: the detail page offers only its chain's steps."""
    from .chain import draft

    document = draft(passed, drafter)
    page = client_for(drafter).get(reverse("reports:document_detail", args=[document.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("reports:document_compile", args=[document.pk]) in html
    assert "issue-signed-off" not in html
