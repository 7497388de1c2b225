"""Ingestion, the worker's side: staged readings become readings and roll-ups (DESIGN §4).

The upload API stores the batch (raw body, and the readings it accepted, checked and
classified: ``staging.stage``) and answers. A Celery task (``ingest_pending``) then claims
many queued batches at once and moves all their staged readings into the readings table
with one SQL statement (:data:`_STAGED_INSERT`), so the cost per upload is a row, not a
task (one worker drains only ~450 tasks/s), and no reading passes through Python on its way
in.

Last write wins, with history (SPEC §9, ADR 0006): new slots are inserted with ``ON
CONFLICT DO NOTHING`` on (slot, item); when some readings of the write met a stored slot,
one more statement (``telemetry.corrections``) replaces the stored reading with a later
received one whose value or valid flag differs (a correction: the old reading is kept as a
``ReadingRevision``, the slot takes the correction's arrival class) and leaves it alone for
an exact repeat or a reading received before it (duplicates, which change nothing).

Two write paths, one behaviour (docs/decisions/0006-telemetry-ingestion.md): the staged
SQL on PostgreSQL, and :func:`_insert_portable` on other databases (the SQLite demo and
test run), which checks, refuses and inserts the same rows with the same wording.
:func:`store_readings` (readings that do not come from a device: the monthly filing) stages
its readings as an upload does and takes the same path.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from . import bulk, claims, corrections, rollups
from .models import BatchStatus, DataItem, DataItemRevision, EndDevice, Reading, UploadBatch
from .protocol import (
    FUTURE_MARK,
    EnvelopeError,
    ItemSpec,
    ParsedReading,
    band_text,
    before_registration_reason,
    future_reason,
    parse_envelope,
    timing_reason,
    validate_records,
)
from .services.connection import record_connected, start_trials
from .staging import clock_skew, item_specs, registered_from, specs_by_id, stage

logger = logging.getLogger(__name__)


@dataclass
class StoreResult:
    stored: int = 0
    duplicates: int = 0
    corrected: int = 0
    # Per batch (None: readings without one), [stored, duplicates, corrected] and the staged
    # readings the write refused (the item changed since they were checked).
    by_batch: dict[int | None, list[int]] = field(default_factory=dict)
    refusals: dict[int | None, list[dict]] = field(default_factory=dict)


@dataclass(slots=True)
class _Source:
    """Staged readings received together: a batch, or readings filed by hand (no batch)."""

    batch_id: int | None
    received_at: datetime
    rows: list[list] | None  # None: the batch's own staged_readings, read where they are
    count: int  # how many staged rows it holds


# --- Readings that do not come from a device -------------------------------------------------


def store_readings(enterprise, parsed_readings: Sequence[ParsedReading], received_at, batch=None):
    """Store readings of one enterprise received at ``received_at``; returns StoreResult.

    They are staged as an upload's are and written by the same path: a reading of a stored
    slot received later with another value or valid flag corrects it (history kept); exact
    repeats, and repeats of a slot within ``parsed_readings`` (the first stands), change
    nothing and count as duplicates.
    """
    unique: dict[tuple[datetime, int], ParsedReading] = {}
    for reading in parsed_readings:
        unique.setdefault((reading.slot, reading.item_id), reading)
    readings = list(unique.values())
    rows = stage(readings, specs_by_id(r.item_id for r in readings), received_at)
    batch_id = batch.pk if batch is not None else None
    with transaction.atomic():
        result = _write([_Source(batch_id, received_at, rows, len(rows))])
    repeats = len(parsed_readings) - len(readings)
    result.duplicates += repeats
    result.by_batch[batch_id][1] += repeats
    return result


# --- Batches -------------------------------------------------------------------------------


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
        # Batches without staged readings (written before they existed, or by the demo) are
        # parsed and checked here, against the item tables as they are now.
        unstaged = [b for b in batches if not b.staged]
        parsed = _parse_unstaged(unstaged) if unstaged else {}
        sources = []
        for batch in batches:
            rows = parsed[batch.pk][0] if batch.pk in parsed else None
            count = batch.accepted_count if rows is None else len(rows)
            sources.append(_Source(batch.pk, batch.received_at, rows, count))
        result = _write(sources)
        for pk, (_rows, late) in parsed.items():
            if late:
                result.refusals[pk] = [*late, *result.refusals.get(pk, [])]
        _finish(batches, result)
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
        readings, rejections = validate_records(
            envelope, table, received_at=batch.received_at, skew=clock_skew()
        )
        known = {r.get("index") for r in batch.rejections}
        # An item changed or retired between the upload and now.
        late = [r.to_dict() for r in rejections if r.index not in known]
        parsed[batch.pk] = (stage(readings, table, batch.received_at, batch.device_id), late)
    return parsed


def _write(sources: list[_Source]) -> StoreResult:
    """Store the staged readings of ``sources``: insert new slots, correct stored ones,
    update roll-ups, start trials (in a transaction)."""
    postgresql = connection.vendor == "postgresql"
    checked = None
    if postgresql:
        rows = _insert_staged(sources)
    else:
        checked = _check_portable(sources)
        rows = _insert_portable(sources, checked)
    received = {s.batch_id: s.received_at for s in sources}
    # Per source: [stored, refused, corrected]; the rest of its readings are duplicates.
    counts: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    refusals: dict[int | None, list[dict]] = {}
    shapes: dict[int, rollups.ItemShape] = {}
    # Per (item, slot epoch): the slot's arrival class, validity, and whether it replaces
    # a stored reading (its old roll-up bits are cleared).
    slots: dict[tuple[int, int], tuple[int, bool, bool]] = {}
    first_at: dict[int, datetime] = {}  # per enterprise, its earliest valid upload here
    registered = functools.cache(lambda item_id: specs_by_id([item_id])[item_id].registered_from)

    def take(batch_id, item_id, epoch, arrival, valid, enterprise_id, stat_type, interval):
        if item_id not in shapes:
            shapes[item_id] = rollups.ItemShape(enterprise_id, stat_type, interval)
        # Only readings an end device uploaded (they carry their batch) start a trial.
        if valid and batch_id is not None:
            at = received[batch_id]
            if enterprise_id not in first_at or at < first_at[enterprise_id]:
                first_at[enterprise_id] = at

    for ok, batch_id, item_id, *rest in rows:
        if ok:
            epoch, arrival, valid = rest[:3]
            take(batch_id, item_id, *rest[:6])
            slots[(item_id, epoch)] = (arrival, valid, False)
            counts[batch_id][0] += 1
        else:
            counts[batch_id][1] += 1
            refusal = _late_refusal(item_id, rest, received[batch_id], registered)
            refusals.setdefault(batch_id, []).append(refusal)
    settled = sum(c[0] + c[1] for c in counts.values())
    if settled < sum(s.count for s in sources):
        # Some readings met a stored slot (or one stored by an earlier source just now).
        if postgresql:
            fixes = corrections.correct_staged(CHECKED, _staged_params(sources))
        else:
            fixes = corrections.correct_portable(checked[0])
        for batch_id, item_id, epoch, arrival, valid, *facts in fixes:
            take(batch_id, item_id, epoch, arrival, valid, *facts)
            # The last correction of a slot is what it holds. A slot stored before this
            # write has its old bits cleared; one inserted by it had none.
            prior = slots.get((item_id, epoch))
            slots[(item_id, epoch)] = (arrival, valid, True if prior is None else prior[2])
            counts[batch_id][2] += 1
    readings = []
    when: dict[int, datetime] = {}
    for (item_id, epoch), (arrival, valid, replaces) in slots.items():
        slot = when.get(epoch)
        if slot is None:
            slot = when[epoch] = datetime.fromtimestamp(epoch, UTC)
        readings.append((item_id, slot, arrival, valid, replaces))
    rollups.apply(rollups.collect(readings, shapes), shapes)
    start_trials(first_at)
    record_connected(first_at)

    result = StoreResult(refusals=refusals)
    for source in sources:
        stored, refused, corrected = counts[source.batch_id]
        duplicates = source.count - stored - refused - corrected
        result.by_batch[source.batch_id] = [stored, duplicates, corrected]
        result.stored += stored
        result.duplicates += duplicates
        result.corrected += corrected
    return result


# The staged readings of many batches become readings in one statement, without a round
# trip per row through Python: unpacked from the batches' JSON (or from rows staged just
# now, passed as parameters: batches stored without staged readings, readings filed by
# hand), checked against the items as they are now, inserted in key order (concurrent
# writers lock in the same order; of two arrivals of one key the earlier batch is
# inserted, and ``telemetry.corrections`` settles the later one) with ON CONFLICT DO
# NOTHING. The result is the stored rows (with the shape of their item, for the roll-ups)
# and the rows the check refused. ``_insert_portable`` does the same on other databases,
# with the same result rows.
#
# The check: the item still exists and is active, has the statType and interval the
# reading was checked against at upload, and the value is inside its current band. An
# upload may have been checked against a copy of the item table up to
# TELEMETRY_ITEM_CACHE_SECONDS old; this is where such a reading is refused.
CHECKED = f"""
WITH source AS (
    SELECT b.id, b.received_at, b.staged_readings AS rows
    FROM {UploadBatch._meta.db_table} b WHERE b.id = ANY(%(ids)s)
    UNION ALL
    SELECT * FROM unnest(
        %(parsed_ids)s::bigint[], %(parsed_received)s::timestamptz[], %(parsed_rows)s::jsonb[]
    )
), staged AS (
    SELECT s.id AS batch_id, s.received_at, (r->>0)::int AS idx, (r->>1)::bigint AS item_id,
           to_timestamp((r->>2)::bigint) AS slot, (r->>3)::numeric AS value,
           (r->>4)::boolean AS valid, (r->>5)::smallint AS arrival,
           (r->>6)::smallint AS stat_type, (r->>7)::smallint AS interval_minutes
    FROM source s CROSS JOIN LATERAL jsonb_array_elements(s.rows) AS e(r)
), timed AS (
    -- The end of each reading's period, in Beijing wall time (a month is a calendar month).
    SELECT s.*, CASE WHEN s.stat_type = 0
                     THEN s.slot + make_interval(mins => s.interval_minutes::int)
                     ELSE ((s.slot AT TIME ZONE 'Asia/Shanghai') + CASE s.stat_type
                           WHEN 1 THEN interval '1 day' WHEN 2 THEN interval '1 month'
                           ELSE interval '1 year' END) AT TIME ZONE 'Asia/Shanghai'
                END AS slot_end
    FROM staged s
), facts AS (
    SELECT s.*, d.id AS known_item, d.enterprise_id, d.is_active,
           d.stat_type AS item_stat_type, d.interval_minutes AS item_interval,
           d.value_min, d.value_max,
           -- protocol.timing_reason: a future period, or one ended before registration.
           s.slot > s.received_at + (s.slot_end - s.slot) + %(skew)s AS future,
           coalesce(s.slot_end <= coalesce(
               (SELECT min(r.valid_from) FROM {DataItemRevision._meta.db_table} r
                WHERE r.item_id = d.id)::timestamp AT TIME ZONE 'Asia/Shanghai',
               date_trunc('day', d.created_at AT TIME ZONE 'Asia/Shanghai')
                   AT TIME ZONE 'Asia/Shanghai'
           ), false) AS early
    FROM timed s LEFT JOIN {DataItem._meta.db_table} d ON d.id = s.item_id
), checked AS (
    SELECT f.*, f.known_item IS NOT NULL AND f.is_active AND f.item_stat_type = f.stat_type
               AND f.item_interval = f.interval_minutes
               AND (f.value_min IS NULL OR f.value >= f.value_min)
               AND (f.value_max IS NULL OR f.value <= f.value_max)
               AND NOT f.future AND NOT f.early AS ok
    FROM facts f
)"""

_STAGED_INSERT = (
    CHECKED
    + """, stored AS (
    INSERT INTO {reading} (slot, item_id, value, valid, arrival, received_at, batch_id)
    SELECT slot, item_id, value, valid, arrival, received_at, batch_id FROM checked WHERE ok
    ORDER BY slot, item_id, received_at, batch_id
    ON CONFLICT DO NOTHING
    RETURNING item_id, slot, arrival, valid, batch_id
)
SELECT true, s.batch_id, s.item_id, extract(epoch FROM s.slot)::bigint, s.arrival, s.valid,
       c.enterprise_id, c.stat_type, c.interval_minutes, NULL, NULL, NULL, NULL, NULL, NULL
