"""Supervision in Chromium: the rectification path (acknowledge, report with evidence,
re-check and close) and the dossier's progress polled until the ZIP is downloaded."""

import io
import zipfile

from django.urls import reverse

from acceptance.choices import NoticeState
from acceptance.dossier import INDEX_CSV, INDEX_PDF, build
from acceptance.models import Dossier, Publication, RectificationNotice
from tests.acceptance.supervision import PDF_BYTES, failed_audit_notice

from .browser import MARKS

pytestmark = MARKS


def test_the_rectification_path_to_closure(
    transactional_db, live_server, page, log_in, watch, tmp_path
):
    from playwright.sync_api import expect

    notice, member, reviewer = failed_audit_notice()
    url = reverse("acceptance:notice_detail", args=[notice.pk])
    log_in(member)
    page.goto(url)
    page.locator("#acknowledge-form button").click()
    expect(page.locator("#notice-state")).to_have_text("企业已签收")
    evidence = tmp_path / "维修记录.pdf"
    evidence.write_bytes(PDF_BYTES)
    page.fill("#id_description", "已更换通信模块并补传数据")
    page.set_input_files("#id_files", str(evidence))
    page.locator("#report-form button").click()
    expect(page.locator("#notice-state")).to_have_text("整改报告已提交，待复查")
    expect(page.locator("#notice-reports")).to_contain_text("维修记录.pdf")

    log_in(reviewer)
    page.goto(reverse("acceptance:notice_queue"))
    page.locator("#notice-queue a", has_text=notice.enterprise.name).click()
    page.fill("#id_note", "复查确认已整改")
    page.locator("#recheck-close").click()
    expect(page.locator("#notice-state")).to_have_text("整改完成，已关闭")
    expect(page.locator("#notice-closed")).to_be_visible()
    assert RectificationNotice.objects.get().state == NoticeState.CLOSED
    assert Publication.objects.get(enterprise=notice.enterprise).closed_on is not None
    assert watch.problems == []


def test_the_dossier_progress_then_download(transactional_db, live_server, page, log_in, watch):
    from playwright.sync_api import expect

    notice, member, _reviewer = failed_audit_notice()
    dossier = Dossier.objects.create(enterprise=notice.enterprise, requested_by=member, progress=20)
    log_in(member)
    page.goto(reverse("acceptance:dossier_detail", args=[dossier.pk]))
    expect(page.locator("#dossier-progress")).to_contain_text("20%")
    bar = page.locator("#dossier-progress .progress-bar")
    expect(bar).to_have_attribute("style", "width: 20%;")
    build(dossier.pk)  # the worker finishes; the page's next poll shows the download
    link = page.locator("#dossier-download")
    expect(link).to_be_visible(timeout=10_000)
    with page.expect_download() as download:
        link.click()
    body = open(download.value.path(), "rb").read()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert INDEX_CSV in names and INDEX_PDF in names
    # Chromium reports a navigation that turns into a download as an aborted request.
    download_url = live_server.url + reverse("acceptance:dossier_download", args=[dossier.pk])
    assert [p for p in watch.problems if p != download_url] == []
