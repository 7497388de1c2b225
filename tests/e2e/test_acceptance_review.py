"""The reviewer's materials review of an acceptance application in Chromium: a verdict per
表1 line, then acceptance; and the annual audit's evidence chart drawn without errors."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from acceptance import materials
from acceptance.choices import AcceptanceState, Material
from acceptance.models import AcceptanceApplication
from acceptance.services.applications import create_application
from acceptance.services.audits import audited_year, create_plan, draw_sample
from acceptance.services.review import start_review, submit_application
from tests.acceptance.factories import (
    fake_report,
    form_data,
    ready_enterprise,
    upload_every_material,
)
from tests.acceptance.supervision import PDF_BYTES, accepted_enterprise
from tests.portal.factories import ReviewerFactory, member_of

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def in_review(transactional_db, live_server, monkeypatch):
    # The live server runs in this process: the report stands for the enterprise there too.
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: fake_report())
    ready = ready_enterprise()
    data = {**form_data(ready.enterprise), "no_change_declared": True}
    application = create_application(ready.member, ready.enterprise, data)
    upload_every_material(application, ready.member, ready.device)
    application = submit_application(application, ready.member)
    reviewer = ReviewerFactory()
    return start_review(application, reviewer), reviewer


def test_a_verdict_per_line_then_acceptance(in_review, page, log_in, watch):
    from playwright.sync_api import expect

    application, reviewer = in_review
    log_in(reviewer)
    page.goto(reverse("acceptance:application_detail", args=[application.pk]))
    for material in Material:
        form = page.locator(f"#verdict-form-{material.value}")
        form.locator(f"label[for=ok-{material.value}]").click()
        form.locator("button").click()
        expect(page.locator(f"#verdict-{material.value}")).to_have_text("合格")
    page.locator("#accept").click()
    expect(page.locator("#acceptance-state")).to_contain_text("已受理")
    assert AcceptanceApplication.objects.get().state == AcceptanceState.ACCEPTED
    assert watch.problems == []


def test_the_audit_evidence_chart_is_drawn(transactional_db, live_server, page, log_in, watch):
    enterprise = accepted_enterprise(date(2024, 6, 1))
    plan = create_plan(audited_year(timezone.localdate()))
    audit = plan.audits.get()
    log_in(member_of(enterprise))
    page.goto(reverse("acceptance:audit_detail", args=[audit.pk]))
    page.wait_for_function("() => window.Chart && Chart.getChart('audit-chart') !== undefined")
    assert watch.problems == []


def test_evidence_uploaded_per_line_then_a_structured_spot_check(
    transactional_db, live_server, page, log_in, watch, settings
):
    from playwright.sync_api import expect

    settings.AUDIT_SPOT_CHECK_PERCENT = 100
    enterprise = accepted_enterprise(date(2024, 6, 1))
    reviewer = ReviewerFactory()
    plan = draw_sample(create_plan(audited_year(timezone.localdate())), reviewer, seed="e2e")
    audit = plan.audits.get()
    first = plan.checklist.order_by("pk").first()
    log_in(member_of(enterprise))
    page.goto(reverse("acceptance:audit_detail", args=[audit.pk]))
    page.fill(f"textarea[name=answer-{first.pk}]", "运维合同见附件。")
    page.set_input_files(
        f"#evidence-input-{first.pk}",
        {"name": "运维合同.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
    )
    page.click("#answer-form button[name=save]")
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("运维合同.pdf")

    log_in(reviewer)
    page.goto(reverse("acceptance:audit_detail", args=[audit.pk]))
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("运维合同.pdf")
    page.fill("#spot-layout", "布点与方案一致")
    page.fill("#spot-devices", "端设备正常")
    page.fill("#spot-collection", "采集连续")
    page.click("#spot-form button")
    expect(page.locator("#spot-layout")).to_have_value("布点与方案一致")
    audit.refresh_from_db()
    assert audit.spot_collection == "采集连续"
    assert watch.problems == []
