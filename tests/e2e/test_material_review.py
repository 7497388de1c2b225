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


def test_after_resubmission_the_reviewer_sees_what_changed(reviewing, page, log_in, watch):
    from playwright.sync_api import expect

    from applications.services.access import (
        add_material,
        remove_material,
        return_application,
        submit_application,
        update_application,
    )
    from portal.attachments import as_bytes_upload, attachments_of
    from tests.applications.factories import PDF_BYTES
    from tests.portal.factories import member_of

    reviewer, application = reviewing
    member = member_of(application.enterprise)
    application = return_application(application, reviewer, "请更新联系人电话并补充承诺书")
    update_application(application, member, {"contact_phone": "13911112222"})
    pledge = attachments_of(application, Material.AUTHENTICITY_PLEDGE).get()
    remove_material(application, member, pledge)
    stamped = as_bytes_upload("承诺书（盖章）.pdf", PDF_BYTES + b"% stamped\n")
    add_material(application, member, Material.AUTHENTICITY_PLEDGE, stamped)
    application = submit_application(AccessApplication.objects.get(pk=application.pk), member)

    log_in(reviewer)
    page.goto(reverse("applications:application_review", args=[application.pk]))
    changes = page.locator("#changes")
    expect(changes).to_contain_text("第 2 次提交相对第 1 次提交的修改")
    row = changes.locator("#field-changes tr[data-field='contact_phone']")
    expect(row).to_contain_text("13800000000")
    expect(row).to_contain_text("13911112222")
    files = changes.locator(f"#file-changes li[data-kind='{Material.AUTHENTICITY_PLEDGE.value}']")
    expect(files).to_contain_text("承诺书（盖章）.pdf")
    expect(files).to_contain_text("authenticity_pledge.pdf")
    # Only what changed is listed.
    expect(changes.locator("#field-changes tbody tr")).to_have_count(1)
    expect(changes.locator("#file-changes li")).to_have_count(1)
    assert watch.problems == []
