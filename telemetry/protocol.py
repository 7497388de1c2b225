"""The portal's own upload protocol, version 1.0 (DESIGN §4; SPEC §10 without ``signature``).

A device POSTs a JSON envelope to ``/api/v1/telemetry/uploads``::

    {"version": "1.0", "messageId": "…", "enterpriseCode": "<USCC, 18 chars>",
     "deviceSerial": "…", "sentAt": "2026-03-01 00:16:03",
     "records": [{"dataCode": "<18 digits>", "dataValue": "1234.56", "convertRation": "0.1229",
                  "valid": "1", "scope": "1", "inputType": "4", "statType": "0",
                  "statDate": "2026-03-01 00:00:00", "uploadDate": "2026-03-01 00:16:03",
                  "backfill": false}]}

and proves who it is with two headers: ``X-Cert-Serial`` (hex serial of its certificate) and
``X-Signature`` (base64 signature over the exact body bytes, see ``applications.pki``). The
server verifies the signature over the bytes it received, before parsing them, so there is
no canonical form to agree on: :func:`canonical_body` is only how the reference client
happens to serialise.

This module checks the envelope and the records; certificates, replay and storage are the
API's business. The record check runs on the request path for batches of up to 100 records,
so it is a lean hand-written check rather than a DRF serializer (DESIGN §4 measured ~4 ms
against ~0.1 ms per request): lookups in prepared tables, one regex per number, and no
exception on the path a good record takes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from telemetry.timeslots import (
    STAT_TYPE_LABELS,
    StatType,
    alignment_error,
    format_wire_time,
    next_slot,
    normalised_slot,
    parse_wire_time,
)

PROTOCOL_VERSION = "1.0"
UPLOAD_PATH = "/api/v1/telemetry/uploads"
GAPS_PATH = "/api/v1/telemetry/gaps"
CERT_SERIAL_HEADER = "X-Cert-Serial"
SIGNATURE_HEADER = "X-Signature"

MAX_MESSAGE_ID_CHARS = 64
# Reference field widths (SPEC §5.1): dataValue string ≤15, convertRation string ≤10.
MAX_VALUE_CHARS = 15
MAX_RATION_CHARS = 10

_USCC = re.compile(r"[0-9A-Z]{18}", re.ASCII)
_DATA_CODE = re.compile(r"\d{18}", re.ASCII)
# Plain decimal notation only: Decimal() itself would also take "NaN", "1e3", " 1", "1_000".
_DECIMAL_TEXT = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)

# Code tables accept the reference client's strings ("1") and plain JSON integers (1).
_STAT_TYPES = {**{str(t.value): t.value for t in StatType}, **{t.value: t.value for t in StatType}}
_SCOPES = {**{str(n): n for n in range(1, 5)}, **{n: n for n in range(1, 5)}}
_INPUT_TYPES = {**{str(n): n for n in range(1, 8)}, **{n: n for n in range(1, 8)}}
_FLAGS = {"1": True, "0": False, 1: True, 0: False}

_STAT_TYPE_REASON = "statType 应为 0（实时）、1（日）、2（月）或 3（年）"
_VALID_REASON = 'valid 应为 "1"（有效）或 "0"（可疑）'
_SCOPE_REASON = "scope 应为 1（全厂）、2（生产工序）、3（生产工序单元）或 4（重点耗能设备）"
_INPUT_TYPE_REASON = "inputType 应为 1 至 7 的数据采集来源代码"


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """What the portal knows about one registered data item, keyed by its dataCode."""

    item_id: int
    stat_type: int
    interval_minutes: int
    value_min: Decimal | None
    value_max: Decimal | None
    # Start (Beijing midnight) of the day the item was registered: its first revision's
    # day, else its creation day. None: not known (no check against it).
    registered_from: datetime | None = None


@dataclass(slots=True)
class Rejection:
    """Why a record (``index``) or the whole envelope (``index`` None) was refused."""

    index: int | None
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class ParsedReading:
    """A record that passed every check, ready to be upserted on (item_id, slot)."""

    index: int
    item_id: int
    slot: datetime
    value: Decimal
    valid: bool
    convert_ration: Decimal | None
    upload_date: datetime | None
    backfill: bool


class EnvelopeError(Exception):
    """The request as a whole is refused; ``field`` is the envelope member at fault."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason

    def to_rejection(self) -> Rejection:
        return Rejection(None, self.field, self.reason)


