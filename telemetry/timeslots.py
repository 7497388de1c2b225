"""Statistical periods (统计周期) and their time slots, all reckoned in Beijing time.

Times travel on the wire as ``yyyy-MM-dd HH:mm:ss`` in Beijing time without an offset
(SPEC §5.1, §10). Inside the portal they are aware datetimes; every calendar rule here (where
a day, month or year starts) is applied to the Beijing wall clock, whatever zone the caller's
datetime is in. Asia/Shanghai has had no daylight saving time since 1991, so wall-clock
arithmetic on Beijing datetimes is also exact elapsed-time arithmetic.

A slot is identified by the start of its period (SPEC §3: the time label of a record is the
start of its statistical period). Pure module: no Django, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"

# Real-time items are sampled every 15 minutes, relaxable to 30 or 60 (SPEC §3).
REALTIME_INTERVALS = (15, 30, 60)


class StatType(IntEnum):
    """``statType`` on the wire (SPEC §3)."""

    REALTIME = 0
    DAILY = 1
    MONTHLY = 2
    YEARLY = 3


STAT_TYPE_LABELS = {
    StatType.REALTIME: "实时",
    StatType.DAILY: "日",
    StatType.MONTHLY: "月",
    StatType.YEARLY: "年",
}

# How far a statDate may stray from its period start (SPEC §3, §9: daily ≤1 min, monthly
# ≤1 day). Yearly is not in the sources; it follows monthly. Real-time must be exact.
ALIGNMENT_TOLERANCE = {
    StatType.REALTIME: timedelta(0),
    StatType.DAILY: timedelta(minutes=1),
    StatType.MONTHLY: timedelta(days=1),
    StatType.YEARLY: timedelta(days=1),
}


# --- Wire format ---------------------------------------------------------------------------


def parse_wire_time(text: str) -> datetime:
    """Parse ``yyyy-MM-dd HH:mm:ss`` (Beijing time) into an aware datetime.

    Raises ValueError with a Chinese message on anything else, including ISO variants with
    a ``T`` separator, fractions or an offset.
    """
    # The layout is pinned first, then the C-implemented fromisoformat does the rest: this is
    # on the upload path (two times per record) and strptime is ten times slower.
    if (
        type(text) is str
        and len(text) == 19
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == " "
        and text[13] == ":"
        and text[16] == ":"
        and text.isascii()
    ):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=BEIJING)
        except ValueError:
            pass  # digits in place but not a real date, e.g. 2026-02-30; reported below
    raise ValueError(f"时间应为北京时间“yyyy-MM-dd HH:mm:ss”格式的有效时间，收到 {text!r}")


def format_wire_time(dt: datetime) -> str:
    """Format an aware datetime as Beijing wall-clock time for the wire."""
    return _beijing(dt).strftime(WIRE_FORMAT)


def _beijing(dt: datetime) -> datetime:
    # astimezone() on a naive datetime would silently assume the host's zone.
    if dt.tzinfo is None:
        raise ValueError("需要带时区的时间（aware datetime），收到的是无时区时间")
    return dt.astimezone(BEIJING)


def _check_interval(interval_minutes: int) -> None:
    if interval_minutes not in REALTIME_INTERVALS:
        raise ValueError(f"实时数据的采集间隔只能是 15、30 或 60 分钟，收到 {interval_minutes}")


# --- Slot arithmetic -----------------------------------------------------------------------


def slot_start(stat_type: int, dt: datetime, interval_minutes: int = 15) -> datetime:
    """Start of the period of ``stat_type`` that contains ``dt`` (in Beijing time)."""
    local = _beijing(dt)
    if stat_type == StatType.REALTIME:
        _check_interval(interval_minutes)
        minutes = local.hour * 60 + local.minute
        minutes -= minutes % interval_minutes
        return local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if stat_type == StatType.DAILY:
        return midnight
    if stat_type == StatType.MONTHLY:
        return midnight.replace(day=1)
    if stat_type == StatType.YEARLY:
        return midnight.replace(month=1, day=1)
    raise ValueError(f"未知的统计类型 statType={stat_type}")


def next_slot(stat_type: int, slot: datetime, interval_minutes: int = 15) -> datetime:
    """Start of the period after the one starting at ``slot``."""
    return _shift(stat_type, _beijing(slot), 1, interval_minutes)


def _shift(stat_type: int, slot: datetime, periods: int, interval_minutes: int) -> datetime:
    """Move a Beijing-time period start by ``periods`` periods (may be negative)."""
    if stat_type == StatType.REALTIME:
        _check_interval(interval_minutes)
        return slot + timedelta(minutes=interval_minutes * periods)
    if stat_type == StatType.DAILY:
        return slot + timedelta(days=periods)
    if stat_type == StatType.MONTHLY:
        months = slot.year * 12 + slot.month - 1 + periods
        return slot.replace(year=months // 12, month=months % 12 + 1)
    if stat_type == StatType.YEARLY:
        return slot.replace(year=slot.year + periods)
    raise ValueError(f"未知的统计类型 statType={stat_type}")


def slots_per_day(interval_minutes: int) -> int:
    """Real-time slots in a day: 96, 48 or 24."""
    _check_interval(interval_minutes)
    return 24 * 60 // interval_minutes


def day_slots(day: date, interval_minutes: int = 15) -> list[datetime]:
    """Every real-time slot start of a Beijing calendar day, in order."""
    first = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    step = timedelta(minutes=interval_minutes)
    return [first + step * index for index in range(slots_per_day(interval_minutes))]


def slot_index(slot: datetime, interval_minutes: int = 15) -> int:
    """Position of a real-time slot within its Beijing day (0..95 at 15 minutes)."""
    _check_interval(interval_minutes)
    local = _beijing(slot)
    return (local.hour * 60 + local.minute) // interval_minutes


# --- Alignment of statDate -----------------------------------------------------------------


def nearest_slot(
    stat_type: int, stat_date: datetime, interval_minutes: int = 15
) -> datetime | None:
    """The period start ``stat_date`` is meant to be, or None when it is out of tolerance.

    A daily statDate of 23:59:30 belongs to the next day; one of 00:00:40 to the same day.
    """
    local = _beijing(stat_date)
    start = slot_start(stat_type, local, interval_minutes)
    tolerance = ALIGNMENT_TOLERANCE[stat_type]
    if local - start <= tolerance:
        return start
    following = _shift(stat_type, start, 1, interval_minutes)
    if following - local <= tolerance:
        return following
    return None


def alignment_error(stat_type: int, stat_date: datetime, interval_minutes: int = 15) -> str | None:
    """None if ``stat_date`` is an acceptable period start, else the reason in Chinese."""
    if nearest_slot(stat_type, stat_date, interval_minutes) is not None:
        return None
    shown = format_wire_time(stat_date)
    if stat_type == StatType.REALTIME:
        return f"实时数据的统计时间 {shown} 不是 {interval_minutes} 分钟时段的起点（秒应为 0）"
    if stat_type == StatType.DAILY:
        return f"日数据的统计时间 {shown} 应为当日 00:00:00，偏差不得超过 1 分钟"
    if stat_type == StatType.MONTHLY:
        return f"月数据的统计时间 {shown} 应为当月 1 日 00:00:00，偏差不得超过 1 天"
    return f"年数据的统计时间 {shown} 应为 1 月 1 日 00:00:00，偏差不得超过 1 天"


def normalised_slot(stat_type: int, stat_date: datetime, interval_minutes: int = 15) -> datetime:
    """The slot a tolerably misaligned ``stat_date`` belongs to; ValueError if out of tolerance."""
    slot = nearest_slot(stat_type, stat_date, interval_minutes)
    if slot is None:
        raise ValueError(alignment_error(stat_type, stat_date, interval_minutes))
    return slot


# --- Arrival classification ----------------------------------------------------------------


class Arrival(StrEnum):
    """How a reading's arrival counts toward the upload success rate (DESIGN §4)."""

    ON_TIME = "on_time"
    # 补传: in the next reporting cycle, or in the first cycle after the device came back
    # from an outage (never past the cap): still a success
    BACKFILLED = "backfilled"
    LATE = "late"  # kept and shown, but a failure


