"""Backfill after an outage (DESIGN §4 "Success and backfill"), at its boundaries.

A slot is on time by the end of its own reporting cycle, backfilled within the next cycle,
or, when the device had no accepted upload during that next cycle (its link was down),
within one reporting period after the device's first accepted upload following the outage,
never later than TELEMETRY_BACKFILL_CAP_HOURS after the slot; late otherwise.
"""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from telemetry.ingest import ingest_batches
from telemetry.models import (
    ArrivalClass,
    BatchStatus,
    DailyRollup,
    TrialRun,
    TrialStatus,
    UploadBatch,
)
from telemetry.protocol import canonical_body
from telemetry.services.trial import evaluate_trials
from telemetry.timeslots import (
    BEIJING,
    Arrival,
    ArrivalWindows,
    StatType,
    classify_arrival,
    slot_start,
)

from .factories import (
    FULL_DAY,
    DataItemFactory,
    beijing,
    device_with_certificate,
    envelope,
    full_days,
    record,
    signed_post,
    trial_connection,
    without,
)

W = ArrivalWindows()
SECOND = timedelta(seconds=1)


# --- The rule itself, per kind of item ------------------------------------------------------


@pytest.mark.parametrize(
    ("stat_type", "interval", "slot", "resumed", "received", "expected"),
    [
        # 15 minutes: slot 10:00 on time until 10:30, next cycle until 10:45.
        (0, 15, beijing(2026, 3, 1, 10), None, beijing(2026, 3, 1, 10, 30), Arrival.ON_TIME),
        (0, 15, beijing(2026, 3, 1, 10), None, beijing(2026, 3, 1, 10, 45), Arrival.BACKFILLED),
        (0, 15, beijing(2026, 3, 1, 10), None, beijing(2026, 3, 1, 13, 5), Arrival.LATE),
        # a 3-hour outage: back at 13:05, the slot may come until 13:20
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 13, 5),
            beijing(2026, 3, 1, 13, 5),
            Arrival.BACKFILLED,
        ),
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 13, 5),
            beijing(2026, 3, 1, 13, 20),
            Arrival.BACKFILLED,
        ),
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 13, 5),
            beijing(2026, 3, 1, 13, 20) + SECOND,
            Arrival.LATE,
        ),
        # the device was back inside the next cycle (10:44): no outage, the next cycle decides
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 10, 44),
            beijing(2026, 3, 1, 10, 50),
            Arrival.LATE,
        ),
        # a 30-hour outage: back the next day at 16:00, past the 24 h cap (10:00)
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 2, 16),
            beijing(2026, 3, 2, 16),
            Arrival.LATE,
        ),
        # the cap itself: back at 09:50 the next day, the slot counts until 10:00 sharp
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 2, 9, 50),
            beijing(2026, 3, 2, 10),
            Arrival.BACKFILLED,
        ),
        (
            0,
            15,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 2, 9, 50),
            beijing(2026, 3, 2, 10) + SECOND,
            Arrival.LATE,
        ),
        # 30 minutes: on time until 11:00, next cycle until 11:30; back at 12:00 -> until 12:30
        (0, 30, beijing(2026, 3, 1, 10), None, beijing(2026, 3, 1, 11, 30), Arrival.BACKFILLED),
        (
            0,
            30,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 12),
            beijing(2026, 3, 1, 12, 30),
            Arrival.BACKFILLED,
        ),
        (
            0,
            30,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 12),
            beijing(2026, 3, 1, 12, 30) + SECOND,
            Arrival.LATE,
        ),
        # 60 minutes: on time until 12:00, next cycle until 13:00; back at 14:00 -> until 15:00
        (0, 60, beijing(2026, 3, 1, 10), None, beijing(2026, 3, 1, 13), Arrival.BACKFILLED),
        (
            0,
            60,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 14),
            beijing(2026, 3, 1, 15),
            Arrival.BACKFILLED,
        ),
        (
            0,
            60,
            beijing(2026, 3, 1, 10),
            beijing(2026, 3, 1, 14),
            beijing(2026, 3, 1, 15) + SECOND,
            Arrival.LATE,
        ),
        # daily: day 1 on time until day 3 00:00, next cycle until day 4 00:00; the cap (24 h
        # after the slot) is inside that window, so an outage adds nothing
        (1, 15, beijing(2026, 3, 1), None, beijing(2026, 3, 3), Arrival.ON_TIME),
        (1, 15, beijing(2026, 3, 1), None, beijing(2026, 3, 4), Arrival.BACKFILLED),
        (
            1,
            15,
            beijing(2026, 3, 1),
            beijing(2026, 3, 4, 0, 0, 1),
            beijing(2026, 3, 4, 0, 0, 1),
            Arrival.LATE,
        ),
        # Beijing midnight: 23:45 is on time until 00:15 (16:15 UTC) and next cycle until 00:30;
        # a device back at 02:00 after a night outage may send it until 02:15
        (0, 15, beijing(2026, 3, 1, 23, 45), None, beijing(2026, 3, 2, 0, 15), Arrival.ON_TIME),
        (
            0,
            15,
            beijing(2026, 3, 1, 23, 45),
            beijing(2026, 3, 2, 2),
            beijing(2026, 3, 2, 2, 15),
            Arrival.BACKFILLED,
        ),
    ],
)
def test_arrival_classes_at_their_boundaries(
    stat_type, interval, slot, resumed, received, expected
):
    assert classify_arrival(stat_type, slot, received, interval, W, resumed) == expected


