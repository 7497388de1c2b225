"""Ingestion: arrival classes, roll-up bitmaps, duplicates, claims and the first reading."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telemetry import rollups
from telemetry.claims import claim_batches, lease
from telemetry.ingest import (
    ingest_batches,
    ingest_pending,
    store_readings,
)
from telemetry.models import (
    ArrivalClass,
    BatchStatus,
    ConnectionState,
    DailyRollup,
    EndDevice,
    Reading,
    UploadBatch,
)
from telemetry.protocol import ParsedReading, canonical_body
from telemetry.services.connection import trial_start_for
from telemetry.timeslots import BEIJING, StatType

from .factories import (
    DataItemFactory,
    connection_for,
    device_with_certificate,
    envelope,
    record,
)

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def reading(item, slot: datetime, value="1", valid=True, index=0) -> ParsedReading:
    return ParsedReading(index, item.pk, slot, Decimal(value), valid, None, None, False)


def rollup(item, day: str) -> DailyRollup:
    return DailyRollup.objects.get(item=item, day=day)


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise)


def test_arrivals_are_on_time_backfilled_or_late_by_the_next_cycle_rule(enterprise, item):
    # Slot 10:00-10:15: on time until 10:30, backfilled until the next slot's deadline 10:45.
    store_readings(enterprise, [reading(item, at("2026-03-02 10:00"))], at("2026-03-02 10:29"))
    store_readings(enterprise, [reading(item, at("2026-03-02 10:15"))], at("2026-03-02 10:59"))
    store_readings(enterprise, [reading(item, at("2026-03-02 10:30"))], at("2026-03-02 11:16"))
    arrivals = dict(Reading.objects.filter(item=item).values_list("slot", "arrival"))
    assert arrivals == {
        at("2026-03-02 10:00"): ArrivalClass.ON_TIME,
        at("2026-03-02 10:15"): ArrivalClass.BACKFILLED,
        at("2026-03-02 10:30"): ArrivalClass.LATE,
    }
    row = rollup(item, "2026-03-02")
    assert (row.expected, row.on_time, row.backfilled, row.late) == (96, 1, 1, 1)
    assert rollups.to_int(row.on_time_mask) == 1 << 40
    assert rollups.to_int(row.backfilled_mask) == 1 << 41
    assert rollups.to_int(row.late_mask) == 1 << 42
    assert (row.received, row.missing) == (3, 93)


def test_a_backfill_within_the_next_cycle_counts_and_one_after_it_does_not(enterprise, item):
    # Resent by the device's next cycle (10:30-10:45 upload): a success.
    store_readings(enterprise, [reading(item, at("2026-03-02 10:00"))], at("2026-03-02 10:44"))
    # Resent two cycles later: kept, but late.
    store_readings(enterprise, [reading(item, at("2026-03-02 09:45"))], at("2026-03-02 10:44"))
    row = rollup(item, "2026-03-02")
    assert (row.on_time, row.backfilled, row.late) == (0, 1, 1)


def test_the_backfill_window_follows_the_setting(enterprise, item, settings):
    settings.TELEMETRY_BACKFILL_CYCLES = 2
    store_readings(enterprise, [reading(item, at("2026-03-02 09:45"))], at("2026-03-02 10:44"))
    assert Reading.objects.get(item=item).arrival == ArrivalClass.BACKFILLED


def test_slots_either_side_of_midnight_land_in_their_own_beijing_days(enterprise, item):
    store_readings(
        enterprise,
        [reading(item, at("2026-03-01 23:45")), reading(item, at("2026-03-02 00:00"), index=1)],
        at("2026-03-02 00:10"),
    )
    late_evening = rollup(item, "2026-03-01")
    midnight = rollup(item, "2026-03-02")
    assert rollups.to_int(late_evening.on_time_mask) == 1 << 95
    assert rollups.to_int(midnight.on_time_mask) == 1 << 0
    assert (late_evening.on_time, midnight.on_time) == (1, 1)


def test_an_hourly_item_expects_24_slots(enterprise):
    hourly = DataItemFactory(enterprise=enterprise, interval_minutes=60)
    store_readings(enterprise, [reading(hourly, at("2026-03-02 05:00"))], at("2026-03-02 06:30"))
    row = rollup(hourly, "2026-03-02")
    assert (row.expected, rollups.to_int(row.on_time_mask)) == (24, 1 << 5)


def test_daily_monthly_and_yearly_items_use_bit_zero_of_their_period_start(enterprise):
    daily = DataItemFactory(enterprise=enterprise, stat_type=StatType.DAILY)
    monthly = DataItemFactory(enterprise=enterprise, stat_type=StatType.MONTHLY)
    yearly = DataItemFactory(enterprise=enterprise, stat_type=StatType.YEARLY)
    store_readings(
        enterprise,
        [
            reading(daily, at("2026-03-01 00:00")),
            reading(monthly, at("2026-02-01 00:00"), index=1),
            reading(yearly, at("2025-01-01 00:00"), index=2),
        ],
        at("2026-03-02 08:00"),
    )
    for item, day in ((daily, "2026-03-01"), (monthly, "2026-02-01"), (yearly, "2025-01-01")):
        row = rollup(item, day)
        bits = rollups.to_int(row.on_time_mask) | rollups.to_int(row.backfilled_mask)
        assert (row.expected, row.received, bits) == (1, 1, 1)
    # The year 2025 was due by the end of January 2026; March is inside the next cycle.
    assert rollup(yearly, "2025-01-01").backfilled == 1
    assert rollup(monthly, "2026-02-01").on_time == 1


def test_suspect_readings_are_counted_apart(enterprise, item):
    store_readings(
        enterprise, [reading(item, at("2026-03-02 10:00"), valid=False)], at("2026-03-02 10:20")
    )
    row = rollup(item, "2026-03-02")
    assert (row.on_time, row.suspect) == (1, 1)


def test_a_repeated_reading_changes_nothing(enterprise, item):
    first = store_readings(
        enterprise, [reading(item, at("2026-03-02 10:00"), "5")], at("2026-03-02 10:20")
    )
    before = rollup(item, "2026-03-02")
    again = store_readings(
        enterprise, [reading(item, at("2026-03-02 10:00"), "5.0")], at("2026-03-02 11:50")
    )
    assert (first.stored, first.duplicates) == (1, 0)
    assert (again.stored, again.duplicates) == (0, 1)
    stored = Reading.objects.get(item=item)
    assert (stored.value, stored.arrival) == (Decimal("5"), ArrivalClass.ON_TIME)
    after = rollup(item, "2026-03-02")
    assert (after.on_time_mask, after.late_mask, after.on_time, after.late) == (
        before.on_time_mask,
        before.late_mask,
        1,
        0,
    )


def test_a_slot_counts_once_in_its_best_class():
    row = DailyRollup(on_time_mask="0", backfilled_mask="4", late_mask="6", suspect_mask="0")
    bits = rollups.Bits()
    bits.add(2, ArrivalClass.ON_TIME, True)
    assert rollups.merge(row, bits)
    assert (row.on_time_mask, row.backfilled_mask, row.late_mask) == ("4", "0", "2")
    assert (row.on_time, row.backfilled, row.late) == (1, 0, 1)
    assert not rollups.merge(row, bits)  # OR-ing the same bits again changes nothing


# --- Batches -------------------------------------------------------------------------------


def queued_batch(kit, items, slot, received_at, **fields):
    body = canonical_body(envelope(kit, [record(i, "2", slot) for i in items]))
    return UploadBatch.objects.create(
        enterprise=kit.device.enterprise,
        device=kit.device,
        message_id=fields.pop("message_id", None) or str(hash((slot, received_at, len(items)))),
        body_sha256="0" * 64,
        raw_body=body,
        cert_serial=kit.serial_hex,
        sent_at=received_at,
        received_at=received_at,
        record_count=len(items),
        accepted_count=len(items),
        **fields,
    )


def test_ingest_marks_batches_stored_and_devices_seen(enterprise, item):
    kit = device_with_certificate(enterprise)
    batch = queued_batch(kit, [item], at("2026-03-02 10:00"), at("2026-03-02 10:16"))
    summary = ingest_pending()
    assert summary == {"batches": 1, "stored": 1, "duplicates": 0, "corrected": 0}
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count, batch.duplicate_count) == (BatchStatus.STORED, 1, 0)
    assert batch.stored_at is not None
    assert EndDevice.objects.get(pk=kit.device.pk).last_seen_at == at("2026-03-02 10:16")
    assert ingest_pending() == {"batches": 0, "stored": 0, "duplicates": 0, "corrected": 0}


def test_a_drain_claims_until_a_claim_comes_back_short(enterprise, item, settings, monkeypatch):
    from telemetry import claims

    settings.TELEMETRY_INGEST_CLAIM_BATCHES = 2
    kit = device_with_certificate(enterprise)
    for n in range(5):
        slot = at("2026-03-02 10:00") + timedelta(minutes=15 * n)
        queued_batch(kit, [item], slot, slot + timedelta(minutes=16))
    taken, real_claim = [], claims.claim

    def counted_claim(limit=None, now=None):
        taken.append(real_claim(limit, now))
        return taken[-1]

    monkeypatch.setattr(claims, "claim", counted_claim)
    assert ingest_pending() == {"batches": 5, "stored": 5, "duplicates": 0, "corrected": 0}
    # Claims of 2, 2 and 1: the short third claim ends the drain without a fourth look.
    assert [len(held.ids) for held in taken] == [2, 2, 1]


@pytest.mark.postgresql(reason="counts the SKIP LOCKED claims of PostgreSQL")
def test_on_postgresql_claims_skip_locked_batches(enterprise, item, settings):
    settings.TELEMETRY_INGEST_CLAIM_BATCHES = 2
    kit = device_with_certificate(enterprise)
    for n in range(3):
        slot = at("2026-03-02 10:00") + timedelta(minutes=15 * n)
        queued_batch(kit, [item], slot, slot + timedelta(minutes=16))
    with CaptureQueriesContext(connection) as captured:
        assert ingest_pending() == {"batches": 3, "stored": 3, "duplicates": 0, "corrected": 0}
    claims = [q for q in captured if "SKIP LOCKED" in q["sql"]]
    assert len(claims) == 2


def test_one_ingest_writes_many_batches_in_the_same_number_of_statements(enterprise):
    kit = device_with_certificate(enterprise)
    items = [DataItemFactory(enterprise=enterprise) for _ in range(5)]

    def queries_for(count, start):
        ids = [
            queued_batch(
                kit,
                items,
                start + timedelta(minutes=15 * n),
                start + timedelta(minutes=15 * n + 16),
            ).pk
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            result = ingest_batches(ids)
        assert result.stored == 5 * count
        return len(captured)

    assert queries_for(2, at("2026-03-02 00:00")) == queries_for(12, at("2026-03-02 06:00"))
    assert Reading.objects.count() == 70


def test_claims_do_not_overlap_and_stale_claims_are_taken_over(enterprise, item):
    kit = device_with_certificate(enterprise)
    slots = [at("2026-03-02 10:00") + timedelta(minutes=15 * n) for n in range(3)]
    batches = [queued_batch(kit, [item], s, s + timedelta(minutes=16)) for s in slots]
    first = claim_batches(limit=2)
    second = claim_batches(limit=2)
    assert len(first) == 2 and len(second) == 1
    assert not set(first) & set(second)
    assert claim_batches() == []

    UploadBatch.objects.filter(pk=batches[0].pk).update(claimed_at=at("2026-03-02 00:00") - lease())
    assert claim_batches() == [batches[0].pk]


def test_the_first_valid_reading_starts_the_trial_the_next_beijing_day(enterprise, item):
    conn = connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    kit = device_with_certificate(enterprise)

    def upload(slot, received, valid=True):
        batch = queued_batch(kit, [item], at(slot), at(received))
        store_readings(enterprise, [reading(item, at(slot), valid=valid)], at(received), batch)

    upload("2026-03-02 23:30", "2026-03-02 23:50", valid=False)
    conn.refresh_from_db()
    assert conn.state == ConnectionState.INTEGRATION_TESTING  # a suspect value is not enough
    upload("2026-03-02 23:45", "2026-03-03 00:05")
    conn.refresh_from_db()
    assert conn.state == ConnectionState.TRIAL_RUNNING
    assert conn.first_reading_at == at("2026-03-03 00:05")
    assert str(conn.trial_started_on) == "2026-03-04"
    assert trial_start_for(at("2026-03-02 16:30")).isoformat() == "2026-03-03"


def test_duplicates_are_counted_exactly_against_stored_rows_and_within_a_write(enterprise):
    items = [DataItemFactory(enterprise=enterprise) for _ in range(4)]
    slot = at("2026-03-02 10:00")
    # The same value as the batches carry: exact repeats (test_corrections.py: other values).
    store_readings(enterprise, [reading(items[0], slot, "2"), reading(items[1], slot, "2")], slot)
    kit = device_with_certificate(enterprise)
    received = at("2026-03-02 10:20")
    older = queued_batch(kit, items, slot, received, message_id="older")
    newer = queued_batch(kit, items[2:], slot, received + timedelta(minutes=1), message_id="b")
    result = ingest_batches([older.pk, newer.pk])
    # items 0 and 1 were stored before; 2 and 3 are new from the older batch; the newer
    # batch repeats 2 and 3 in the same write.
    assert (result.stored, result.duplicates) == (2, 4)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.stored_count, older.duplicate_count) == (2, 2)
    assert (newer.stored_count, newer.duplicate_count) == (0, 2)
    assert Reading.objects.filter(batch=older).count() == 2
    assert rollup(items[2], "2026-03-02").on_time == 1


@pytest.mark.postgresql(reason="compares the staged SQL of PostgreSQL with the portable path")
def test_the_portable_path_stores_and_refuses_what_the_staged_sql_does(enterprise):
    from django.db import transaction

    from telemetry import ingest
    from telemetry.models import DataItem
    from telemetry.staging import specs_by_id, stage

    kit = device_with_certificate(enterprise)
    items = [DataItemFactory(enterprise=enterprise, value_min=0, value_max=1000) for _ in range(4)]
    slot, received = at("2026-03-02 10:00"), at("2026-03-02 10:20")
    store_readings(enterprise, [reading(items[0], slot)], received)  # then a duplicate
    specs = specs_by_id(item.pk for item in items)
    staged = [reading(item, slot, "2", index=n) for n, item in enumerate(items)]
    sources = []
    for n in range(2):  # two batches carrying the same keys: the earlier one wins
        batch = queued_batch(kit, items, slot, received + timedelta(minutes=n), message_id=str(n))
        UploadBatch.objects.filter(pk=batch.pk).update(
            staged_readings=stage(staged, specs, batch.received_at)
        )
        sources.append(ingest._Source(batch.pk, batch.received_at, None, len(items)))
    filed = stage([reading(items[1], slot - timedelta(minutes=15))], specs, received)
    sources.append(ingest._Source(None, received, filed, 1))  # readings without a batch
    DataItem.objects.filter(pk=items[2].pk).update(value_max=1)  # "2" is now out of band
    items[3].delete()

    def key(row):
        return (row[0], row[1] or 0, row[2], row[3])

    with transaction.atomic():
        savepoint = transaction.savepoint()
        portable = sorted(ingest._insert_portable(sources), key=key)
        transaction.savepoint_rollback(savepoint)
        in_sql = sorted(ingest._insert_staged(sources), key=key)
    assert portable == in_sql
    assert [(row[0], row[1] == sources[0].batch_id) for row in in_sql if row[0]] == [
        (True, False),  # the filed reading
        (True, True),  # item 1 from the earlier batch
    ]
    assert len([row for row in in_sql if not row[0]]) == 4  # items 2 and 3, in both batches


def test_staged_readings_classify_as_classify_arrival_does_at_each_deadline(settings):
    from telemetry.protocol import ItemSpec
    from telemetry.staging import arrival_windows, stage
    from telemetry.timeslots import Arrival, arrival_deadlines, classify_arrival

    settings.TELEMETRY_BACKFILL_CYCLES = 2
    windows = arrival_windows()
    codes = {Arrival.ON_TIME: 0, Arrival.BACKFILLED: 1, Arrival.LATE: 2}
    cases = [
        (StatType.REALTIME, 15, at("2026-03-02 23:45")),
        (StatType.REALTIME, 60, at("2026-03-02 05:00")),
        (StatType.DAILY, 15, at("2026-02-28 00:00")),
        (StatType.MONTHLY, 15, at("2026-01-01 00:00")),
        (StatType.YEARLY, 15, at("2025-01-01 00:00")),
    ]
    for stat_type, interval, slot in cases:
        spec = ItemSpec(7, stat_type, interval, None, None)
        on_time, backfill = arrival_deadlines(stat_type, slot, interval, windows)
        for received in (
            on_time,
            on_time + timedelta(seconds=1),
            backfill,
            backfill + timedelta(seconds=1),
        ):
            expected = codes[classify_arrival(stat_type, slot, received, interval, windows)]
            got = 0 if received <= on_time else 1 if received <= backfill else 2
            assert got == expected, (stat_type, slot, received)
            [row] = stage([ParsedReading(0, 7, slot, Decimal(1), True, None, None, False)],
                          {"code": spec}, received)  # fmt: skip
            assert row[5] == expected, (stat_type, slot, received)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_a_taken_over_claim_does_not_ingest_a_batch_twice_or_overwrite_its_receipt(
    enterprise, item, monkeypatch
):
    import threading

    from django.db import connections

    from telemetry import ingest

    kit = device_with_certificate(enterprise)
    batch = queued_batch(kit, [item], at("2026-03-02 10:00"), at("2026-03-02 10:16"))
    real_specs = ingest.item_specs
    other = {}

    def second_worker():
        try:
            other["result"] = ingest_batches([batch.pk])
        finally:
            connections.close_all()

    def specs_then_let_a_second_worker_in(enterprise_ids):
        # Worker A has read its batches; worker B, which took the claim over as stale, now
        # ingests the same ids. It must wait for A (or find the batch stored), not race it.
        monkeypatch.setattr(ingest, "item_specs", real_specs)
        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(timeout=2)
        other["thread"] = thread
        return real_specs(enterprise_ids)

    monkeypatch.setattr(ingest, "item_specs", specs_then_let_a_second_worker_in)
    first = ingest_batches([batch.pk])
    other["thread"].join(timeout=10)
    assert not other["thread"].is_alive()
    assert (first.stored, first.duplicates) == (1, 0)
    assert (other["result"].stored, other["result"].duplicates) == (0, 0)
    batch.refresh_from_db()
    assert (batch.stored_count, batch.duplicate_count) == (1, 0)
