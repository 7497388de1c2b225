"""The enterprise member's first visit, in real headless Chromium against the live server:
log in, see the stage tracker and the next action, switch to English, log out."""

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.e2e.browser import MARKS, launch
from tests.portal import factories

ENGLISH_MO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"
# The card header of the enterprise dashboard (templates/portal/dashboard_enterprise.html).
PROGRESS_HEADING = "办理进度"

pytestmark = MARKS


def english(msgid: str) -> str | None:
    """The English catalogue's translation of `msgid`, if the compiled catalogue has one."""
    if not ENGLISH_MO.exists():
        return None
    with ENGLISH_MO.open("rb") as catalogue:
        translated = gettext.GNUTranslations(catalogue).gettext(msgid)
    return translated if translated != msgid else None


@pytest.fixture
def approved_member(transactional_db):
    """Created before Playwright starts: ORM calls made while its event loop runs get a
    connection of their own that pytest-django never closes, which blocks dropping the
    test database at the end of the session."""
    return factories.member_of(factories.EnterpriseFactory(registration_status="approved"))


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    """The Playwright sync API runs an event loop in this thread; Django's ORM calls made by
    the test itself (factories, fixture teardown) would otherwise be refused as async-unsafe.
    Set for this test only, so no subprocess of another test (check --deploy) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(allow_orm_beside_playwright, tmp_path, request):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        # A desktop screen: below 1400 px the English menu collapses behind its toggler.
        context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        failed_before = request.session.testsfailed
        try:
            yield page
        finally:
            # The call phase is reported before teardown, so a failure is already counted.
            if request.session.testsfailed > failed_before:
                screenshot = tmp_path / "failure.png"
                page.screenshot(path=str(screenshot), full_page=True)
                print(f"screenshot of the failing page: {screenshot}")
            context.close()
            browser.close()


def test_a_member_logs_in_follows_the_stages_switches_language_and_logs_out(
    transactional_db, live_server, approved_member, page
):
    from playwright.sync_api import expect

    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", approved_member.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("#login-form button[type=submit]")

    expect(page).to_have_url(live_server.url + reverse("dashboard"))
    tracker = page.locator("#stage-tracker-card")
    expect(tracker).to_be_visible()
    expect(tracker).to_contain_text(PROGRESS_HEADING)
    expect(tracker.locator(".stage-current")).to_have_count(1)
    expect(page.locator("#next-action")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # Choosing a language submits the navbar form to Django's set_language view.
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + reverse("dashboard"))
    expect(page.locator("#language-select")).to_have_value("en")
    heading = english(PROGRESS_HEADING)
    if heading:
        expect(tracker).to_contain_text(heading)
        expect(tracker).not_to_contain_text(PROGRESS_HEADING)

    page.click("#user-menu")
    page.click("#logout-button")
    expect(page.locator("#login-link")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)
