"""A reviewer who picks English keeps it from page to page, and the pages load cleanly:
no console errors, no failed requests, nothing from any host but the portal."""

import pytest
from django.urls import reverse

from tests.portal.factories import ReviewerFactory

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def reviewer(transactional_db, live_server):
    return ReviewerFactory()


def test_english_persists_from_the_dashboard_to_the_trial_board(
    reviewer, page, log_in, switch_to_english, watch
):
    from playwright.sync_api import expect

    log_in(reviewer)
    page.goto(reverse("dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    switch_to_english()

    board = reverse("telemetry:trial_board")
    page.locator(f"#mainnav a[href='{board}']").click()
    expect(page).to_have_url(f"{watch.origin}{board}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language-select")).to_have_value("en")
    expect(page.locator("#mainnav")).to_contain_text("Dashboard")

    page.goto(reverse("dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert watch.problems == []