FROM stored s
-- Readings filed by hand have no batch (NULL): coalesce keeps the join a hash join.
JOIN checked c ON coalesce(c.batch_id, 0) = coalesce(s.batch_id, 0)
    AND c.item_id = s.item_id AND c.slot = s.slot
UNION ALL
SELECT false, batch_id, item_id, idx, stat_type, is_active, enterprise_id, item_stat_type,
       item_interval, value, value_min, value_max, extract(epoch FROM slot)::bigint,
       future, early
FROM checked WHERE NOT ok
""".replace("{reading}", Reading._meta.db_table)
)


def _staged_params(sources: list[_Source]) -> dict:
    from psycopg.types.json import Jsonb

    parsed = [s for s in sources if s.rows is not None]
    return {
        "ids": [s.batch_id for s in sources if s.rows is None],
        "parsed_ids": [s.batch_id for s in parsed],
        "parsed_received": [s.received_at for s in parsed],
        "parsed_rows": [Jsonb(s.rows) for s in parsed],
        "skew": clock_skew(),
    }


def _insert_staged(sources: list[_Source]) -> list[tuple]:
    """PostgreSQL: :data:`_STAGED_INSERT` over ``sources``; its result rows."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGED_INSERT, _staged_params(sources))
        return cursor.fetchall()


