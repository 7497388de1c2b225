"""Issue 14: readings of future periods, or of periods before the item was registered, are
refused per record, with the same reason on the request side and in the worker."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from telemetry import ingest
from telemetry.ingest import ingest_pending, store_readings
from telemetry.models import DailyRollup, Reading, UploadBatch
from telemetry.protocol import FUTURE_MARK, ParsedReading
from telemetry.staging import specs_by_id, stage
from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start

from .factories import (
    DataItemFactory,
    device_with_certificate,
    envelope,
    record,
    registered_since,
    signed_post,
)

pytestmark = pytest.mark.django_db


def now_slot() -> datetime:
    return slot_start(StatType.REALTIME, datetime.now(BEIJING))


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise)


def upload(client, kit, records) -> dict:
    response = signed_post(client, kit, envelope(kit, records))
    assert response.status_code in (200, 202), response.content
    return response.json()


def test_readings_ten_days_ahead_or_in_2099_are_refused_with_the_reason(client, kit, item):
    ten_days = now_slot() + timedelta(days=10)
    far = datetime(2099, 1, 1, tzinfo=BEIJING)
    past = now_slot() - timedelta(minutes=15)
    answer = upload(
        client, kit, [record(item, "1", past), record(item, "2", ten_days), record(item, "3", far)]
    )
    assert answer["accepted"] == 1
    refused = {r["index"]: r for r in answer["rejected"]}
    assert set(refused) == {1, 2}
    for index, slot in ((1, ten_days), (2, far)):
        assert refused[index]["field"] == "statDate"
        assert refused[index]["reason"].startswith(FUTURE_MARK)
        assert format_wire_time(slot) in refused[index]["reason"]
    ingest_pending()
    assert list(Reading.objects.values_list("slot", flat=True)) == [past]
    # The future day's roll-up never counts.
    assert not DailyRollup.objects.filter(item=item, day__gt=date.today()).exists()


def test_the_next_slot_within_the_skew_is_accepted(client, kit, item, settings):
    settings.TELEMETRY_MAX_SKEW_SECONDS = 300
    upcoming = now_slot() + timedelta(minutes=15)  # starts within one slot length of now
    answer = upload(client, kit, [record(item, "1", upcoming)])
    assert (answer["accepted"], answer["rejected"]) == (1, [])
    ingest_pending()
    assert Reading.objects.get().slot == upcoming
    after = now_slot() + timedelta(minutes=45)  # beyond now + 15 min + 5 min
    answer = upload(client, kit, [record(item, "1", after)])
    assert answer["accepted"] == 0
    assert answer["rejected"][0]["reason"].startswith(FUTURE_MARK)


def test_a_daily_item_may_send_today_but_not_the_day_after_tomorrow(client, kit, enterprise):
    daily = DataItemFactory(enterprise=enterprise, stat_type=StatType.DAILY)
    today = slot_start(StatType.DAILY, datetime.now(BEIJING))
    answer = upload(
        client,
        kit,
        [record(daily, "1", today), record(daily, "1", today + timedelta(days=2))],
    )
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1]


def test_readings_before_the_item_was_registered_are_refused(client, kit, item):
    day = datetime.now(BEIJING).date() - timedelta(days=3)
    registered_since(item, day)
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    answer = upload(
        client,
        kit,
        [record(item, "1", start - timedelta(minutes=15)), record(item, "1", start)],
    )
    assert answer["accepted"] == 1
    [refused] = answer["rejected"]
    assert refused["index"] == 0 and refused["field"] == "statDate"
    assert f"登记日期 {day:%Y-%m-%d}" in refused["reason"]


def test_a_month_that_began_before_registration_still_counts(enterprise):
    monthly = DataItemFactory(
        enterprise=enterprise, stat_type=StatType.MONTHLY, value_max=Decimal("1e9")
    )
    registered_since(monthly, date(2026, 3, 15))
    received = datetime(2026, 4, 2, tzinfo=BEIJING)
    reading = ParsedReading(
        0, monthly.pk, datetime(2026, 3, 1, tzinfo=BEIJING), 5, True, *[None] * 2, False
    )
    earlier = ParsedReading(
        1, monthly.pk, datetime(2026, 2, 1, tzinfo=BEIJING), 5, True, *[None] * 2, False
    )
    result = store_readings(enterprise, [reading, earlier], received)
    assert result.stored == 1
    assert "登记日期 2026-03-15" in result.refusals[None][0]["reason"]


def parsed(item, slot, index=0):
    return ParsedReading(index, item.pk, slot, Decimal("1"), True, None, None, False)


def test_the_worker_refuses_what_the_request_side_would(enterprise, item):
    """Readings staged without the request's check (filed by hand, or staged before it
    existed) are refused by the worker with the request side's reasons."""
    registered_since(item, date(2026, 3, 1))
    received = datetime(2026, 3, 10, 12, 0, tzinfo=BEIJING)
    readings = [
        parsed(item, datetime(2026, 3, 10, 11, 45, tzinfo=BEIJING), 0),  # good
        parsed(item, datetime(2026, 3, 20, 0, 0, tzinfo=BEIJING), 1),  # ten days ahead
        parsed(item, datetime(2099, 1, 1, tzinfo=BEIJING), 2),
        parsed(item, datetime(2026, 2, 28, 23, 45, tzinfo=BEIJING), 3),  # before registration
    ]
    result = store_readings(enterprise, readings, received)
    assert result.stored == 1
    reasons = {r["index"]: r["reason"] for r in result.refusals[None]}
    assert set(reasons) == {1, 2, 3}
    assert reasons[1].startswith(FUTURE_MARK) and reasons[2].startswith(FUTURE_MARK)
    assert "登记日期 2026-03-01" in reasons[3]
    assert Reading.objects.count() == 1
    assert list(DailyRollup.objects.values_list("day", flat=True)) == [date(2026, 3, 10)]


@pytest.mark.postgresql(reason="compares the staged SQL of PostgreSQL with the portable path")
def test_both_write_paths_refuse_the_same_readings(enterprise, item):
    registered_since(item, date(2026, 3, 1))
    received = datetime(2026, 3, 10, 12, 0, tzinfo=BEIJING)
    slots = [
        datetime(2026, 3, 10, 12, 15, tzinfo=BEIJING),  # next slot: accepted
        datetime(2026, 3, 10, 12, 30, tzinfo=BEIJING),  # 30 min ahead: refused
        datetime(2026, 3, 1, 0, 0, tzinfo=BEIJING),  # registration day: accepted
        datetime(2026, 2, 28, 23, 45, tzinfo=BEIJING),  # the day before: refused
        datetime(2099, 1, 1, tzinfo=BEIJING),
    ]
    specs = specs_by_id([item.pk])
    rows = stage([parsed(item, s, n) for n, s in enumerate(slots)], specs, received)
    sources = [ingest._Source(None, received, rows, len(rows))]

    def key(row):
        return (row[0], row[2], row[3])

    with transaction.atomic():
        savepoint = transaction.savepoint()
        portable = sorted(ingest._insert_portable(sources), key=key)
        transaction.savepoint_rollback(savepoint)
        in_sql = sorted(ingest._insert_staged(sources), key=key)
    assert [tuple(r) for r in in_sql] == portable
    accepted = sorted(datetime.fromtimestamp(r[3], UTC) for r in in_sql if r[0])
    assert accepted == [slots[2], slots[0]]
    assert not UploadBatch.objects.exists()
