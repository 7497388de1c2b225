"""Daily roll-ups kept current as readings are stored (DESIGN §4: count in SQL, not Python).

One ``DailyRollup`` row per data item and Beijing calendar day holds a bitmap per arrival
class (bit i = slot i of the day; 96 bits at 15 minutes) as hex text, and counts that are
the bitmaps' popcounts. Ingestion ORs the bits of the readings it has just stored into the
rows it touches; the Python work is over the incoming readings only, never over stored ones.

Daily items use bit 0 of their day. Monthly and yearly items keep one row on the first day
of their period, with ``expected`` 1.

A corrected slot (a later reading replaced the stored one: ``telemetry.corrections``)
moves: its bit is cleared from every class and from the suspect mask, then set again from
the correction, so it counts in the correction's arrival class and validity alone.
Otherwise a slot is counted once, in its best class: on time beats backfilled beats late
(exact repeats are not stored, so this only matters for bits set by an older version of
this code).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from . import bulk
from .models import ArrivalClass, DailyRollup
from .timeslots import BEIJING, StatType, slot_index, slots_per_day

MASK_FIELDS = ("on_time_mask", "backfilled_mask", "late_mask", "suspect_mask")
COUNT_FIELDS = ("on_time", "backfilled", "late", "suspect")


@dataclass(frozen=True, slots=True)
class ItemShape:
    """What the roll-up needs to know about an item."""

    enterprise_id: int
    stat_type: int
    interval_minutes: int


def expected_per_day(shape: ItemShape) -> int:
    if shape.stat_type == StatType.REALTIME:
        return slots_per_day(shape.interval_minutes)
    return 1


def position(shape: ItemShape, slot: datetime) -> tuple[date, int]:
    """The roll-up day and bit of a slot."""
    if shape.stat_type == StatType.REALTIME:
        return slot.astimezone(BEIJING).date(), slot_index(slot, shape.interval_minutes)
    # Daily, monthly and yearly slots are already the Beijing start of their period.
    return slot.astimezone(BEIJING).date(), 0


def to_int(mask: str) -> int:
    return int(mask or "0", 16)


def to_hex(bits: int) -> str:
    return format(bits, "x")


class Bits:
    """Incoming bits for one (item, day), by arrival class."""

    __slots__ = ("backfilled", "clear", "late", "on_time", "suspect")

    def __init__(self):
        self.on_time = self.backfilled = self.late = self.suspect = self.clear = 0

    def add(self, bit: int, arrival: int, valid: bool, replaces: bool = False) -> None:
        """Set the slot's bit; ``replaces``: a correction, whose old bits are cleared first."""
        flag = 1 << bit
        if replaces:
            self.clear |= flag
        if arrival == ArrivalClass.ON_TIME:
            self.on_time |= flag
        elif arrival == ArrivalClass.BACKFILLED:
            self.backfilled |= flag
        else:
            self.late |= flag
        if not valid:
            self.suspect |= flag


def collect(
    readings: Iterable[tuple[int, datetime, int, bool, bool]], shapes: dict[int, ItemShape]
) -> dict[tuple[int, date], Bits]:
    """Group (item_id, slot, arrival, valid, replaces) tuples into bits per (item, day)."""
    touched: dict[tuple[int, date], Bits] = {}
    # Few distinct (shape, slot) pairs per write: the calendar work is done once per pair.
    positions: dict[tuple[ItemShape, datetime], tuple[date, int]] = {}
    for item_id, slot, arrival, valid, replaces in readings:
        shape = shapes[item_id]
        place = positions.get((shape, slot))
        if place is None:
            place = positions[(shape, slot)] = position(shape, slot)
        day, bit = place
        bits = touched.get((item_id, day))
        if bits is None:
            bits = touched[(item_id, day)] = Bits()
        bits.add(bit, arrival, valid, replaces)
    return touched


def apply(touched: dict[tuple[int, date], Bits], shapes: dict[int, ItemShape]) -> int:
    """Merge the incoming bits into the roll-up rows; returns the number of rows written.

    Rows are created if missing, then locked in (item, day) order, so two workers touching
    overlapping rows queue behind each other instead of deadlocking.
    """
    if not touched:
        return 0
    keys = sorted(touched)
    if connection.vendor == "postgresql":
        return _apply_postgresql(touched, keys, shapes)
    with transaction.atomic(savepoint=False):  # callers hold the write's transaction
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(
                    item_id=item_id,
                    day=day,
                    enterprise_id=shapes[item_id].enterprise_id,
                    expected=expected_per_day(shapes[item_id]),
                )
                for item_id, day in keys
            ],
            ignore_conflicts=True,
        )
        rows = list(
            DailyRollup.objects.select_for_update()
            .filter(item_id__in={k[0] for k in keys}, day__in={k[1] for k in keys})
            .order_by("item_id", "day")
            .only("pk", "item_id", "day", *MASK_FIELDS)
        )
        changed = []
        for row in rows:
            bits = touched.get((row.item_id, row.day))
            if bits is not None and merge(row, bits):
                changed.append(row)
        if changed:
            bulk.bulk_update(DailyRollup, changed, [*MASK_FIELDS, *COUNT_FIELDS, "updated_at"])
    return len(changed)


