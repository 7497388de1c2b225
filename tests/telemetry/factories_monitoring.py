"""Builders for the monitoring tests: trials under way and roll-up rows written directly.

Roll-ups are normally kept by the ingest path; the evaluation tests write them as they would
be, so each case states exactly which slots arrived and how.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telemetry.models import Connection, ConnectionState, DailyRollup, DataItem
from telemetry.timeslots import BEIJING

from .factories import DataItemFactory, EndDeviceFactory, connection_for

FULL_DAY = (1 << 96) - 1


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def trial_connection(enterprise, start: date, state=ConnectionState.TRIAL_RUNNING) -> Connection:
    conn = connection_for(enterprise, state)
    Connection.objects.filter(pk=conn.pk).update(
        trial_started_on=start,
        first_reading_at=beijing(start.year, start.month, start.day) - timedelta(hours=3),
    )
    return Connection.objects.get(pk=conn.pk)


def realtime_item(enterprise, device=None, **kwargs) -> DataItem:
    device = device or EndDeviceFactory(enterprise=enterprise)
    return DataItemFactory(enterprise=enterprise, device=device, **kwargs)


def rollup(item: DataItem, day: date, *, on_time=FULL_DAY, backfilled=0, late=0, suspect=0):
    """A roll-up row with the given bitmaps (bit i = slot i of the day)."""
    expected = 96 if item.stat_type == 0 else 1
    return DailyRollup.objects.update_or_create(
        item=item,
        day=day,
        defaults={
            "enterprise_id": item.enterprise_id,
            "expected": expected,
            "on_time": on_time.bit_count(),
            "backfilled": backfilled.bit_count(),
            "late": late.bit_count(),
            "suspect": suspect.bit_count(),
            "on_time_mask": format(on_time, "x"),
            "backfilled_mask": format(backfilled, "x"),
            "late_mask": format(late, "x"),
            "suspect_mask": format(suspect, "x"),
        },
    )[0]


def full_days(item: DataItem, start: date, days: int, **kwargs) -> None:
    for offset in range(days):
        rollup(item, start + timedelta(days=offset), **kwargs)


def without(bits: int, *indexes: int) -> int:
    for index in indexes:
        bits &= ~(1 << index)
    return bits
