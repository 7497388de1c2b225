"""Reference Python client for end devices (端设备) uploading to the portal, protocol v1.0.

It builds and signs envelopes (see :mod:`telemetry.protocol`), keeps whatever could not be
delivered in a local JSON-lines buffer and re-sends it, marked ``"backfill": true``, at the
start of the next cycle (断点续传, SPEC §5.3). Only the standard library is used for HTTP;
another HTTP stack can be plugged in as a :class:`Transport`. One client per device process:
the buffer is not shared between threads or processes.

How to use::

    from datetime import date, datetime, timedelta
    from pathlib import Path
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from telemetry.client import DeviceClient
    from telemetry.timeslots import BEIJING, StatType, slot_start

    client = DeviceClient(
        "https://portal.example.cn",
        enterprise_code="91420100XXXXXXXXXX",
        device_serial="DEV-0001",
        private_key=load_pem_private_key(Path("device.key").read_bytes(), password=None),
        cert_serial_hex="5f3c9a...",  # applications.pki.serial_hex(device_certificate)
        buffer_path=Path("/var/lib/energy-device/buffer.jsonl"),
    )
    # Each cycle, right after the slot boundary: first what failed before, then the new slot.
    slot = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
    client.flush_buffer()
    result = client.upload([client.reading("000000000233000000", "1234.56", slot)])
    if result.buffered:
        ...  # no answer or a server error: kept on disk, re-sent by the next flush_buffer()
    client.receipt(result.message_id)  # accepted and rejected rows of that batch
    client.gaps(date(2026, 3, 1), date(2026, 3, 2))  # slots the portal is missing

The same upload with openssl and curl. ``body.json`` must be sent byte for byte as signed
(no reformatting afterwards); the serial header is lowercase hex without leading zeros::

    SERIAL=$(openssl x509 -in device.crt -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
    SIG=$(openssl dgst -sha256 -sign device.key body.json | base64 -w0)
    curl --fail-with-body -H 'Content-Type: application/json' \\
         -H "X-Cert-Serial: $SERIAL" -H "X-Signature: $SIG" \\
         --data-binary @body.json https://portal.example.cn/api/v1/telemetry/uploads

A GET has no body, so its signature covers the request target, path plus query string
exactly as sent (e.g. ``b"/api/v1/telemetry/gaps?from=2026-03-01&to=2026-03-02"``)::

    TARGET='/api/v1/telemetry/gaps?from=2026-03-01&to=2026-03-02'
    SIG=$(printf '%s' "$TARGET" | openssl dgst -sha256 -sign device.key | base64 -w0)
    curl -H "X-Cert-Serial: $SERIAL" -H "X-Signature: $SIG" "https://portal.example.cn$TARGET"

``openssl dgst -sign`` yields exactly what the portal expects: a DER ECDSA signature for an
EC P-256 key, a PKCS#1 v1.5 signature for an RSA key, both over SHA-256.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from applications.pki import DeviceKey, sign_body
from telemetry.datacode import DataCode
from telemetry.protocol import (
    CERT_SERIAL_HEADER,
    GAPS_PATH,
    PROTOCOL_VERSION,
    SIGNATURE_HEADER,
    UPLOAD_PATH,
    canonical_body,
)
from telemetry.timeslots import BEIJING, StatType, format_wire_time

logger = logging.getLogger(__name__)

# The portal accepts up to 500 records per envelope; resends stay well below that so that a
# long outage is caught up in several modest requests rather than one huge one.
FLUSH_BATCH_SIZE = 100

# Answers worth retrying next cycle besides 5xx: request timeout and rate limiting.
RETRY_STATUSES = frozenset({408, 429})

Record = dict[str, Any]


class TransportError(Exception):
    """No HTTP answer arrived (connection refused, timeout, TLS failure, outage)."""


class Transport(Protocol):
    """Sends one request and returns (HTTP status, decoded JSON object).

    Raises TransportError when there is no answer at all. An HTTP error status is an answer,
    not an exception.
    """

    def __call__(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]: ...


class UrllibTransport:
    """The default transport, on urllib.request; ``ssl_context`` may carry the portal's CA."""

    def __init__(self, timeout: float = 10, ssl_context: ssl.SSLContext | None = None):
        self.timeout = timeout
        self.ssl_context = ssl_context

    def __call__(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout, context=self.ssl_context
            ) as response:
                return response.status, _json_object(response.read())
        except urllib.error.HTTPError as error:  # an answer with an error status
            with error:
                return error.code, _json_object(error.read())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"请求 {url} 未得到应答：{exc}") from exc