@dataclass(frozen=True)
class ArrivalWindows:
    """Upload windows per statType (SPEC §3 DEFAULT; every number is a setting).

    On time: real-time within ``realtime_ontime_intervals`` intervals after the slot ends;
    daily day D within ``daily_ontime_days`` days after D; monthly month M by the end of day
    ``monthly_deadline_day`` of M+1; yearly Y by the end of month ``yearly_deadline_month``
    of Y+1. Backfilled: by the on-time deadline of the slot ``backfill_cycles`` periods
    later, i.e. inside the next reporting cycle's window. ``grace`` is added to both
    deadlines to absorb clock skew and transfer time.

    After an outage (the device had no accepted upload between the slot's on-time deadline
    and its backfill deadline) a slot also counts as backfilled when it arrives within one
    reporting period after the device's first accepted upload following the outage, but
    never later than ``backfill_cap`` after the slot (the ordinary next-cycle window is not
    shortened by the cap).
    """

    realtime_ontime_intervals: int = 1
    daily_ontime_days: int = 1
    monthly_deadline_day: int = 10
    yearly_deadline_month: int = 1
    backfill_cycles: int = 1
    grace: timedelta = timedelta(0)
    backfill_cap: timedelta = timedelta(hours=24)


DEFAULT_WINDOWS = ArrivalWindows()