_TABLE = DailyRollup._meta.db_table


def _apply_postgresql(
    touched: dict[tuple[int, date], Bits], keys: list[tuple[int, date]], shapes
) -> int:
    """The same in three statements over arrays, without model instances.

    Create the missing rows (ON CONFLICT DO NOTHING), lock exactly the touched rows in
    (item, day) order and read their masks, then write the merged ones back with one
    UPDATE .. FROM unnest(). The merge stays in Python (:func:`merged`), shared with the
    ORM path.
    """
    now = timezone.now()
    item_ids = [k[0] for k in keys]
    days = [k[1] for k in keys]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (item_id, day, enterprise_id, expected, on_time, backfilled,"
            " late, suspect, on_time_mask, backfilled_mask, late_mask, suspect_mask, updated_at)"
            " SELECT k.item_id, k.day, k.enterprise_id, k.expected, 0, 0, 0, 0, '0', '0', '0',"
            " '0', %s FROM unnest(%s::bigint[], %s::date[], %s::bigint[], %s::smallint[])"
            " AS k(item_id, day, enterprise_id, expected) ORDER BY k.item_id, k.day"
            " ON CONFLICT (item_id, day) DO NOTHING",
            [
                now,
                item_ids,
                days,
                [shapes[i].enterprise_id for i in item_ids],
                [expected_per_day(shapes[i]) for i in item_ids],
            ],
        )
        cursor.execute(
            f"SELECT r.id, r.item_id, r.day, r.on_time_mask, r.backfilled_mask, r.late_mask,"
            f" r.suspect_mask FROM {_TABLE} r"
            " JOIN unnest(%s::bigint[], %s::date[]) AS k(item_id, day)"
            " ON r.item_id = k.item_id AND r.day = k.day"
            " ORDER BY r.item_id, r.day FOR UPDATE OF r",
            [item_ids, days],
        )
        columns: list[list] = [[] for _ in range(9)]
        for pk, item_id, day, *masks in cursor.fetchall():
            outcome = merged(masks, touched[(item_id, day)])
            if outcome is None:
                continue
            columns[0].append(pk)
            for n, value in enumerate(outcome, start=1):
                columns[n].append(value)
        if columns[0]:
            cursor.execute(
                f"UPDATE {_TABLE} AS t SET on_time_mask = v.m0, backfilled_mask = v.m1,"
                " late_mask = v.m2, suspect_mask = v.m3, on_time = v.c0, backfilled = v.c1,"
                " late = v.c2, suspect = v.c3, updated_at = %s"
                " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],"
                " %s::int[], %s::int[], %s::int[], %s::int[])"
                " AS v(id, m0, m1, m2, m3, c0, c1, c2, c3) WHERE t.id = v.id",
                [now, *columns],
            )
    return len(columns[0])


def merged(masks, bits: Bits) -> tuple | None:
    """The four masks without the corrected slots' old bits (``bits.clear``), OR-ed with
    ``bits``, and their counts; None when nothing changes."""
    keep = ~bits.clear
    on_time = (to_int(masks[0]) & keep) | bits.on_time
    backfilled = ((to_int(masks[1]) & keep) | bits.backfilled) & ~on_time
    late = ((to_int(masks[2]) & keep) | bits.late) & ~(on_time | backfilled)
    suspect = (to_int(masks[3]) & keep) | bits.suspect
    new = (to_hex(on_time), to_hex(backfilled), to_hex(late), to_hex(suspect))
    if new == tuple(masks):
        return None
    counts = (on_time.bit_count(), backfilled.bit_count(), late.bit_count(), suspect.bit_count())
    return (*new, *counts)


def merge(row: DailyRollup, bits: Bits) -> bool:
    """OR ``bits`` into ``row`` and recompute its counts; False when nothing changed."""
    outcome = merged(tuple(getattr(row, name) for name in MASK_FIELDS), bits)
    if outcome is None:
        return False
    for name, value in zip((*MASK_FIELDS, *COUNT_FIELDS), outcome, strict=True):
        setattr(row, name, value)
    row.updated_at = timezone.now()
    return True
