"""Corrections: a later reading for a stored slot replaces it, and the old one is kept.

SPEC §9: "last write wins but keep history". The ingestion (``telemetry.ingest``) first
inserts every new slot with ``ON CONFLICT DO NOTHING`` (one statement, the common case ends
there); the readings of the write that met a stored slot, or a slot stored by an earlier
source of the same write, are then settled here in one more statement:

* the stored rows of those slots are locked in key order and read as they are now (a
  concurrent writer's correction is seen, not a stale snapshot);
* per slot, the stored reading and the incoming ones received **later** (``received_at``,
  then batch id) are put in receipt order; an incoming reading whose value or valid flag
  differs from the one before it is a **correction**, one that repeats it is a duplicate,
  and one received before the stored reading (an older batch ingested late) changes
  nothing and is a duplicate too;
* the row takes the last correction (its value, valid flag, arrival class, receipt time
  and batch), and every correction writes a ``ReadingRevision`` with the reading it
  replaced.

The result rows are the corrections, in key then receipt order, as
``(batch_id, item_id, slot epoch, arrival, valid, enterprise_id, statType, interval)``;
``ingest._write`` moves the slots' bits in the roll-ups and counts them on the receipts.
:func:`correct_portable` does the same on other databases, with the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .models import Reading, ReadingRevision, UploadBatch

# Appended to ``ingest.CHECKED`` (the staged readings of the write, checked against the
# items as they are now): ``cand`` are the rows that passed.
_CORRECT = """, cand AS (
    SELECT batch_id, received_at, item_id, slot, value, valid, arrival, enterprise_id,
           stat_type, interval_minutes
    FROM checked WHERE ok
), current AS (
    SELECT r.slot, r.item_id, r.value, r.valid, r.arrival, r.received_at, r.batch_id
    FROM {reading} r WHERE (r.slot, r.item_id) IN (SELECT slot, item_id FROM cand)
    ORDER BY r.slot, r.item_id
    FOR UPDATE OF r
), known AS (
    -- Every incoming reading's slot is stored by now (inserted just before, or earlier):
    -- the stored reading and the incoming ones, each with the stored one's receipt order.
    SELECT k.*,
           max(k.received_at) FILTER (WHERE NOT k.incoming) OVER p AS stored_at,
           max(coalesce(k.batch_id, 0)) FILTER (WHERE NOT k.incoming) OVER p AS stored_batch
    FROM (
        SELECT r.*, NULL::bigint AS enterprise_id, NULL::smallint AS stat_type,
               NULL::smallint AS interval_minutes, false AS incoming
        FROM current r
        UNION ALL
        SELECT slot, item_id, value, valid, arrival, received_at, batch_id, enterprise_id,
               stat_type, interval_minutes, true
        FROM cand
    ) k
    WINDOW p AS (PARTITION BY k.slot, k.item_id)
), chain AS (
    -- The stored reading, then the incoming ones received after it, in receipt order.
    SELECT k.*, lag(k.value) OVER w AS prev_value, lag(k.valid) OVER w AS prev_valid
    FROM known k
    WHERE NOT k.incoming
       OR (k.received_at, coalesce(k.batch_id, 0)) > (k.stored_at, k.stored_batch)
    WINDOW w AS (PARTITION BY k.slot, k.item_id ORDER BY k.received_at, coalesce(k.batch_id, 0))
), steps AS (
    -- The stored reading and the corrections: each replaces the one before it.
    SELECT s.*,
           lag(s.value) OVER w AS old_value, lag(s.valid) OVER w AS old_valid,
           lag(s.arrival) OVER w AS old_arrival, lag(s.received_at) OVER w AS old_received_at,
           lag(s.batch_id) OVER w AS old_batch_id,
           row_number() OVER (
               PARTITION BY s.slot, s.item_id
               ORDER BY s.received_at DESC, coalesce(s.batch_id, 0) DESC
           ) AS from_end
    FROM chain s
    WHERE NOT s.incoming OR (s.value, s.valid) IS DISTINCT FROM (s.prev_value, s.prev_valid)
    WINDOW w AS (PARTITION BY s.slot, s.item_id ORDER BY s.received_at, coalesce(s.batch_id, 0))
), changes AS (
    SELECT * FROM steps WHERE incoming
), updated AS (
    UPDATE {reading} t SET value = f.value, valid = f.valid, arrival = f.arrival,
           received_at = f.received_at, batch_id = f.batch_id
    FROM changes f WHERE f.from_end = 1 AND t.slot = f.slot AND t.item_id = f.item_id
    RETURNING t.slot
), history AS (
    INSERT INTO {revision} (enterprise_id, item_id, slot, old_value, old_valid, old_arrival,
                            old_received_at, old_batch_id, value, valid, arrival, received_at,
                            batch_id, replaced_at)
    SELECT enterprise_id, item_id, slot, old_value, old_valid, old_arrival, old_received_at,
           old_batch_id, value, valid, arrival, received_at, batch_id, %(now)s
    FROM changes
    ORDER BY slot, item_id, received_at, coalesce(batch_id, 0)
    RETURNING id
)
SELECT batch_id, item_id, extract(epoch FROM slot)::bigint, arrival, valid, enterprise_id,
       stat_type, interval_minutes
