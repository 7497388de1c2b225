"""Reviewers and the rolling trial: relay holds, overdue flags, stopping a trial."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Notification
from telemetry.models import (
    Connection,
    ConnectionState,
    TrialRun,
    TrialStatus,
    UploadBatch,
)
from telemetry.services.relay import record_relay_upload, relay_hold
from telemetry.services.trial import evaluate_trials, open_trial_run
from telemetry.services.trial_review import stop_trial
from tests.concurrency import at_once
from tests.portal.factories import ReviewerFactory, member_of

from .factories import beijing, full_days, realtime_item, trial_connection

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)
AFTER_WINDOW = beijing(2026, 3, 17, 9)


def relay_batch(item, received_at, source_ip="203.0.113.9", **extra):
    """A relay-suspected batch, counted on its address's flag as the upload path does."""
    record_relay_upload(item.enterprise_id, source_ip, received_at)
    return UploadBatch.objects.create(
        enterprise=item.enterprise,
        device=item.device,
        message_id=f"relay-{received_at:%Y%m%d%H%M%S}",
        body_sha256="0" * 64,
        raw_body=b"{}",
        cert_serial="00",
        source_ip=source_ip,
        relay_suspected=True,
        sent_at=received_at,
        received_at=received_at,
        status="stored",
        **extra,
    )


def test_a_relay_flag_in_the_trial_holds_the_pass(enterprise, reviewer, client_for):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    relay_batch(item, beijing(2026, 2, 27, 10), "198.51.100.1")  # before the trial: no hold
    assert relay_hold(connection) is None
    relay_batch(item, beijing(2026, 3, 5, 10))
    relay_batch(item, beijing(2026, 3, 6, 10), "198.51.100.2")
    assert "2 个疑似经第三方中转的上传来源地址" in relay_hold(connection)

    summary = evaluate_trials(now=AFTER_WINDOW)
    assert summary.passed == []
    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.RUNNING
    assert "2 个疑似经第三方中转的上传来源地址" in run.hold_reason
    assert run.window_start is None and not any(d["in_window"] for d in run.days)
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.TRIAL_RUNNING
    for url in (
        reverse("telemetry:trial_detail", args=[run.pk]),
        reverse("telemetry:trial_board"),
    ):
        assert (
            "2 个疑似经第三方中转的上传来源地址" in client_for(reviewer).get(url).content.decode()
        )


def test_a_trial_running_past_the_flag_days_is_flagged_once(
    enterprise, reviewer, client_for, settings
):
    settings.TELEMETRY_TRIAL_FLAG_DAYS = 10
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 5)
    evaluate_trials(now=beijing(2026, 3, 10, 12))  # 9 days in: not yet
    run = TrialRun.objects.get(connection=connection)
    assert run.flagged_at is None
    evaluate_trials(now=beijing(2026, 3, 11, 12))
    evaluate_trials(now=beijing(2026, 3, 12, 12))
    run.refresh_from_db()
    assert run.flagged_at is not None
    notes = Notification.objects.filter(recipient=reviewer, title__contains="超过 10 天仍未通过")
    assert notes.count() == 1
    assert AuditEvent.objects.filter(event="trial_overdue").count() == 1
    board = client_for(reviewer).get(reverse("telemetry:trial_board")).content.decode()
    assert "trial-overdue" in board and "超过 10 天" in board
    api = client_for(reviewer).get(f"/api/v1/telemetry/trials/{run.pk}").json()
    assert api["flagged"] is True


def test_a_reviewer_stops_a_running_trial_and_may_restart_it(enterprise, reviewer, client_for):
    user = member_of(enterprise)
    realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    client = client_for(reviewer)
    response = client.post(
        reverse("telemetry:stop_trial", args=[connection.pk]), {"comment": "设备长期离线"}
    )
    assert response.status_code == 302
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.state == ConnectionState.TRIAL_FAILED
    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.FAILED
    assert run.failure_reason == "审核人员已停止试运行：设备长期离线"
    assert AuditEvent.objects.filter(event="trial_stopped", object_id=connection.pk).exists()
    assert Notification.objects.filter(recipient=user, title__contains="已被审核人员停止")
    response = client.post(
        reverse("telemetry:restart_trial", args=[connection.pk]),
        {"comment": "已更换通信模块", "start": ""},
    )
    assert response.status_code == 302
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.TRIAL_RUNNING
    assert TrialRun.objects.filter(connection=connection).count() == 2


def test_only_reviewers_may_stop_a_trial(
    enterprise, member, outsider, reviewer, client_for, api_client_for
):
    realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    url = reverse("telemetry:stop_trial", args=[connection.pk])
    assert client_for(member).post(url, {"comment": "x"}).status_code == 403
    api = f"/api/v1/telemetry/connections/{connection.pk}/stop-trial"
    assert api_client_for(member).post(api, {"comment": "x"}).status_code == 403
    assert api_client_for(reviewer).post(api, {}).status_code == 400
    response = api_client_for(reviewer).post(api, {"comment": "企业申请终止"})
    assert response.status_code == 200
    assert response.json()["status"] == TrialStatus.FAILED
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.TRIAL_FAILED
    # a stopped trial cannot be stopped again
    assert api_client_for(reviewer).post(api, {"comment": "again"}).status_code == 409
    assert client_for(outsider).post(url, {"comment": "x"}).status_code == 403


