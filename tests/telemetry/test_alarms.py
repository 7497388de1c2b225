"""Silence, completeness and consistency alarms: opened once, told once, cleared on return."""

from datetime import date, timedelta
from decimal import Decimal

from portal.models import Notification
from telemetry.models import Alarm, AlarmKind, OutageNotice, Reading
from telemetry.services.alarms import check_alarms, consistency_findings
from telemetry.services.filing import resolve_outage
from tests.portal.factories import member_of

from .factories import FULL_DAY, DataItemFactory, beijing, realtime_item, rollup, trial_connection

START = date(2026, 3, 1)


def _setup(enterprise):
    item = realtime_item(enterprise)
    trial_connection(enterprise, START)
    return item


def _reported_outage(item):
    """The item's device reported down (报备) from 3-5 08:00 to 3-6 08:00."""
    return OutageNotice.objects.create(
        enterprise=item.enterprise,
        device=item.device,
        starts_at=beijing(2026, 3, 5, 8),
        expected_end=beijing(2026, 3, 6, 8),
        reason="变压器检修",
    )


def test_silent_item_alarm_fires_once_and_clears_when_data_returns(
    enterprise, django_capture_on_commit_callbacks
):
    user = member_of(enterprise)
    item = _setup(enterprise)
    rollup(item, date(2026, 3, 5), on_time=(1 << 40) - 1)  # last slot 09:45
    now = beijing(2026, 3, 5, 11, 0)  # 4 periods after 10:00

    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(now)
        check_alarms(now + timedelta(minutes=15))
    alarm = Alarm.objects.get(kind=AlarmKind.SILENT_ITEM)
    assert alarm.is_open and alarm.notified_at == now
    assert "09:45:00" in alarm.detail
    assert Notification.objects.filter(recipient=user, title=alarm.get_kind_display()).count() == 1

    rollup(item, date(2026, 3, 5), on_time=(1 << 45) - 1)  # back up to 11:00
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(beijing(2026, 3, 5, 11, 20))
    alarm.refresh_from_db()
    assert alarm.cleared_at == beijing(2026, 3, 5, 11, 20)
    assert not Alarm.objects.open().filter(kind=AlarmKind.SILENT_ITEM).exists()


def test_three_missed_periods_are_not_yet_silence(enterprise):
    item = _setup(enterprise)
    rollup(item, date(2026, 3, 5), on_time=(1 << 40) - 1)
    check_alarms(beijing(2026, 3, 5, 10, 59))
    assert not Alarm.objects.filter(kind=AlarmKind.SILENT_ITEM).exists()


def test_silent_device_with_a_reported_outage_says_so_and_tells_nobody(
    enterprise, django_capture_on_commit_callbacks
):
    member_of(enterprise)
    item = _setup(enterprise)
    _reported_outage(item)
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(beijing(2026, 3, 5, 12))
    alarm = Alarm.objects.get(kind=AlarmKind.SILENT_DEVICE)
    assert "已报备停运：变压器检修" in alarm.detail
    assert alarm.notified_at is None
    assert not Notification.objects.filter(title=alarm.get_kind_display()).exists()


def test_a_quiet_alarm_is_announced_once_when_the_outage_notice_is_resolved(
    enterprise, django_capture_on_commit_callbacks
):
    user = member_of(enterprise)
    item = _setup(enterprise)
    notice = _reported_outage(item)
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(beijing(2026, 3, 5, 12))
    resolve_outage(notice, user)
    later = beijing(2026, 3, 5, 12, 15)
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(later)
        check_alarms(later + timedelta(minutes=15))
    alarm = Alarm.objects.get(kind=AlarmKind.SILENT_DEVICE)
    assert alarm.is_open and alarm.notified_at == later
    assert "已报备停运" not in alarm.detail
    told = Notification.objects.filter(recipient=user, title=alarm.get_kind_display())
    assert [note.body for note in told] == [alarm.detail]