def _json_object(raw: bytes) -> dict[str, Any]:
    # Proxies and load balancers answer 502/504 with HTML; keep their text for the operator.
    try:
        payload = json.loads(raw)
    except ValueError:
        return {"detail": raw.decode("utf-8", errors="replace")[:500]}
    return payload if isinstance(payload, dict) else {"detail": payload}


@dataclass
class UploadResult:
    """What happened to one envelope: ``status`` None means no answer arrived."""

    message_id: str
    record_count: int
    status: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    buffered: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """No answer, a server error or a request to slow down: try again next cycle."""
        return self.status is None or self.status >= 500 or self.status in RETRY_STATUSES


class ClientError(Exception):
    """A GET answered with a non-2xx status; ``payload`` holds the portal's explanation."""

    def __init__(self, status: int, payload: dict[str, Any]):
        super().__init__(f"门户返回 HTTP {status}：{payload}")
        self.status = status
        self.payload = payload


class DeviceClient:
    """Uploads readings for one end device, buffering and re-sending on failure.

    ``transport`` replaces the urllib transport (``timeout`` only applies to the latter).
    Without ``buffer_path`` undelivered records are kept in memory and lost on restart; a
    real device passes a path on persistent storage.
    """

    def __init__(
        self,
        base_url: str,
        *,
        enterprise_code: str,
        device_serial: str,
        private_key: DeviceKey,
        cert_serial_hex: str,
        buffer_path: Path | None = None,
        transport: Transport | None = None,
        timeout: float = 10,
    ):
        self.base_url = base_url.rstrip("/")
        self.enterprise_code = enterprise_code
        self.device_serial = device_serial
        self.cert_serial_hex = cert_serial_hex
        self.buffer_path = buffer_path
        self._private_key = private_key
        self._transport = transport or UrllibTransport(timeout)
        self._memory_buffer: list[Record] = []
        self._outage_cycles = 0

    # --- Building -------------------------------------------------------------------------

    @staticmethod
    def reading(
        data_code: str,
        value: Decimal | int | float | str,
        stat_date: datetime | str,
        stat_type: int = StatType.REALTIME,
        scope: int = 1,
        input_type: int = 4,
        valid: bool = True,
        convert_ration: Decimal | int | float | str | None = None,
    ) -> Record:
        """One record in wire format; ``stat_date`` is the start of its period.

        Defaults: real-time, whole plant (scope 1), read from a field instrument (inputType 4).
        """
        DataCode.parse(data_code)  # fail on the device rather than in the portal's receipt
        record: Record = {
            "dataCode": data_code,
            "dataValue": _decimal_text(value),
            "valid": "1" if valid else "0",
            "scope": str(scope),
            "inputType": str(input_type),
            "statType": str(int(stat_type)),
            "statDate": stat_date if isinstance(stat_date, str) else format_wire_time(stat_date),
        }
        if convert_ration is not None:
            record["convertRation"] = _decimal_text(convert_ration)
        return record

    def build_batch(
        self,
        records: Sequence[Record],
        message_id: str | None = None,
        sent_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The envelope for ``records``; every record's ``uploadDate`` is set to ``sentAt``."""
        sent = format_wire_time(sent_at or datetime.now(BEIJING))
        return {
            "version": PROTOCOL_VERSION,
            "messageId": message_id or str(uuid.uuid4()),
            "enterpriseCode": self.enterprise_code,
            "deviceSerial": self.device_serial,
            "sentAt": sent,
            "records": [{**record, "uploadDate": sent} for record in records],
        }

    # --- Sending --------------------------------------------------------------------------

    def upload(self, records: Sequence[Record]) -> UploadResult:
        """Send one batch; on no answer or a retryable status, buffer it for the next cycle.

        A 4xx answer is not buffered: sending the same thing again would be refused again.
        """
        batch = self.build_batch(records)
        result = self._post(batch)
        if self._outage_cycles > 0:
            self._outage_cycles -= 1
        if result.retryable:
            self._append_to_buffer(batch["records"])
            result.buffered = True
            logger.warning(
                "上传失败（%s），%d 条记录已缓存，将在下一周期补传",
                result.error or f"HTTP {result.status}",
                len(records),
            )
        return result

    def flush_buffer(self) -> list[UploadResult]:
        """Re-send buffered records in batches of at most FLUSH_BATCH_SIZE.

        A batch leaves the buffer only after a 2xx answer; the first failure stops the flush
        and keeps it and everything after it for the next cycle. Records the portal rejected
        in a 2xx receipt are not kept: their problem is in the data, not the delivery.
        """
        pending = self.buffered_records()
        results: list[UploadResult] = []
        while pending:
            result = self._post(self.build_batch(pending[:FLUSH_BATCH_SIZE]))
            results.append(result)
            if not result.ok:
                break
            pending = pending[FLUSH_BATCH_SIZE:]
            self._replace_buffer(pending)
        return results

    def receipt(self, message_id: str) -> dict[str, Any]:
        """The portal's receipt for an uploaded batch (queued/stored, accepted, rejected)."""
        return self._get(f"{UPLOAD_PATH}/{quote(message_id, safe='')}")

    def gaps(self, since: date | datetime, until: date | datetime) -> dict[str, Any]:
        """Slots the portal is missing for this device between ``since`` and ``until``.

        A datetime is sent as wire time (``yyyy-MM-dd HH:mm:ss``), a date as ``yyyy-MM-dd``.
        """
        query = urlencode({"from": _query_time(since), "to": _query_time(until)}, quote_via=quote)
        return self._get(f"{GAPS_PATH}?{query}")

    def simulate_outage(self, cycles: int) -> None:
        """Make the next ``cycles`` uploads, and any flush before them, fail as if offline."""
        if cycles < 0:
            raise ValueError("cycles 不能为负数")
        self._outage_cycles = cycles

    def _post(self, batch: dict[str, Any]) -> UploadResult:
        body = canonical_body(batch)
        message_id, count = batch["messageId"], len(batch["records"])
        try:
            status, payload = self._request("POST", UPLOAD_PATH, body, signed=body)
        except TransportError as exc:
            return UploadResult(message_id, count, None, error=str(exc))
        return UploadResult(message_id, count, status, payload)

    def _get(self, target: str) -> dict[str, Any]:
        status, payload = self._request("GET", target, None, signed=target.encode())
        if not 200 <= status < 300:
            raise ClientError(status, payload)
        return payload

    def _request(
        self, method: str, target: str, body: bytes | None, *, signed: bytes
    ) -> tuple[int, dict[str, Any]]:
        if self._outage_cycles > 0:
            raise TransportError("模拟网络中断（simulate_outage）")
        headers = {
            CERT_SERIAL_HEADER: self.cert_serial_hex,
            SIGNATURE_HEADER: sign_body(self._private_key, signed),
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._transport(method, self.base_url + target, body, headers)

    # --- Buffer ---------------------------------------------------------------------------

    def buffered_records(self) -> list[Record]:
        """Records waiting to be re-sent, oldest first."""
        if self.buffer_path is None:
            return list(self._memory_buffer)
        if not self.buffer_path.exists():
            return []
        records = []
        with self.buffer_path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except ValueError:
                    # A line torn by a power cut must not block every later resend.
                    logger.error("补传缓存 %s 第 %d 行已损坏，已跳过", self.buffer_path, number)
        return records

    def _append_to_buffer(self, records: Sequence[Record]) -> None:
        marked = [{**record, "backfill": True} for record in records]
        if self.buffer_path is None:
            self._memory_buffer.extend(marked)
            return
        self.buffer_path.parent.mkdir(parents=True, exist_ok=True)
        with self.buffer_path.open("a", encoding="utf-8") as out:
            out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in marked)
            out.flush()
            os.fsync(out.fileno())  # the records exist nowhere else once the batch failed

    def _replace_buffer(self, records: Sequence[Record]) -> None:
        if self.buffer_path is None:
            self._memory_buffer = list(records)
            return
        # Write aside and rename, so a crash leaves either the old or the new buffer whole.
        scratch = self.buffer_path.with_name(self.buffer_path.name + ".tmp")
        with scratch.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, self.buffer_path)


def _decimal_text(value: Decimal | int | float | str) -> str:
    """Plain decimal notation, as the wire wants (no exponent, no float artefacts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("数值不能是布尔值")
    # repr() of a float is its shortest round-trip text: 0.1 stays "0.1", not 0.1000000000000000055.
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return format(number, "f")


def _query_time(value: date | datetime) -> str:
    return format_wire_time(value) if isinstance(value, datetime) else value.isoformat()
