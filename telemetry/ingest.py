"""Ingestion: stored upload batches become readings and roll-ups (DESIGN §4).

The upload API stores the batch (raw body, and the readings it accepted, checked and
classified: :func:`stage`) and answers. A Celery task (``ingest_pending``) then claims many
queued batches at once and moves all their staged readings into the readings table with one
SQL statement (:data:`_STAGED_INSERT`), so the cost per upload is a row, not a task (one
worker drains only ~450 tasks/s), and no reading passes through Python on its way in.

Duplicates change nothing: readings are inserted with ``ON CONFLICT DO NOTHING`` on
(slot, item), so the first valid reading of a slot stands. Updating instead would let a
late resend rewrite the value the trial already judged and its arrival class; a
different value for a slot stays on record in the raw body of the batch that carried it,
and the receipt counts it as a duplicate.

:func:`store_readings` writes readings that do not come from a device (the monthly filing
of manual items); the same ``_write`` stores uploads on databases other than PostgreSQL
(the SQLite demo). Both paths insert with the same conflict rule and roll-up update.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.workflow import TransitionRefused, run_transition

from . import bulk, rollups
from .models import (
    ArrivalClass,
    BatchStatus,
    Connection,
    ConnectionState,
    DataItem,
    EndDevice,
    Reading,
    UploadBatch,
)
from .protocol import (
    EnvelopeError,
    ItemSpec,
    ParsedReading,
    band_text,
    parse_envelope,
    validate_records,
)
from .timeslots import BEIJING, Arrival, ArrivalWindows, next_slot, ontime_deadline

logger = logging.getLogger(__name__)

ARRIVAL_CODES = {
    Arrival.ON_TIME: ArrivalClass.ON_TIME,
    Arrival.BACKFILLED: ArrivalClass.BACKFILLED,
    Arrival.LATE: ArrivalClass.LATE,
}

# A claim older than this (a worker killed mid-batch) may be taken over; it is longer than
# the ingestion task's hard time limit.
CLAIM_STALE_AFTER = timedelta(minutes=10)


def claim_size() -> int:
    return settings.TELEMETRY_INGEST_CLAIM_BATCHES


def arrival_windows() -> ArrivalWindows:
    return ArrivalWindows(
        monthly_deadline_day=settings.TELEMETRY_MONTHLY_DEADLINE_DAY,
        backfill_cycles=settings.TELEMETRY_BACKFILL_CYCLES,
    )


@dataclass
class StoreResult:
    stored: int = 0
    duplicates: int = 0
    by_batch: dict[int | None, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Incoming:
    reading: ParsedReading
    received_at: datetime
    batch_id: int | None
    enterprise_id: int


# --- The single write path -----------------------------------------------------------------


def item_specs(enterprise_ids: Iterable[int]) -> dict[int, dict[str, ItemSpec]]:
    """Per enterprise, the ItemSpec table of its active items (one query)."""
    tables: dict[int, dict[str, ItemSpec]] = defaultdict(dict)
    rows = DataItem.objects.filter(enterprise_id__in=list(enterprise_ids), is_active=True)
    for pk, enterprise_id, code, stat_type, interval, low, high in rows.values_list(
        "pk",
        "enterprise_id",
        "data_code",
        "stat_type",
        "interval_minutes",
        "value_min",
        "value_max",
    ):
        tables[enterprise_id][code] = ItemSpec(pk, stat_type, interval, low, high)
    return tables


# --- The upload path's copy of the item tables ----------------------------------------------
#
# The request path checks every record against its enterprise's ItemSpec table; reading it
# is a query of ~1.5 ms per upload, so each process keeps the tables. A table is used only
# while it is current: the device lookup (telemetry.auth) reads the version of the
# enterprise's item table in the same query (the number of items and the latest
# ``updated_at``), so saving, adding or deleting an item is seen by every process at its
# next upload. A change that bypasses ``save()`` (a queryset ``update()``) is seen when the
# copy is TELEMETRY_ITEM_CACHE_SECONDS old (0 turns the cache off); meanwhile the worker
# checks the staged readings again against the items as they are (``_STAGED_INSERT``).

_spec_cache: dict[int, tuple[object, float, dict[str, ItemSpec]]] = {}


def cached_item_specs(enterprise_id: int, version: object) -> dict[str, ItemSpec]:
    """The ItemSpec table of one enterprise at ``version``, from this process's cache."""
    max_age = settings.TELEMETRY_ITEM_CACHE_SECONDS
    if max_age <= 0:
        return item_specs([enterprise_id]).get(enterprise_id, {})
    now = time.monotonic()
    hit = _spec_cache.get(enterprise_id)
    if hit is not None and hit[0] == version and hit[1] > now:
        return hit[2]
    table = item_specs([enterprise_id]).get(enterprise_id, {})
    _spec_cache[enterprise_id] = (version, now + max_age, table)
    return table