def test_a_quiet_alarm_cleared_during_its_outage_tells_nobody_the_data_is_back(
    enterprise, django_capture_on_commit_callbacks
):
    from telemetry.models import EndDevice

    member_of(enterprise)
    item = _setup(enterprise)
    _reported_outage(item)
    silence = Alarm.objects.filter(kind__in=[AlarmKind.SILENT_DEVICE, AlarmKind.SILENT_ITEM])
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(beijing(2026, 3, 5, 12))
    assert silence.open().filter(notified_at=None).exists()

    # The device is back (and backfills) before the outage notice is even resolved.
    rollup(item, date(2026, 3, 5), on_time=(1 << 49) - 1)  # up to 12:00
    EndDevice.objects.filter(pk=item.device_id).update(last_seen_at=beijing(2026, 3, 5, 12, 14))
    with django_capture_on_commit_callbacks(execute=True):
        check_alarms(beijing(2026, 3, 5, 12, 20))
    assert silence.exists() and not silence.open().exists()
    # Nobody was told the data stopped, so nobody is told it is back.
    assert not Notification.objects.filter(title__startswith="数据已恢复上传").exists()


def test_completeness_below_ninety_percent_is_flagged(enterprise):
    item = _setup(enterprise)
    rollup(item, date(2026, 3, 4), on_time=(1 << 86) - 1)  # 86 / 96 = 89.6 %
    check_alarms(beijing(2026, 3, 5, 1))
    alarm = Alarm.objects.get(kind=AlarmKind.COMPLETENESS)
    assert "89.6%" in alarm.detail
    rollup(item, date(2026, 3, 5), on_time=FULL_DAY)
    check_alarms(beijing(2026, 3, 6, 1))
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


def test_daily_sum_against_monthly_value(enterprise):
    trial_connection(enterprise, START)
    daily = DataItemFactory(enterprise=enterprise, data_code="000000000101000001", stat_type=1)
    monthly = DataItemFactory(enterprise=enterprise, data_code="000000000101000002", stat_type=2)
    received = beijing(2026, 4, 2)
    for day in range(1, 31):
        Reading.objects.create(
            item=daily,
            slot=beijing(2026, 4, day),
            value=Decimal("10"),
            arrival=0,
            received_at=received,
        )
    Reading.objects.create(
        item=monthly,
        slot=beijing(2026, 4, 1),
        value=Decimal("320"),
        arrival=0,
        received_at=received,
    )
    (finding,) = consistency_findings(date(2026, 4, 1))
    assert finding.item_id == monthly.pk and "偏差 6.25%" in finding.detail
    Reading.objects.filter(item=monthly).update(value=Decimal("310"))
    assert consistency_findings(date(2026, 4, 1)) == []


def test_a_device_serving_only_unassigned_items_is_watched_for_silence(enterprise):
    from .factories import EndDeviceFactory

    device = EndDeviceFactory(enterprise=enterprise, last_seen_at=beijing(2026, 3, 5, 9, 50))
    item = DataItemFactory(enterprise=enterprise, device=None)  # answered by any device
    trial_connection(enterprise, START)
    rollup(item, date(2026, 3, 5), on_time=(1 << 40) - 1)

    check_alarms(beijing(2026, 3, 5, 10, 30))
    assert not Alarm.objects.filter(kind=AlarmKind.SILENT_DEVICE).exists()
    check_alarms(beijing(2026, 3, 5, 11, 0))
    alarm = Alarm.objects.get(kind=AlarmKind.SILENT_DEVICE)
    assert alarm.device_id == device.pk


def test_suspect_daily_readings_are_left_out_of_the_daily_sum(enterprise):
    trial_connection(enterprise, START)
    daily = DataItemFactory(enterprise=enterprise, data_code="000000000101000001", stat_type=1)
    monthly = DataItemFactory(enterprise=enterprise, data_code="000000000101000002", stat_type=2)
    received = beijing(2026, 4, 2)
    for day in range(1, 31):
        Reading.objects.create(
            item=daily,
            slot=beijing(2026, 4, day),
            value=Decimal("10") if day < 30 else Decimal("9000"),
            valid=day < 30,  # the last day is a suspect spike
            arrival=0,
            received_at=received,
        )
    Reading.objects.create(
        item=monthly,
        slot=beijing(2026, 4, 1),
        value=Decimal("290"),
        arrival=0,
        received_at=received,
    )
    assert consistency_findings(date(2026, 4, 1)) == []