@dataclass(frozen=True)
class Envelope:
    """The checked envelope members; ``records`` is still the raw decoded list."""

    message_id: str
    enterprise_code: str
    device_serial: str
    sent_at: datetime
    records: list[Any]


# --- Envelope ------------------------------------------------------------------------------


def parse_envelope(body: bytes, *, max_records: int = 500) -> Envelope:
    """Decode and check the envelope; raise EnvelopeError for anything that refuses it whole."""
    try:
        # Numbers become Decimal so that a JSON 0.1 is exactly 0.1; NaN and Infinity are let
        # through here to be refused per record rather than failing the whole batch.
        data = json.loads(body, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise EnvelopeError("body", f"请求体不是合法的 UTF-8 JSON：{exc}") from exc
    if type(data) is not dict:
        raise EnvelopeError("body", "请求体应为 JSON 对象")

    version = data.get("version")
    if version != PROTOCOL_VERSION:
        raise EnvelopeError("version", f"不支持的协议版本 {version!r}，应为 {PROTOCOL_VERSION!r}")
    message_id = _required_text(data, "messageId")
    if len(message_id) > MAX_MESSAGE_ID_CHARS:
        raise EnvelopeError("messageId", f"messageId 不得超过 {MAX_MESSAGE_ID_CHARS} 个字符")
    enterprise_code = _required_text(data, "enterpriseCode")
    if _USCC.fullmatch(enterprise_code) is None:
        raise EnvelopeError(
            "enterpriseCode", "enterpriseCode 应为 18 位统一社会信用代码（数字或大写字母）"
        )
    device_serial = _required_text(data, "deviceSerial")
    try:
        sent_at = parse_wire_time(_required_text(data, "sentAt"))
    except ValueError as exc:
        raise EnvelopeError("sentAt", str(exc)) from exc

    records = data.get("records")
    if type(records) is not list or not records:
        raise EnvelopeError("records", "records 应为非空数组")
    if len(records) > max_records:
        raise EnvelopeError("records", f"本批次有 {len(records)} 条记录，超过上限 {max_records} 条")
    return Envelope(message_id, enterprise_code, device_serial, sent_at, records)


def _required_text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        raise EnvelopeError(name, f"缺少必填字段 {name}")
    if type(value) is not str or not value:
        raise EnvelopeError(name, f"{name} 应为非空字符串")
    if not value.isprintable():
        # A control character (NUL above all) cannot be stored or echoed back safely.
        raise EnvelopeError(name, f"{name} 含有控制字符")
    return value


def check_skew(sent_at: datetime, now: datetime, max_skew: timedelta) -> Rejection | None:
    """Refuse an envelope whose ``sentAt`` is too far from server time (replay window)."""
    skew = abs(sent_at - now)
    if skew <= max_skew:
        return None
    return Rejection(
        None,
        "sentAt",
        f"发送时间 {format_wire_time(sent_at)} 与服务器时间 {format_wire_time(now)} "
        f"相差 {int(skew.total_seconds())} 秒，超过允许的 {int(max_skew.total_seconds())} 秒，"
        "请校准端设备时钟",
    )


def canonical_body(envelope_dict: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the way the reference client serialises the body it signs.

    The server never re-serialises: it checks the signature over the bytes as received.
    Values must be JSON-native (send decimals as strings, as the wire format does).
    """
    return json.dumps(envelope_dict, ensure_ascii=False, separators=(",", ":")).encode()


# --- Records -------------------------------------------------------------------------------


def validate_records(
    envelope: Envelope,
    items: Mapping[str, ItemSpec],
    *,
    received_at: datetime | None = None,
    skew: timedelta = timedelta(0),
) -> tuple[list[ParsedReading], list[Rejection]]:
    """Check every record; return the accepted readings and one rejection per refused record.

    A record is refused for the first failing field, in wire order. Of two records naming the
    same data item and slot, the later one is refused as a duplicate within the batch.
    With ``received_at``, a slot in the future (:func:`timing_reason`) or before the item's
    registration is refused too.
    """
    readings: list[ParsedReading] = []
    rejections: list[Rejection] = []
    first_index: dict[tuple[int, datetime], int] = {}
    # The records of a batch nearly all share one statDate and one uploadDate, so each
    # distinct text is parsed (and aligned) once per batch: datetime work dominates the cost.
    memo: dict[tuple[Any, ...], datetime | str] = {}
    for index, record in enumerate(envelope.records):
        outcome = _parse_record(index, record, items, memo)
        if type(outcome) is Rejection:
            rejections.append(outcome)
            continue
        if received_at is not None:
            spec = items[record["dataCode"]]
            reason = timing_reason(spec, spec.stat_type, outcome.slot, received_at, skew)
            if reason is not None:
                rejections.append(Rejection(index, "statDate", reason))
                continue
        key = (outcome.item_id, outcome.slot)
        first = first_index.setdefault(key, index)
        if first != index:
            rejections.append(
                Rejection(
                    index,
                    "statDate",
                    f"与本批次 index={first} 的记录是同一采集项、同一统计时段，批次内重复",
                )
            )
            continue
        readings.append(outcome)
    return readings, rejections


def _parse_record(
    index: int,
    record: Any,
    items: Mapping[str, ItemSpec],
    memo: dict[tuple[Any, ...], datetime | str],
) -> ParsedReading | Rejection:
    if type(record) is not dict:
        return Rejection(index, "record", "每条记录应为 JSON 对象")

    code = record.get("dataCode")
    spec = items.get(code) if type(code) is str else None
    if spec is None:
        return Rejection(index, "dataCode", _data_code_reason(code))

    raw = record.get("statType")
    stat_type = _STAT_TYPES.get(raw) if type(raw) in (str, int) else None
    if stat_type is None:
        return _bad_code(index, "statType", raw, _STAT_TYPE_REASON)
    if stat_type != spec.stat_type:
        return Rejection(
            index,
            "statType",
            f"statType={stat_type}（{STAT_TYPE_LABELS[stat_type]}）与登记的采集项不符，"
            f"该采集项登记为 {spec.stat_type}（{STAT_TYPE_LABELS[spec.stat_type]}）",
        )

    raw = record.get("statDate")
    if type(raw) is not str:
        return _bad_time(index, "statDate", raw)
    key = (raw, stat_type, spec.interval_minutes)
    slot = memo.get(key)
    if slot is None:
        slot = memo[key] = _slot(raw, stat_type, spec.interval_minutes)
    if type(slot) is str:
        return Rejection(index, "statDate", slot)

    raw = record.get("dataValue")
    if raw is None:
        return _missing(index, "dataValue")
    value = _decimal(raw, MAX_VALUE_CHARS)
    if type(value) is str:
        return Rejection(index, "dataValue", f"dataValue {value}")
    if (spec.value_min is not None and value < spec.value_min) or (
        spec.value_max is not None and value > spec.value_max
    ):
        band = band_text(spec.value_min, spec.value_max)
        return Rejection(index, "dataValue", f"数值 {raw} 超出该采集项登记的合理范围 {band}")

    raw = record.get("valid")
    valid = _FLAGS.get(raw) if type(raw) in (str, int) else None
    if valid is None:
        return _bad_code(index, "valid", raw, _VALID_REASON)

    raw = record.get("scope")
    if (_SCOPES.get(raw) if type(raw) in (str, int) else None) is None:
        return _bad_code(index, "scope", raw, _SCOPE_REASON)

    raw = record.get("inputType")
    if (_INPUT_TYPES.get(raw) if type(raw) in (str, int) else None) is None:
        return _bad_code(index, "inputType", raw, _INPUT_TYPE_REASON)

    raw = record.get("convertRation")
    convert_ration = None
    # The reference client sends "" when an item has no coefficient (SPEC §5.1: default 1).
    if raw is not None and raw != "":
        convert_ration = _decimal(raw, MAX_RATION_CHARS)
        if type(convert_ration) is str:
            return Rejection(index, "convertRation", f"convertRation {convert_ration}")
        if convert_ration <= 0:
            return Rejection(index, "convertRation", "convertRation（折标系数）应大于 0")

    raw = record.get("uploadDate")
    upload_date = None
    if raw is not None:
        if type(raw) is not str:
            return _bad_time(index, "uploadDate", raw)
        key = (raw,)
        upload_date = memo.get(key)
        if upload_date is None:
            upload_date = memo[key] = _wire_time(raw)
        if type(upload_date) is str:
            return Rejection(index, "uploadDate", upload_date)

    backfill = record.get("backfill", False)
    if type(backfill) is not bool:
        return Rejection(index, "backfill", "backfill 应为 true 或 false")

    return ParsedReading(
        index, spec.item_id, slot, value, valid, convert_ration, upload_date, backfill
    )


def timing_reason(
    spec: ItemSpec, stat_type: int, slot: datetime, received_at: datetime, skew: timedelta
) -> str | None:
    """Why a reading of ``slot`` cannot be taken, received at ``received_at``; else None.

    A slot that starts later than the receipt time plus the slot's length plus the allowed
    clock skew is in the future; a slot that ends on or before the day the item was
    registered predates it. ``telemetry.ingest`` refuses the same readings (its SQL and its
    portable check) with these sentences.
    """
    try:
        if slot > received_at + skew:  # a reading of a past slot (nearly all) skips this
            end = next_slot(stat_type, slot, spec.interval_minutes)
            if slot > received_at + (end - slot) + skew:
                return future_reason(slot, received_at, skew)
        registered = spec.registered_from
        if registered is not None and slot < registered:
            if next_slot(stat_type, slot, spec.interval_minutes) <= registered:
                return before_registration_reason(slot, registered)
    except (OverflowError, ValueError):  # year 9999 has no next slot
        return future_reason(slot, received_at, skew)
    return None


FUTURE_MARK = "statDate 是未来的时段"


def future_reason(slot: datetime, received_at: datetime, skew: timedelta) -> str:
    return (
        f"{FUTURE_MARK}（{format_wire_time(slot)}）：晚于服务器接收时间 "
        f"{format_wire_time(received_at)} 加一个统计周期和允许的 "
        f"{int(skew.total_seconds())} 秒时钟偏差，不接受未来的数据"
    )


def before_registration_reason(slot: datetime, registered_from: datetime) -> str:
    return (
        f"statDate {format_wire_time(slot)} 所属时段早于该采集项的登记日期 "
        f"{format_wire_time(registered_from)[:10]}，不接受登记之前的数据"
    )


def _slot(text: str, stat_type: int, interval_minutes: int) -> datetime | str:
    """The normalised slot named by a statDate text, else why it names none."""
    stat_date = _wire_time(text)
    if type(stat_date) is str:
        return stat_date
    reason = alignment_error(stat_type, stat_date, interval_minutes)
    if reason is not None:
        return reason
    return normalised_slot(stat_type, stat_date, interval_minutes)


def _wire_time(text: str) -> datetime | str:
    try:
        return parse_wire_time(text)
    except ValueError as exc:
        return str(exc)


def _missing(index: int, name: str) -> Rejection:
    return Rejection(index, name, f"缺少必填字段 {name}")


def _bad_code(index: int, name: str, raw: Any, reason: str) -> Rejection:
    return _missing(index, name) if raw is None else Rejection(index, name, reason)


def _bad_time(index: int, name: str, raw: Any) -> Rejection:
    if raw is None:
        return _missing(index, name)
    return Rejection(index, name, f"{name} 应为“yyyy-MM-dd HH:mm:ss”格式的字符串，收到 {raw!r}")


def _data_code_reason(code: Any) -> str:
    if code is None:
        return "缺少必填字段 dataCode"
    if type(code) is not str or _DATA_CODE.fullmatch(code) is None:
        return f"dataCode 应为 18 位数字的数据采集项编码，收到 {code!r}"
    return f"未登记的数据采集项编码 {code}"


def _decimal(raw: Any, max_chars: int) -> Decimal | str:
    """The number in ``raw`` (a decimal string or a JSON number), else why it is not one.

    The reason is returned rather than raised so that bad values cost no exception.
    """
    kind = type(raw)
    if kind is str:
        text = raw
        if _DECIMAL_TEXT.fullmatch(text) is None:
            return f'应为十进制数字（如 "1234.56"），收到 {raw!r}'
    elif kind is Decimal or kind is int:  # bool is excluded by the exact type test
        number = Decimal(raw)
        if not number.is_finite():
            return f"应为有限数值，收到 {raw}"
        # Guard the fixed-point rendering below against exponents like 1e999999.
        if abs(number.adjusted()) > max_chars:
            return f"超出 {max_chars} 个字符的长度上限，收到 {raw}"
        text = format(number, "f")
    else:
        return f"应为十进制数字字符串或数值，收到 {raw!r}"
    if len(text) > max_chars:
        return f"写成十进制后不得超过 {max_chars} 个字符，收到 {text}"
    return Decimal(text)


def band_text(value_min: Decimal | None, value_max: Decimal | None) -> str:
    """A plausibility band as people write it: "[0, 1000]", "≥ 0", "≤ 10.5"."""

    def plain(value: Decimal) -> str:  # the column keeps 4 places: 10.0000 reads as 10
        return format(value.normalize(), "f")

    if value_min is not None and value_max is not None:
        return f"[{plain(value_min)}, {plain(value_max)}]"
    if value_min is not None:
        return f"≥ {plain(value_min)}"
    return f"≤ {plain(value_max)}"