def ontime_deadline(
    stat_type: int,
    slot: datetime,
    interval_minutes: int = 15,
    windows: ArrivalWindows = DEFAULT_WINDOWS,
) -> datetime:
    """End of the upload window of the period starting at ``slot`` (grace not included)."""
    start = _beijing(slot)
    period_end = _shift(stat_type, start, 1, interval_minutes)
    if stat_type == StatType.REALTIME:
        return period_end + timedelta(minutes=interval_minutes * windows.realtime_ontime_intervals)
    if stat_type == StatType.DAILY:
        return period_end + timedelta(days=windows.daily_ontime_days)
    if stat_type == StatType.MONTHLY:
        # period_end is day 1 of M+1; the window closes at the end of the deadline day.
        return period_end + timedelta(days=windows.monthly_deadline_day)
    return _shift(StatType.MONTHLY, period_end, windows.yearly_deadline_month, interval_minutes)


def arrival_deadlines(
    stat_type: int,
    slot: datetime,
    interval_minutes: int = 15,
    windows: ArrivalWindows = DEFAULT_WINDOWS,
) -> tuple[datetime, datetime]:
    """(on-time, backfill) deadlines of the slot, grace included: the arrival rule.

    On time up to the slot's own upload window; backfilled up to the window of the slot
    ``backfill_cycles`` periods later (the next reporting cycle); late after that.
    """
    on_time = ontime_deadline(stat_type, slot, interval_minutes, windows)
    later_slot = _shift(stat_type, _beijing(slot), windows.backfill_cycles, interval_minutes)
    backfill = ontime_deadline(stat_type, later_slot, interval_minutes, windows)
    return on_time + windows.grace, backfill + windows.grace


def recovery_deadline(
    stat_type: int,
    slot: datetime,
    resumed_at: datetime,
    interval_minutes: int = 15,
    windows: ArrivalWindows = DEFAULT_WINDOWS,
) -> datetime | None:
    """Until when the slot counts as backfilled after an outage, or None if it does not apply.

    ``resumed_at`` is the device's first accepted upload after the slot's on-time deadline.
    The outage rule applies only when that upload came after the backfill deadline (no
    accepted upload during the next reporting cycle: the link was down); the slot may then
    arrive until one reporting period after ``resumed_at``, capped at ``backfill_cap``
    after the slot.
    """
    _on_time, backfill = arrival_deadlines(stat_type, slot, interval_minutes, windows)
    if resumed_at <= backfill:
        return None
    recovery = _shift(stat_type, _beijing(resumed_at), 1, interval_minutes) + windows.grace
    return min(recovery, slot + windows.backfill_cap)


def latest_backfill(
    stat_type: int,
    slot: datetime,
    interval_minutes: int = 15,
    windows: ArrivalWindows = DEFAULT_WINDOWS,
) -> datetime:
    """The last moment at which the slot can still arrive as backfilled, by either rule."""
    _on_time, backfill = arrival_deadlines(stat_type, slot, interval_minutes, windows)
    return max(backfill, slot + windows.backfill_cap)


def classify_arrival(
    stat_type: int,
    slot: datetime,
    received_at: datetime,
    interval_minutes: int = 15,
    windows: ArrivalWindows = DEFAULT_WINDOWS,
    resumed_at: datetime | None = None,
) -> Arrival:
    """On time, backfilled (still a success) or late, by when it was received.

    ``resumed_at``: the device's first accepted upload after the slot's on-time deadline
    (``received_at`` itself when this upload is the first); None when the reading did not
    come from a device, so only the next-cycle window applies.
    """
    on_time, backfill = arrival_deadlines(stat_type, slot, interval_minutes, windows)
    if received_at <= on_time:
        return Arrival.ON_TIME
    if received_at <= backfill:
        return Arrival.BACKFILLED
    if resumed_at is not None:
        recovery = recovery_deadline(stat_type, slot, resumed_at, interval_minutes, windows)
        if recovery is not None and received_at <= recovery:
            return Arrival.BACKFILLED
    return Arrival.LATE