def test_the_trial_page_board_and_api_show_every_figure(
    enterprise, reviewer, client_for, api_client_for, django_assert_max_num_queries
):
    from .factories import FULL_DAY, rollup, without

    quarter = realtime_item(enterprise, data_code="Q15")
    hourly = realtime_item(enterprise, device=quarter.device, interval_minutes=60)
    connection = trial_connection(enterprise, START)
    full_days(quarter, START, 4)
    for offset in range(4):
        rollup(hourly, START + timedelta(days=offset), on_time=(1 << 24) - 1)
    # Day 2: 3 slots backfilled, 1 late (so missing), 2 suspect.
    rollup(
        quarter,
        START + timedelta(days=1),
        on_time=without(FULL_DAY, 10, 11, 12, 13),
        backfilled=0b111 << 10,
        late=1 << 13,
        suspect=0b11,
    )
    evaluate_trials(now=beijing(2026, 3, 3, 12))
    run = TrialRun.objects.get(connection=connection)
    day2 = run.days[1]
    assert (day2["expected"], day2["on_time"], day2["backfilled"]) == (120, 116, 3)
    assert (day2["late"], day2["missing"], day2["suspect"], day2["successful"]) == (1, 1, 2, 117)
    assert day2["state"] == "open"  # may still be backfilled until 24 h after the slot
    assert [d["state"] for d in run.days[4:]] == ["pending"] * 11  # future days: not yet due

    url = reverse("telemetry:trial_detail", args=[run.pk])
    client = client_for(reviewer)
    client.get(url)
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert "一次上传成功率" in html and "上传成功率" in html and "按期到达" in html
    assert 'data-state="pending"' in html and "未到期" in html
    assert "trial-day-chart" in html and 'data-chart="stacked"' in html
    # The per-item table over the due days of the count (1 and 2 March).
    row = html[html.index('data-item="Q15"') :].split("</tr>")[0]
    cells = [c.split("<")[0] for c in row.split('class="text-end">')[1:]]
    assert cells[:6] == ["192", "188", "3", "1", "1", "2"]
    assert 'data-item="' + hourly.data_code + '"' in html

    board = client.get(reverse("telemetry:trial_board")).content.decode()
    assert "一次上传成功率" in board
    data = api_client_for(reviewer).get(f"/api/v1/telemetry/trials/{run.pk}").json()
    assert {"on_time", "on_time_rate", "counted_from", "reset_reason", "hold_reason"} <= set(data)
    assert data["days"][1]["backfilled"] == 3 and data["days"][1]["late"] == 1
    assert data["items_window"] == ["2026-03-01", "2026-03-02"]
    q15 = next(i for i in data["items"] if i["data_code"] == "Q15")
    assert (q15["expected"], q15["on_time"], q15["backfilled"], q15["missing"]) == (192, 188, 3, 1)


@pytest.mark.parametrize(
    ("confirm", "event"), [(False, "relay_explained"), (True, "relay_confirmed")]
)
def test_a_reviewer_explains_or_confirms_a_flag_and_the_pass_is_released(
    enterprise, member, reviewer, client_for, confirm, event
):
    from telemetry.models import RelayFlag, RelayFlagStatus

    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    relay_batch(item, beijing(2026, 3, 5, 10))
    flag = RelayFlag.objects.get()

    client = client_for(reviewer)
    decision = "confirm" if confirm else "explain"
    url = reverse(f"telemetry:relay_flag_{decision}", args=[flag.pk])
    client.post(url, {"reason": ""})  # a reason is required
    assert RelayFlag.objects.get().status == RelayFlagStatus.OPEN
    client.post(url, {"reason": "企业第二条专线（已核实）" if not confirm else "经云平台转发"})

    flag.refresh_from_db()
    assert flag.status == (RelayFlagStatus.CONFIRMED if confirm else RelayFlagStatus.EXPLAINED)
    assert (flag.decided_by, bool(flag.reason)) == (reviewer, True)
    recorded = AuditEvent.objects.get(event=event, enterprise=enterprise)
    assert recorded.context["source_ip"] == "203.0.113.9"
    assert Notification.objects.filter(recipient=member, event=recorded).exists()
    assert relay_hold(connection) is None
    assert evaluate_trials(now=AFTER_WINDOW).passed == [connection.pk]


def test_flags_are_scoped_and_only_staff_decide(enterprise, member, outsider, viewer, client_for):
    from telemetry.models import RelayFlag

    item = realtime_item(enterprise)
    relay_batch(item, beijing(2026, 3, 5, 10))
    flag = RelayFlag.objects.get()
    listing = reverse("telemetry:relay_flags")
    assert "203.0.113.9" in client_for(member).get(listing).content.decode()
    assert "203.0.113.9" not in client_for(outsider).get(listing).content.decode()
    explain = reverse("telemetry:relay_flag_explain", args=[flag.pk])
    assert client_for(member).post(explain, {"reason": "x"}).status_code == 403
    assert client_for(outsider).post(explain, {"reason": "x"}).status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_two_reviewers_stopping_one_trial_at_once_close_it_once(enterprise):
    connection = trial_connection(enterprise, START)
    open_trial_run(connection)
    reviewers = [ReviewerFactory(), ReviewerFactory()]

    outcomes = at_once(
        lambda reviewer: stop_trial(connection, reviewer, comment="数据造假"), reviewers
    )

    assert sorted(outcomes) == ["ok", "wrong_state"]
    assert TrialRun.objects.filter(connection=connection, status=TrialStatus.FAILED).count() == 1
    assert AuditEvent.objects.filter(event="trial_stopped").count() == 1