FROM changes
ORDER BY slot, item_id, received_at, coalesce(batch_id, 0)
"""


def correct_staged(checked_sql: str, params: dict) -> list[tuple]:
    """PostgreSQL: settle the write's readings that met a stored slot; the corrections."""
    sql = checked_sql + _CORRECT.format(
        reading=Reading._meta.db_table, revision=ReadingRevision._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "now": timezone.now()})
        return cursor.fetchall()


def correct_portable(candidates: list[tuple]) -> list[tuple]:
    """Other databases: what :data:`_CORRECT` does, with the same result rows.

    ``candidates``: the write's readings that passed the check, as ``(source, item_id,
    epoch, value, valid, arrival, enterprise_id, statType, interval)``.
    """
    by_key: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for candidate in candidates:
        by_key[(candidate[2], candidate[1])].append(candidate)
    slots = {epoch: datetime.fromtimestamp(epoch, UTC) for epoch, _item in by_key}
    stored = {
        (row.slot, row.item_id): row
        for row in Reading.objects.select_for_update()
        .filter(item_id__in={item for _epoch, item in by_key}, slot__in=list(slots.values()))
        .order_by("slot", "item_id")
    }
    now = timezone.now()
    result, revisions, updated = [], [], []
    for epoch, item_id in sorted(by_key):
        row = stored.get((slots[epoch], item_id))
        if row is None:  # cannot happen: the insert before this stored every new slot
            continue
        order = (row.received_at, row.batch_id or 0)
        later = sorted(
            (c for c in by_key[(epoch, item_id)] if (c[0].received_at, c[0].batch_id or 0) > order),
            key=lambda c: (c[0].received_at, c[0].batch_id or 0),
        )
        before = (row.value, row.valid)
        last = (row.value, row.valid, row.arrival, row.received_at, row.batch_id)
        for source, _item, _epoch, value, valid, arrival, enterprise_id, stat, interval in later:
            value = Decimal(value)
            if (value, valid) == before:
                continue  # a repeat of the reading before it
            before = (value, valid)
            new = (value, valid, arrival, source.received_at, source.batch_id)
            revisions.append(_revision(enterprise_id, item_id, row.slot, last, new, now))
            result.append(
                (source.batch_id, item_id, epoch, arrival, valid, enterprise_id, stat, interval)
            )
            last = new
        if last[3:] != (row.received_at, row.batch_id):
            row.value, row.valid, row.arrival, row.received_at, row.batch_id = last
            updated.append(row)
    for row in updated:
        Reading.objects.filter(slot=row.slot, item_id=row.item_id).update(
            value=row.value,
            valid=row.valid,
            arrival=row.arrival,
            received_at=row.received_at,
            batch_id=row.batch_id,
        )
    ReadingRevision.objects.bulk_create(revisions)
    return result


def _revision(enterprise_id, item_id, slot, old, new, now) -> ReadingRevision:
    return ReadingRevision(
        enterprise_id=enterprise_id,
        item_id=item_id,
        slot=slot,
        old_value=old[0],
        old_valid=old[1],
        old_arrival=old[2],
        old_received_at=old[3],
        old_batch_id=old[4],
        value=new[0],
        valid=new[1],
        arrival=new[2],
        received_at=new[3],
        batch_id=new[4],
        replaced_at=now,
    )


# --- Where people look at corrections -------------------------------------------------------


def batch_corrections(batch: UploadBatch) -> list[dict]:
    """The readings a batch corrected and what they replaced, as the receipt shows them."""
    from .timeslots import format_wire_time

    revisions = (
        ReadingRevision.objects.filter(batch=batch)
        .select_related("item")
        .only(
            "item__data_code",
            "slot",
            "value",
            "valid",
            "old_value",
            "old_valid",
            "old_arrival",
            "old_received_at",
            "old_batch_id",
            "arrival",
        )
        .order_by("slot", "item__data_code")
    )
    messages = (
        dict(
            UploadBatch.objects.filter(
                pk__in={r.old_batch_id for r in revisions if r.old_batch_id}
            ).values_list("pk", "message_id")
        )
        if revisions
        else {}
    )
    return [
        {
            "dataCode": r.item.data_code,
            "statDate": format_wire_time(r.slot),
            "dataValue": str(r.value),
            "valid": int(r.valid),
            "arrival": str(r.get_arrival_display()),
            "replaced": {
                "dataValue": str(r.old_value),
                "valid": int(r.old_valid),
                "arrival": str(r.get_old_arrival_display()),
                "receivedAt": format_wire_time(r.old_received_at),
                "messageId": messages.get(r.old_batch_id),
            },
        }
        for r in revisions
    ]
