"""The stable-upload trial: its rules as a table, the province-wide evaluation, restarts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Notification
from telemetry.models import Connection, ConnectionState, TrialRun, TrialStatus
from telemetry.services.trial import day_closes_at, evaluate_trials, judge
from telemetry.timeslots import ArrivalWindows
from tests.portal.factories import EnterpriseFactory

from .factories import (
    FULL_DAY,
    beijing,
    full_days,
    realtime_item,
    registered_since,
    rollup,
    trial_connection,
    without,
)

START = date(2026, 3, 1)
KINDS = {(0, 15): 1}  # one real-time item every 15 minutes: 96 slots a day, 1,440 in 15 days
AFTER_WINDOW = beijing(2026, 3, 17, 9)  # every day of the window is past its backfill window


def complete(override=None, days=15):
    arrived = {(START + timedelta(days=n), 0, 15): (96, 0, 0, 0) for n in range(days)}
    arrived.update(override or {})
    return arrived


D3 = START + timedelta(days=2)
D5 = START + timedelta(days=4)
LOST_D3 = "2026-03-03 缺 12 个时段，已超过补传期限"


@pytest.mark.parametrize(
    ("arrived", "now", "outcome", "reason"),
    [
        pytest.param(complete(), AFTER_WINDOW, TrialStatus.PASSED, "", id="15-complete-days"),
        pytest.param(
            complete(), beijing(2026, 3, 15, 23, 50), TrialStatus.PASSED, "", id="passes-early"
        ),
        pytest.param(
            complete({(D3, 0, 15): (84, 0, 0, 0)}),
            AFTER_WINDOW,
            TrialStatus.RUNNING,
            LOST_D3,
            id="day-lost-restarts-the-count",
        ),
        pytest.param(
            complete({(D3, 0, 15): (84, 0, 0, 0)}),
            beijing(2026, 3, 4, 0, 29),
            TrialStatus.RUNNING,
            "",
            id="day-still-backfillable",
        ),
        pytest.param(
            complete(days=14), AFTER_WINDOW, TrialStatus.RUNNING, "2026-03-15 缺 96", id="no-data"
        ),
        pytest.param(
            complete(days=10), beijing(2026, 3, 11, 12), TrialStatus.RUNNING, "", id="mid"
        ),
        pytest.param(
            complete({(D3, 0, 15): (96, 0, 0, 1)}),
            AFTER_WINDOW,
            TrialStatus.PASSED,
            "",
            id="1-suspect",
        ),
        pytest.param(
            complete({(D3, 0, 15): (96, 0, 0, 2)}),
            AFTER_WINDOW,
            TrialStatus.RUNNING,
            "2026-03-03 有 2 个时段未上传成功",
            id="2-suspect-in-a-day-restarts",
        ),
        pytest.param(
            complete({(D3, 0, 15): (80, 16, 0, 0)}),
            AFTER_WINDOW,
            TrialStatus.PASSED,
            "",
            id="backfilled-slots-are-successful",
        ),
        pytest.param(
            complete({(D3, 0, 15): (80, 10, 6, 0)}),
            AFTER_WINDOW,
            TrialStatus.RUNNING,
            "2026-03-03 缺 6 个时段",
            id="late-slots-are-missing",
        ),
    ],
)
def test_trial_rules(arrived, now, outcome, reason):
    verdict = judge(START, KINDS, arrived, now, days=15, rate=Decimal("0.999"), basis="success")
    assert verdict.outcome == outcome
    assert reason in verdict.reason
    if outcome == TrialStatus.PASSED:
        assert verdict.consecutive_complete_days == 15
    if not reason:
        assert verdict.reason == ""


def test_the_rolling_window_passes_on_day_18_after_a_bad_day_3():
    arrived = complete({(D3, 0, 15): (84, 0, 0, 0)}, days=18)
    day18 = START + timedelta(days=17)
    # Day 18 at noon: 14 complete days counted since the restart, day 18 not yet due.
    noon = judge(START, KINDS, arrived | {(day18, 0, 15): (48, 0, 0, 0)}, beijing(2026, 3, 18, 12))
    assert noon.outcome == TrialStatus.RUNNING
    assert noon.counted_from == date(2026, 3, 4)
    assert noon.consecutive_complete_days == 14
    assert noon.reason == LOST_D3
    states = {f.day: f.state for f in noon.days}
    assert states[D3] == "lost" and states[day18] == "pending"
    assert "lost" not in {states[d] for d in states if d > D3}

    # Its last slot is in: days 4 to 18 are the 15 days it passes on.
    verdict = judge(START, KINDS, arrived, beijing(2026, 3, 18, 23, 50))
    assert verdict.outcome == TrialStatus.PASSED
    assert verdict.window == (date(2026, 3, 4), day18)
    assert next(f.day for f in verdict.days if f.in_window) == date(2026, 3, 4)
    assert (verdict.expected, verdict.successful) == (1440, 1440)


def test_today_and_future_days_are_not_yet_due_never_missing():
    verdict = judge(START, KINDS, complete(days=10), beijing(2026, 3, 11, 12))
    later = [f for f in verdict.days if f.day >= date(2026, 3, 11)]
    assert len(later) == 5 and {f.state for f in later} == {"pending"}
    assert verdict.reason == "" and verdict.consecutive_complete_days == 10
    assert verdict.success_rate == Decimal("1")  # only due days count


def test_the_window_slides_past_scattered_invalid_slots():
    # One invalid slot on day 3 and one on day 5: any 15 days holding both reach 99.86 %.
    arrived = complete({(D3, 0, 15): (96, 0, 0, 1), (D5, 0, 15): (96, 0, 0, 1)}, days=18)
    at_15 = judge(START, KINDS, arrived, beijing(2026, 3, 16, 9))
    assert at_15.outcome == TrialStatus.RUNNING and at_15.reason == ""
    at_18 = judge(START, KINDS, arrived, beijing(2026, 3, 19, 9))
    assert at_18.outcome == TrialStatus.PASSED
    assert at_18.window == (date(2026, 3, 4), date(2026, 3, 18))
    assert at_18.success_rate == Decimal("0.999305")


def test_the_rate_basis_chooses_which_rate_carries_the_threshold():
    arrived = complete({(D3, 0, 15): (80, 16, 0, 0)})
    success = judge(START, KINDS, arrived, AFTER_WINDOW, basis="success")
    on_time = judge(START, KINDS, arrived, AFTER_WINDOW, basis="on_time")
    assert success.outcome == TrialStatus.PASSED
    assert on_time.outcome == TrialStatus.RUNNING
    assert "2026-03-03 有 16 个时段未上传成功" in on_time.reason
    assert success.on_time_rate == Decimal("0.988888")  # 1,424 / 1,440
    assert success.success_rate == Decimal("1")


def test_a_day_closes_when_its_last_slot_is_past_the_backfill_cap():
    # The last slot (23:45) is on time until 00:15 and backfilled in the next cycle until
    # 00:30, Beijing time; a device still in an outage may re-send it until 24 h after the
    # slot, so the day can be lost only at 23:45 of the next day (15:45 UTC).
    closes = day_closes_at(date(2026, 3, 4), 0, 15, ArrivalWindows())
    assert closes == beijing(2026, 3, 5, 23, 45)
    assert closes.utctimetuple()[:5] == (2026, 3, 5, 15, 45)
    # Without the outage allowance the next-cycle window alone decides.
    no_cap = ArrivalWindows(backfill_cap=timedelta(0))
    assert day_closes_at(date(2026, 3, 4), 0, 15, no_cap) == beijing(2026, 3, 5, 0, 30)
    # A daily item's next-cycle window (two days after the day) is longer than the cap.
    assert day_closes_at(date(2026, 3, 4), 1, 0, ArrivalWindows()) == beijing(2026, 3, 7)


def test_a_day_without_any_roll_up_counts_as_all_missing(enterprise):
    item = realtime_item(enterprise)
    realtime_item(enterprise, device=item.device)  # a second item that never reported
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    evaluate_trials(now=AFTER_WINDOW)
    run = TrialRun.objects.get(connection=connection)
    assert (run.days[0]["expected"], run.days[0]["missing"]) == (2 * 96, 96)
    assert run.status == TrialStatus.RUNNING
    assert run.display_reset_reason == "2026-03-15 缺 96 个时段，已超过补传期限"
    assert run.counted_from == date(2026, 3, 16)


@pytest.mark.django_db
def test_passing_moves_the_connection_and_tells_the_reviewers(
    enterprise, reviewer, django_capture_on_commit_callbacks
):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)

    with django_capture_on_commit_callbacks(execute=True):
        summary = evaluate_trials(now=AFTER_WINDOW)

    assert summary.passed == [connection.pk]
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.state == ConnectionState.TRIAL_PASSED
    run = TrialRun.objects.get(connection=connection)
    assert (run.status, run.expected, run.successful, run.complete_days) == (
        TrialStatus.PASSED,
        1440,
        1440,
        15,
    )
    assert run.success_rate == Decimal("1")
    assert [d["complete"] for d in run.days] == [True] * 15
    assert [d["in_window"] for d in run.days] == [True] * 15
    assert (run.window_start, run.window_end) == (START, date(2026, 3, 15))
    assert AuditEvent.objects.filter(event="trial_passed", object_id=connection.pk).exists()
    assert Notification.objects.filter(recipient=reviewer, title__contains="可出具符合性测试报告")


def test_a_bad_day_restarts_the_count_and_shows_its_reason(enterprise, reviewer, client_for):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    rollup(item, D3, on_time=without(FULL_DAY, *range(12)))

    evaluate_trials(now=AFTER_WINDOW)

    connection = Connection.objects.get(pk=connection.pk)
    assert connection.state == ConnectionState.TRIAL_RUNNING
    run = TrialRun.objects.get(connection=connection)
    assert (run.counted_from, run.ends_on) == (date(2026, 3, 4), date(2026, 3, 18))
    assert run.consecutive_complete_days == 12
    assert run.display_reset_reason == LOST_D3
    html = client_for(reviewer).get(reverse("telemetry:trial_detail", args=[run.pk]))
    assert LOST_D3 in html.content.decode()


def test_backfill_inside_the_next_cycle_counts_and_outside_it_does_not(enterprise):
    store_readings = pytest.importorskip("telemetry.ingest").store_readings
    from telemetry.protocol import ParsedReading

    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    rollup(item, START, on_time=without(FULL_DAY, 40, 41))
    slot_a, slot_b = beijing(2026, 3, 1, 10, 0), beijing(2026, 3, 1, 10, 15)

    def reading(slot):
        return ParsedReading(0, item.pk, slot, Decimal("1.5"), True, None, None, True)

    # 10:00 is on time until 10:30 and backfilled until 10:45; 10:15 until 11:00.
    store_readings(enterprise, [reading(slot_a)], beijing(2026, 3, 1, 10, 44))
    store_readings(enterprise, [reading(slot_b)], beijing(2026, 3, 1, 11, 1))

    evaluate_trials(now=AFTER_WINDOW)
    run = TrialRun.objects.get(connection=connection)
    first = run.days[0]
    assert (first["received"], first["missing"]) == (95, 1)
    assert (first["on_time"], first["backfilled"], first["late"]) == (94, 1, 1)
    assert run.display_reset_reason == "2026-03-01 缺 1 个时段，已超过补传期限"


def test_evaluation_takes_the_same_queries_for_one_or_many_trials(
    django_assert_max_num_queries, enterprise
):
    def trials(n):
        for _ in range(n):
            e = EnterpriseFactory()
            item = realtime_item(e)
            trial_connection(e, START)
            full_days(item, START, 5)

    trials(2)
    evaluate_trials(now=beijing(2026, 3, 6, 12))  # opens the runs
    trials(0)
    with django_assert_max_num_queries(8):
        evaluate_trials(now=beijing(2026, 3, 6, 12))
    trials(6)
    evaluate_trials(now=beijing(2026, 3, 6, 12))
    with django_assert_max_num_queries(8):
        evaluate_trials(now=beijing(2026, 3, 6, 12))
    assert TrialRun.objects.filter(status=TrialStatus.RUNNING).count() == 8


# --- Restart ------------------------------------------------------------------------------------

RESTART_TABLE = [
    (ConnectionState.TRIAL_FAILED, "reviewer", 302, ConnectionState.TRIAL_RUNNING),
    (ConnectionState.TRIAL_RUNNING, "reviewer", 302, ConnectionState.TRIAL_RUNNING),
    (ConnectionState.TRIAL_PASSED, "reviewer", 302, ConnectionState.TRIAL_PASSED),
    (ConnectionState.TRIAL_FAILED, "member", 403, ConnectionState.TRIAL_FAILED),
]


@pytest.mark.parametrize(("state", "who", "status", "after"), RESTART_TABLE)
def test_restart_table(state, who, status, after, enterprise, member, reviewer, client_for):
    connection = trial_connection(enterprise, START, state=state)
    user = {"reviewer": reviewer, "member": member}[who]
    response = client_for(user).post(
        reverse("telemetry:restart_trial", args=[connection.pk]),
        {"comment": "企业已更换通信模块", "start": ""},
    )
    assert response.status_code == status
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.state == after
    if state != after or (state == ConnectionState.TRIAL_RUNNING and who == "reviewer"):
        run = TrialRun.objects.get(connection=connection, status=TrialStatus.RUNNING)
        assert run.started_on == connection.trial_started_on
        assert AuditEvent.objects.filter(event="trial_restarted").exists()


def test_restart_closes_the_running_trial_and_numbers_the_next(enterprise, reviewer, client_for):
    connection = trial_connection(enterprise, START)
    realtime_item(enterprise)
    evaluate_trials(now=beijing(2026, 3, 1, 12))  # the first day can still be completed
    client_for(reviewer).post(
        reverse("telemetry:restart_trial", args=[connection.pk]), {"comment": "重新测试"}
    )
    runs = list(TrialRun.objects.filter(connection=connection).order_by("number"))
    assert [(r.number, r.status) for r in runs] == [
        (1, TrialStatus.RESTARTED),
        (2, TrialStatus.RUNNING),
    ]


def test_restart_api_refuses_an_enterprise_user(enterprise, member, reviewer, api_client_for):
    connection = trial_connection(enterprise, START, state=ConnectionState.TRIAL_FAILED)
    url = f"/api/v1/telemetry/connections/{connection.pk}/restart-trial"
    assert api_client_for(member).post(url, {"comment": "x"}).status_code == 403
    response = api_client_for(reviewer).post(url, {"comment": "整改完成"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "running"


def test_a_verdict_on_a_window_restarted_meanwhile_does_not_fail_the_new_one(
    enterprise, reviewer, monkeypatch
):
    from telemetry.services import trial

    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    rollup(item, D3, on_time=without(FULL_DAY, *range(12)))
    judge_first = trial.judge

    def judge_then_restart(*args, **kwargs):
        # The reviewer restarts the trial while the evaluation holds its (failing) verdict.
        verdict = judge_first(*args, **kwargs)
        trial.restart_trial(
            Connection.objects.get(pk=connection.pk), reviewer, start=date(2026, 3, 18)
        )
        return verdict

    monkeypatch.setattr(trial, "judge", judge_then_restart)
    summary = evaluate_trials(now=AFTER_WINDOW)

    assert summary.failed == summary.passed == []
    connection = Connection.objects.get(pk=connection.pk)
    assert (connection.state, connection.trial_started_on) == (
        ConnectionState.TRIAL_RUNNING,
        date(2026, 3, 18),
    )
    runs = list(TrialRun.objects.filter(connection=connection).order_by("number"))
    assert [(r.number, r.status) for r in runs] == [
        (1, TrialStatus.RESTARTED),
        (2, TrialStatus.RUNNING),
    ]


def test_a_passed_trial_keeps_its_per_day_table(enterprise):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 15)
    evaluate_trials(now=AFTER_WINDOW)
    frozen = TrialRun.objects.get(connection=connection)
    assert frozen.status == TrialStatus.PASSED
    rollup(item, D3, on_time=without(FULL_DAY, *range(12)))  # a later change of the data
    evaluate_trials(now=AFTER_WINDOW + timedelta(days=3))
    run = TrialRun.objects.get(connection=connection)
    assert run.days == frozen.days and run.evaluated_at == frozen.evaluated_at
    assert [d["day"] for d in run.days if d["in_window"]][-1] == "2026-03-15"


def test_an_item_deactivated_mid_trial_does_not_change_the_days_before(enterprise):
    """The institute's finding: deactivating a lagging item turned a failure into a pass.
    Expected slots come from the items as registered on each day (their revisions)."""
    from telemetry.models import DataItemRevision

    steady = realtime_item(enterprise)
    lagging = realtime_item(enterprise, device=steady.device)
    connection = trial_connection(enterprise, START)
    full_days(steady, START, 18)
    full_days(lagging, START, 18)
    rollup(lagging, D3, on_time=without(FULL_DAY, *range(12)))  # day 3 lost 12 slots
    # The lagging item is deactivated from day 5 on (an approved change), after which the
    # steady item alone is expected.
    DataItemRevision.objects.create(
        item=lagging, valid_from=D5, stat_type=0, interval_minutes=15, is_active=False
    )
    type(lagging).objects.filter(pk=lagging.pk).update(is_active=False)

    evaluate_trials(now=beijing(2026, 3, 19, 9))

    run = TrialRun.objects.get(connection=connection)
    days = {day["day"]: day for day in run.days}
    assert days[D3.isoformat()]["expected"] == 192  # both items, as registered on day 3
    assert days[D5.isoformat()]["expected"] == 96  # the steady item only
    # Day 3 still restarts the count: the trial passes on days 4-18, not earlier.
    assert run.status == TrialStatus.PASSED
    assert (run.window_start, run.window_end) == (date(2026, 3, 4), date(2026, 3, 18))


def test_days_before_any_item_was_registered_do_not_block_the_pass(enterprise):
    item = realtime_item(enterprise)
    registered_since(item, START + timedelta(days=3))
    connection = trial_connection(enterprise, START)
    full_days(item, START + timedelta(days=3), 15)

    evaluate_trials(now=beijing(2026, 3, 19, 9))

    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.PASSED
    assert (run.window_start, run.window_end) == (date(2026, 3, 4), date(2026, 3, 18))
