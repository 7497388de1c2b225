"""The reviewer's workbench in Chromium: a verdict per material, the return reason composed
from them, the consistency panel, and after resubmission what changed."""

import pytest
from django.urls import reverse

from applications.models import AccessApplication, ApplicationState, Material
from applications.services.access import start_review
from applications.services.review import record_submission
from tests.applications.factories import AccessApplicationFactory, make_root
from tests.portal.factories import EnterpriseFactory, ReviewerFactory
from tests.telemetry.factories import DataItemFactory, EndDeviceFactory

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def reviewing(transactional_db, live_server):
    make_root()
    reviewer = ReviewerFactory()
    application = AccessApplicationFactory(
        enterprise=EnterpriseFactory(), submitted=True, monitoring_points=5
    )
    record_submission(application)
    return reviewer, start_review(application, reviewer)


def test_a_reviewer_marks_each_material_and_returns_with_the_composed_reason(
    reviewing, page, log_in, watch
):
    from playwright.sync_api import expect

    reviewer, application = reviewing
    log_in(reviewer)
    page.goto(reverse("applications:application_detail", args=[application.pk]))
    page.click("#review-link")

    expect(page.locator("#verdict-progress")).to_contain_text("0/7")
    photos = page.locator(f"#material-{Material.SITE_PHOTOS.value}")
    photos.get_by_label("需补正").check()
    photos.get_by_label("补正说明").fill("缺少蒸汽总管计量点照片")
    photos.get_by_role("button", name="保存结论").click()
    photos = page.locator(f"#material-{Material.SITE_PHOTOS.value}")
    expect(photos.locator(".verdict")).to_contain_text("需补正")

    contract = page.locator(f"#material-{Material.CONSTRUCTION_CONTRACT.value}")
    contract.get_by_label("合格").check()
    contract.get_by_role("button", name="保存结论").click()
    expect(page.locator("#verdict-progress")).to_contain_text("2/7")
    expect(page.locator("#composed-reason")).to_contain_text(
        "数据采集点位现场照片：缺少蒸汽总管计量点照片"
    )

    page.click("#return")
    expect(page.locator("#application-state")).to_contain_text("退回修改")
    application.refresh_from_db()
    assert application.state == ApplicationState.RETURNED
    assert application.review_comment == "数据采集点位现场照片：缺少蒸汽总管计量点照片"
    assert watch.problems == []


def test_the_consistency_panel_shows_each_check_before_approval(reviewing, page, log_in, watch):
    from playwright.sync_api import expect

    reviewer, application = reviewing
    DataItemFactory.create_batch(3, enterprise=application.enterprise)
    EndDeviceFactory(enterprise=application.enterprise, serial=application.device_serial)
    log_in(reviewer)
    page.goto(reverse("applications:application_review", args=[application.pk]))

    panel = page.locator("#consistency")
    expect(panel.locator("[data-check='energy_types']")).to_have_attribute("data-status", "ok")
    points = panel.locator("[data-check='monitoring_points']")
    expect(points).to_have_attribute("data-status", "mismatch")
    expect(points).to_contain_text("申请表填写 5 个监测点，已登记 3 个采集项")
    expect(panel.locator("[data-check='device_serial']")).to_have_attribute("data-status", "ok")
    expect(panel.locator("[data-check='project_period']")).to_have_attribute("data-status", "ok")

    # Approval is still the reviewer's call; it works from the same page.
    page.click("#approve")
    expect(page.locator("#application-state .badge.bg-success")).to_be_visible()
    assert AccessApplication.objects.get(pk=application.pk).state == ApplicationState.APPROVED
    assert watch.problems == []
