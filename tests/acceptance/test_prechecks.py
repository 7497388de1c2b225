"""The pre-checks shown before submit and to the reviewer, and what changed since the last
submission when a returned application comes back."""

import pytest
from django.urls import reverse

from acceptance.models import AcceptanceState, Material, Verdict
from acceptance.prechecks import prechecks
from acceptance.resubmission import changes_since_last_submission
from acceptance.services.applications import add_material_file, update_application
from acceptance.services.review import (
    record_verdict,
    return_application,
    start_review,
    submit_application,
)
from telemetry.models import EndDevice, RelayFlag, RelayFlagStatus

from ..applications.factories import pdf
from ..portal.factories import ReviewerFactory
from ..telemetry.factories import beijing
from .test_applications import complete, draft, ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def by_code(checks):
    return {check.code: check for check in checks}


def test_a_complete_application_passes_every_blocking_check(ready):  # noqa: F811
    checks = by_code(prechecks(complete(ready)))
    assert [c.status for c in checks.values()] == ["ok", "ok", "reference", "ok", "ok"]
    assert "HBJL-FH-2026-0001" in checks["conformance_report"].detail
    # The share threshold is a reference value: shown, never a verdict.
    assert "10%" in checks["main_energy"].detail
    assert len(checks["main_energy"].items) == 1 and "100" in checks["main_energy"].items[0]
    assert "均有数据采集项" in checks["main_energy"].detail
    assert ready.device.serial in checks["serials"].detail


def test_each_problem_is_named(ready, no_report):  # noqa: F811
    application = draft(ready)
    RelayFlag.objects.create(
        enterprise=ready.enterprise,
        source_ip="203.0.113.7",
        first_seen=beijing(2026, 6, 1, 10),
        last_seen=beijing(2026, 6, 1, 11),
        batch_count=3,
        status=RelayFlagStatus.OPEN,
    )
    EndDevice.objects.filter(pk=ready.device.pk).update(serial="HB-OTHER-1")
    checks = by_code(prechecks(application))
    assert checks["conformance_report"].ok is False
    assert checks["materials"].ok is False and checks["materials"].items
    assert checks["relay"].ok is False and "尚待审核人员处理" in checks["relay"].detail
    assert checks["serials"].ok is False and "HB-OTHER-1" in checks["serials"].detail
    RelayFlag.objects.update(status=RelayFlagStatus.CONFIRMED)
    relay = by_code(prechecks(application))["relay"]
    assert "不合格情形 3" in relay.detail and "203.0.113.7" in relay.detail


def test_the_pre_checks_are_on_the_page_for_the_enterprise_and_the_reviewer(
    ready,  # noqa: F811
    client_for,
    django_assert_max_num_queries,
):
    application = complete(ready)
    url = reverse("acceptance:application_detail", args=[application.pk])
    for user in (ready.member, ReviewerFactory()):
        html = client_for(user).get(url).content.decode()
        assert 'id="prechecks"' in html
        for code in ("conformance_report", "materials", "main_energy", "relay", "serials"):
            assert f'id="precheck-{code}"' in html
    with django_assert_max_num_queries(80):
        client_for(ready.member).get(url)


def test_a_resubmission_shows_what_changed_since_the_last_submission(
    ready,  # noqa: F811
    client_for,
):
    application = submit_application(complete(ready), ready.member)
    assert changes_since_last_submission(application) is None
    reviewer = ReviewerFactory()
    application = start_review(application, reviewer)
    for material in Material:
        record_verdict(application, reviewer, material, Verdict.ACCEPTABLE)
    record_verdict(application, reviewer, Material.OM_PLAN, Verdict.NEEDS_CORRECTION, "合同过期")
    returned = return_application(application, reviewer)
    assert returned.state == AcceptanceState.RETURNED

    edited = update_application(returned, ready.member, {"summary": "补充了运维合同。"})
    add_material_file(edited, ready.member, Material.STAMPED_FORM, "", pdf("form-v2.pdf"))
    add_material_file(edited, ready.member, Material.OM_PLAN, "", pdf("运维合同2027.pdf"))
    # While the enterprise edits, it sees what it changed so far.
    so_far = changes_since_last_submission(edited)
    assert any(row["new"] == "补充了运维合同。" for row in so_far["fields"])

    resubmitted = submit_application(edited, ready.member)
    changes = changes_since_last_submission(resubmitted)
    summary = next(row for row in changes["fields"] if row["new"] == "补充了运维合同。")
    assert summary["old"] == "完成端设备安装、数据采集与省平台对接。"
    om = next(row for row in changes["files"] if row["material"] == Material.OM_PLAN.label)
    assert om["added"] == ["运维合同2027.pdf"] and om["removed"] == []
    html = (
        client_for(reviewer)
        .get(reverse("acceptance:application_detail", args=[resubmitted.pk]))
        .content.decode()
    )
    assert 'id="resubmission-changes"' in html and "运维合同2027.pdf" in html


def test_the_pledge_template_is_offered_prefilled(client, ready):  # noqa: F811
    from ..reports.pdf_tools import flat, pdf_text, require_cjk_font

    application = draft(ready)
    client.force_login(ready.member)
    page = client.get(reverse("acceptance:application_detail", args=[application.pk]))
    url = reverse("acceptance:pledge_pdf", args=[application.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    require_cjk_font()
    text = flat(pdf_text(response.content))
    assert "企业数据真实性承诺书" in text
    assert ready.enterprise.uscc in text
    assert flat(application.owner_name) in text