def test_the_cap_is_a_setting_of_the_windows():
    tight = ArrivalWindows(backfill_cap=timedelta(hours=2))
    slot, back = beijing(2026, 3, 1, 10), beijing(2026, 3, 1, 13, 5)
    assert classify_arrival(0, slot, back, 15, tight, back) == Arrival.LATE
    assert classify_arrival(0, slot, back, 15, W, back) == Arrival.BACKFILLED


# --- Through the worker, with the device's contact times from its stored uploads ------------

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)


def queued_batch(kit, received_at, readings) -> UploadBatch:
    """An upload batch as the API stores it, received at ``received_at``, not yet ingested."""
    body = canonical_body(
        envelope(
            kit,
            [record(item, Decimal("1.5"), slot) for item, slot in readings],
            sent_at=received_at - SECOND,
        )
    )
    return UploadBatch.objects.create(
        enterprise=kit.device.enterprise,
        device=kit.device,
        message_id=hashlib.sha256(body).hexdigest()[:32],
        body_sha256=hashlib.sha256(body).hexdigest(),
        raw_body=body,
        cert_serial=kit.serial_hex,
        sent_at=received_at - SECOND,
        received_at=received_at,
        status=BatchStatus.QUEUED,
        record_count=len(readings),
        accepted_count=len(readings),
    )


def masks(item, day):
    row = DailyRollup.objects.get(item=item, day=day)
    return row.on_time, row.backfilled, row.late


def outage(kit, item, day, hours, back_after_minutes=5):
    """The device sends the slot before 03:00 at 03:00:30, loses its line for ``hours`` and
    re-sends every slot from 03:00 on at its first upload after the outage."""
    midnight = beijing(day.year, day.month, day.day)
    step = timedelta(minutes=item.interval_minutes)
    before = queued_batch(
        kit,
        midnight + timedelta(hours=3, seconds=30),
        [(item, midnight + timedelta(hours=3) - step)],
    )
    back = midnight + timedelta(hours=3 + hours, minutes=back_after_minutes)
    slots, slot = [], midnight + timedelta(hours=3)
    while slot + step <= back:
        slots.append(slot)
        slot += step
    resent = queued_batch(kit, back, [(item, s) for s in slots])
    ingest_batches([before.pk])
    ingest_batches([resent.pk])
    return slots


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


def item_of(kit, interval=15):
    return DataItemFactory(
        enterprise=kit.device.enterprise, device=kit.device, interval_minutes=interval
    )


def test_a_3_hour_outage_resent_on_reconnection_is_backfilled_and_the_trial_passes(kit):
    item = item_of(kit)
    connection = trial_connection(kit.device.enterprise, START)
    day3 = START + timedelta(days=2)
    outage_bits = range(12, 24)  # 03:00 .. 05:45
    full_days(item, START, 15)
    full_days(item, day3, 1, on_time=without(FULL_DAY, 11, *outage_bits))
    slots = outage(kit, item, day3, hours=3)
    assert len(slots) == 12
    # 05:45 is still on time at 06:05 and 05:30 inside its next cycle; 03:00 .. 05:15 only
    # count as backfilled because the device had been off the line since 03:00:30.
    assert masks(item, day3) == (96 - 13 + 2, 11, 0)

    evaluate_trials(now=beijing(2026, 3, 17, 9))
    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.PASSED, run.failure_reason
    assert run.days[2]["missing"] == 0