def _check_portable(sources: list[_Source]) -> tuple[list[tuple], list[tuple]]:
    """Other databases: the check of :data:`CHECKED`, in Python.

    The readings that pass, as ``(source, item_id, epoch, value, valid, arrival,
    enterprise_id, statType, interval)``, and the result rows of those refused, with the
    refusal facts for ``_late_refusal``.
    """
    in_db = dict(
        UploadBatch.objects.filter(
            pk__in=[s.batch_id for s in sources if s.rows is None]
        ).values_list("pk", "staged_readings")
    )
    staged = [
        (source, row)
        for source in sources
        for row in (source.rows if source.rows is not None else in_db.get(source.batch_id) or [])
    ]
    first_revision = (
        DataItemRevision.objects.filter(item=OuterRef("pk"))
        .order_by("valid_from")
        .values("valid_from")[:1]
    )
    item_rows = (
        DataItem.objects.filter(pk__in={row[1] for _source, row in staged})
        .annotate(first_revision=Subquery(first_revision))
        .values_list(
            "pk",
            "enterprise_id",
            "is_active",
            "stat_type",
            "interval_minutes",
            "value_min",
            "value_max",
            "created_at",
            "first_revision",
        )
    )
    items = {pk: facts for pk, *facts in item_rows}
    skew = clock_skew()
    passed: list[tuple] = []
    refused: list[tuple] = []
    for source, (index, item_id, epoch, value, valid, arrival, stat_type, interval) in staged:
        value = Decimal(value)
        enterprise_id, is_active, item_stat_type, item_interval, low, high, *dates = items.get(
            item_id, (None,) * 8
        )
        timing = None
        if enterprise_id is not None:
            spec = ItemSpec(item_id, stat_type, interval, low, high, registered_from(*dates))
            slot = datetime.fromtimestamp(epoch, UTC)
            timing = timing_reason(spec, stat_type, slot, source.received_at, skew)
        if (
            is_active
            and item_stat_type == stat_type
            and item_interval == interval
            and (low is None or value >= low)
            and (high is None or value <= high)
            and timing is None
        ):
            passed.append(
                (source, item_id, epoch, value, valid, arrival, enterprise_id, stat_type, interval)
            )
        else:
            facts = (index, stat_type, is_active, enterprise_id, item_stat_type, item_interval)
            future = timing is not None and timing.startswith(FUTURE_MARK)
            early = timing is not None and not future
            refused.append(
                (False, source.batch_id, item_id, *facts, value, low, high, epoch, future, early)
            )
    return passed, refused


