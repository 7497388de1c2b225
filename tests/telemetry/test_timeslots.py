"""Slot arithmetic, statDate alignment and arrival classification, all in Beijing time."""

from datetime import UTC, date, datetime, timedelta

import pytest

from telemetry.timeslots import (
    BEIJING,
    Arrival,
    ArrivalWindows,
    StatType,
    alignment_error,
    classify_arrival,
    day_slots,
    format_wire_time,
    next_slot,
    normalised_slot,
    parse_wire_time,
    slot_index,
    slot_start,
    slots_per_day,
)


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


# --- Wire format ---------------------------------------------------------------------------


def test_wire_time_is_read_as_beijing_time():
    parsed = parse_wire_time("2026-03-01 23:45:00")
    assert parsed == bj(2026, 3, 1, 23, 45)
    assert parsed.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01T23:45:00",
        "2026-03-01 23:45",
        "2026-03-01 23:45:00.000",
        "2026-03-01 23:45:00+08:00",
        "2026-02-30 00:00:00",
        "2026-03-01 24:00:00",
        "２０２６-03-01 23:45:00",
        "",
        None,
        20260301,
    ],
)
def test_anything_but_the_wire_format_is_refused_in_chinese(text):
    with pytest.raises(ValueError, match="yyyy-MM-dd HH:mm:ss"):
        parse_wire_time(text)


def test_wire_time_is_written_in_beijing_time_whatever_the_zone():
    assert format_wire_time(datetime(2026, 3, 1, 16, 0, 5, tzinfo=UTC)) == "2026-03-02 00:00:05"


def test_naive_datetimes_are_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="时区"):
        slot_start(StatType.REALTIME, datetime(2026, 3, 1, 12, 0))


# --- Slots ---------------------------------------------------------------------------------


def test_last_quarter_hour_of_a_beijing_day_is_slot_95():
    slot = slot_start(StatType.REALTIME, bj(2026, 3, 1, 23, 52, 17))
    assert slot == bj(2026, 3, 1, 23, 45)
    assert slot_index(slot, 15) == 95


def test_utc_afternoon_is_already_the_next_beijing_day():
    utc_16 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert slot_start(StatType.REALTIME, utc_16) == bj(2026, 3, 2, 0, 0)
    assert slot_index(utc_16, 15) == 0
    assert slot_start(StatType.DAILY, utc_16) == bj(2026, 3, 2)
    # One second earlier is still the last slot of 1 March in Beijing.
    assert slot_start(StatType.REALTIME, utc_16 - timedelta(seconds=1)) == bj(2026, 3, 1, 23, 45)


@pytest.mark.parametrize(
    ("interval", "expected_start", "expected_index"),
    [
        (15, bj(2026, 3, 1, 10, 30), 42),
        (30, bj(2026, 3, 1, 10, 30), 21),
        (60, bj(2026, 3, 1, 10), 10),
    ],
)
def test_relaxed_intervals_floor_to_their_own_boundaries(interval, expected_start, expected_index):
    slot = slot_start(StatType.REALTIME, bj(2026, 3, 1, 10, 44, 59), interval)
    assert slot == expected_start
    assert slot_index(slot, interval) == expected_index


def test_daily_monthly_and_yearly_periods_start_at_beijing_midnight():
    moment = bj(2026, 7, 15, 13, 5)
    assert slot_start(StatType.DAILY, moment) == bj(2026, 7, 15)
    assert slot_start(StatType.MONTHLY, moment) == bj(2026, 7, 1)
    assert slot_start(StatType.YEARLY, moment) == bj(2026, 1, 1)


def test_next_slot_crosses_day_month_and_year_ends():
    assert next_slot(StatType.REALTIME, bj(2026, 3, 1, 23, 45), 15) == bj(2026, 3, 2)
    assert next_slot(StatType.DAILY, bj(2026, 2, 28)) == bj(2026, 3, 1)
    assert next_slot(StatType.MONTHLY, bj(2026, 12, 1)) == bj(2027, 1, 1)
    assert next_slot(StatType.YEARLY, bj(2026, 1, 1)) == bj(2027, 1, 1)


