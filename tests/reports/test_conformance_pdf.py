"""The conformance report as printed: the PDF's text holds the frozen figures."""

import json
import re
import shutil
import subprocess
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from reports.conformance import TEMPLATE, freeze_figures
from reports.templatetags.conformance_tags import as_date, moment, short_day
from reports.templatetags.reports_tags import cn_date
from telemetry.models import RelayFlag
from tests.portal.factories import ReviewerFactory
from tests.telemetry.factories import beijing

from .passed_trial import build_passed_trial

MM = 72 / 25.4  # PDF points per millimetre


def render_pdf(figures: dict, document) -> bytes:
    weasyprint = pytest.importorskip("weasyprint")
    # The report is Chinese whatever the reader's language.
    with translation.override("en"):
        html = render_to_string(TEMPLATE, {"document": document, "figures": figures})
    return weasyprint.HTML(string=html).write_pdf()


def pdf_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def pdf_text(pdf: bytes, *args: str) -> str:
    return subprocess.run(
        [pdf_tool("pdftotext"), *args, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def issued(**names):
    people = {role: ReviewerFactory(full_name=name) for role, name in names.items()}
    at = beijing(2026, 11, 30, 15)
    return SimpleNamespace(
        number="HBJL-FH-2026-0007",
        compiled_by=people["compiled"],
        compiled_at=at,
        checked_by=people["checked"],
        checked_at=at,
        approved_by=people["approved"],
        approved_at=at,
    )


@pytest.mark.django_db
def test_the_issued_report_prints_the_frozen_figures(enterprise):
    built = build_passed_trial(enterprise)
    RelayFlag.objects.create(
        enterprise=enterprise,
        source_ip="203.0.113.9",
        first_seen=beijing(2026, 3, 5, 10),
        last_seen=beijing(2026, 3, 5, 11),
        batch_count=4,
        status="explained",
        reason="企业第二条专线已核实",
    )
    figures = json.loads(json.dumps(freeze_figures(built.run, {"enterprise": 1, "government": 1})))
    document = issued(compiled="张编制", checked="王审核", approved="李批准")

    pdf = render_pdf(figures, document)
    text = flat(pdf_text(pdf))

    for expected in [
        "测试报告",
        "报告编号：HBJL-FH-2026-0007",
        "项目名称：湖北省重点用能单位能耗在线监测企业端数据接入符合性测试",
        f"用能单位：{enterprise.name}",
        "测试单位：湖北省计量测试技术研究院",
        "2026年11月30日",
        "注意事项",
        "签字无效",
        enterprise.uscc,
        built.application.design_scheme.number,
        "GB/T2589-2020",
        "HB-DEV-000123",
        built.certificate.serial_hex,
        "2026年3月1日至2026年3月15日",
        "2026-03-03192190200",  # the outage day: expected, on time, backfilled, late, missing
        "合计2880287820",
        "100%（2880/2880）",
        "99.93%（2878/2880）",
        "≥99.9%",
        "≥15天",
        "厂区光纤检修",
        "203.0.113.9",
        "企业第二条专线已核实",
        "1136.4000tce",
        "测试结论：符合",
        "编制：张编制",
        "审核：王审核",
        "批准：李批准",
    ]:
        assert flat(expected) in text, expected

    fonts = subprocess.run(
        [pdf_tool("pdffonts"), "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded


def last_page_words(pdf: bytes) -> tuple[list[tuple[float, float, float, str]], float, float]:
    """(xMin, xMax, yMax from the top, word) on the last page, and the page's size."""
    page = pdf_text(pdf, "-bbox").split("<page ")[-1]
    width = float(re.search(r'width="([\d.]+)"', page).group(1))
    height = float(re.search(r'height="([\d.]+)"', page).group(1))
    words = [
        (float(x0), float(x1), float(y1), word)
        for x0, x1, y1, word in re.findall(
            r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page
        )
    ]
    return words, width, height


@pytest.mark.django_db
@pytest.mark.parametrize("reasons", [0, 20], ids=["short", "conclusion-over-a-page"])
def test_a_draft_prints_not_conforming_and_leaves_the_seal_box_free(enterprise, reasons):
    built = build_passed_trial(enterprise)
    figures = freeze_figures(built.run)  # display not confirmed
    figures["conclusion"]["reasons"] += ["很长的不符合原因说明" * 8] * reasons
    draft = SimpleNamespace(number="", compiled_by=None, compiled_at=None)

    pdf = render_pdf(figures, draft)
    text = flat(pdf_text(pdf))
    assert "报告编号：（出具时编号）" in text
    assert "测试结论：不符合" in text
    assert "未确认省平台企业子系统正确显示该企业上报的能耗数据" in text

    # The seal and the visible signature go in the bottom right of the last page
    # (reports.signing.SEAL_BOX_MM): the signatures are on that page, and nothing is
    # printed in the 60 mm above the bottom margin on its right.
    words, width, height = last_page_words(pdf)
    assert "批准：" in [word for *_box, word in words]
    in_box = [
        word
        for x0, x1, y1, word in words
        if x1 > width - 80 * MM and height - 85 * MM < y1 < height - 25 * MM
    ]
    assert in_box == []


def test_dates_are_written_the_chinese_way():
    assert cn_date(date(2026, 11, 30)) == "2026年11月30日"
    assert cn_date(beijing(2026, 3, 1, 0, 30)) == "2026年3月1日"
    assert cn_date(datetime.fromisoformat("2026-02-28T17:00:00+00:00")) == "2026年3月1日"
    assert cn_date("2026-03-15") == "2026年3月15日"
    assert cn_date(None) == "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    assert as_date("2026-03-15") == date(2026, 3, 15)
    assert moment("2026-03-03T02:40:00+00:00") == "2026-03-03 10:40"
    assert moment(None) == "—"
    assert short_day("2026-03-03") == "3月3日"