def _insert_portable(sources: list[_Source], checked=None) -> list[tuple]:
    """Other databases: what :data:`_STAGED_INSERT` does, in Python, with its result rows.

    The same check against the items as they are now (:func:`_check_portable`), the same
    first-arrival insert (key order, the earlier batch first).
    """
    passed, refused = checked or _check_portable(sources)
    accepted: dict[tuple[int, int], tuple] = {}  # (slot epoch, item) -> first arrival
    # Key order, and of two arrivals of one key the earlier (then the lower batch id) wins.
    for candidate in sorted(
        passed, key=lambda c: (c[2], c[1], c[0].received_at, c[0].batch_id or 0)
    ):
        accepted.setdefault((candidate[2], candidate[1]), candidate)
    slots = {epoch: datetime.fromtimestamp(epoch, UTC) for epoch, _item in accepted}
    existing = set(
        Reading.objects.filter(
            item_id__in={item_id for _epoch, item_id in accepted}, slot__in=list(slots.values())
        ).values_list("slot", "item_id")
    )
    new = {k: v for k, v in accepted.items() if (slots[k[0]], k[1]) not in existing}
    Reading.objects.bulk_create(
        [
            Reading(
                slot=slots[epoch],
                item_id=item_id,
                value=value,
                valid=valid,
                arrival=arrival,
                received_at=source.received_at,
                batch_id=source.batch_id,
            )
            for (epoch, item_id), (source, _i, _e, value, valid, arrival, *_rest) in new.items()
        ],
        ignore_conflicts=True,
    )
    result = list(refused)
    for (epoch, item_id), (source, _i, _e, _v, valid, arrival, *facts) in new.items():
        enterprise_id, stat_type, interval = facts
        row = (epoch, arrival, valid, enterprise_id, stat_type, interval, *(None,) * 6)
        result.append((True, source.batch_id, item_id, *row))
    return result


