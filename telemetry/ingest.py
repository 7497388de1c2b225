"""Ingestion: stored upload batches become readings and roll-ups (DESIGN §4).

The upload API only stores the raw batch and answers. A Celery task (``ingest_pending``)
then claims many queued batches at once, parses their bodies again, and writes all their
readings in one bulk statement, so the cost per upload is a row, not a task (one worker
drains only ~450 tasks/s).

Duplicates change nothing: readings are inserted with ``ON CONFLICT DO NOTHING`` on
(slot, item), so the first valid reading of a slot stands. Updating instead would let a
late resend rewrite the value the trial already judged and its arrival class; a
different value for a slot stays on record in the raw body of the batch that carried it,
and the receipt counts it as a duplicate.

:func:`store_readings` is the single write path: the upload worker, the monthly filing of
manual items and the demo seed all go through it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
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
from .protocol import EnvelopeError, ItemSpec, ParsedReading, parse_envelope, validate_records
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
# The request path checks every record against its enterprise's ItemSpec table. Reading it
# is a query per upload, so each process keeps the tables for TELEMETRY_ITEM_CACHE_SECONDS
# (default 30; 0 turns the cache off). Saving or deleting a DataItem, or creating an
# enterprise, drops the table at once in the process that did it (and again on commit);
# other processes see the change when their copy expires, so for at most that long an
# upload may wrongly refuse a brand-new item (the device re-sends it) or accept one just
# retired or changed (the worker checks again against fresh tables and records a late
# rejection). Queryset updates and bulk_create send no signals and wait for the expiry too.

_spec_cache: dict[int, tuple[float, dict[str, ItemSpec]]] = {}
_spec_generation = 0


def cached_item_specs(enterprise_id: int) -> dict[str, ItemSpec]:
    """The ItemSpec table of one enterprise, from this process's short-lived cache."""
    ttl = settings.TELEMETRY_ITEM_CACHE_SECONDS
    if ttl <= 0:
        return item_specs([enterprise_id]).get(enterprise_id, {})
    now = time.monotonic()
    hit = _spec_cache.get(enterprise_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    generation = _spec_generation
    table = item_specs([enterprise_id]).get(enterprise_id, {})
    if generation == _spec_generation:  # not invalidated while we were reading
        _spec_cache[enterprise_id] = (now + ttl, table)
    return table


def forget_item_specs(enterprise_id: int | None = None) -> None:
    """Drop the cached table of one enterprise (all of them when None)."""
    global _spec_generation
    _spec_generation += 1
    if enterprise_id is None:
        _spec_cache.clear()
    else:
        _spec_cache.pop(enterprise_id, None)


def _item_changed(sender, instance, **kwargs) -> None:
    enterprise_id = instance.enterprise_id
    forget_item_specs(enterprise_id)
    transaction.on_commit(lambda: forget_item_specs(enterprise_id))


def _enterprise_changed(sender, instance, created=True, **kwargs) -> None:
    if created:  # a reused primary key (SQLite after a rollback) must not find a stale table
        forget_item_specs(instance.pk)


post_save.connect(_item_changed, sender=DataItem, dispatch_uid="telemetry.item_specs.save")
post_delete.connect(_item_changed, sender=DataItem, dispatch_uid="telemetry.item_specs.delete")
post_save.connect(
    _enterprise_changed, sender="portal.Enterprise", dispatch_uid="telemetry.item_specs.new"
)
post_delete.connect(
    _enterprise_changed, sender="portal.Enterprise", dispatch_uid="telemetry.item_specs.gone"
)


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
        _start_trials(stored_entries)

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


def _start_trials(stored_entries: list[tuple[_Incoming, int]]) -> None:
    """On an enterprise's first valid reading, integration testing ends and the trial starts.

    Only readings an end device uploaded count (they carry their batch): integration
    testing proves the device's connection, which a hand-filed monthly figure does not.
    """
    first_at: dict[int, datetime] = {}
    for entry, _arrival in stored_entries:
        if entry.reading.valid and entry.batch_id is not None:
            known = first_at.get(entry.enterprise_id)
            if known is None or entry.received_at < known:
                first_at[entry.enterprise_id] = entry.received_at
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
    """Parse the claimed batches again and store all their readings in one write."""
    with transaction.atomic():
        # The batches are locked and their status read again inside the write: a claim taken
        # over as stale (a slow worker, not a dead one) then waits for the first worker and
        # finds the batches stored, instead of counting every reading as a duplicate and
        # overwriting the first receipt.
        batches = list(
            UploadBatch.objects.select_for_update()
            .filter(pk__in=batch_ids, status=BatchStatus.QUEUED)
            .order_by("pk")
            .only("pk", "enterprise_id", "device_id", "raw_body", "received_at", "rejections")
        )
        if not batches:
            return StoreResult()
        return _ingest_locked(batches)


def _ingest_locked(batches: list[UploadBatch]) -> StoreResult:
    specs = item_specs({b.enterprise_id for b in batches})
    incoming: list[_Incoming] = []
    late_rejections: dict[int, list[dict]] = {}
    for batch in batches:
        try:
            envelope = parse_envelope(bytes(batch.raw_body), max_records=10**9)
        except EnvelopeError as exc:  # cannot happen for a body the API accepted
            late_rejections[batch.pk] = [exc.to_rejection().to_dict()]
            continue
        readings, rejections = validate_records(envelope, specs.get(batch.enterprise_id, {}))
        known = {r.get("index") for r in batch.rejections}
        extra = [r.to_dict() for r in rejections if r.index not in known]
        if extra:  # an item was changed or retired between the upload and now
            late_rejections[batch.pk] = extra
        incoming.extend(
            _Incoming(r, batch.received_at, batch.pk, batch.enterprise_id) for r in readings
        )

    # The shapes of the items come from the same tables the readings were checked against.
    shapes = {
        spec.item_id: rollups.ItemShape(enterprise_id, spec.stat_type, spec.interval_minutes)
        for enterprise_id, table in specs.items()
        for spec in table.values()
    }
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # inside ingest_batches' transaction
        result = _write(incoming, shapes)
        for batch in batches:
            stored, duplicates = result.by_batch.get(batch.pk, (0, 0))
            batch.status = BatchStatus.STORED
            batch.stored_count = stored
            batch.duplicate_count = duplicates
            batch.stored_at = now
            if batch.pk in late_rejections:
                batch.rejections = [*batch.rejections, *late_rejections[batch.pk]]
        bulk.bulk_update(
            UploadBatch,
            batches,
            ["status", "stored_count", "duplicate_count", "stored_at", "rejections"],
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
    return result


def ingest_pending(max_rounds: int = 100) -> dict:
    """Claim and ingest queued batches until none is left (at most ``max_rounds`` claims)."""
    batches = stored = duplicates = 0
    for _round in range(max_rounds):
        ids = claim_batches()
        if not ids:
            break
        result = ingest_batches(ids)
        batches += len(ids)
        stored += result.stored
        duplicates += result.duplicates
    return {"batches": batches, "stored": stored, "duplicates": duplicates}
