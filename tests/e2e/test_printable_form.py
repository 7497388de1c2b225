"""The printable 附表1 is the institute's Chinese paper form: with the portal switched to
English, its toolbar is English but every label of the form stays Chinese."""

import re

import pytest
from django.urls import reverse

from tests.applications.factories import AccessApplicationFactory
from tests.portal.factories import EnterpriseFactory, member_of

from .browser import MARKS

pytestmark = MARKS

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# An English label has lowercase words; the form's own acronyms (CA) are capitals.
ENGLISH_WORD = re.compile(r"[a-z]")


@pytest.fixture
def application(transactional_db, live_server):
    return AccessApplicationFactory(enterprise=EnterpriseFactory(), submitted=True)


def test_the_paper_form_keeps_its_chinese_labels_in_an_english_portal(
    application, page, log_in, switch_to_english, watch
):
    from playwright.sync_api import expect

    log_in(member_of(application.enterprise))
    page.goto(reverse("dashboard"))
    switch_to_english()

    page.goto(reverse("applications:application_print", args=[application.pk]))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#paper-form")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".no-print button")).to_contain_text("Print")

    labels = page.locator(
        "#paper-form th, #paper-form .section, #paper-form .material, #paper-form .annex,"
        " #paper-form h1"
    ).all_inner_texts()
    assert len(labels) > 25
    for label in labels:
        text = label.strip()
        assert text == "/" or (CHINESE.search(text) and not ENGLISH_WORD.search(text)), text
    assert "签字/盖章" in page.locator("#f-review").inner_text()
    assert page.evaluate("typeof window.print") == "function"
    assert watch.problems == []
