"""The acceptance application (附表2) and its 表1 materials, from draft to accepted."""

from datetime import date

import pytest
from django.urls import reverse

from acceptance import materials
from acceptance.models import AcceptanceApplication, AcceptanceState, Material, Verdict
from acceptance.services.applications import (
    add_material_file,
    coverage_of,
    create_application,
    update_application,
)
from acceptance.services.review import (
    accept_application,
    record_verdict,
    return_application,
    start_review,
    submit_application,
)
from portal.models import Notification, Stage
from portal.workflow import TransitionRefused

from ..applications.factories import pdf, png
from ..portal.factories import ReviewerFactory
from ..telemetry.factories import EndDeviceFactory
from .factories import (
    AcceptanceApplicationFactory,
    form_data,
    ready_enterprise,
    upload_every_material,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready():
    return ready_enterprise()


def draft(ready, **changes):
    return create_application(
        ready.member, ready.enterprise, {**form_data(ready.enterprise), **changes}
    )


def complete(ready, **changes):
    application = draft(ready, no_change_declared=True, **changes)
    upload_every_material(application, ready.member, ready.device)
    return application


@pytest.mark.parametrize(
    ("code", "coverage"),
    [
        ("3300", "electricity"),
        ("1500", "natural_gas"),
        ("1600", "natural_gas"),
        ("0100", "coal"),
        ("1000", "coal"),
        ("1800", "oil"),
        ("3100", "oil"),
        ("3200", "other"),
        ("1100", "other"),
    ],
)
def test_energy_codes_map_to_the_coverage_boxes_of_the_form(code, coverage):
    assert coverage_of(code) == coverage


def test_without_a_conformance_report_the_page_says_why_instead_of_a_form(client, ready, no_report):
    client.force_login(ready.member)
    response = client.get(reverse("acceptance:application_create"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "符合性测试报告" in body and 'id="acceptance-form"' not in body


def test_the_form_is_prefilled_from_what_the_portal_holds(client, ready, report):
    client.force_login(ready.member)
    body = client.get(reverse("acceptance:application_create")).content.decode()
    assert ready.access.builder_name in body
    assert ready.enterprise.address in body
    data = form_data(ready.enterprise)
    assert data["energy_coverage"] == ["electricity"]
    assert data["metering_levels"] == ["1", "2"]
    assert data["collection_rows"] == [{"energy_type": "3300", "method": "meter"}]
    assert data["started_on"] == ready.access.project_start


def test_filing_through_the_page_keeps_the_sources_and_shows_differences(client, ready, report):
    client.force_login(ready.member)
    data = form_data(ready.enterprise)
    post = {
        **{
            k: v
            for k, v in data.items()
            if k not in ("collection_rows", "energy_coverage", "metering_levels")
        },
        "builder_name": "另一家承建单位",
        "energy_coverage": ["electricity", "coal"],
        "metering_levels": ["1"],
        # As the page renders it: the pre-filled row is an initial form.
        "rows-TOTAL_FORMS": "2",
        "rows-INITIAL_FORMS": "1",
        "rows-0-energy_type": "3300",
        "rows-0-method": "meter",
        "rows-1-energy_type": "",
        "rows-1-method": "",
    }
    response = client.post(reverse("acceptance:application_create"), post)
    application = AcceptanceApplication.objects.get()
    assert response.status_code == 302
    assert application.sources["builder_name"] == ready.access.builder_name
    assert application.collection_rows == [{"energy_type": "3300", "method": "meter"}]
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    body = client.get(
        reverse("acceptance:application_detail", args=[application.pk])
    ).content.decode()
    assert 'id="differences"' in body and "另一家承建单位" in body


def test_bad_dates_and_rows_are_refused_field_by_field(ready, report):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        draft(
            ready,
            started_on=date(2026, 5, 1),
            completed_on=date(2026, 4, 1),
            energy_coverage=["other"],
            energy_other="",
            collection_rows=[{"energy_type": "3300", "method": "meter"}] * 2,
        )
    assert set(caught.value.message_dict) == {"completed_on", "energy_other", "collection_rows"}
    assert not AcceptanceApplication.objects.exists()


def test_a_fresh_draft_attaches_what_the_portal_holds_and_asks_for_the_rest(ready, report):
    application = draft(ready)
    items = materials.checklist(application)
    held = {line.code for line in items.lines if line.complete}
    assert held == {
        Material.SCHEME,
        Material.SERVICE_CONTRACT,  # the 附表1 construction contract
        Material.AUTHENTICITY_PLEDGE,  # the 附表1 pledge
        Material.ENERGY_HISTORY,
        Material.CONFORMANCE_REPORT,
    }
    assert items.line(Material.DEVICE_QUALIFICATIONS).missing  # five per device model
    assert len(items.line(Material.DEVICE_QUALIFICATIONS).parts) == 5
    assert len(items.line(Material.DEVICE_PHOTOS).parts) == 2


def test_a_complete_application_is_submitted_and_reviewers_told(ready, report):
    ReviewerFactory()
    application = complete(ready)
    assert materials.checklist(application).complete
    submitted = submit_application(application, ready.member)
    assert submitted.state == AcceptanceState.SUBMITTED
    assert Notification.objects.filter(title__contains="验收申请").exists()


def test_submitting_with_a_material_missing_names_it_and_changes_nothing(ready, report):
    application = draft(ready, no_change_declared=True)
    with pytest.raises(TransitionRefused) as refusal:
        submit_application(application, ready.member)
    assert "端设备产品资质材料" in refusal.value.message
    application.refresh_from_db()
    assert application.state == AcceptanceState.DRAFT and application.submitted_at is None


def test_submitting_without_a_valid_report_is_refused(ready, report, monkeypatch):
    application = complete(ready)
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: None)
    with pytest.raises(TransitionRefused) as refusal:
        submit_application(application, ready.member)
    assert "符合性测试报告" in refusal.value.message
    assert AcceptanceApplication.objects.get().state == AcceptanceState.DRAFT


def test_photos_must_be_images_and_devices_the_enterprises_own(ready, report):
    from django.core.exceptions import ValidationError

    from portal.attachments import AttachmentRejected

    application = draft(ready)
    with pytest.raises(AttachmentRejected):
        add_material_file(
            application, ready.member, Material.DEVICE_PHOTOS, "nameplate", pdf(), ready.device.pk
        )
    stranger = EndDeviceFactory(enterprise=ready_enterprise().enterprise, serial="HB-OTHER-1")
    with pytest.raises(ValidationError) as caught:
        add_material_file(
            application, ready.member, Material.DEVICE_PHOTOS, "nameplate", png(), stranger.pk
        )
    assert "device" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        add_material_file(application, ready.member, Material.CONFORMANCE_REPORT, "", pdf())
    assert "自动附上" in caught.value.message_dict["material"][0]
    assert not application.material_files.exists()


def test_a_serial_that_matches_no_device_is_a_problem_of_item_9(ready, report):
    ready.device.serial = "HB-DEV-RENAMED"
    ready.device.save()
    line = materials.checklist(draft(ready)).line(Material.DEVICE_PHOTOS)
    assert any(ready.access.device_serial in problem for problem in line.problems)


def test_history_must_cover_every_month_up_to_the_connection(ready, report):
    from telemetry.services.energy_history import import_history

    from .factories import history_upload

    import_history(ready.member, ready.enterprise, history_upload(last=date(2025, 12, 1)))
    line = materials.checklist(draft(ready)).line(Material.ENERGY_HISTORY)
    assert not line.complete
    assert "2026-05" in line.problems[0] and "125" in line.problems[0]


def test_pending_change_records_keep_item_2_open(ready, report):
    from applications.models import ChangeRecord

    ChangeRecord.objects.create(
        scheme=ready.access.design_scheme,
        changed_on=date(2026, 3, 1),
        content="增加一台端设备",
        reason="扩建车间",
        unit="武汉某某自动化有限公司",
    )
    line = materials.checklist(draft(ready, no_change_declared=True)).line(Material.CHANGE_RECORDS)
    assert not line.complete and "待省计量院确认" in line.problems[0]


def _reviewing(ready):
    application = submit_application(complete(ready), ready.member)
    reviewer = ReviewerFactory()
    return start_review(application, reviewer), reviewer


def test_accepting_needs_a_verdict_on_every_line(ready, report):
    application, reviewer = _reviewing(ready)
    record_verdict(application, reviewer, Material.SCHEME, Verdict.ACCEPTABLE)
    with pytest.raises(TransitionRefused) as refusal:
        accept_application(application, reviewer)
    assert "未给出审查结论" in refusal.value.message
    for material in Material:
        record_verdict(application, reviewer, material, Verdict.ACCEPTABLE)
    assert accept_application(application, reviewer).state == AcceptanceState.ACCEPTED
    ready.enterprise.refresh_from_db()
    assert ready.enterprise.stage == Stage.PANEL_REVIEW


def test_one_line_needing_correction_blocks_acceptance_and_writes_the_return_reason(ready, report):
    application, reviewer = _reviewing(ready)
    for material in Material:
        record_verdict(application, reviewer, material, Verdict.ACCEPTABLE)
    record_verdict(
        application, reviewer, Material.OM_PLAN, Verdict.NEEDS_CORRECTION, "运维合同已过期"
    )
    with pytest.raises(TransitionRefused):
        accept_application(application, reviewer)
    returned = return_application(application, reviewer, "请一并更新联系人")
    assert returned.state == AcceptanceState.RETURNED
    assert "后续运维方案或运维合同：运维合同已过期" in returned.review_comment
    assert "请一并更新联系人" in returned.review_comment
    # Edited (so stamped again) and resubmitted, the reviewer starts a fresh set of verdicts.
    edited = update_application(returned, ready.member, {"summary": "已更新"})
    add_material_file(edited, ready.member, Material.STAMPED_FORM, "", pdf("form2-v2.pdf"))
    resubmitted = submit_application(edited, ready.member)
    assert materials.current_verdicts(resubmitted) == {}


def test_a_correction_needs_a_note(ready, report):
    from django.core.exceptions import ValidationError

    application, reviewer = _reviewing(ready)
    with pytest.raises(ValidationError) as caught:
        record_verdict(application, reviewer, Material.OM_PLAN, Verdict.NEEDS_CORRECTION, "  ")
    assert "note" in caught.value.message_dict


def test_verdicts_only_during_the_materials_review(ready, report):
    application = submit_application(complete(ready), ready.member)
    with pytest.raises(TransitionRefused):
        record_verdict(application, ReviewerFactory(), Material.SCHEME, Verdict.ACCEPTABLE)


def test_a_second_open_application_is_refused(ready, report):
    draft(ready)
    with pytest.raises(TransitionRefused) as refusal:
        draft(ready)
    assert "已有未完成的验收申请" in refusal.value.message


def test_the_whole_path_through_the_pages(client, ready, report):
    application = complete(ready)
    client.force_login(ready.member)
    detail = reverse("acceptance:application_detail", args=[application.pk])
    assert "已齐 13/13" in client.get(detail).content.decode()
    client.post(reverse("acceptance:application_submit", args=[application.pk]))
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    queue = client.get(reverse("acceptance:application_list")).content.decode()
    assert application.owner_name in queue
    client.post(reverse("acceptance:application_start_review", args=[application.pk]))
    for material in Material:
        client.post(
            reverse("acceptance:material_verdict", args=[application.pk]),
            {"material": material.value, "verdict": "acceptable"},
        )
    client.post(reverse("acceptance:application_accept", args=[application.pk]))
    assert AcceptanceApplication.objects.get().state == AcceptanceState.ACCEPTED


def test_the_reviewer_list_costs_the_same_for_many_applications(
    client, django_assert_max_num_queries, db
):
    for _ in range(8):
        AcceptanceApplicationFactory(state=AcceptanceState.SUBMITTED)
    client.force_login(ReviewerFactory())
    with django_assert_max_num_queries(12):
        response = client.get(reverse("acceptance:application_list"))
    assert response.content.decode().count("acceptance/applications/") >= 8


def test_a_stamped_form_counts_only_for_the_version_it_stamps(ready):
    application = complete(ready)
    assert materials.checklist(application).line(Material.STAMPED_FORM).complete
    application = update_application(application, ready.member, {"summary": "修改了项目简述"})
    line = materials.checklist(application).line(Material.STAMPED_FORM)
    assert not line.complete and "重新打印盖章" in line.problems[0]


def test_the_form_prints_as_the_seed_lays_it_out(client, ready):
    import shutil
    import subprocess

    application = draft(ready)
    client.force_login(ready.member)
    response = client.get(reverse("acceptance:application_pdf", args=[application.pk]))
    assert response["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "验收申请表" in text.replace(" ", "") or "附表2" in text


def test_the_stamped_access_application_counts_for_item_4_while_it_matches(ready, report):
    """表1 item 4 holds the stamped 附表1 the enterprise uploaded after approval, as long as
    it stamps the approved version (its SHA-256); a stale scan is named as a problem."""
    from applications.models import AccessApplication
    from applications.services.review import upload_stamped_scan

    application = draft(ready)
    assert materials.checklist(application).line(Material.ACCESS_APPLICATION).missing

    upload_stamped_scan(ready.access, ready.member, pdf("附表1盖章.pdf"))
    line = materials.checklist(application).line(Material.ACCESS_APPLICATION)
    assert line.complete
    assert "附表1盖章.pdf" in [held.label for part in line.parts for held in part.held]

    AccessApplication.objects.filter(pk=ready.access.pk).update(review_comment="更正后的意见")
    line = materials.checklist(application).line(Material.ACCESS_APPLICATION)
    assert not line.complete
    assert "与审核通过的版本不一致" in line.problems[0]