# --- The upload's hand-over to the worker ---------------------------------------------------


def stage(
    readings: Sequence[ParsedReading], specs: dict[str, ItemSpec], received_at: datetime
) -> list[list]:
    """The accepted readings of an upload as ``UploadBatch.staged_readings`` rows.

    ``[index, item_id, slot (epoch seconds), value, valid, arrival, statType, interval]``:
    everything the worker needs to insert them in SQL. The arrival class is fixed here
    (it depends only on the slot and the time the batch was received); statType and
    interval are the ones the reading was checked against, so the worker can tell when the
    item has changed since (see ``_STAGED_INSERT``).
    """
    by_id = {spec.item_id: spec for spec in specs.values()}
    windows = arrival_windows()
    # A batch holds few distinct (statType, interval, slot) triples and one receipt time,
    # so the arrival class and the slot's epoch are worked out once per triple.
    per_triple: dict[tuple[int, int, datetime], tuple[int, int]] = {}
    rows = []
    for reading in readings:
        spec = by_id[reading.item_id]
        triple = (spec.stat_type, spec.interval_minutes, reading.slot)
        known = per_triple.get(triple)
        if known is None:
            on_time, backfill = arrival_deadlines(*triple, windows)
            arrival = (
                ArrivalClass.ON_TIME
                if received_at <= on_time
                else ArrivalClass.BACKFILLED
                if received_at <= backfill
                else ArrivalClass.LATE
            )
            known = per_triple[triple] = ((reading.slot - _EPOCH) // _SECOND, int(arrival))
        epoch, arrival = known
        rows.append(
            [
                reading.index,
                reading.item_id,
                epoch,
                str(reading.value),
                reading.valid,
                arrival,
                spec.stat_type,
                spec.interval_minutes,
            ]
        )
    return rows


def store_readings(enterprise, parsed_readings: Sequence[ParsedReading], received_at, batch=None):
    """Store readings of one enterprise received at ``received_at``; returns StoreResult.

    Repeats of a stored (item, slot) change nothing and are counted as duplicates.
    """
    batch_id = batch.pk if batch is not None else None
    incoming = [_Incoming(r, received_at, batch_id, enterprise.pk) for r in parsed_readings]
    return _write(incoming)


def _write(
    incoming: list[_Incoming], shapes: dict[int, rollups.ItemShape] | None = None
) -> StoreResult:
    result = StoreResult()
    if not incoming:
        return result
    if shapes is None:
        shapes = item_shapes({i.reading.item_id for i in incoming})
    # Within one write the first arrival of a slot wins, as it does against stored rows.
    unique: dict[tuple[datetime, int], _Incoming] = {}
    duplicates: list[_Incoming] = []
    for entry in sorted(incoming, key=lambda e: e.received_at):
        key = (entry.reading.slot, entry.reading.item_id)
        if key in unique:
            duplicates.append(entry)
        else:
            unique[key] = entry
    # Insertion in key order: concurrent writers lock rows in the same order, no deadlock.
    keys = sorted(unique)
    classify = _arrival_classifier(shapes)
    arrivals = [classify(unique[key]) for key in keys]

    with transaction.atomic():
        if connection.vendor == "postgresql":
            new_keys = _insert_postgresql(keys, unique, arrivals)
        else:
            new_keys = _insert_orm(keys, unique, arrivals)
        stored_entries: list[tuple[_Incoming, int]] = []
        for key, arrival in zip(keys, arrivals, strict=True):
            if key in new_keys:
                stored_entries.append((unique[key], arrival))
            else:
                duplicates.append(unique[key])
        touched = rollups.collect(
            (
                (e.reading.item_id, e.reading.slot, arrival, e.reading.valid)
                for e, arrival in stored_entries
            ),
            shapes,
        )
        rollups.apply(touched, shapes)
        _start_trials(_first_valid_entries(stored_entries))

    for entry, _arrival in stored_entries:
        result.by_batch.setdefault(entry.batch_id, [0, 0])[0] += 1
    for entry in duplicates:
        result.by_batch.setdefault(entry.batch_id, [0, 0])[1] += 1
    result.stored = len(stored_entries)
    result.duplicates = len(duplicates)
    return result


def item_shapes(item_ids: Iterable[int]) -> dict[int, rollups.ItemShape]:
    return {
        pk: rollups.ItemShape(enterprise_id, stat_type, interval)
        for pk, enterprise_id, stat_type, interval in DataItem.objects.filter(
            pk__in=list(item_ids)
        ).values_list("pk", "enterprise_id", "stat_type", "interval_minutes")
    }


def _arrival_classifier(shapes: dict[int, rollups.ItemShape]):
    """``classify(entry) -> ArrivalClass``, computing each slot's two deadlines only once.

    The readings of a write share few (statType, interval, slot) triples (a batch is
    usually one slot of many items), so the calendar arithmetic runs per triple and each
    reading costs two comparisons.
    """
    windows = arrival_windows()
    deadlines: dict[tuple[int, int, datetime], tuple[datetime, datetime]] = {}

    def classify(entry: _Incoming) -> int:
        reading = entry.reading
        shape = shapes[reading.item_id]
        triple = (shape.stat_type, shape.interval_minutes, reading.slot)
        pair = deadlines.get(triple)
        if pair is None:
            pair = deadlines[triple] = arrival_deadlines(*triple, windows)
        if entry.received_at <= pair[0]:
            return ArrivalClass.ON_TIME
        if entry.received_at <= pair[1]:
            return ArrivalClass.BACKFILLED
        return ArrivalClass.LATE

    return classify


def arrival_deadlines(
    stat_type: int, interval_minutes: int, slot: datetime, windows: ArrivalWindows
) -> tuple[datetime, datetime]:
    """(on-time, backfill) deadlines of a slot, grace included: ``classify_arrival``'s rule."""
    on_time = ontime_deadline(stat_type, slot, interval_minutes, windows) + windows.grace
    later_slot = slot
    for _cycle in range(windows.backfill_cycles):
        later_slot = next_slot(stat_type, later_slot, interval_minutes)
    backfill = ontime_deadline(stat_type, later_slot, interval_minutes, windows) + windows.grace
    return on_time, backfill


# The readings of one write are COPYed (binary) into this per-session temporary table, then
# moved with one INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING: the RETURNING set is
# exactly the new rows, every other key was already stored (a duplicate). Measured on 2
# cores: ~2x the rows/s of an INSERT over unnest() arrays, whose parameters PostgreSQL
# parses slowly, and ~10x Django's bulk_create after a SELECT of the existing keys.
_INCOMING_TABLE = "telemetry_reading_incoming"
_READING_COLUMNS = "slot, item_id, value, valid, arrival, received_at, batch_id"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_READING_TYPES = ["timestamptz", "int8", "numeric", "bool", "int2", "timestamptz", "int8"]


def _insert_postgresql(keys, unique, arrivals) -> set[tuple[datetime, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING_TABLE} "
            f"(LIKE {Reading._meta.db_table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        raw = cursor.cursor
        with raw.copy(
            f"COPY {_INCOMING_TABLE} ({_READING_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_READING_TYPES)
            write_row = copy.write_row
            for key, arrival in zip(keys, arrivals, strict=True):
                entry = unique[key]
                reading = entry.reading
                write_row(
                    (
                        reading.slot,
                        reading.item_id,
                        reading.value,
                        reading.valid,
                        arrival,
                        entry.received_at,
                        entry.batch_id,
                    )
                )
        # DELETE .. RETURNING empties the staging table in the same statement, so a second
        # write in the same transaction starts clean.
        cursor.execute(
            f"WITH incoming AS (DELETE FROM {_INCOMING_TABLE} RETURNING *) "
            f"INSERT INTO {Reading._meta.db_table} ({_READING_COLUMNS}) "
            f"SELECT {_READING_COLUMNS} FROM incoming ORDER BY slot, item_id "
            "ON CONFLICT DO NOTHING "
            "RETURNING (extract(epoch FROM slot) * 1000000)::bigint, item_id"
        )
        # Slots come back as epoch microseconds (integers load much faster than timestamps);
        # a write holds few distinct slots, so mapping them back is a dict lookup per row.
        by_epoch = {(slot - _EPOCH) // _MICROSECOND: slot for slot in {k[0] for k in keys}}
        return {(by_epoch[epoch], item_id) for epoch, item_id in cursor.fetchall()}


def _insert_orm(keys, unique, arrivals) -> set[tuple[datetime, int]]:
    """Other databases (the SQLite demo): look up stored keys, then bulk_create the rest."""
    existing = set(
        Reading.objects.filter(
            item_id__in={k[1] for k in keys}, slot__in={k[0] for k in keys}
        ).values_list("slot", "item_id")
    )
    new_rows = []
    new_keys = set()
    for key, arrival in zip(keys, arrivals, strict=True):
        if key in existing:
            continue
        entry = unique[key]
        reading = entry.reading
        new_rows.append(
            Reading(
                slot=reading.slot,
                item_id=reading.item_id,
                value=reading.value,
                valid=reading.valid,
                arrival=arrival,
                received_at=entry.received_at,
                batch_id=entry.batch_id,
            )
        )
        new_keys.add(key)
    Reading.objects.bulk_create(new_rows, ignore_conflicts=True)
    return new_keys


def trial_start_for(first_reading_at: datetime):
    """The trial's first day: the Beijing day after the first valid reading.

    The day of the first reading is a partial day (integration testing ended during it),
    so it cannot be complete; the 15 consecutive complete days are counted from the next
    midnight.
    """
    return first_reading_at.astimezone(BEIJING).date() + timedelta(days=1)


def _first_valid_entries(stored_entries: list[tuple[_Incoming, int]]) -> dict[int, datetime]:
    """Per enterprise, the earliest receipt of a stored valid reading an end device sent."""
    first_at: dict[int, datetime] = {}
    for entry, _arrival in stored_entries:
        if entry.reading.valid and entry.batch_id is not None:
            known = first_at.get(entry.enterprise_id)
            if known is None or entry.received_at < known:
                first_at[entry.enterprise_id] = entry.received_at
    return first_at


def _start_trials(first_at: dict[int, datetime]) -> None:
    """On an enterprise's first valid reading, integration testing ends and the trial starts.

    Only readings an end device uploaded count (they carry their batch): integration
    testing proves the device's connection, which a hand-filed monthly figure does not.
    """
    if not first_at:
        return
    waiting = Connection.objects.filter(
        enterprise_id__in=list(first_at),
        state__in=[ConnectionState.CREDENTIALS_ISSUED, ConnectionState.INTEGRATION_TESTING],
    )
    for conn in waiting:
        at = first_at[conn.enterprise_id]
        try:
            run_transition(
                conn,
                "record_first_reading",
                None,
                event="first_reading_recorded",
                at=at,
                trial_start=trial_start_for(at),
            )
        except TransitionRefused:
            pass  # another worker moved it on first


# --- Batches -------------------------------------------------------------------------------


def claim_batches(limit: int | None = None, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` queued batches for this worker; returns their ids.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent workers take
    disjoint sets; the conditional UPDATE (and its row count) makes the claim safe on other
    databases too.
    """
    limit = limit or claim_size()
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER)
    queued = UploadBatch.objects.filter(claimable, status=BatchStatus.QUEUED)
    with transaction.atomic():
        candidates = queued.order_by("received_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        claimed = queued.filter(pk__in=ids).update(claimed_at=now)
    if claimed == len(ids):
        return ids
    # Someone else took part of the set between our read and our update (not on PostgreSQL).
    return list(UploadBatch.objects.filter(pk__in=ids, claimed_at=now).values_list("pk", flat=True))


def ingest_batches(batch_ids: Sequence[int]) -> StoreResult:
    """Store the readings of the claimed batches in one write and mark the batches stored."""
    with transaction.atomic():
        # The batches are locked and their status read again inside the write: a claim taken
        # over as stale (a slow worker, not a dead one) then waits for the first worker and
        # finds the batches stored, instead of counting every reading as a duplicate and
        # overwriting the first receipt.
        batches = list(
            UploadBatch.objects.select_for_update()
            .filter(pk__in=batch_ids, status=BatchStatus.QUEUED)
            .order_by("pk")
            .only("pk", "enterprise_id", "device_id", "received_at", "accepted_count", "rejections")
            .annotate(staged=Q(staged_readings__isnull=False))
        )
        if not batches:
            return StoreResult()
        # Batches without staged readings (written before they existed, or by hand) are
        # parsed and checked here, against the item tables as they are now.
        unstaged = [b for b in batches if not b.staged]
        parsed = _parse_unstaged(unstaged) if unstaged else {}
        if connection.vendor == "postgresql":
            result, late_rejections = _store_staged(batches, parsed)
        else:
            result, late_rejections = _store_portable(batches, parsed)
        _finish(batches, result, late_rejections)
        return result


def _parse_unstaged(batches: list[UploadBatch]) -> dict[int, tuple[list[list], list[dict]]]:
    """Per batch: its staged rows and the records refused now that were accepted before."""
    bodies = dict(
        UploadBatch.objects.filter(pk__in=[b.pk for b in batches]).values_list("pk", "raw_body")
    )
    specs = item_specs({b.enterprise_id for b in batches})
    parsed = {}
    for batch in batches:
        table = specs.get(batch.enterprise_id, {})
        try:
            envelope = parse_envelope(bytes(bodies[batch.pk]), max_records=10**9)
        except EnvelopeError as exc:  # cannot happen for a body the API accepted
            parsed[batch.pk] = ([], [exc.to_rejection().to_dict()])
            continue
        readings, rejections = validate_records(envelope, table)
        known = {r.get("index") for r in batch.rejections}
        # An item changed or retired between the upload and now.
        late = [r.to_dict() for r in rejections if r.index not in known]
        parsed[batch.pk] = (stage(readings, table, batch.received_at), late)
    return parsed


# The staged readings of many batches become readings in one statement, without a round
# trip per row through Python: unpacked from the batches' JSON (or from the rows parsed
# just now, passed as parameters), checked against the items as they are now, inserted in
# key order (concurrent writers lock in the same order; of two arrivals of one key the
# earlier batch wins) with ON CONFLICT DO NOTHING. The result is the stored rows (with the
# shape of their item, for the roll-ups; a batch never holds one item and slot twice) and
# the rows the check refused.
#
# The check: the item still exists and is active, has the statType and interval the
# reading was checked against at upload, and the value is inside its current band. An
# upload may have been checked against a copy of the item table up to
# TELEMETRY_ITEM_CACHE_SECONDS old; this is where such a reading is refused.
_STAGED_INSERT = """
WITH staged AS (
    SELECT b.id AS batch_id, b.received_at, (r->>0)::int AS idx, (r->>1)::bigint AS item_id,
           to_timestamp((r->>2)::bigint) AS slot, (r->>3)::numeric AS value,
           (r->>4)::boolean AS valid, (r->>5)::smallint AS arrival,
           (r->>6)::smallint AS stat_type, (r->>7)::smallint AS interval_minutes
    FROM {batch} b
    LEFT JOIN unnest(%(parsed_ids)s::bigint[], %(parsed_rows)s::jsonb[]) AS p(id, rows)
        ON p.id = b.id
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(p.rows, b.staged_readings)) AS e(r)
    WHERE b.id = ANY(%(ids)s)
), checked AS (
    SELECT s.*, d.id IS NOT NULL AND d.is_active AND d.stat_type = s.stat_type
               AND d.interval_minutes = s.interval_minutes
               AND (d.value_min IS NULL OR s.value >= d.value_min)
               AND (d.value_max IS NULL OR s.value <= d.value_max) AS ok,
           d.enterprise_id, d.is_active, d.stat_type AS item_stat_type,
           d.interval_minutes AS item_interval, d.value_min, d.value_max
    FROM staged s LEFT JOIN {item} d ON d.id = s.item_id
), stored AS (
    INSERT INTO {reading} (slot, item_id, value, valid, arrival, received_at, batch_id)
    SELECT slot, item_id, value, valid, arrival, received_at, batch_id FROM checked WHERE ok
    ORDER BY slot, item_id, received_at, batch_id
    ON CONFLICT DO NOTHING
    RETURNING item_id, slot, arrival, valid, batch_id
)
SELECT true, s.batch_id, s.item_id, extract(epoch FROM s.slot)::bigint, s.arrival, s.valid,
       c.enterprise_id, c.stat_type, c.interval_minutes, NULL, NULL, NULL
FROM stored s
JOIN checked c ON c.batch_id = s.batch_id AND c.item_id = s.item_id AND c.slot = s.slot
UNION ALL
SELECT false, batch_id, item_id, idx, stat_type, is_active, enterprise_id, item_stat_type,
       item_interval, value, value_min, value_max
FROM checked WHERE NOT ok
"""


def _store_staged(
    batches: list[UploadBatch], parsed: dict[int, tuple[list[list], list[dict]]]
) -> tuple[StoreResult, dict[int, list[dict]]]:
    """PostgreSQL: the staged readings of ``batches`` into the readings table, in SQL."""
    from psycopg.types.json import Jsonb

    sql = _STAGED_INSERT.format(
        batch=UploadBatch._meta.db_table,
        item=DataItem._meta.db_table,
        reading=Reading._meta.db_table,
    )
    params = {
        "ids": [b.pk for b in batches],
        "parsed_ids": list(parsed),
        "parsed_rows": [Jsonb(rows) for rows, _late in parsed.values()],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    late_rejections = {pk: late for pk, (_rows, late) in parsed.items() if late}
    stored_by_batch: dict[int, int] = defaultdict(int)
    refused_by_batch: dict[int, int] = defaultdict(int)
    shapes: dict[int, rollups.ItemShape] = {}
    slots: dict[int, datetime] = {}
    readings = []
    for ok, batch_id, item_id, *rest in rows:
        if ok:
            epoch, arrival, valid, enterprise_id, stat_type, interval = rest[:6]
            slot = slots.get(epoch)
            if slot is None:
                slot = slots[epoch] = datetime.fromtimestamp(epoch, UTC)
            if item_id not in shapes:
                shapes[item_id] = rollups.ItemShape(enterprise_id, stat_type, interval)
            readings.append((item_id, slot, arrival, valid))
            stored_by_batch[batch_id] += 1
        else:
            refused_by_batch[batch_id] += 1
            late_rejections.setdefault(batch_id, []).append(_late_refusal(item_id, rest))
    rollups.apply(rollups.collect(readings, shapes), shapes)
    _start_trials(_first_valid_uploads(batches, rows))

    result = StoreResult()
    for batch in batches:
        staged = len(parsed[batch.pk][0]) if batch.pk in parsed else batch.accepted_count
        stored = stored_by_batch[batch.pk]
        duplicates = staged - stored - refused_by_batch[batch.pk]
        result.by_batch[batch.pk] = [stored, duplicates]
        result.stored += stored
        result.duplicates += duplicates
    return result, late_rejections


def _late_refusal(item_id: int, facts: list) -> dict:
    """Why a staged reading is refused now (see ``_STAGED_INSERT``), as a rejection."""
    index, stat_type, is_active, _enterprise, item_stat_type, item_interval = facts[:6]
    value, value_min, value_max = facts[6:]
    field = "dataCode"
    if is_active is None:
        reason = f"采集项（id={item_id}）在上传后已被删除"
    elif not is_active:
        reason = "该采集项在上传后已停用"
    elif item_stat_type != stat_type:
        reason = f"该采集项在上传后改为 statType={item_stat_type}，本条读数不再适用"
    elif (value_min is not None and value < value_min) or (
        value_max is not None and value > value_max
    ):
        field = "dataValue"
        band = band_text(value_min, value_max)
        reason = f"数值 {value} 超出该采集项在上传后修改的合理范围 {band}"
    else:
        reason = f"该采集项在上传后改为 {item_interval} 分钟间隔，本条读数不再适用"
    return {"index": index, "field": field, "reason": reason}


def _first_valid_uploads(batches: list[UploadBatch], rows) -> dict[int, datetime]:
    """Per enterprise, when the earliest batch that stored a valid reading was received."""
    received = {b.pk: (b.enterprise_id, b.received_at) for b in batches}
    first_at: dict[int, datetime] = {}
    for batch_id in {row[1] for row in rows if row[0] and row[5]}:
        enterprise_id, at = received[batch_id]
        if enterprise_id not in first_at or at < first_at[enterprise_id]:
            first_at[enterprise_id] = at
    return first_at


def _store_portable(
    batches: list[UploadBatch], parsed: dict[int, tuple[list[list], list[dict]]]
) -> tuple[StoreResult, dict[int, list[dict]]]:
    """Other databases (the SQLite demo): every batch was parsed and checked just now."""
    if len(parsed) < len(batches):
        parsed = {**_parse_unstaged([b for b in batches if b.pk not in parsed]), **parsed}
    incoming = []
    for batch in batches:
        for index, item_id, epoch, value, valid, _arrival, *_shape in parsed[batch.pk][0]:
            slot = datetime.fromtimestamp(epoch, UTC)
            reading = ParsedReading(index, item_id, slot, Decimal(value), valid, None, None, False)
            incoming.append(_Incoming(reading, batch.received_at, batch.pk, batch.enterprise_id))
    late_rejections = {pk: late for pk, (_rows, late) in parsed.items() if late}
    return _write(incoming), late_rejections


def _finish(batches, result: StoreResult, late_rejections: dict[int, list[dict]]) -> None:
    """Mark the batches stored with their counts, and when their devices were last seen."""
    now = timezone.now()
    for batch in batches:
        stored, duplicates = result.by_batch.get(batch.pk, (0, 0))
        batch.status = BatchStatus.STORED
        batch.stored_count = stored
        batch.duplicate_count = duplicates
        batch.stored_at = now
        batch.staged_readings = None
        if batch.pk in late_rejections:
            batch.rejections = [*batch.rejections, *late_rejections[batch.pk]]
    bulk.bulk_update(
        UploadBatch,
        batches,
        ["status", "stored_count", "duplicate_count", "stored_at", "rejections", "staged_readings"],
    )
    last_seen: dict[int, datetime] = {}
    for batch in batches:
        if batch.device_id not in last_seen or batch.received_at > last_seen[batch.device_id]:
            last_seen[batch.device_id] = batch.received_at
    devices = list(EndDevice.objects.filter(pk__in=list(last_seen)).only("pk", "last_seen_at"))
    for device in devices:
        if device.last_seen_at is None or device.last_seen_at < last_seen[device.pk]:
            device.last_seen_at = last_seen[device.pk]
    bulk.bulk_update(EndDevice, devices, ["last_seen_at"])


def ingest_pending(max_rounds: int = 100) -> dict:
    """Claim and ingest queued batches until none is left (at most ``max_rounds`` claims)."""
    batches = stored = duplicates = 0
    limit = claim_size()
    for _round in range(max_rounds):
        ids = claim_batches(limit)
        if not ids:
            break
        result = ingest_batches(ids)
        batches += len(ids)
        stored += result.stored
        duplicates += result.duplicates
        if len(ids) < limit:
            # Everything queued when the claim looked was taken; a batch committed since
            # has queued a drain of its own (schedule_ingestion), so no need to look again.
            break
    return {"batches": batches, "stored": stored, "duplicates": duplicates}
