"""An enterprise member watches its stable-upload trial on the data-monitoring page: the
progress bar, the completeness chart drawn by Chart.js, and the HTMX-polled live fragment."""

from datetime import date

import pytest
from django.urls import reverse

from telemetry.services.trial import evaluate_trials
from tests.portal.factories import EnterpriseFactory, member_of
from tests.telemetry.factories import (
    beijing,
    full_days,
    realtime_item,
    trial_connection,
)

from .browser import MARKS

pytestmark = MARKS

START = date(2026, 3, 1)


@pytest.fixture
def running_trial(transactional_db, live_server):
    """Four complete days of a 15-day trial, evaluated on the fifth."""
    enterprise = EnterpriseFactory()
    item = realtime_item(enterprise)
    trial_connection(enterprise, START)
    full_days(item, START, 4)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    return enterprise


def test_a_member_sees_the_trial_progress_chart_and_live_fragment(
    running_trial, page, log_in, watch
):
    from playwright.sync_api import expect

    log_in(member_of(running_trial))
    page.goto(reverse("telemetry:enterprise_monitoring", args=[running_trial.pk]))

    progress = page.locator("#trial-progress .progress-bar")
    expect(progress).to_be_visible()
    expect(progress).to_have_text("4")
    expect(page.locator("#trial-progress")).to_contain_text("4 / 15")

    canvas = page.locator("canvas#completeness-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('completeness-chart'))"
    )
    drawn = page.evaluate(
        "() => { const chart = Chart.getChart(document.getElementById('completeness-chart'));"
        " return {type: chart.config.type, datasets: chart.data.datasets.length,"
        " width: chart.width}; }"
    )
    assert drawn["type"] == "line" and drawn["datasets"] == 1 and drawn["width"] > 0

    # The live fragment polls every 30 s; instead of waiting, have HTMX fetch it now.
    live = page.locator("#monitoring-live")
    expect(live).to_have_attribute("hx-trigger", "every 30s")
    fragment = reverse("telemetry:monitoring_live", args=[running_trial.pk])
    with page.expect_response(lambda response: response.url.endswith(fragment)) as answer:
        page.evaluate(
            "url => htmx.ajax('GET', url, {target: '#monitoring-live', swap: 'outerHTML'})",
            fragment,
        )
    assert answer.value.status == 200
    expect(page.locator("#monitoring-live #trial-progress .progress-bar")).to_have_text("4")
    expect(page.locator("#monitoring-live")).to_have_count(1)
    assert watch.problems == []
