"""Envelope refusals and per-record rejections of upload protocol v1.0."""

from datetime import timedelta
from decimal import Decimal

import pytest

from telemetry.protocol import (
    Envelope,
    EnvelopeError,
    ItemSpec,
    Rejection,
    canonical_body,
    check_skew,
    parse_envelope,
    validate_records,
)
from telemetry.timeslots import BEIJING, StatType, parse_wire_time

ELECTRICITY = "000000000233000000"
COAL = "000000000101000000"
DAILY_GAS = "000000000215000000"

ITEMS = {
    ELECTRICITY: ItemSpec(1, StatType.REALTIME, 15, Decimal("0"), Decimal("5000")),
    COAL: ItemSpec(2, StatType.REALTIME, 60, None, None),
    DAILY_GAS: ItemSpec(3, StatType.DAILY, 15, Decimal("0"), None),
}


def record(**overrides):
    base = {
        "dataCode": ELECTRICITY,
        "dataValue": "1234.56",
        "convertRation": "0.1229",
        "valid": "1",
        "scope": "1",
        "inputType": "4",
        "statType": "0",
        "statDate": "2026-03-01 00:00:00",
        "uploadDate": "2026-03-01 00:16:03",
        "backfill": False,
    }
    return {**base, **overrides}


def envelope_dict(records=None, **overrides):
    base = {
        "version": "1.0",
        "messageId": "6f1c2f7e-0d5b-4a53-9a43-1f3f8f6f2c11",
        "enterpriseCode": "91420100MA4K00001X",
        "deviceSerial": "DEV-0001",
        "sentAt": "2026-03-01 00:16:03",
        "records": [record()] if records is None else records,
    }
    return {**base, **overrides}


def body(records=None, **overrides) -> bytes:
    return canonical_body(envelope_dict(records, **overrides))


def validate(*records):
    return validate_records(parse_envelope(body(list(records))), ITEMS)


def only_rejection(*records) -> Rejection:
    readings, rejections = validate(*records)
    assert readings == []
    assert len(rejections) == 1
    return rejections[0]


# --- Envelope ------------------------------------------------------------------------------


def test_a_good_envelope_is_read():
    envelope = parse_envelope(body())
    assert envelope == Envelope(
        message_id="6f1c2f7e-0d5b-4a53-9a43-1f3f8f6f2c11",
        enterprise_code="91420100MA4K00001X",
        device_serial="DEV-0001",
        sent_at=parse_wire_time("2026-03-01 00:16:03"),
        records=[record()],
    )


def test_extra_members_such_as_reference_versions_are_ignored():
    assert parse_envelope(body(regVersion="2.1", dicVersion="7")).device_serial == "DEV-0001"


@pytest.mark.parametrize(
    "raw", [b"{not json", b"", "中文".encode("gbk"), b'{"a":' * 100_000, b"[1, 2]", b'"1.0"']
)
def test_a_body_that_is_not_a_json_object_is_refused(raw):
    with pytest.raises(EnvelopeError) as caught:
        parse_envelope(raw)
    assert caught.value.field == "body"


@pytest.mark.parametrize("version", ["2.0", 1.0, None])
def test_only_version_1_0_is_spoken(version):
    with pytest.raises(EnvelopeError, match="协议版本") as caught:
        parse_envelope(body(version=version))
    assert caught.value.field == "version"


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("messageId", None),
        ("messageId", ""),
        ("messageId", "x" * 65),
        ("messageId", 42),
        ("messageId", "abc\x00def"),
        ("deviceSerial", "DEV\n0001"),
        ("enterpriseCode", "9142010"),
        ("enterpriseCode", "91420100ma4k00001x"),
        ("deviceSerial", None),
        ("sentAt", "2026-03-01T00:16:03"),
        ("sentAt", None),
        ("records", []),
        ("records", {"0": record()}),
        ("records", None),
    ],
)
def test_bad_envelope_members_are_named(member, value):
    data = envelope_dict()
    if value is None:
        del data[member]
    else:
        data[member] = value
    with pytest.raises(EnvelopeError) as caught:
        parse_envelope(canonical_body(data))
    assert caught.value.field == member
    assert caught.value.to_rejection() == Rejection(None, member, caught.value.reason)


