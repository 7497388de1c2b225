"""Printable PDFs of the 7.1 feedback form, 附表1 and a change record: unnumbered, unsigned,
for the enterprise and the institute only."""

from datetime import date

import pytest
from django.urls import reverse

from applications.models import ChangeRecord, SchemeFeedback
from tests.applications.factories import AccessApplicationFactory, DesignSchemeFactory

from .pdf_tools import flat, pdf_text

pytest.importorskip("weasyprint")


@pytest.fixture
def scheme(enterprise):
    return DesignSchemeFactory(enterprise=enterprise, finalised=True, document=False)


@pytest.fixture
def feedback(scheme, member):
    return SchemeFeedback.objects.create(
        scheme=scheme,
        revision=1,
        can_finalise=True,
        energy_types_correct=True,
        collection_methods_correct=True,
        instruments_correct=False,
        construction_understood=True,
        budget_understood=True,
        planned_completion=date(2026, 6, 1),
        contact_person="李四",
        contact_phone="13800000000",
        contact_position="能源管理员",
        contact_email="li@example.cn",
        feedback_text="二级表计位置需调整",
        submitted_by=member,
    )


@pytest.fixture
def change(scheme):
    return ChangeRecord.objects.create(
        scheme=scheme,
        changed_on=date(2026, 5, 1),
        content="更换一级计量表",
        reason="表计老化",
        unit="湖北某某自动化有限公司",
    )


@pytest.fixture
def application(enterprise, scheme):
    return AccessApplicationFactory(enterprise=enterprise, design_scheme=scheme, submitted=True)


def get_pdf(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def test_the_feedback_form(feedback, member, client_for, scheme):
    text = flat(
        pdf_text(get_pdf(client_for(member), reverse("reports:print_feedback", args=[feedback.pk])))
    )
    assert "反馈意见确认表" in text and scheme.number in text and "二级表计位置需调整" in text
    assert "2026年6月" in text and "HBJL-FH" not in text and "草稿" not in text


def test_the_access_application(application, reviewer, client_for):
    url = reverse("reports:print_application", args=[application.pk])
    text = flat(pdf_text(get_pdf(client_for(reviewer), url)))
    assert "对接申请表" in text and application.applicant_name in text


def test_the_change_record(change, member, client_for):
    url = reverse("reports:print_change", args=[change.pk])
    text = flat(pdf_text(get_pdf(client_for(member), url)))
    assert "设计方案变更记录" in text and "更换一级计量表" in text and "2026年5月1日" in text


def test_outsiders_get_404(feedback, change, application, outsider, client_for):
    browser = client_for(outsider)
    for name, pk in (
        ("print_feedback", feedback.pk),
        ("print_change", change.pk),
        ("print_application", application.pk),
    ):
        assert browser.get(reverse(f"reports:{name}", args=[pk])).status_code == 404
