"""The conformance test report's chain in Chromium (issue 10): the drafter finds the passed
trial in the queue and drafts it, compiles (编制), a second reviewer checks (审核), an
approver approves (批准); the page shows the PDF's progress until it is signed, and the
public verification page, reached from the document, says it is valid. Then the signed PDF
uploaded on the verification page is recognised as unaltered."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from reports.models import DocumentState, IssuedDocument
from telemetry.energy import load_energy_dictionary
from telemetry.models import ConnectionState, EnergyType
from tests.applications.factories import make_root
from tests.portal.factories import EnterpriseFactory, ReviewerFactory
from tests.reports.passed_trial import build_passed_trial

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def chain(transactional_db, live_server):
    if not EnergyType.objects.filter(dictionary__is_current=True, code="3300").exists():
        load_energy_dictionary()  # a transactional test's flush removed the migration's copy
    make_root()
    passed = build_passed_trial(EnterpriseFactory(name="武汉浏览器测试钢铁有限公司"))
    approver = ReviewerFactory(full_name="陈立平")
    approver.user_permissions.add(
        Permission.objects.get(codename="approve_documents", content_type__app_label="portal")
    )
    return {
        "passed": passed,
        "drafter": ReviewerFactory(full_name="周建华"),
        "checker": ReviewerFactory(full_name="林晓雯"),
        "approver": approver,
    }


def step(page, name: str, expected_state: str):
    from playwright.sync_api import expect

    page.locator(f"#step-{name} button").click()
    expect(page.locator("#state")).to_have_text(expected_state)


def test_draft_compile_check_approve_then_verify(chain, page, log_in, watch, tmp_path):
    from playwright.sync_api import expect

    passed = chain["passed"]
    log_in(chain["drafter"])
    page.goto(reverse("reports:conformance_queue"))
    row = page.locator("#conformance-queue tr", has_text=passed.enterprise.name)
    expect(row.locator(".queue-reason")).to_contain_text("可以起草")
    row.get_by_role("link", name="起草报告").click()
    page.locator("#draft-form input[type=checkbox]").first.check()
    page.locator("#draft-form input[type=checkbox]").nth(1).check()
    page.locator("#draft-form button").click()
    expect(page.locator("#number")).to_contain_text("草稿")
    expect(page.locator("#preview")).to_be_visible()
    step(page, "compile", "已编制")
    document = IssuedDocument.objects.get()
    detail = reverse("reports:document_detail", args=[document.pk])

    log_in(chain["checker"])
    page.goto(detail)
    step(page, "review", "已审核")

    log_in(chain["approver"])
    page.goto(detail)
    page.locator("#step-approve button").click()
    expect(page.locator("#state")).to_have_text("已批准出具")
    # Rendered after commit; the page polls until the signed PDF is there.
    expect(page.locator("#download")).to_be_visible(timeout=60_000)
    document.refresh_from_db()
    assert document.state == DocumentState.ISSUED and document.number.startswith("HBJL-FH-")
    expect(page.locator("#number")).to_have_text(document.number)
    expect(page.locator("#sha256")).to_have_text(document.sha256)
    passed.connection.refresh_from_db()
    assert passed.connection.state == ConnectionState.REPORT_ISSUED
    signers = page.locator("#signatures")
    for name in ("周建华", "林晓雯", "陈立平"):
        expect(signers).to_contain_text(name)

    # The public verification page, as anyone holding the printed QR code reaches it.
    page.context.clear_cookies()
    page.goto(f"{reverse('verify', args=[document.number])}?code={document.check_code}")
    expect(page.locator("#v-number")).to_have_text(document.number)
    expect(page.locator("#v-enterprise")).to_have_text(passed.enterprise.name)
    expect(page.locator("#v-status")).to_contain_text("有效")
    expect(page.locator("#v-sha256")).to_have_text(document.sha256)
    signed = tmp_path / "report.pdf"
    signed.write_bytes(document.pdf.open("rb").read())
    page.locator("#upload-form input[type=file]").set_input_files(str(signed))
    page.locator("#upload-form button").click()
    expect(page.locator("#verdict")).to_have_class(re.compile(r"alert-success"))
    assert watch.problems == []