@pytest.mark.parametrize(("interval", "count"), [(15, 96), (30, 48), (60, 24)])
def test_a_day_has_96_48_or_24_slots(interval, count):
    slots = day_slots(date(2026, 3, 1), interval)
    assert slots_per_day(interval) == len(slots) == count
    assert slots[0] == bj(2026, 3, 1)
    assert slots[-1] == bj(2026, 3, 2) - timedelta(minutes=interval)
    assert [slot_index(slot, interval) for slot in slots] == list(range(count))


def test_only_15_30_or_60_minute_intervals_exist():
    with pytest.raises(ValueError, match="15、30 或 60"):
        slots_per_day(20)


# --- Alignment -----------------------------------------------------------------------------


def test_realtime_statdate_must_be_exactly_on_a_boundary():
    assert alignment_error(StatType.REALTIME, bj(2026, 3, 1, 10, 15), 15) is None
    assert alignment_error(StatType.REALTIME, bj(2026, 3, 1, 10, 15, 1), 15) is not None
    assert alignment_error(StatType.REALTIME, bj(2026, 3, 1, 10, 7), 15) is not None
    reason = alignment_error(StatType.REALTIME, bj(2026, 3, 1, 10, 15), 30)
    assert reason is not None and "30 分钟" in reason


@pytest.mark.parametrize(
    ("stat_date", "slot"),
    [
        (bj(2026, 3, 1, 0, 0, 0), bj(2026, 3, 1)),
        (bj(2026, 3, 1, 0, 0, 59), bj(2026, 3, 1)),
        (bj(2026, 3, 1, 0, 1, 0), bj(2026, 3, 1)),
        (bj(2026, 2, 28, 23, 59, 30), bj(2026, 3, 1)),
    ],
)
def test_daily_statdate_may_stray_one_minute(stat_date, slot):
    assert alignment_error(StatType.DAILY, stat_date) is None
    assert normalised_slot(StatType.DAILY, stat_date, 15) == slot


@pytest.mark.parametrize("stat_date", [bj(2026, 3, 1, 0, 1, 1), bj(2026, 2, 28, 23, 58, 59)])
def test_daily_statdate_more_than_a_minute_off_is_refused(stat_date):
    reason = alignment_error(StatType.DAILY, stat_date)
    assert reason is not None and "1 分钟" in reason
    with pytest.raises(ValueError, match="1 分钟"):
        normalised_slot(StatType.DAILY, stat_date, 15)


@pytest.mark.parametrize(
    ("stat_date", "slot"),
    [
        (bj(2026, 3, 1), bj(2026, 3, 1)),
        (bj(2026, 3, 2), bj(2026, 3, 1)),
        (bj(2026, 2, 28), bj(2026, 3, 1)),  # the last day of February, one day early
        (bj(2026, 12, 31, 12), bj(2027, 1, 1)),
    ],
)
def test_monthly_statdate_may_stray_one_day(stat_date, slot):
    assert alignment_error(StatType.MONTHLY, stat_date) is None
    assert normalised_slot(StatType.MONTHLY, stat_date, 15) == slot


@pytest.mark.parametrize("stat_date", [bj(2026, 3, 2, 0, 0, 1), bj(2026, 3, 15), bj(2026, 2, 27)])
def test_monthly_statdate_more_than_a_day_off_is_refused(stat_date):
    reason = alignment_error(StatType.MONTHLY, stat_date)
    assert reason is not None and "1 天" in reason


def test_yearly_statdate_may_stray_one_day_around_new_year():
    assert normalised_slot(StatType.YEARLY, bj(2025, 12, 31, 8), 15) == bj(2026, 1, 1)
    assert alignment_error(StatType.YEARLY, bj(2026, 1, 3)) is not None


