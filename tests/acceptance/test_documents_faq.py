"""The public documents page (blank forms as PDFs) and the FAQ from the seed's Part 4."""

import pytest
from django.urls import reverse

from acceptance.views.documents import BLANK_FORMS

pytestmark = pytest.mark.django_db

SEED_QUESTIONS = [
    "企业接入端建设实施的依据是什么？",
    "什么时候可以开始申请数据接入省平台？",
    "数据接入省平台的结果如何进行验证？",
    "企业端接入省平台工作完成的标志是什么？",
    "企业接入端系统项目如何进行验收？",
    "验收后的企业端系统如何进行维护？",
]


def test_the_documents_page_is_public_and_linked_from_the_navigation(client):
    page = client.get(reverse("acceptance:documents")).content.decode()
    for title in ("企业数据真实性承诺书", "反馈意见确认表", "附表1", "附表2", "设计方案变更记录"):
        assert title in page
    assert "湖北省CA证书申请表" in page and "验收参考指南" in page
    home = client.get(reverse("home")).content.decode()
    assert reverse("acceptance:documents") in home and reverse("acceptance:faq") in home


@pytest.mark.parametrize("form", BLANK_FORMS, ids=lambda f: f.slug)
def test_every_blank_form_prints_as_a_pdf(client, form):
    response = client.get(reverse("acceptance:blank_form", args=[form.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_an_unknown_form_is_404(client):
    assert client.get("/acceptance/documents/secret.pdf").status_code == 404


def test_the_faq_answers_the_seeds_questions_from_the_settings(client, settings):
    settings.RECTIFICATION_DAYS = 60
    settings.TELEMETRY_TRIAL_DAYS = 15
    page = client.get(reverse("acceptance:faq")).content.decode()
    for question in SEED_QUESTIONS:
        assert question in page
    assert "60 天整改期限" in page and "连续 15 天" in page and "99.9%" in page
