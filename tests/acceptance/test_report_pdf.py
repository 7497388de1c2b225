"""The issued 验收报告 (附件2) as printed: every field of the form, the four items with
their results and remarks, the opinion, the result, the failure situations and the five
signers with their roles, read back from the PDF's text."""

import pytest
from django.conf import settings

from acceptance.choices import ItemResult, SignatureRole
from acceptance.services.outcome import issue_result
from acceptance.services.report import update_report
from reports.models import IssuedDocument
from reports.printing import document_pdf
from reports.templatetags.reports_tags import cn_date

from ..reports.pdf_tools import flat, pdf_text, require_cjk_font
from .conftest import WRITTEN, resubmit
from .test_outcome import sign_all

pytest.importorskip("weasyprint")
pytestmark = pytest.mark.django_db

REMARKS = {
    "materials_remark": "表1材料十二项齐全",
    "consistency_remark": "与设计方案一致",
    "data_remark": "现场读数偏差0.2%",
    "om_remark": "已签订三年运维合同",
}


def printed(report, people):
    require_cjk_font()
    issued = issue_result(report, people["institute"])
    document = IssuedDocument.objects.get(pk=issued.document_id)
    return document, flat(pdf_text(document_pdf(document)))


def test_every_field_of_the_form_and_the_five_signers_are_printed(
    signing, django_capture_on_commit_callbacks
):
    report, people = signing
    report = update_report(report, people["institute"], {**WRITTEN, **REMARKS})
    report = sign_all(resubmit(report, people, django_capture_on_commit_callbacks), people)
    document, text = printed(report, people)
    assert "重点用能单位能耗在线监测企业接入端系统验收报告" in text
    assert document.number in text
    for label, value in (
        ("项目名称", report.project_name),
        ("业主单位", report.owner_name),
        ("承建方单位", report.contractor_name),
        ("验收地点", report.place),
        ("验收时间", cn_date(report.held_on)),
        ("验收内容", report.content),
    ):
        assert flat(label) in text and flat(value) in text, label
    for item in report.items:
        assert flat(str(item["label"])) in text
    for remark in REMARKS.values():
        assert flat(remark) in text
    assert flat(WRITTEN["overall_opinion"]) in text
    assert "验收结论：合格" in text
    for role in SignatureRole:
        assert flat(str(role.label)) in text, role
    for signature in report.signatures.all():
        assert flat(signature.signer_name) in text
    assert "王五" in text  # the contractor's representative, signed through the link
    assert report.content_sha256 in text
    assert flat(settings.ACCEPTANCE_INSTITUTE_NAME) in text


def test_a_failed_report_prints_its_result_and_situations(
    signing, django_capture_on_commit_callbacks
):
    report, people = signing
    report = update_report(
        report,
        people["institute"],
        {
            **WRITTEN,
            "data_result": ItemResult.FAIL,
            "result": ItemResult.FAIL,
            "fail_conditions": {"3": "经第三方中转上传"},
        },
    )
    report = sign_all(resubmit(report, people, django_capture_on_commit_callbacks), people)
    _document, text = printed(report, people)
    assert "验收结论：不合格" in text
    assert "经第三方中转上传" in text
    assert len(report.signatures.all()) == len(SignatureRole)