def test_a_batch_over_the_limit_is_refused_whole():
    with pytest.raises(EnvelopeError, match="超过上限 3 条") as caught:
        parse_envelope(body([record()] * 4), max_records=3)
    assert caught.value.field == "records"
    assert len(parse_envelope(body([record()] * 3), max_records=3).records) == 3


def test_sent_at_must_be_near_server_time():
    now = parse_wire_time("2026-03-01 00:20:00")
    sent_at = parse_wire_time("2026-03-01 00:16:03")
    assert check_skew(sent_at, now, timedelta(minutes=5)) is None
    refused = check_skew(sent_at, now, timedelta(minutes=2))
    assert refused is not None
    assert (refused.index, refused.field) == (None, "sentAt")
    assert "237 秒" in refused.reason


def test_canonical_body_is_compact_utf8():
    assert canonical_body({"a": "湖北", "b": [1, 2]}) == '{"a":"湖北","b":[1,2]}'.encode()


# --- Records -------------------------------------------------------------------------------


def test_a_good_record_becomes_a_reading():
    readings, rejections = validate(record())
    assert rejections == []
    [reading] = readings
    assert reading.index == 0
    assert reading.item_id == 1
    assert reading.slot == parse_wire_time("2026-03-01 00:00:00")
    assert reading.slot.tzinfo is BEIJING
    assert reading.value == Decimal("1234.56")
    assert reading.valid is True
    assert reading.convert_ration == Decimal("0.1229")
    assert reading.upload_date == parse_wire_time("2026-03-01 00:16:03")
    assert reading.backfill is False


def test_json_numbers_and_integer_codes_are_accepted_exactly():
    raw = b'{"version":"1.0","messageId":"m","enterpriseCode":"91420100MA4K00001X",'
    raw += b'"deviceSerial":"D","sentAt":"2026-03-01 00:16:03","records":[{"dataCode":'
    raw += b'"000000000233000000","dataValue":0.1,"valid":0,"scope":2,"inputType":7,'
    raw += b'"statType":0,"statDate":"2026-03-01 00:15:00","backfill":true}]}'
    [reading], rejections = validate_records(parse_envelope(raw), ITEMS)
    assert rejections == []
    assert reading.value == Decimal("0.1")
    assert reading.valid is False
    assert (reading.convert_ration, reading.upload_date, reading.backfill) == (None, None, True)


def test_a_daily_statdate_within_a_minute_is_filed_under_its_day():
    [reading], _ = validate(
        record(dataCode=DAILY_GAS, statType="1", statDate="2026-02-28 23:59:30")
    )
    assert reading.slot == parse_wire_time("2026-03-01 00:00:00")


def test_every_bad_record_is_reported_with_its_index_and_field():
    readings, rejections = validate(
        record(),
        record(dataCode="999999999999999999"),
        record(statDate="2026-03-01 00:07:00"),
        record(dataValue="12,5"),
        record(dataValue="5000.01"),
        record(dataValue="99"),  # same item and slot as record 0
        record(statDate="2026-03-01 00:15:00"),
    )
    assert [reading.index for reading in readings] == [0, 6]
    assert [(r.index, r.field) for r in rejections] == [
        (1, "dataCode"),
        (2, "statDate"),
        (3, "dataValue"),
        (4, "dataValue"),
        (5, "statDate"),
    ]
    reasons = [r.reason for r in rejections]
    assert reasons[0].startswith("未登记的数据采集项编码")
    assert "15 分钟时段的起点" in reasons[1]
    assert "十进制数字" in reasons[2]
    assert "[0, 5000]" in reasons[3]
    assert "index=0" in reasons[4] and "重复" in reasons[4]
    assert rejections[0].to_dict() == {"index": 1, "field": "dataCode", "reason": reasons[0]}


def test_a_duplicate_of_a_rejected_record_is_not_a_duplicate():
    readings, rejections = validate(record(dataValue="-1"), record(dataValue="1"))
    assert [(r.index, r.field) for r in rejections] == [(0, "dataValue")]
    assert [reading.index for reading in readings] == [1]


def test_the_same_statdate_counts_once_per_item():
    readings, rejections = validate(record(), record(dataCode=COAL))
    assert rejections == []
    assert {reading.item_id for reading in readings} == {1, 2}


