"""The conformance report's frozen figures: quoted from the passed trial, never recomputed."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from reports.conformance import freeze_figures, refusal_to_draft
from telemetry.models import (
    ConnectionState,
    DailyRollup,
    Reading,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
)
from telemetry.services.trial import evaluate_trials
from tests.portal.factories import ReviewerFactory
from tests.telemetry.factories import (
    FULL_DAY,
    beijing,
    rollup,
    stored_readings,
    trial_connection,
    without,
)

from .passed_trial import AFTER_WINDOW, OUTAGE_DAY, START, build_passed_trial, days_between

pytestmark = pytest.mark.django_db

SHOWN = {"enterprise": True, "government": True}


@pytest.fixture
def passed(enterprise):
    return build_passed_trial(enterprise)


def relay_flag(enterprise, status=RelayFlagStatus.EXPLAINED, **kwargs):
    defaults = {
        "source_ip": "203.0.113.9",
        "first_seen": beijing(2026, 3, 5, 10),
        "last_seen": beijing(2026, 3, 5, 11),
        "batch_count": 4,
        "status": status,
    }
    return RelayFlag.objects.create(enterprise=enterprise, **{**defaults, **kwargs})


def without_moment(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "frozen_at"}


def test_the_figures_are_the_passed_trials(passed):
    figures = freeze_figures(passed.run, display_confirmed=SHOWN)

    assert json.loads(json.dumps(figures)) == figures  # plain JSON, nothing to convert
    enterprise = passed.enterprise
    assert figures["enterprise"] == {
        "id": enterprise.pk,
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "region": "420100",
        "region_label": "武汉市",
        "address": enterprise.address,
    }
    assert figures["design_scheme"]["number"] == passed.application.design_scheme.number
    assert figures["application"]["declared_points"] == 36
    assert figures["basis"] == settings.REPORT_TEST_BASIS
    assert figures["testing_unit"] == "湖北省计量测试技术研究院"
    assert figures["devices"] == [
        {
            "manufacturer": "武汉能测科技有限公司",
            "model": "EMS-3000",
            "serial": "HB-DEV-000123",
            "manufacture_date": None,
            "certificate_serial": passed.certificate.serial_hex,
            "certificate_not_after": figures["devices"][0]["certificate_not_after"],
        }
    ]
    items = figures["items"]
    assert items["monitoring_points"] == 2
    assert [
        (g["code"], g["name"], g["points"], g["realtime"]) for g in items["by_energy_type"]
    ] == [
        ("1500-1", "油田天然气", 1, 1),
        ("3300", "电力（当量值）", 1, 1),
    ]
    assert figures["window"] == {"start": "2026-03-01", "end": "2026-03-15", "days": 15}
    assert [day["day"] for day in figures["days"]] == days_between(START, START + timedelta(14))
    outage_row = figures["days"][2]
    assert outage_row == {
        "day": OUTAGE_DAY.isoformat(),
        "expected": 192,
        "on_time": 190,
        "backfilled": 2,
        "late": 0,
        "missing": 0,
        "suspect": 0,
        "complete": True,
    }
    assert figures["totals"] == {
        "expected": 2880,
        "on_time": 2878,
        "backfilled": 2,
        "late": 0,
        "missing": 0,
        "suspect": 0,
        "complete_days": 15,
    }
    rates = figures["rates"]
    assert (rates["required_display"], rates["basis"]) == ("99.9%", "success")
    assert rates["success"] == {"value": "1.000000", "display": "100%", "ok": True, "decides": True}
    assert rates["on_time_rate"] == {
        "value": "0.999305",
        "display": "99.93%",
        "ok": True,
        "decides": False,
    }
    assert figures["consecutive"] == {"days": 15, "required": 15, "ok": True}
    backfill = figures["backfill"]
    assert (backfill["backfilled_slots"], backfill["days_with_backfill"]) == (2, ["2026-03-03"])
    [outage] = backfill["outages"]
    assert (outage["device_serial"], outage["reason"], outage["days"]) == (
        "HB-DEV-000123",
        "厂区光纤检修",
        ["2026-03-03"],
    )
    assert (outage["resolved_at"], outage["backfilled"], outage["complete"]) == (
        "2026-03-03T10:40:00+08:00",
        2,
        True,
    )
    assert figures["relay"] == {
        "flags": [],
        "none": True,
        "open": False,
        "confirmed": False,
        "ok": True,
    }
    assert figures["display"] == {"enterprise": True, "government": True, "ok": True}
    history = figures["energy_history"]
    assert (history["first_month"], history["last_month"], history["months"]) == (
        "2024-01",
        "2024-03",
        3,
    )
    # 6,000,000 kWh x 0.1229 + 300,000 m3 x 1.33, in tonnes
    assert history["total_tce"] == "1136.4000"
    assert [(s["code"], s["quantity"], s["share"]) for s in history["structure"]] == [
        ("3300", "6000000", "64.89"),
        ("1500-1", "300000", "35.11"),
    ]
    assert history["missing_main"] == []
    assert figures["conclusion"] == {"conforms": True, "label": "符合", "reasons": []}


def test_freezing_reads_no_readings_and_a_bounded_number_of_queries(passed):
    stored_readings(passed.items[0], {beijing(2026, 3, 2, 10): 5})
    with CaptureQueriesContext(db_connection) as queries:
        freeze_figures(passed.run, display_confirmed=SHOWN)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if Reading._meta.db_table in s], "readings were read"
    assert not [s for s in sql if DailyRollup._meta.db_table in s], "roll-ups were read"
    assert len(sql) <= 15


def test_later_changes_to_the_data_do_not_change_the_figures(passed):
    before = freeze_figures(passed.run, display_confirmed=SHOWN)
    # Readings and roll-ups of the window change afterwards (a correction, a late batch);
    # the evaluation runs again.
    power = passed.items[0]
    stored_readings(power, {beijing(2026, 3, 4, 0, 15 * n): 1 for n in range(4)}, valid=False)
    rollup(power, START, on_time=without(FULL_DAY, *range(30)), suspect=FULL_DAY)
    evaluate_trials(now=AFTER_WINDOW + timedelta(days=5))

    again = freeze_figures(TrialRun.objects.get(pk=passed.run.pk), display_confirmed=SHOWN)
    assert without_moment(again) == without_moment(before)
    assert json.dumps(before)  # and the snapshot taken before is plain data, untouched


def test_display_not_confirmed_is_not_conforming_with_the_reasons(passed):
    figures = freeze_figures(passed.run, display_confirmed={"enterprise": True})
    assert figures["display"] == {"enterprise": True, "government": False, "ok": False}
    assert figures["conclusion"] == {
        "conforms": False,
        "label": "不符合",
        "reasons": ["未确认省平台政府子系统正确显示该企业上报的能耗数据"],
    }
    assert len(freeze_figures(passed.run)["conclusion"]["reasons"]) == 2


def test_an_explained_relay_flag_is_quoted_with_the_reviewers_explanation(passed):
    reviewer = ReviewerFactory(full_name="王审核")
    relay_flag(
        passed.enterprise,
        reason="企业第二条专线，已现场核实",
        decided_by=reviewer,
        decided_at=beijing(2026, 3, 6, 9),
    )
    relay = freeze_figures(passed.run, display_confirmed=SHOWN)["relay"]
    [flag] = relay["flags"]
    assert (flag["source_ip"], flag["status_label"], flag["reason"], flag["decided_by"]) == (
        "203.0.113.9",
        "已说明",
        "企业第二条专线，已现场核实",
        "王审核",
    )
    assert (relay["none"], relay["ok"]) == (False, True)


def test_a_confirmed_relay_flag_makes_the_report_not_conforming(passed):
    relay_flag(passed.enterprise, RelayFlagStatus.CONFIRMED, reason="经云平台转发")
    figures = freeze_figures(passed.run, display_confirmed=SHOWN)
    assert (figures["relay"]["confirmed"], figures["relay"]["ok"]) == (True, False)
    assert figures["conclusion"]["reasons"] == [
        "存在经审核认定的第三方中转上传（未经端设备直接报送）"
    ]


def test_a_flag_from_before_the_trial_is_not_quoted(passed):
    relay_flag(
        passed.enterprise,
        first_seen=beijing(2026, 2, 1, 10),
        last_seen=beijing(2026, 2, 2, 10),
        reason="对接测试期间",
    )
    assert freeze_figures(passed.run, display_confirmed=SHOWN)["relay"]["none"] is True


# --- Why a report cannot be drafted -----------------------------------------------------------


def test_a_passed_trial_with_everything_in_place_can_be_drafted(passed):
    assert passed.connection.state == ConnectionState.TRIAL_PASSED
    assert refusal_to_draft(passed.connection) is None


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ConnectionState.TRIAL_RUNNING, "稳定上传试运行尚未通过（当前状态：稳定上传试运行）"),
        (ConnectionState.INTEGRATION_TESTING, "稳定上传试运行尚未通过（当前状态：对接测试）"),
        (ConnectionState.REPORT_ISSUED, "该企业已出具符合性测试报告"),
        (ConnectionState.TRIAL_PASSED, "没有已通过的稳定上传试运行记录"),
    ],
)
def test_refusals_by_the_connections_state(enterprise, state, expected):
    connection = trial_connection(enterprise, START, state=state)
    assert expected in refusal_to_draft(connection)


def test_a_failed_trial_is_refused_with_its_reason(enterprise):
    connection = trial_connection(enterprise, START, state=ConnectionState.TRIAL_FAILED)
    type(connection).objects.filter(pk=connection.pk).update(
        failure_reason="2026-03-03 缺 12 个时段，已超过补传期限"
    )
    connection.refresh_from_db()
    assert refusal_to_draft(connection) == (
        "稳定上传试运行未通过，不能出具符合性测试报告：2026-03-03 缺 12 个时段，已超过补传期限"
    )


def test_an_open_relay_flag_refuses_the_draft(passed):
    relay_flag(passed.enterprise, RelayFlagStatus.OPEN)
    assert refusal_to_draft(passed.connection) == (
        "有 1 个疑似经第三方中转的上传来源地址尚待审核人员处理，处理后才能出具报告。"
    )


def test_a_confirmed_relay_refuses_the_draft(passed):
    relay_flag(passed.enterprise, RelayFlagStatus.CONFIRMED, reason="经云平台转发")
    assert refusal_to_draft(passed.connection) == (
        "来自 203.0.113.9 的上传已被认定为经第三方中转（未经端设备直接报送），不符合接入要求。"
    )


def test_a_passed_run_without_its_window_refuses_the_draft(passed):
    TrialRun.objects.filter(pk=passed.run.pk).update(window_start=None, window_end=None)
    assert "没有记录通过时的连续完整天数据" in refusal_to_draft(passed.connection)


def test_missing_historical_energy_data_refuses_the_draft(other_enterprise):
    built = build_passed_trial(other_enterprise, history=False)
    assert refusal_to_draft(built.connection) == (
        "企业尚未提交历史能耗数据（表1 材料 10），请企业导入后再出具报告。"
    )
    figures = freeze_figures(built.run, display_confirmed=SHOWN)
    assert figures["energy_history"] == {"received": False}
    assert figures["conclusion"]["reasons"] == ["企业未提交历史能耗数据"]