def _late_refusal(item_id: int, facts: list, received_at: datetime, registered) -> dict:
    """Why a staged reading is refused now (see ``_STAGED_INSERT``), as a rejection.

    ``registered(item_id)``: the item's registration day start, for the wording.
    """
    index, stat_type, is_active, _enterprise, item_stat_type, item_interval = facts[:6]
    value, value_min, value_max, epoch, future, early = facts[6:12]
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
    elif future or early:
        field = "statDate"
        slot = datetime.fromtimestamp(epoch, UTC)
        if future:
            reason = future_reason(slot, received_at, clock_skew())
        else:
            reason = before_registration_reason(slot, registered(item_id))
    else:
        reason = f"该采集项在上传后改为 {item_interval} 分钟间隔，本条读数不再适用"
    return {"index": index, "field": field, "reason": reason}


def _finish(batches, result: StoreResult) -> None:
    """Mark the batches stored with their counts, and when their devices were last seen."""
    now = timezone.now()
    for batch in batches:
        stored, duplicates, corrected = result.by_batch.get(batch.pk, (0, 0, 0))
        batch.status = BatchStatus.STORED
        batch.stored_count = stored
        batch.duplicate_count = duplicates
        batch.corrected_count = corrected
        batch.stored_at = now
        batch.staged_readings = None
        if batch.pk in result.refusals:
            batch.rejections = [*batch.rejections, *result.refusals[batch.pk]]
    bulk.bulk_update(
        UploadBatch,
        batches,
        [
            "status",
            "stored_count",
            "duplicate_count",
            "corrected_count",
            "stored_at",
            "rejections",
            "staged_readings",
        ],
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
    """Claim and ingest queued batches until none is left (at most ``max_rounds`` claims).

    The claims are leases (``telemetry.claims``) that a heartbeat renews while this runs.
    """
    batches = stored = duplicates = corrected = 0
    limit = claims.claim_size()
    with claims.Heartbeat() as heartbeat:
        for _round in range(max_rounds):
            held = claims.claim(limit)
            if not held.ids:
                break
            heartbeat.hold(held)
            result = ingest_batches(held.ids)
            heartbeat.hold(None)
            batches += len(held.ids)
            stored += result.stored
            duplicates += result.duplicates
            corrected += result.corrected
            if len(held.ids) < limit:
                # Everything queued when the claim looked was taken; a batch committed since
                # has queued a drain of its own (schedule_ingestion), so no need to look again.
                break
    return {"batches": batches, "stored": stored, "duplicates": duplicates, "corrected": corrected}
