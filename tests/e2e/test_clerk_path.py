"""A clerk fills 附表1 as a task list in Chromium: the first section prefilled, a wrong
telephone number caught by the error summary (which takes the focus and links to the
field), save and continue through the sections, one material per checklist line, check
your answers, the declaration, submitted. In English the material row and the navigation
fit the screen."""

import re

import pytest
from django.urls import reverse

from applications.models import AccessApplication, ApplicationState, Material
from tests.applications.factories import PDF_BYTES, PNG_BYTES, DesignSchemeFactory
from tests.portal.factories import EnterpriseFactory, member_of

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def clerk(transactional_db, live_server):
    enterprise = EnterpriseFactory()
    DesignSchemeFactory(enterprise=enterprise, finalised=True)
    return member_of(enterprise)


def _file(kind):
    if kind == Material.SITE_PHOTOS:
        return {"name": "photo.png", "mimeType": "image/png", "buffer": PNG_BYTES}
    return {"name": f"{kind.value}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}


def test_a_clerk_fills_checks_declares_and_submits(clerk, page, log_in, watch):
    from playwright.sync_api import expect

    log_in(clerk)
    page.goto(reverse("applications:application_create"))
    expect(page.locator("#section-title")).to_have_text("申请单位")
    expect(page).to_have_title(re.compile("申请单位"))
    expect(page.locator("#id_uscc")).to_have_value(clerk.memberships.get().enterprise.uscc)

    # A wrong number: the summary says so at the top, takes the focus, links to the field.
    page.fill("#id_contact_phone", "12345")
    page.fill("#id_contact_person", "李四")
    page.click("#save-continue")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#id_contact_person")).to_have_value("李四")
    summary.get_by_role("link", name="联系人电话").click()
    expect(page.locator("#id_contact_phone")).to_be_focused()
    page.fill("#id_contact_phone", "13800000000")
    page.click("#save-continue")

    expect(page.locator("#section-title")).to_have_text("建设单位与项目")
    page.fill("#id_builder_name", "武汉某某自动化有限公司")
    page.fill("#id_builder_manager", "王五")
    page.fill("#id_builder_phone", "027-87650000")
    page.fill("#id_builder_email", "wang@example.cn")
    page.fill("#id_project_start", "2026-01-10")
    page.fill("#id_project_end", "2026-04-30")
    page.click("#save-return")

    # Back on the task list: two sections done, two to go, nothing uploaded.
    tasks = page.locator("#task-list")
    expect(tasks.locator("[data-task=project] .task-status")).to_have_text("已完成")
    expect(tasks.locator("[data-task=device] .task-status")).to_have_text("未开始")
    expect(tasks.locator("[data-task=materials]")).to_contain_text("已上传 0/7")
    expect(page.locator("#submit-blockers")).to_contain_text("端设备")

    tasks.get_by_role("link", name="端设备").click()
    page.fill("#id_device_manufacturer", "湖北某某仪表有限公司")
    page.fill("#id_device_model", "EMD-3000")
    page.fill("#id_device_serial", "HB-DEV-000123")
    page.fill("#id_device_manufactured_on", "2025-12-01")
    page.select_option("#id_energy_types", ["3300", "1500"])
    page.fill("#id_monitoring_points", "36")
    page.click("#save-continue")
    expect(page.locator("#section-title")).to_have_text("运维")
    page.fill("#id_om_contract_end", "2029-04-30")
    page.click("#save-continue")

    # Every answer given: on to the materials, one per checklist line, the next missing
    # one offered each time.
    for kind in Material:
        expect(page.locator("#id_kind")).to_have_value(kind.value)
        page.set_input_files("#id_file", _file(kind))
        page.click("#upload-material")
    expect(page.locator("#material-progress")).to_have_text("已上传 7/7")
    expect(page.locator("#submit-blockers")).to_have_count(0)

    page.click("#check-answers")
    expect(page.locator("[data-field=device_serial]")).to_have_text("HB-DEV-000123")
    expect(page.locator("#check-materials")).to_contain_text("photo.png")
    page.click("#submit-application")  # without the declaration: refused, said why
    expect(page.locator(".alert-danger")).to_contain_text("提交前请勾选声明")
    page.check("#id_declaration")
    page.click("#submit-application")

    expect(page.locator("#application-state")).to_contain_text("已提交")
    application = AccessApplication.objects.get()
    assert application.state == ApplicationState.SUBMITTED
    assert watch.problems == []


def test_a_deleted_material_is_confirmed_first(clerk, page, log_in, watch):
    from playwright.sync_api import expect

    from applications.services.access import create_application
    from tests.applications.factories import application_data

    enterprise = clerk.memberships.get().enterprise
    application = create_application(
        clerk, enterprise, application_data(enterprise, enterprise.design_schemes.get())
    )
    log_in(clerk)
    page.goto(reverse("applications:application_detail", args=[application.pk]))
    page.set_input_files("#id_file", _file(Material.CONSTRUCTION_CONTRACT))
    page.click("#upload-material")
    expect(page.locator("#material-progress")).to_have_text("已上传 1/7")

    delete = page.locator("#materials form[data-confirm] button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    delete.click()
    expect(page.locator("#material-progress")).to_have_text("已上传 1/7")
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(page.locator("#material-progress")).to_have_text("已上传 0/7")
    assert watch.problems == []


def test_in_english_the_upload_row_and_the_navigation_fit(
    clerk, page, log_in, switch_to_english, watch
):
    from playwright.sync_api import expect

    from applications.services.access import create_application
    from tests.applications.factories import application_data

    enterprise = clerk.memberships.get().enterprise
    application = create_application(
        clerk, enterprise, application_data(enterprise, enterprise.design_schemes.get())
    )
    log_in(clerk)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(reverse("applications:application_detail", args=[application.pk]))
    switch_to_english()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    select, upload = (
        page.locator("#id_kind").bounding_box(),
        page.locator("#id_file").bounding_box(),
    )
    assert select["y"] + select["height"] <= upload["y"]  # stacked, not overlapping
    # From 1,200 px the English menu is expanded, not behind its toggler.
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    expect(page.locator("#mainnav")).to_contain_text("Dashboard")
    for url in (
        reverse("applications:application_check", args=[application.pk]),
        reverse("applications:application_section", args=[application.pk, "device"]),
    ):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
    expect(page).to_have_title(re.compile("End device"))
    assert watch.problems == []
