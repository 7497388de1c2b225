"""Missing slots (缺失时段) per data item, read from the roll-up bitmaps.

A slot is missing when its period has ended and no reading for it is stored at all (on
time, backfilled or late): the device may still send it, and once it has, the slot is no
longer requested even if it now counts as late. Slots are counted only from the item's
registration (``DataItem.created_at``; the slot in progress then is the first): nothing
is missing from before an item existed. The answer comes from ``DailyRollup``
masks (one row per item and day) and the configured items; readings are never scanned.

The same list serves the device (``GET /api/v1/telemetry/gaps``), the enterprise's
monitoring page and the reviewer's view of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import DailyRollup, DataItem, InputType
from .timeslots import BEIJING, StatType, format_wire_time, parse_wire_time


class WindowError(ValueError):
    """The requested window is unusable; ``field`` names the query parameter at fault."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Window:
    start: datetime  # inclusive
    end: datetime  # exclusive


@dataclass(frozen=True)
class SlotRange:
    """Consecutive missing slots: ``first`` and ``last`` are slot starts, ``count`` slots."""

    first: datetime
    last: datetime
    count: int

    def as_wire(self) -> dict:
        return {
            "from": format_wire_time(self.first),
            "to": format_wire_time(self.last),
            "count": self.count,
        }


@dataclass
class ItemGaps:
    item: DataItem
    missing: list[datetime] = field(default_factory=list)

    @cached_property
    def ranges(self) -> list[SlotRange]:
        """The missing slots compressed into runs of consecutive slots."""
        runs: list[SlotRange] = []
        for slot in self.missing:
            if runs and _next_slot(self.item, runs[-1].last) == slot:
                runs[-1] = SlotRange(runs[-1].first, slot, runs[-1].count + 1)
            else:
                runs.append(SlotRange(slot, slot, 1))
        return runs

    def as_wire(self) -> dict:
        return {
            "dataCode": self.item.data_code,
            "statType": str(self.item.stat_type),
            "missing": [format_wire_time(slot) for slot in self.missing],
            "ranges": [run.as_wire() for run in self.ranges],
        }


def parse_bound(text: str | None, name: str, *, upper: bool) -> datetime:
    """``yyyy-MM-dd`` (a whole day; as ``to`` it includes that day) or wire time."""
    if not text:
        raise WindowError(name, f"缺少参数 {name}")
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise WindowError(name, f"{name} 应为 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss") from None
        start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
        return start + timedelta(days=1) if upper else start
    try:
        return parse_wire_time(text)
    except ValueError as exc:
        raise WindowError(name, str(exc)) from None


def parse_window(start_text: str | None, end_text: str | None) -> Window:
    start = parse_bound(start_text, "from", upper=False)
    end = parse_bound(end_text, "to", upper=True)
    if end <= start:
        raise WindowError("to", "to 应晚于 from")
    limit = settings.TELEMETRY_GAPS_MAX_DAYS
    if end - start > timedelta(days=limit):
        raise WindowError("to", f"查询区间不能超过 {limit} 天")
    return Window(start, end)


def recent_window(days: int = 7, now: datetime | None = None) -> Window:
    """The last ``days`` Beijing days up to now (today included)."""
    now = now or timezone.now()
    today = now.astimezone(BEIJING).date()
    first = today - timedelta(days=days - 1)
    return Window(datetime(first.year, first.month, first.day, tzinfo=BEIJING), now)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def _period_start_day(item: DataItem, day: date) -> date:
    """The first day of the period (day, month or year) of ``item`` that holds ``day``."""
    if item.stat_type == StatType.MONTHLY:
        return day.replace(day=1)
    if item.stat_type == StatType.YEARLY:
        return day.replace(month=1, day=1)
    return day


def _period_days(item: DataItem, first: date, last: date) -> list[date]:
    """Days of [first, last] that carry a roll-up row for ``item`` (its period starts)."""
    days = []
    day = first
    while day <= last:
        if (
            item.stat_type in (StatType.REALTIME, StatType.DAILY)
            or (item.stat_type == StatType.MONTHLY and day.day == 1)
            or (item.stat_type == StatType.YEARLY and day.month == 1 and day.day == 1)
        ):
            days.append(day)
        day += timedelta(days=1)
    return days


def _next_slot(item: DataItem, slot: datetime) -> datetime:
    """The start of the slot after ``slot`` (Beijing wall time for daily and longer)."""
    if item.stat_type == StatType.REALTIME:
        return slot + timedelta(minutes=item.interval_minutes)
    return _period_end(item, slot.astimezone(BEIJING))


def _period_end(item: DataItem, slot: datetime) -> datetime:
    if item.stat_type == StatType.REALTIME:
        return slot + timedelta(minutes=item.interval_minutes)
    if item.stat_type == StatType.DAILY:
        return slot + timedelta(days=1)
    if item.stat_type == StatType.MONTHLY:
        months = slot.year * 12 + slot.month
        return slot.replace(year=months // 12, month=months % 12 + 1)
    return slot.replace(year=slot.year + 1)


def find_gaps(items: QuerySet[DataItem], window: Window, now: datetime | None = None):
    """Missing slots of every active item in ``items`` within ``window``; two queries.

    Returns a list of ItemGaps (items with nothing missing are left out), in item order.
    """
    now = now or timezone.now()
    end = min(window.end, now)
    item_list = list(items.filter(is_active=True).order_by("data_code"))
    if not item_list or end <= window.start:
        return []
    first = window.start.astimezone(BEIJING).date()
    last = (end - timedelta(microseconds=1)).astimezone(BEIJING).date()
    # A monthly/yearly slot may start before the window's first day and still end inside it
    # only if the window starts on its first day, so the rows of [first, last] suffice.
    received = {
        (item_id, day): int(on or "0", 16) | int(back or "0", 16) | int(late or "0", 16)
        for item_id, day, on, back, late in DailyRollup.objects.filter(
            item__in=[item.pk for item in item_list], day__range=(first, last)
        ).values_list("item_id", "day", "on_time_mask", "backfilled_mask", "late_mask")
    }
    result = []
    for item in item_list:
        gaps = ItemGaps(item)
        realtime = item.stat_type == StatType.REALTIME
        bits = 24 * 60 // item.interval_minutes if realtime else 1
        step = timedelta(minutes=item.interval_minutes)
        registered = item.created_at.astimezone(BEIJING).date()
        for day in _period_days(item, max(first, _period_start_day(item, registered)), last):
            missing = ((1 << bits) - 1) & ~received.get((item.pk, day), 0)
            while missing:
                low = missing & -missing
                index = low.bit_length() - 1
                missing ^= low
                slot = _midnight(day) + step * index if realtime else _midnight(day)
                if slot < window.start or slot >= window.end:
                    continue
                ends = _period_end(item, slot)
                if ends <= item.created_at:
                    continue  # the slot ended before the item was registered
                if ends > now:
                    break  # later bits are later slots: none of them has ended yet
                gaps.missing.append(slot)
        if gaps.missing:
            result.append(gaps)
    return result


def device_items(device) -> QuerySet[DataItem]:
    """The items a device answers for: its own, and its enterprise's unassigned automatic ones.

    Manually entered items (手工填报) are filed through the portal, never by a device.
    """
    return DataItem.objects.filter(enterprise_id=device.enterprise_id).filter(
        Q(device=device) | (Q(device__isnull=True) & ~Q(input_type=InputType.MANUAL))
    )


def as_wire(gaps: list[ItemGaps], window: Window) -> dict:
    return {
        "from": format_wire_time(window.start),
        "to": format_wire_time(window.end),
        "items": [g.as_wire() for g in gaps],
    }