# --- Arrival -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "arrival"),
    [
        (bj(2026, 3, 1, 10, 16), Arrival.ON_TIME),
        (bj(2026, 3, 1, 10, 30), Arrival.ON_TIME),
        (bj(2026, 3, 1, 10, 30, 1), Arrival.BACKFILLED),
        (bj(2026, 3, 1, 10, 45), Arrival.BACKFILLED),
        (bj(2026, 3, 1, 10, 45, 1), Arrival.LATE),
        (bj(2026, 3, 2, 9), Arrival.LATE),
    ],
)
def test_realtime_arrival_is_judged_by_the_interval_after_the_slot(received, arrival):
    assert classify_arrival(StatType.REALTIME, bj(2026, 3, 1, 10, 0), received, 15) is arrival


def test_hourly_items_get_hour_long_windows():
    slot = bj(2026, 3, 1, 10)
    assert classify_arrival(StatType.REALTIME, slot, bj(2026, 3, 1, 12), 60) is Arrival.ON_TIME
    assert (
        classify_arrival(StatType.REALTIME, slot, bj(2026, 3, 1, 12, 30), 60) is Arrival.BACKFILLED
    )
    assert classify_arrival(StatType.REALTIME, slot, bj(2026, 3, 1, 13, 0, 1), 60) is Arrival.LATE


@pytest.mark.parametrize(
    ("received", "arrival"),
    [
        (bj(2026, 3, 2, 23, 59, 59), Arrival.ON_TIME),
        (datetime(2026, 3, 2, 15, 59, tzinfo=UTC), Arrival.ON_TIME),  # 23:59 in Beijing
        (bj(2026, 3, 3, 0, 0, 1), Arrival.BACKFILLED),
        (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), Arrival.BACKFILLED),  # 3 March in Beijing
        (bj(2026, 3, 3, 23, 59), Arrival.BACKFILLED),
        (bj(2026, 3, 4, 0, 0, 1), Arrival.LATE),
    ],
)
def test_daily_value_is_on_time_next_day_and_backfilled_the_day_after(received, arrival):
    assert classify_arrival(StatType.DAILY, bj(2026, 3, 1), received) is arrival


@pytest.mark.parametrize(
    ("received", "arrival"),
    [
        (bj(2026, 3, 10, 23, 59), Arrival.ON_TIME),
        (bj(2026, 3, 11, 8), Arrival.BACKFILLED),
        (bj(2026, 4, 10, 23, 59), Arrival.BACKFILLED),
        (bj(2026, 4, 11, 0, 0, 1), Arrival.LATE),
    ],
)
def test_monthly_value_is_due_by_the_tenth_of_the_next_month(received, arrival):
    assert classify_arrival(StatType.MONTHLY, bj(2026, 2, 1), received) is arrival


@pytest.mark.parametrize(
    ("received", "arrival"),
    [
        (bj(2026, 1, 31, 23), Arrival.ON_TIME),
        (bj(2027, 1, 15), Arrival.BACKFILLED),
        (bj(2027, 2, 1, 0, 0, 1), Arrival.LATE),
    ],
)
def test_yearly_value_is_due_in_january_of_the_next_year(received, arrival):
    assert classify_arrival(StatType.YEARLY, bj(2025, 1, 1), received) is arrival


def test_windows_are_settings():
    windows = ArrivalWindows(monthly_deadline_day=15, backfill_cycles=2, grace=timedelta(minutes=2))
    month = bj(2026, 2, 1)
    assert classify_arrival(StatType.MONTHLY, month, bj(2026, 3, 15, 23), 15, windows) is (
        Arrival.ON_TIME
    )
    assert classify_arrival(StatType.MONTHLY, month, bj(2026, 5, 15, 23), 15, windows) is (
        Arrival.BACKFILLED
    )
    assert classify_arrival(StatType.MONTHLY, month, bj(2026, 5, 16, 0, 3), 15, windows) is (
        Arrival.LATE
    )
    slot = bj(2026, 3, 1, 10)
    graced = bj(2026, 3, 1, 10, 31, 30)
    assert classify_arrival(StatType.REALTIME, slot, graced, 15, windows) is Arrival.ON_TIME
