"""Every kind of page works under the Content-Security-Policy in real Chromium: the charts are
drawn, HTMX polls, the language switch and the filters submit, the API docs render, a
material shows in the preview frame, and the browser reports no policy violation.

Violations are caught twice: the `securitypolicyviolation` event of each document (reported
through a binding the page cannot fake) and Chromium's console errors (which also cover
workers); `watch` adds failed requests and requests to other hosts."""

import re

import pytest
from django.urls import reverse

from telemetry.models import TrialRun
from telemetry.services.trial import evaluate_trials
from tests.applications.factories import AccessApplicationFactory
from tests.portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    OperatorFactory,
    ReviewerFactory,
    member_of,
)
from tests.telemetry.factories import beijing, full_days, realtime_item, trial_connection

from .browser import MARKS
from .test_monitoring import START

pytestmark = MARKS

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation([event.effectiveDirective, event.blockedURI,
    event.sourceFile + ":" + event.lineNumber, event.sample].join(" | "));
});
"""
# Refused on purpose, and the page works without it: Redoc's bundle hard-codes its maker's
# logo from a CDN (it hides the image when it fails to load); the portal calls no other host.
REFUSED_ON_PURPOSE = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)


@pytest.fixture
def violations(page):
    found = []
    page.expose_function("reportViolation", lambda text: found.append(text))
    page.add_init_script(LISTENER)
    return found


@pytest.fixture
def trial_enterprise(transactional_db, live_server):
    """An enterprise four days into its trial, with a submitted access application."""
    enterprise = EnterpriseFactory()
    item = realtime_item(enterprise)
    trial_connection(enterprise, START)
    full_days(item, START, 4)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    AccessApplicationFactory(enterprise=enterprise, submitted=True)
    return enterprise


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("networkidle")


def chart_drawn(page, canvas_id):
    page.wait_for_function(
        "id => window.Chart && Chart.getChart(document.getElementById(id))", arg=canvas_id
    )


def on_purpose(text):
    return any(url in text or url[:40] in text for url in REFUSED_ON_PURPOSE)


def assert_clean(page, violations, watch):
    page.wait_for_timeout(200)  # let late reports arrive
    refused = [text for text in watch.console_errors if "Content Security Policy" in text]
    unexpected = [text for text in violations + refused if not on_purpose(text)]
    assert unexpected == []
    problems = [
        text
        for text in watch.problems
        if not on_purpose(text)
        and "Content Security Policy" not in text
        and not (text.startswith("Failed to load resource") and "blocked" in text)
        # Chromium's own PDF viewer, inside the preview frame.
        and not text.startswith(("foreign chrome-extension://", "foreign chrome://"))
    ]
    assert problems == [], watch.failed


def test_the_policy_header_is_sent_with_a_nonce_only_where_a_page_needs_one(page, live_server):
    response = page.goto(live_server.url + reverse("home"))
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert "nonce-" not in policy


def test_anonymous_pages_and_the_api_docs(page, violations, watch, live_server, db):
    from playwright.sync_api import expect

    for name in ("home", "login", "register"):
        visit(page, reverse(name))

    visit(page, reverse("home"))
    chart_drawn(page, "stage-chart")
    # The language switch submits its form from portal.js, not an inline handler.
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    visit(page, reverse("api_docs"))
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    visit(page, reverse("api_redoc"))
    expect(page.locator("#redoc-container h1").first).to_be_visible()
    expect(page.locator("#redoc-container [data-section-id]").first).to_be_attached()
    assert_clean(page, violations, watch)


def bar_width_is(page, width):
    """Retried by Playwright until the style holds (polling driven from outside the page,
    so the page's installed clock does not hold it back)."""
    from playwright.sync_api import expect

    pattern = re.compile(r"(^|;)\s*width:\s*" + re.escape(width) + r"\s*(;|$)")
    expect(page.locator("#monitoring-live .progress-bar")).to_have_attribute(
        "style", pattern, timeout=10_000
    )


def test_an_enterprise_member_monitoring_polling_and_previewing(
    trial_enterprise, page, violations, watch, log_in
):
    from playwright.sync_api import expect

    log_in(member_of(trial_enterprise))
    visit(page, reverse("dashboard"))

    page.clock.install()
    visit(page, reverse("telemetry:enterprise_monitoring", args=[trial_enterprise.pk]))
    chart_drawn(page, "completeness-chart")
    run = TrialRun.objects.get(connection__enterprise=trial_enterprise)
    width = f"{run.progress_percent}%"
    # Set by portal.js from data-progress; waited for, never read once (the script is
    # deferred and runs again after every HTMX swap).
    bar_width_is(page, width)
    # HTMX's own 30-second poll, with the page's clock moved on instead of waiting.
    fragment = reverse("telemetry:monitoring_live", args=[trial_enterprise.pk])
    with page.expect_response(lambda response: response.url.endswith(fragment)) as answer:
        page.clock.run_for(31_000)
    assert answer.value.status == 200
    expect(page.locator("#monitoring-live .progress-bar")).to_have_text("4")
    bar_width_is(page, width)

    application = trial_enterprise.access_applications.get()
    visit(page, reverse("applications:application_detail", args=[application.pk]))
    # The site photo in the preview frame: the portal may frame its own materials (a PDF
    # would open Chromium's viewer, whose stream Playwright reports as an aborted request).
    photo = page.locator("#materials div", has_text="photo.png").locator("a[target=preview]")
    with page.expect_response(re.compile(r"/materials/\d+/$")) as preview:
        photo.click()
    assert preview.value.status == 200
    page.wait_for_function(
        "() => document.getElementById('preview').contentWindow.location.pathname"
        ".includes('/materials/')"
    )
    visit(page, reverse("applications:application_print", args=[application.pk]))
    expect(page.locator("[data-print]")).to_be_visible()
    assert_clean(page, violations, watch)


def test_a_reviewer_boards_filters_and_trial_chart(
    trial_enterprise, page, violations, watch, log_in
):
    from playwright.sync_api import expect

    log_in(ReviewerFactory())
    for name in ("dashboard", "enterprise_list", "registration_queue"):
        visit(page, reverse(name))
    visit(page, reverse("telemetry:trial_board"))
    # The status filter submits its form on change (portal.js).
    with page.expect_navigation():
        page.select_option("select[name=status]", index=1)
    assert "status=" in page.url
    run = TrialRun.objects.get(connection__enterprise=trial_enterprise)
    visit(page, reverse("telemetry:trial_detail", args=[run.pk]))
    chart_drawn(page, "trial-day-chart")
    visit(page, reverse("applications:application_list"))
    expect(page.locator("main")).to_be_visible()
    assert_clean(page, violations, watch)


def test_a_government_viewer_and_an_operator(trial_enterprise, page, violations, watch, log_in):
    log_in(GovernmentViewerFactory(region=trial_enterprise.region))
    visit(page, reverse("dashboard"))
    chart_drawn(page, "stage-chart")
    visit(page, reverse("telemetry:region_health"))
    chart_drawn(page, "region-chart")
    assert_clean(page, violations, watch)

    page.context.clear_cookies()
    log_in(OperatorFactory())
    visit(page, reverse("admin:index"))
    visit(page, reverse("admin:portal_enterprise_changelist"))
    assert_clean(page, violations, watch)
