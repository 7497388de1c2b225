"""The issued PDF as printed: number, figures, fonts, footer on every page, the draft frame."""

import pytest

from reports.services import documents as engine

from .chain import draft, issue
from .pdf_tools import flat, pages, pdf_fonts, pdf_text, require_cjk_font

pytest.importorskip("weasyprint")


@pytest.fixture
def issued(passed, drafter, checker, approver, ca, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    document.refresh_from_db()
    return document


def test_the_pdf_holds_the_number_and_the_frozen_figures(issued, passed):
    text = flat(pdf_text(issued.pdf.read()))
    assert issued.number in text
    assert passed.enterprise.name in text and passed.enterprise.uscc in text
    # The passed trial's frozen rate (2 of 2880 slots backfilled after the outage).
    assert "99.93%（2878/2880）" in text
    assert "HB-DEV-000123" in text
    assert "周建华" in text and "林晓雯" in text and "陈立平" in text
    assert "测试报告" in text


def test_every_page_has_page_x_of_y_the_check_code_and_the_number(issued):
    printed = pages(issued.pdf.read())
    assert len(printed) > 2
    for n, page in enumerate(printed, start=1):
        text = flat(page)
        assert f"第{n}页共{len(printed)}页" in text
        assert f"校验码：{issued.check_code}" in text
    for page in printed[1:]:
        assert issued.number in flat(page)


def test_the_fonts_are_embedded_cjk_fonts(issued, tmp_path):
    require_cjk_font()
    fonts = pdf_fonts(issued.pdf.read(), tmp_path)
    assert fonts and all(font["emb"] == "yes" for font in fonts)
    assert any("CJK" in font["name"] for font in fonts)


def test_a_draft_preview_says_draft_and_has_no_number_and_no_check_code(passed, drafter):
    document = draft(passed, drafter)
    text = flat(pdf_text(engine.document_pdf(document, preview=True)))
    assert "草稿" in text
    assert "HBJL-FH" not in text
    assert document.check_code not in text
