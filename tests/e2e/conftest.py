"""One Chromium per test module, a fresh browser context per test, logged in by cookie.

The live server is pytest-django's (`live_server`, with `transactional_db`): each test's
data is committed by its own fixtures and flushed after it. Playwright's sync API runs an
event loop in this thread for the whole module, so Django's ORM calls made by the tests
themselves (factories, `force_login`, checks after a click) would be refused as
async-unsafe; DJANGO_ALLOW_ASYNC_UNSAFE is set for this module's lifetime only, so no
subprocess of another module (check --deploy) inherits it.
"""

import pytest
from django.conf import settings
from django.test import Client

from .browser import Watch, launch


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            chromium = launch(playwright)
            yield chromium
            chromium.close()


@pytest.fixture
def watch(live_server):
    return Watch(origin=live_server.url)


@pytest.fixture
def page(browser, live_server, watch, request, tmp_path):
    # A desktop screen: below 1400 px the English menu collapses behind its toggler.
    context = browser.new_context(
        locale="en-US", base_url=live_server.url, viewport={"width": 1600, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch.attach(page)
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


@pytest.fixture
def log_in(page, live_server):
    """Log `user` in by handing the browser a session cookie (the login form has its own
    test in tests/portal/test_browser.py)."""

    def log_in_as(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )
        return user

    return log_in_as


@pytest.fixture
def switch_to_english(page):
    """Choose English in the navigation bar's language menu, as a user would."""

    def switch():
        from playwright.sync_api import expect

        page.select_option("#language-select", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")

    return switch