@pytest.mark.parametrize(
    ("overrides", "field", "reason_part"),
    [
        ({"dataCode": None}, "dataCode", "缺少必填字段"),
        ({"dataCode": "0000-0000"}, "dataCode", "18 位数字"),
        ({"dataCode": 233}, "dataCode", "18 位数字"),
        ({"statType": "1"}, "statType", "登记为 0（实时）"),
        ({"statType": "9"}, "statType", "statType 应为"),
        ({"statType": True}, "statType", "statType 应为"),
        ({"statDate": None}, "statDate", "缺少必填字段"),
        ({"statDate": 20260301}, "statDate", "yyyy-MM-dd HH:mm:ss"),
        ({"statDate": "2026-03-01T00:00:00"}, "statDate", "yyyy-MM-dd HH:mm:ss"),
        ({"statDate": "2026-03-01 00:00:30"}, "statDate", "秒应为 0"),
        ({"dataValue": None}, "dataValue", "缺少必填字段"),
        ({"dataValue": "NaN"}, "dataValue", "十进制数字"),
        ({"dataValue": "1e3"}, "dataValue", "十进制数字"),
        ({"dataValue": " 12"}, "dataValue", "十进制数字"),
        ({"dataValue": "1_000"}, "dataValue", "十进制数字"),
        ({"dataValue": "1234.56789012345"}, "dataValue", "15 个字符"),
        ({"dataValue": True}, "dataValue", "数字字符串或数值"),
        ({"dataValue": [1]}, "dataValue", "数字字符串或数值"),
        ({"valid": "2"}, "valid", '"0"（可疑）'),
        ({"valid": True}, "valid", '"0"（可疑）'),
        ({"valid": None}, "valid", "缺少必填字段"),
        ({"scope": "5"}, "scope", "scope 应为"),
        ({"scope": 0}, "scope", "scope 应为"),
        ({"inputType": "8"}, "inputType", "1 至 7"),
        ({"convertRation": "abc"}, "convertRation", "十进制数字"),
        ({"convertRation": "0"}, "convertRation", "应大于 0"),
        ({"convertRation": "0.12345678901"}, "convertRation", "10 个字符"),
        ({"uploadDate": "2026/03/01 00:16:03"}, "uploadDate", "yyyy-MM-dd HH:mm:ss"),
        ({"uploadDate": 1}, "uploadDate", "yyyy-MM-dd HH:mm:ss"),
        ({"backfill": "true"}, "backfill", "true 或 false"),
    ],
)
def test_each_field_is_checked(overrides, field, reason_part):
    rejection = only_rejection(record(**overrides))
    assert (rejection.index, rejection.field) == (0, field)
    assert reason_part in rejection.reason


def test_a_record_must_be_an_object():
    rejection = only_rejection(["dataCode", ELECTRICITY])
    assert (rejection.index, rejection.field) == (0, "record")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"1e999999"])
def test_non_finite_or_huge_json_numbers_are_rejected_per_record(constant):
    raw = body([record(dataValue="PLACEHOLDER")]).replace(b'"PLACEHOLDER"', constant)
    [rejection] = validate_records(parse_envelope(raw), ITEMS)[1]
    assert rejection.field == "dataValue"


def test_a_band_with_one_bound_is_shown_as_such():
    rejection = only_rejection(record(dataCode=DAILY_GAS, statType="1", dataValue="-0.5"))
    assert "≥ 0" in rejection.reason


def test_a_shared_bad_statdate_is_reported_for_every_record():
    bad = "2026-03-01 00:00:30"
    _, rejections = validate(record(statDate=bad), record(dataCode=COAL, statDate=bad))
    assert [(r.index, r.field) for r in rejections] == [(0, "statDate"), (1, "statDate")]


def test_a_full_cycle_of_a_hundred_items_validates():
    items = {
        f"0000000002{3300 + n:04d}0000": ItemSpec(n, StatType.REALTIME, 15, None, None)
        for n in range(100)
    }
    envelope = parse_envelope(body([record(dataCode=code) for code in items]))
    readings, rejections = validate_records(envelope, items)
    assert rejections == []
    assert [reading.item_id for reading in readings] == list(range(100))