def test_a_30_hour_outage_is_beyond_the_cap_and_its_early_slots_are_late(kit):
    item = item_of(kit)
    connection = trial_connection(kit.device.enterprise, START)
    day3 = START + timedelta(days=2)
    full_days(item, START, 15)
    full_days(item, day3, 1, on_time=without(FULL_DAY, 11, *range(12, 96)))
    full_days(item, day3 + timedelta(days=1), 1, on_time=without(FULL_DAY, *range(0, 36)))
    outage(kit, item, day3, hours=30)  # back at 09:05 the next day
    # Slots of day 3 up to 09:00 are more than 24 h old at 09:05 the next day: late.
    _on_time, backfilled, late = masks(item, day3)
    assert late == 25  # 03:00 .. 09:00
    assert backfilled == 96 - 12 - 25
    assert masks(item, day3 + timedelta(days=1)) == (96 - 36 + 1, 35, 0)  # 08:45 on time

    evaluate_trials(now=beijing(2026, 3, 17, 9))
    run = TrialRun.objects.get(connection=connection)
    assert run.status == TrialStatus.RUNNING  # the count restarts after the lost day
    assert run.display_reset_reason == "2026-03-03 缺 25 个时段，已超过补传期限"


@pytest.mark.parametrize("interval", [15, 30, 60])
def test_each_interval_backfills_its_outage_on_reconnection(kit, interval):
    item = item_of(kit, interval)
    outage(kit, item, START, hours=3, back_after_minutes=interval // 3)
    # the slot before the outage and the last one re-sent are on time, the rest backfilled
    assert masks(item, START) == (2, 3 * 60 // interval - 1, 0)


def test_a_night_outage_across_beijing_midnight_lands_on_each_slots_own_day(kit):
    item = item_of(kit)
    before = queued_batch(
        kit, beijing(2026, 3, 1, 23, 30, 30), [(item, beijing(2026, 3, 1, 23, 15))]
    )
    back = queued_batch(
        kit,
        beijing(2026, 3, 2, 2, 5),
        [
            (item, beijing(2026, 3, 1, 23, 30)),
            (item, beijing(2026, 3, 1, 23, 45)),
            (item, beijing(2026, 3, 2, 0, 0)),
            (item, beijing(2026, 3, 2, 1, 45)),
        ],
    )
    ingest_batches([before.pk])
    ingest_batches([back.pk])
    # 23:30 and 23:45 belong to 1 March in Beijing although they are 15:30/15:45 UTC.
    assert masks(item, date(2026, 3, 1)) == (1, 2, 0)
    assert masks(item, date(2026, 3, 2)) == (1, 1, 0)  # 01:45 is on time at 02:05


def test_an_upload_inside_the_next_cycle_means_no_outage(kit):
    item = item_of(kit)
    contact = queued_batch(kit, beijing(2026, 3, 1, 10, 40), [(item, beijing(2026, 3, 1, 10, 15))])
    later = queued_batch(kit, beijing(2026, 3, 1, 13, 5), [(item, beijing(2026, 3, 1, 10))])
    ingest_batches([contact.pk])
    ingest_batches([later.pk])
    assert masks(item, START) == (1, 0, 1)


def test_the_upload_api_classifies_a_reconnection_backfill(client, kit, settings):
    item = item_of(kit)
    now = datetime.now(BEIJING)
    slot = slot_start(StatType.REALTIME, now) - timedelta(hours=3)
    # The device's last upload before the outage came just after the slot.
    queued_batch(kit, slot + timedelta(minutes=5), [])
    body = envelope(kit, [record(item, "2.5", slot)])
    assert signed_post(client, kit, body).status_code == 202
    staged = UploadBatch.objects.get(message_id=body["messageId"]).staged_readings
    assert staged[0][5] == ArrivalClass.BACKFILLED
    settings.TELEMETRY_BACKFILL_CAP_HOURS = 2
    body = envelope(kit, [record(item, "2.5", slot - timedelta(minutes=15))])
    assert signed_post(client, kit, body).status_code == 202
    staged = UploadBatch.objects.get(message_id=body["messageId"]).staged_readings
    assert staged[0][5] == ArrivalClass.LATE  # beyond a 2-hour cap
