"""Monitoring pages: who sees what (outsiders get 404), and bounded queries on the lists."""

from datetime import date

import pytest
from django.urls import reverse

from portal.models import Region
from telemetry.models import Alarm, AlarmKind, ConnectionState, TrialRun
from telemetry.services.trial import evaluate_trials
from tests.portal.factories import EnterpriseFactory

from .factories import beijing, full_days, realtime_item, trial_connection

START = date(2026, 3, 1)


@pytest.fixture
def running(enterprise):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 4)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    return TrialRun.objects.get(connection=connection)


def test_member_sees_progress_chart_gaps_and_alarms(enterprise, member, client_for, running):
    Alarm.objects.create(
        enterprise=enterprise,
        kind=AlarmKind.SILENT_DEVICE,
        subject="device:1",
        opened_at=beijing(2026, 3, 5, 10),
        detail="端设备停止上传",
    )
    client = client_for(member)
    assert client.get(reverse("telemetry:monitoring")).status_code == 302
    page = client.get(reverse("telemetry:enterprise_monitoring", args=[enterprise.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "连续完整 4 / 15 天" in html
    assert 'hx-trigger="every 30s"' in html
    assert "completeness-chart" in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "端设备停止上传" in html
    assert "首条有效数据于" in html  # 正式接入 waits for every item (test_connection_date)
    live = client.get(reverse("telemetry:monitoring_live", args=[enterprise.pk]))
    assert live.status_code == 200 and "trial-progress" in live.content.decode()


def test_outsiders_get_404_on_every_object_url(
    enterprise, outsider, other_viewer, client_for, api_client_for, running
):
    urls = [
        reverse("telemetry:enterprise_monitoring", args=[enterprise.pk]),
        reverse("telemetry:monitoring_live", args=[enterprise.pk]),
        reverse("telemetry:enterprise_gaps", args=[enterprise.pk]),
        reverse("telemetry:trial_detail", args=[running.pk]),
    ]
    for user in (outsider, other_viewer):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        api = api_client_for(user)
        assert api.get(f"/api/v1/telemetry/trials/{running.pk}").status_code == 404
        assert api.get("/api/v1/telemetry/trials").json()["results"] == []


def test_viewer_of_the_region_and_reviewer_see_the_trial(viewer, reviewer, client_for, running):
    for user in (viewer, reviewer):
        url = reverse("telemetry:trial_detail", args=[running.pk])
        assert client_for(user).get(url).status_code == 200
    assert client_for(reviewer).get(url).context["form"] is not None
    assert client_for(viewer).get(url).context["form"] is None


def test_board_is_for_reviewers_only(member, viewer, client_for):
    for user in (member, viewer):
        assert client_for(user).get(reverse("telemetry:trial_board")).status_code == 403


def _province(n):
    for index in range(n):
        enterprise = EnterpriseFactory(region=Region.WUHAN)
        item = realtime_item(enterprise)
        trial_connection(enterprise, START)
        full_days(item, START, 2 + index % 3)
    evaluate_trials(now=beijing(2026, 3, 5, 12))


@pytest.mark.parametrize("sort", ["-rate", "enterprise", "-consecutive", "evaluated", "bogus"])
def test_board_sorts_with_bounded_queries(
    reviewer, client_for, django_assert_max_num_queries, sort
):
    _province(6)
    client = client_for(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("telemetry:trial_board"), {"sort": sort})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert len(rows) == 6
    if sort == "-consecutive":
        values = [r.consecutive_complete_days for r in rows]
        assert values == sorted(values, reverse=True)


def test_board_fragment_for_htmx(reviewer, client_for, running):
    response = client_for(reviewer).get(reverse("telemetry:trial_board"), HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "telemetry/monitoring/_board_table.html"


def test_region_page_lists_only_the_region_with_bounded_queries(
    viewer, other_viewer, client_for, django_assert_max_num_queries
):
    _province(5)
    elsewhere = EnterpriseFactory(region=Region.YICHANG)
    trial_connection(elsewhere, START)
    client = client_for(viewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("telemetry:region_health"))
    names = {row["enterprise"].name for row in response.context["rows"]}
    assert len(names) == 5 and elsewhere.name not in names
    assert response.context["summary"]["connected"] == 5
    other = client_for(other_viewer).get(reverse("telemetry:region_health"))
    assert other.context["rows"] == []


def test_dashboards_show_the_monitoring_cards(
    enterprise, member, viewer, reviewer, client_for, running
):
    assert "trial-panel" in client_for(member).get(reverse("dashboard")).content.decode()
    assert "upload-health-panel" in client_for(viewer).get(reverse("dashboard")).content.decode()
    queues = client_for(reviewer).get(reverse("dashboard")).content.decode()
    assert "待出具符合性测试报告" in queues


def test_passed_trials_count_in_the_reviewer_queue(enterprise, reviewer, client_for):
    trial_connection(enterprise, START, state=ConnectionState.TRIAL_PASSED)
    response = client_for(reviewer).get(reverse("dashboard"))
    counts = {str(queue.label): n for queue, n in response.context["queues"]}
    # One card for them (reports' queue, which leaves out trials already reported).
    assert counts["待出具符合性测试报告"] == 1
    assert "试运行已通过，待出具报告" not in counts


def test_the_trial_page_states_the_arrival_thresholds_in_words(
    reviewer, client_for, running, settings
):
    settings.TELEMETRY_BACKFILL_CAP_HOURS = 36
    settings.TELEMETRY_BACKFILL_CYCLES = 2
    html = client_for(reviewer).get(reverse("telemetry:trial_detail", args=[running.pk]))
    html = html.content.decode()
    assert "随后 2 个上报周期内到达" in html
    assert "起点后 36 小时内到达" in html
    assert "迟到：超过以上期限才到达" in html
