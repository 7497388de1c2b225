"""Alarm details and trial failure reasons: stored in Chinese, shown in the reader's language.

docs/decisions/0007-stored-texts-and-fixed-formats.md: the stored text is what people were
told; the code and parameters beside it let an English page say the same in English.
"""

from datetime import date

from django.urls import reverse
from django.utils import translation

from telemetry.models import Alarm, AlarmKind, TrialRun, TrialStatus
from telemetry.services.alarms import check_alarms
from telemetry.services.trial import evaluate_trials

from .factories import beijing, full_days, realtime_item, rollup, trial_connection

START = date(2026, 3, 1)


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_an_alarm_detail_is_stored_in_chinese_and_shown_in_english(enterprise, member, client_for):
    item = realtime_item(enterprise)
    trial_connection(enterprise, START)
    rollup(item, date(2026, 3, 5), on_time=(1 << 40) - 1)  # last slot 09:45
    check_alarms(beijing(2026, 3, 5, 11, 0))

    alarm = Alarm.objects.get(kind=AlarmKind.SILENT_ITEM)
    assert alarm.detail.startswith(f"采集项 {item.data_code}")
    assert alarm.detail_code == "silent_item"
    with translation.override("en"):
        assert alarm.display_detail.startswith(f"Data item {item.data_code}")
    url = reverse("telemetry:enterprise_monitoring", args=[enterprise.pk])
    html = _english(client_for(member)).get(url).content.decode()
    assert f"Data item {item.data_code}" in html
    assert "没有数据" not in html


def test_an_alarm_written_before_the_codes_shows_its_stored_text(enterprise):
    alarm = Alarm.objects.create(
        enterprise=enterprise,
        kind=AlarmKind.SILENT_DEVICE,
        subject="device:1",
        opened_at=beijing(2026, 3, 5, 10),
        detail="端设备 D-1 已超过 4 个上报周期没有上传",
    )
    with translation.override("en"):
        assert alarm.display_detail == "端设备 D-1 已超过 4 个上报周期没有上传"


def test_a_trial_failure_reason_is_stored_in_chinese_and_shown_in_english(
    enterprise, reviewer, client_for, api_client_for
):
    item = realtime_item(enterprise)
    connection = trial_connection(enterprise, START)
    full_days(item, START, 2)  # 2026-03-03 never arrives
    evaluate_trials(now=beijing(2026, 3, 5, 12))

    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.RUNNING  # the rolling count restarts after the bad day
    chinese = "2026-03-03 缺 96 个时段，已超过补传期限"
    assert run.display_reset_reason == chinese
    english = "2026-03-03: 96 periods missing; the backfill deadline has passed"
    with translation.override("en"):
        assert run.display_reset_reason == english

    api = api_client_for(reviewer)
    assert api.get(f"/api/v1/telemetry/trials/{run.pk}").json()["reset_reason"] == chinese
    api.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert api.get(f"/api/v1/telemetry/trials/{run.pk}").json()["reset_reason"] == english

    client = _english(client_for(reviewer))
    for url in (
        reverse("telemetry:trial_detail", args=[run.pk]),
        reverse("telemetry:trial_board"),
    ):
        html = client.get(url).content.decode()
        assert english in html and "已超过补传期限" not in html, url
