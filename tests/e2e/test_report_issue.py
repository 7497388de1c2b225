"""Issuing the five-times signed 验收报告 in Chromium: the confirmation, then the issued
state and a pass published; dismissing the confirmation issues nothing."""

import base64

from django.urls import reverse

from acceptance.choices import ReportState
from acceptance.models import AcceptanceReport, Publication
from tests.acceptance.conftest import panel, report, signing  # noqa: F401  (fixtures)
from tests.acceptance.test_outcome import sign_all

from .browser import MARKS

# A real 1×1 PNG, so the browser draws the thumbnail.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

pytestmark = MARKS


def test_the_institute_issues_the_signed_report(
    transactional_db,
    live_server,
    page,
    log_in,
    watch,
    signing,  # noqa: F811
):
    from playwright.sync_api import expect

    acceptance_report, people = signing
    acceptance_report = sign_all(acceptance_report, people)
    log_in(people["institute"])
    page.goto(reverse("acceptance:report_detail", args=[acceptance_report.pk]))
    expect(page.locator("#report-state")).to_have_text("五方已签字，待出具")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#issue-report").click()
    expect(page.locator("#report-state")).to_have_text("五方已签字，待出具")
    assert AcceptanceReport.objects.get().state == ReportState.SIGNED
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator("#issue-report").click()
    expect(page.locator("#report-state")).to_have_text("已出具")
    assert questions and questions[0].startswith("确定出具验收报告吗")
    assert AcceptanceReport.objects.get().state == ReportState.ISSUED
    assert Publication.objects.get().result == "合格"
    expect(page.locator("#issue-report")).to_have_count(0)
    assert watch.problems == []


def test_a_site_photo_is_uploaded_and_shown_as_a_thumbnail(
    transactional_db,
    live_server,
    page,
    log_in,
    watch,
    panel,  # noqa: F811
    tmp_path,
):
    from playwright.sync_api import expect

    onsite, people = panel
    photo = tmp_path / "meter.png"
    photo.write_bytes(PNG)
    log_in(people["expert"])
    page.goto(reverse("acceptance:onsite_detail", args=[onsite.pk]))
    page.fill("#photo-form input[name=caption]", "1#进线电能表")
    page.set_input_files("#photo-form input[name=file]", str(photo))
    page.locator("#photo-form button").click()
    thumbnail = page.locator("#site-photos img.site-photo")
    expect(thumbnail).to_have_attribute("alt", "1#进线电能表")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 1
    assert watch.problems == []
