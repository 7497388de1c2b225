"""POST /api/v1/telemetry/uploads and its receipts: the protocol of DESIGN §4."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from telemetry.ingest import ingest_pending
from telemetry.models import BatchStatus, ConnectionState, Reading, UploadBatch
from telemetry.protocol import UPLOAD_PATH, canonical_body
from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start

from .factories import (
    DataItemFactory,
    connection_for,
    device_with_certificate,
    envelope,
    record,
    signed_get,
    signed_post,
    vpn_account_for,
)

pytestmark = pytest.mark.django_db


def recent_slot(back: int = 1) -> datetime:
    now = datetime.now(BEIJING)
    return slot_start(StatType.REALTIME, now) - timedelta(minutes=15 * back)


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise)


def test_a_good_batch_is_stored_and_queued_then_ingested(client, kit, item):
    body = envelope(kit, [record(item, "12.5", recent_slot())])
    response = signed_post(client, kit, body)
    assert response.status_code == 202, response.content
    payload = response.json()
    assert payload["messageId"] == body["messageId"]
    assert payload["status"] == "queued"
    assert payload["accepted"] == 1
    assert payload["rejected"] == []
    assert "platformTime" in payload

    batch = UploadBatch.objects.get(message_id=body["messageId"])
    assert bytes(batch.raw_body) == canonical_body(body)
    assert batch.status == BatchStatus.QUEUED
    assert batch.cert_serial == kit.serial_hex
    assert batch.source_ip == "127.0.0.1"

    ingest_pending()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.STORED
    assert batch.stored_count == 1
    assert Reading.objects.filter(item=item).count() == 1

    receipt = signed_get(client, kit, f"{UPLOAD_PATH}/{body['messageId']}").json()
    assert receipt["status"] == "stored"
    assert receipt["storedCount"] == 1
    assert receipt["duplicateCount"] == 0
    assert receipt["storedAt"]


def test_ingestion_is_queued_only_after_commit(
    client, kit, item, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("telemetry.tasks.ingest.schedule_ingestion", lambda: queued.append(1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    assert response.status_code == 202
    assert queued == []  # nothing is queued before the batch row is committed
    for callback in callbacks:
        callback()
    assert queued == [1]


def test_every_bad_record_is_listed_at_once(client, kit, item):
    slot = recent_slot()
    records = [
        record(item, "1", slot),
        record(item, "abc", slot - timedelta(minutes=15)),
        {**record(item, "1", slot), "dataCode": "000099990233000000"},
        record(item, "1", slot.replace(minute=7) if slot.minute != 7 else slot.replace(minute=8)),
        record(item, "9999999", slot - timedelta(minutes=30)),
        record(item, "1", slot),  # same slot again within the batch
    ]
    response = signed_post(client, kit, envelope(kit, records))
    assert response.status_code == 202
    rejected = {r["index"]: r["field"] for r in response.json()["rejected"]}
    assert rejected == {1: "dataValue", 2: "dataCode", 3: "statDate", 4: "dataValue", 5: "statDate"}
    assert response.json()["accepted"] == 1
    reasons = {r["index"]: r["reason"] for r in response.json()["rejected"]}
    assert "000099990233000000" in reasons[2]
    assert "合理范围" in reasons[4]


def test_a_batch_with_no_good_record_is_stored_as_refused(client, kit, item):
    body = envelope(kit, [record(item, "x", recent_slot())])
    response = signed_post(client, kit, body)
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["accepted"] == 0
    assert UploadBatch.objects.get(message_id=body["messageId"]).status == BatchStatus.REFUSED


def test_malformed_json_is_refused_whole(client, kit):
    response = signed_post(client, kit, b'{"version": "1.0", "records": [')
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"
    assert not UploadBatch.objects.exists()


def test_an_oversized_body_is_refused_with_413(client, kit, item, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 200
    response = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert not UploadBatch.objects.exists()


def test_too_many_records_are_refused_with_413(client, kit, item, settings):
    settings.TELEMETRY_MAX_RECORDS = 2
    slots = [recent_slot(n) for n in range(1, 4)]
    response = signed_post(client, kit, envelope(kit, [record(item, "1", s) for s in slots]))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "records"
    assert "上限 2 条" in response.json()["detail"]


def test_sent_at_too_far_from_server_time_is_refused(client, kit, item):
    body = envelope(
        kit, [record(item, "1", recent_slot())], sent_at=datetime.now(BEIJING) - timedelta(hours=1)
    )
    response = signed_post(client, kit, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sentAt"
    assert not UploadBatch.objects.exists()


def test_the_same_batch_twice_returns_the_first_receipt_and_stores_once(client, kit, item):
    body = envelope(kit, [record(item, "3", recent_slot())])
    first = signed_post(client, kit, body)
    assert first.status_code == 202
    ingest_pending()
    again = signed_post(client, kit, body)
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["status"] == "stored"
    assert again.json()["storedCount"] == 1
    ingest_pending()
    assert UploadBatch.objects.count() == 1
    assert Reading.objects.count() == 1


def test_a_reused_message_id_with_another_body_is_refused_409(client, kit, item):
    body = envelope(kit, [record(item, "3", recent_slot())])
    assert signed_post(client, kit, body).status_code == 202
    other = {**body, "records": [record(item, "4", recent_slot())]}
    response = signed_post(client, kit, other)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "messageId"
    assert UploadBatch.objects.count() == 1


def test_the_same_reading_in_two_batches_counts_once(client, kit, item):
    slot = recent_slot()
    first = envelope(kit, [record(item, "5", slot)])
    # An exact repeat (a correction, another value, is tested in test_corrections.py).
    second = envelope(
        kit, [record(item, "5.0", slot), record(item, "7", slot - timedelta(minutes=15))]
    )
    assert signed_post(client, kit, first).status_code == 202
    assert signed_post(client, kit, second).status_code == 202
    ingest_pending()
    assert Reading.objects.filter(item=item).count() == 2
    assert Reading.objects.get(item=item, slot=slot).batch.message_id == first["messageId"]
    batch = UploadBatch.objects.get(message_id=second["messageId"])
    assert (batch.stored_count, batch.duplicate_count, batch.corrected_count) == (1, 1, 0)


def test_the_first_upload_starts_integration_testing(client, kit, item):
    conn = connection_for(kit.device.enterprise)
    signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    conn.refresh_from_db()
    assert conn.state == ConnectionState.INTEGRATION_TESTING
    ingest_pending()
    conn.refresh_from_db()
    assert conn.state == ConnectionState.TRIAL_RUNNING
    assert conn.trial_started_on == conn.first_reading_at.astimezone(BEIJING).date() + timedelta(
        days=1
    )


def test_an_upload_from_outside_the_vpn_address_is_flagged(client, kit, item):
    vpn_account_for(kit.device.enterprise, "10.8.0.10")
    body = envelope(kit, [record(item, "1", recent_slot())])
    signed_post(client, kit, body, REMOTE_ADDR="203.0.113.9")
    assert UploadBatch.objects.get(message_id=body["messageId"]).relay_suspected is True

    body = envelope(kit, [record(item, "1", recent_slot(2))])
    signed_post(client, kit, body, REMOTE_ADDR="10.8.0.10")
    assert UploadBatch.objects.get(message_id=body["messageId"]).relay_suspected is False


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(client, kit, item, settings):
    vpn_account_for(kit.device.enterprise, "10.8.0.10")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    body = envelope(kit, [record(item, "1", recent_slot())])
    signed_post(client, kit, body, HTTP_X_FORWARDED_FOR="10.8.0.10")
    batch = UploadBatch.objects.get(message_id=body["messageId"])
    assert (batch.source_ip, batch.relay_suspected) == ("10.8.0.10", False)

    body = envelope(kit, [record(item, "1", recent_slot(2))])
    signed_post(client, kit, body, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.8.0.10")
    batch = UploadBatch.objects.get(message_id=body["messageId"])
    assert (batch.source_ip, batch.relay_suspected) == ("198.51.100.7", True)


def test_receipts_are_scoped(client, client_for, kit, item, member, outsider, reviewer):
    body = envelope(kit, [record(item, "1", recent_slot())])
    signed_post(client, kit, body)
    target = f"{UPLOAD_PATH}/{body['messageId']}"
    assert client_for(member).get(target).status_code == 200
    assert client_for(reviewer).get(target).status_code == 200
    assert client_for(outsider).get(target).status_code == 404
    assert client.get(target).status_code == 401

    # A device of another enterprise cannot read it either.
    other = device_with_certificate(outsider.enterprises.get())
    assert signed_get(client, other, target).status_code == 404


def test_the_upload_endpoint_takes_only_post(client, kit):
    assert client.get(UPLOAD_PATH).status_code == 405


def test_daily_readings_use_their_day_slot(client, kit, enterprise):
    daily = DataItemFactory(enterprise=enterprise, stat_type=StatType.DAILY)
    yesterday = slot_start(StatType.DAILY, datetime.now(BEIJING)) - timedelta(days=1)
    rec = record(daily, "100", yesterday)
    assert rec["statType"] == "1"
    response = signed_post(client, kit, envelope(kit, [rec]))
    assert response.status_code == 202, response.json()
    assert format_wire_time(yesterday).endswith("00:00:00")


# --- The per-process cache of item tables (telemetry.staging.cached_item_specs) ------------


def test_a_new_item_is_accepted_at_once_in_the_process_that_saved_it(client, kit, item):
    first = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    assert first.json()["accepted"] == 1  # the enterprise's table is now cached
    newcomer = DataItemFactory(enterprise=kit.device.enterprise)  # post_save drops it
    response = signed_post(client, kit, envelope(kit, [record(newcomer, "2", recent_slot())]))
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 1


def test_a_deleted_item_is_refused_at_once_in_the_process_that_deleted_it(client, kit, item):
    signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    item.delete()  # post_delete drops the cached table
    response = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot(2))]))
    assert response.json()["rejected"][0]["field"] == "dataCode"


def test_a_change_without_signal_is_seen_when_the_cached_table_expires(
    client, kit, item, settings, monkeypatch
):
    from telemetry import staging
    from telemetry.models import DataItem

    settings.TELEMETRY_ITEM_CACHE_SECONDS = 30
    clock = [1000.0]
    monkeypatch.setattr(staging.time, "monotonic", lambda: clock[0])
    signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    DataItem.objects.filter(pk=item.pk).update(is_active=False)  # no signal

    # Within the TTL the stale table still accepts the record; the worker checks again
    # against fresh tables and records the rejection on the batch.
    stale = envelope(kit, [record(item, "1", recent_slot(2))])
    assert signed_post(client, kit, stale).json()["accepted"] == 1
    ingest_pending()
    batch = UploadBatch.objects.get(message_id=stale["messageId"])
    assert (batch.stored_count, batch.rejections[0]["field"]) == (0, "dataCode")

    clock[0] += 31  # expired: the next upload reads the table again
    fresh = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot(3))]))
    assert fresh.json()["accepted"] == 0


def test_the_upload_stages_its_checked_readings_and_the_worker_empties_them(client, kit, item):
    slot = recent_slot()
    body = envelope(kit, [record(item, "12.5", slot), record(item, "x", slot)])
    signed_post(client, kit, body)
    batch = UploadBatch.objects.get(message_id=body["messageId"])
    # index, item, slot (epoch s), value, valid, arrival (0 on time), statType, interval
    assert batch.staged_readings == [
        [0, item.pk, int(slot.timestamp()), "12.5", True, 0, item.stat_type, 15]
    ]
    ingest_pending()
    batch.refresh_from_db()
    assert (batch.status, batch.stored_count, batch.staged_readings) == ("stored", 1, None)
    assert Reading.objects.get(batch=batch).value == Decimal("12.5")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"value_max": Decimal("10")}, "dataValue", "超出该采集项在上传后修改的合理范围 [0, 10]"),
        ({"stat_type": StatType.DAILY}, "dataCode", "改为 statType=1"),
        ({"interval_minutes": 60}, "dataCode", "改为 60 分钟间隔"),
        (None, "dataCode", "在上传后已被删除"),
    ],
)
def test_an_item_changed_between_upload_and_ingestion_refuses_its_staged_readings(
    client, kit, enterprise, change, field, reason
):
    from telemetry.models import DataItem

    item = DataItemFactory(enterprise=enterprise, value_min=0, value_max=1000)
    other = DataItemFactory(enterprise=enterprise)
    body = envelope(kit, [record(other, "1", recent_slot()), record(item, "12.5", recent_slot())])
    assert signed_post(client, kit, body).json()["accepted"] == 2
    if change is None:
        item.delete()
    else:
        DataItem.objects.filter(pk=item.pk).update(**change)
    assert ingest_pending() == {"batches": 1, "stored": 1, "duplicates": 0, "corrected": 0}
    batch = UploadBatch.objects.get(message_id=body["messageId"])
    assert (batch.stored_count, batch.duplicate_count) == (1, 0)
    [refusal] = batch.rejections
    assert (refusal["index"], refusal["field"]) == (1, field)
    assert reason in refusal["reason"]


def test_the_item_cache_can_be_turned_off(client, kit, item, settings):
    from telemetry.models import DataItem

    settings.TELEMETRY_ITEM_CACHE_SECONDS = 0
    signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))
    DataItem.objects.filter(pk=item.pk).update(is_active=False)
    response = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot(2))]))
    assert response.json()["accepted"] == 0


def test_a_good_upload_costs_two_queries(client, kit, item, django_assert_max_num_queries):
    signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot())]))  # warm cache
    # The lookup of certificate, enterprise and device, and the INSERT of the batch (in a
    # test's transaction, a savepoint around it adds two more).
    with django_assert_max_num_queries(4):
        response = signed_post(client, kit, envelope(kit, [record(item, "1", recent_slot(2))]))
    assert response.status_code == 202
