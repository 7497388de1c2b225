"""The reviewer's workbench on 附表1: a verdict per material, the return reason composed from
them, what changed since the last submission, the consistency panel, the stamped scan."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.consistency import MISMATCH, NOT_YET, OK, consistency
from applications.models import (
    STAMPED_SCAN,
    AccessApplication,
    ApplicationState,
    ApplicationSubmission,
    Material,
    Verdict,
)
from applications.services.access import (
    add_material,
    approve_application,
    create_application,
    remove_material,
    return_application,
    start_review,
    submit_application,
    update_application,
)
from applications.services.review import (
    changes_since_last,
    composed_reason,
    current_verdicts,
    record_verdict,
    upload_stamped_scan,
)
from portal.attachments import attachments_of
from portal.models import Stage
from portal.workflow import TransitionRefused
from tests.telemetry.factories import DataItemFactory, EndDeviceFactory, device_with_certificate

from .factories import AccessApplicationFactory, application_data, pdf, png

S = ApplicationState


def _filed(member, enterprise, scheme):
    application = create_application(member, enterprise, application_data(enterprise, scheme))
    for kind in Material:
        upload = png() if kind == Material.SITE_PHOTOS else pdf(f"{kind.value}.pdf")
        add_material(application, member, kind, upload)
    return submit_application(application, member)


def test_verdicts_compose_the_return_reason_and_hold_back_approval(
    enterprise, member, reviewer, finalised_scheme, root
):
    application = start_review(_filed(member, enterprise, finalised_scheme), reviewer)
    record_verdict(application, reviewer, Material.CONSTRUCTION_CONTRACT, Verdict.ACCEPTABLE)
    record_verdict(
        application, reviewer, Material.SITE_PHOTOS, Verdict.NEEDS_CORRECTION, "缺少蒸汽计量点照片"
    )
    record_verdict(
        application, reviewer, Material.AUTHENTICITY_PLEDGE, Verdict.NEEDS_CORRECTION, "未盖公章"
    )
    # 附表1 order, each line the material and its note.
    assert composed_reason(application) == (
        "企业数据真实性承诺书：未盖公章\n数据采集点位现场照片：缺少蒸汽计量点照片"
    )
    with pytest.raises(TransitionRefused) as caught:
        approve_application(application, reviewer)
    assert "需补正" in caught.value.message
    assert AccessApplication.objects.get(pk=application.pk).state == S.UNDER_REVIEW

    returned = return_application(application, reviewer, "请一并核对联系人电话。")
    assert returned.state == S.RETURNED
    assert returned.review_comment == (
        "企业数据真实性承诺书：未盖公章\n数据采集点位现场照片：缺少蒸汽计量点照片\n"
        "请一并核对联系人电话。"
    )


def test_a_correction_needs_a_note_and_only_an_application_under_review_takes_verdicts(
    enterprise, member, reviewer, finalised_scheme
):
    application = _filed(member, enterprise, finalised_scheme)
    with pytest.raises(TransitionRefused):
        record_verdict(application, reviewer, Material.SITE_PHOTOS, Verdict.ACCEPTABLE)
    application = start_review(application, reviewer)
    with pytest.raises(ValidationError) as caught:
        record_verdict(application, reviewer, Material.SITE_PHOTOS, Verdict.NEEDS_CORRECTION)
    assert "补正要求" in str(caught.value)
    with pytest.raises(ValidationError):
        record_verdict(application, reviewer, "no_such_material", Verdict.ACCEPTABLE)


def test_returning_without_verdicts_or_words_is_refused(under_review, reviewer):
    with pytest.raises(TransitionRefused):
        return_application(under_review, reviewer, "  ")


def test_a_resubmission_shows_what_changed_per_field_and_per_file(
    enterprise, member, reviewer, finalised_scheme
):
    application = start_review(_filed(member, enterprise, finalised_scheme), reviewer)
    assert changes_since_last(application) is None  # a first submission has nothing before
    record_verdict(application, reviewer, Material.SITE_PHOTOS, Verdict.NEEDS_CORRECTION, "补拍")
    application = return_application(application, reviewer)

    update_application(application, member, {"contact_phone": "13911112222"})
    photo = attachments_of(application, Material.SITE_PHOTOS).get()
    remove_material(application, member, photo)
    add_material(application, member, Material.SITE_PHOTOS, pdf("新照片.pdf"))
    application = submit_application(AccessApplication.objects.get(pk=application.pk), member)

    assert list(application.submissions.values_list("number", flat=True)) == [1, 2]
    changes = changes_since_last(application)
    assert [(c.name, c.before, c.after) for c in changes.fields] == [
        ("contact_phone", "13800000000", "13911112222")
    ]
    assert [(c.material, c.added, c.removed) for c in changes.files] == [
        (Material.SITE_PHOTOS, ["新照片.pdf"], ["photo.png"])
    ]
    # A resubmission starts a fresh set of verdicts.
    assert current_verdicts(application) == {}


def test_an_unchanged_file_under_a_new_name_is_not_a_change(
    enterprise, member, reviewer, finalised_scheme
):
    application = start_review(_filed(member, enterprise, finalised_scheme), reviewer)
    application = return_application(application, reviewer, "请重新提交")
    pledge = attachments_of(application, Material.AUTHENTICITY_PLEDGE).get()
    remove_material(application, member, pledge)
    add_material(application, member, Material.AUTHENTICITY_PLEDGE, pdf("承诺书-改名.pdf"))
    application = submit_application(AccessApplication.objects.get(pk=application.pk), member)
    changes = changes_since_last(application)
    assert changes.none
    assert ApplicationSubmission.objects.filter(application=application).count() == 2


def test_the_review_page_lists_each_material_and_saves_a_verdict(
    client_for, under_review, reviewer
):
    ApplicationSubmission.objects.create(
        application=under_review, number=1, submitted_at=under_review.submitted_at
    )
    client = client_for(reviewer)
    url = reverse("applications:application_review", args=[under_review.pk])
    page = client.get(url).content.decode()
    for kind in Material:
        assert f'id="material-{kind.value}"' in page
    assert 'id="consistency"' in page

    prefix = Material.STAMPED_SCHEME.value
    response = client.post(
        reverse("applications:material_verdict", args=[under_review.pk, prefix]),
        {f"{prefix}-verdict": "needs_correction", f"{prefix}-note": "缺省平台开发单位盖章"},
    )
    assert response.status_code == 302
    verdict = current_verdicts(under_review)[prefix]
    assert (verdict.verdict, verdict.note, verdict.decided_by) == (
        Verdict.NEEDS_CORRECTION,
        "缺省平台开发单位盖章",
        reviewer,
    )
    page = client.get(url).content.decode()
    assert "三方盖章确认的设计方案（企业、省计量院、省平台开发单位）：缺省平台开发单位盖章" in page


def test_members_cannot_open_the_review_page_and_outsiders_see_nothing(
    client_for, under_review, member, outsider
):
    url = reverse("applications:application_review", args=[under_review.pk])
    assert client_for(member).get(url).status_code == 403
    # The review page is the reviewers' alone: an enterprise user, of this enterprise or
    # another, is refused by role (403) before the application is looked up.
    assert client_for(outsider).get(url).status_code == 403
    verdict = reverse(
        "applications:material_verdict", args=[under_review.pk, Material.SITE_PHOTOS.value]
    )
    assert client_for(member).post(verdict, {}).status_code == 403


def test_the_review_page_does_not_query_per_material(
    client_for, under_review, reviewer, django_assert_max_num_queries
):
    client = client_for(reviewer)
    url = reverse("applications:application_review", args=[under_review.pk])
    with django_assert_max_num_queries(25):
        client.get(url)


# --- consistency ------------------------------------------------------------------------


def _by_key(application):
    return {check.key: check for check in consistency(application)}


def test_consistency_before_anything_is_registered(under_review):
    checks = _by_key(under_review)
    assert checks["energy_types"].status == OK
    assert checks["monitoring_points"].status == NOT_YET
    assert checks["device_serial"].status == NOT_YET
    assert checks["project_period"].status == OK


def test_consistency_names_each_mismatch(enterprise, finalised_scheme):
    application = AccessApplicationFactory(
        enterprise=enterprise,
        design_scheme=finalised_scheme,
        under_review=True,
        energy_types=["3300", "0200"],
        monitoring_points=3,
        project_end=date(2026, 6, 1),
        device_serial="HB-DEV-9999",
    )
    DataItemFactory.create_batch(2, enterprise=enterprise)
    EndDeviceFactory(enterprise=enterprise, serial="HB-DEV-0001")
    checks = _by_key(application)
    assert checks["energy_types"].status == MISMATCH
    assert "天然气" in checks["energy_types"].detail  # in the scheme, not in 附表1
    assert checks["monitoring_points"].status == MISMATCH
    assert "已登记 2 个采集项" in checks["monitoring_points"].detail
    assert checks["device_serial"].status == MISMATCH
    assert "HB-DEV-0001" in checks["device_serial"].detail
    assert checks["project_period"].status == MISMATCH
    assert "2026-06-01" in checks["project_period"].detail


def test_consistency_agrees_with_registered_items_devices_and_certificates(
    enterprise, finalised_scheme
):
    application = AccessApplicationFactory(
        enterprise=enterprise,
        design_scheme=finalised_scheme,
        under_review=True,
        monitoring_points=2,
    )
    DataItemFactory.create_batch(2, enterprise=enterprise)
    device_with_certificate(enterprise, serial=application.device_serial)
    checks = _by_key(application)
    assert checks["monitoring_points"].status == OK
    assert checks["device_serial"].status == OK


def test_a_certificate_for_another_serial_is_a_mismatch(enterprise, finalised_scheme):
    application = AccessApplicationFactory(
        enterprise=enterprise, design_scheme=finalised_scheme, under_review=True
    )
    kit = device_with_certificate(enterprise, serial="HB-OTHER-1")
    EndDeviceFactory(enterprise=enterprise, serial=application.device_serial)
    check = _by_key(application)["device_serial"]
    assert check.status == MISMATCH
    assert kit.device.serial in check.detail


# --- the stamped 附表1 --------------------------------------------------------------------


def test_the_stamped_scan_is_tied_to_the_approved_version(
    client_for, enterprise, member, reviewer, under_review, root
):
    with pytest.raises(TransitionRefused):
        upload_stamped_scan(under_review, member, pdf("盖章.pdf"))
    approved = approve_application(under_review, reviewer, "同意")
    scan = upload_stamped_scan(approved, member, pdf("盖章.pdf"))
    approved.refresh_from_db()
    assert scan.kind == STAMPED_SCAN
    assert approved.stamps_sha256 == approved.content_sha256()
    assert approved.stamped_scan_is_current()
    # Not a material of 附表1: the list of materials stays complete and unchanged.
    assert approved.missing_materials() == []

    page = client_for(member).get(reverse("applications:application_detail", args=[approved.pk]))
    assert "与审核通过的版本一致" in page.content.decode()

    # The approved content changes (an operator corrects the opinion): the scan is stale.
    AccessApplication.objects.filter(pk=approved.pk).update(review_comment="同意接入（更正）")
    approved.refresh_from_db()
    assert not approved.stamped_scan_is_current()
    page = client_for(member).get(reverse("applications:application_detail", args=[approved.pk]))
    assert "已过期" in page.content.decode()

    # A new scan replaces the stale one.
    upload_stamped_scan(approved, member, pdf("重新盖章.pdf"))
    approved.refresh_from_db()
    assert [a.original_name for a in approved.stamped_scans()] == ["重新盖章.pdf"]
    assert approved.stamped_scan_is_current()


def test_only_members_upload_the_stamped_scan(client_for, under_review, reviewer, outsider, root):
    approved = approve_application(under_review, reviewer, "同意")
    url = reverse("applications:stamped_scan_upload", args=[approved.pk])
    assert client_for(reviewer).post(url, {"file": pdf()}).status_code == 403
    # Another enterprise's member may upload scans in general: the application is out of
    # their scope, so it answers 404 (the reviewer above is refused by role: 403).
    assert client_for(outsider).post(url, {"file": pdf()}).status_code == 404
    assert not approved.stamped_scans()


def test_the_stamped_scan_is_uploaded_through_the_page(
    client_for, under_review, reviewer, member, root
):
    approved = approve_application(under_review, reviewer, "同意")
    response = client_for(member).post(
        reverse("applications:stamped_scan_upload", args=[approved.pk]), {"file": pdf("s.pdf")}
    )
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.stamped_scan_is_current()


# --- the printed form, stages, the approval notice ----------------------------------------


def test_the_printed_form_lists_the_seeds_six_materials_without_the_ca_form(
    client_for, member, under_review
):
    page = (
        client_for(member)
        .get(reverse("applications:application_print", args=[under_review.pk]))
        .content.decode()
    )
    assert page.count('class="material"') == 6
    assert "湖北省CA证书申请表" not in page
    for label in (
        "企业端系统建设合同复印件",
        "湖北省重点用能单位能耗在线监测系统能耗监测端设备测试报告",
        "企业数据真实性承诺书",
        "“十三五”期间申请单位能耗年度报表",
        "数据采集点位现场照片",
        "三方盖章确认的设计方案（企业、省计量院、省平台开发单位）",
    ):
        assert label in page


def test_stage_names_are_the_seeds_six():
    assert [str(stage.label) for stage in Stage] == [
        "设计方案编制和确认",
        "企业接入端系统建设",
        "企业接入端数据对接",
        "企业端系统验收申请",
        "专家评审和验收报告",
        "企业端系统监督管理",
    ]


def test_the_approval_notice_says_the_certificate_is_issued_from_the_devices_csr(
    under_review, reviewer, member, root
):
    from portal.models import Notification

    approve_application(under_review, reviewer, "同意")
    notice = Notification.objects.filter(recipient=member).latest("pk")
    assert "CA 证书按端设备生成的证书请求（CSR）签发" in notice.shown_title


def test_the_detail_page_warns_of_mismatches_beside_the_approve_button(
    client_for, enterprise, reviewer, finalised_scheme
):
    application = AccessApplicationFactory(
        enterprise=enterprise,
        design_scheme=finalised_scheme,
        under_review=True,
        project_end=date(2026, 6, 1),
    )
    url = reverse("applications:application_detail", args=[application.pk])
    page = client_for(reviewer).get(url).content.decode()
    assert 'id="consistency-warning"' in page
    assert "晚于申请日期 2026-05-06" in page
    AccessApplication.objects.filter(pk=application.pk).update(project_end=date(2026, 4, 30))
    page = client_for(reviewer).get(url).content.decode()
    assert 'id="consistency-warning"' not in page


def test_the_web_form_uses_the_seeds_labels(enterprise):
    from applications.forms import AccessApplicationForm
    from applications.sections import SECTION_KEYS

    form = AccessApplicationForm(enterprise=enterprise, section=SECTION_KEYS["project"])
    labels = {name: str(field.label) for name, field in form.fields.items()}
    assert labels["builder_manager"] == "项目负责人"
    assert labels["builder_phone"] == "联系人电话"
    assert labels["builder_email"] == "联系人邮箱"
    assert labels["project_start"].startswith("项目起止时间")
    assert labels["project_end"].startswith("项目起止时间")
