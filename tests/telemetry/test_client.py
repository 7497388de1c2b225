"""The device client: signing, buffering through outages, and resending (断点续传).

A fake transport stands in for the portal; only the urllib transport test opens a socket,
on the loopback interface.
"""

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from applications.pki import (
    check_csr,
    create_root,
    generate_device_key,
    make_csr,
    serial_hex,
    sign_client_certificate,
    verify_body_signature,
)
from telemetry.client import (
    FLUSH_BATCH_SIZE,
    ClientError,
    DeviceClient,
    TransportError,
    UrllibTransport,
)
from telemetry.datacode import DataCodeError
from telemetry.protocol import ItemSpec, parse_envelope, validate_records
from telemetry.timeslots import BEIJING, StatType

BASE_URL = "https://portal.test"
USCC = "91420100MA4K00001X"
DEVICE = "DEV-0001"
ELECTRICITY = "000000000233000000"
ITEMS = {ELECTRICITY: ItemSpec(1, StatType.REALTIME, 15, None, None)}


@dataclass
class Sent:
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]

    @property
    def records(self) -> list[dict]:
        assert self.body is not None
        return json.loads(self.body)["records"]


class FakePortal:
    """A transport that records each request and answers from a script (default: 202)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.answers: list[tuple[int, dict] | Exception] = []

    def __call__(self, method, url, body, headers):
        self.sent.append(Sent(method, url, body, dict(headers)))
        answer = self.answers.pop(0) if self.answers else (202, {"status": "queued"})
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(scope="module")
def authority():
    return create_root()


def issue(authority, kind):
    key = generate_device_key(kind)
    csr = make_csr(key, uscc=USCC, device_serial=DEVICE, enterprise_name="湖北某钢铁有限公司")
    certificate = sign_client_certificate(
        authority,
        check_csr(csr, uscc=USCC, device_serial=DEVICE),
        uscc=USCC,
        device_serial=DEVICE,
        enterprise_name="湖北某钢铁有限公司",
    )
    return key, certificate


@pytest.fixture(scope="module")
def device(authority):
    return issue(authority, "ec")


@pytest.fixture
def portal():
    return FakePortal()


@pytest.fixture
def client(device, portal, tmp_path):
    key, certificate = device
    return DeviceClient(
        BASE_URL + "/",
        enterprise_code=USCC,
        device_serial=DEVICE,
        private_key=key,
        cert_serial_hex=serial_hex(certificate),
        buffer_path=tmp_path / "spool" / "buffer.jsonl",
        transport=portal,
    )


def readings(count: int, hour: int = 0) -> list[dict]:
    """``count`` consecutive quarter-hour readings of one item, valued 0, 1, 2, ..."""
    first = datetime(2026, 3, 1, hour, tzinfo=BEIJING)
    return [
        DeviceClient.reading(ELECTRICITY, n, first + timedelta(minutes=15 * n))
        for n in range(count)
    ]


# --- Building ------------------------------------------------------------------------------


def test_a_reading_is_in_wire_format():
    slot = datetime(2026, 3, 1, 0, 15, tzinfo=BEIJING)
    assert DeviceClient.reading(ELECTRICITY, 0.1, slot, convert_ration=Decimal("0.1229")) == {
        "dataCode": ELECTRICITY,
        "dataValue": "0.1",
        "valid": "1",
        "scope": "1",
        "inputType": "4",
        "statType": "0",
        "statDate": "2026-03-01 00:15:00",
        "convertRation": "0.1229",
    }
    daily = DeviceClient.reading(
        ELECTRICITY, 12, "2026-03-01 00:00:00", stat_type=StatType.DAILY, valid=False
    )
    assert (daily["statType"], daily["valid"], daily["dataValue"]) == ("1", "0", "12")


def test_a_malformed_data_code_fails_on_the_device():
    with pytest.raises(DataCodeError):
        DeviceClient.reading("0233", "1", "2026-03-01 00:00:00")


def test_a_batch_is_an_envelope_the_portal_accepts(client):
    sent_at = datetime(2026, 3, 1, 0, 16, 3, tzinfo=BEIJING)
    batch = client.build_batch(readings(2), message_id="m-1", sent_at=sent_at)
    assert batch["messageId"] == "m-1"
    assert {record["uploadDate"] for record in batch["records"]} == {"2026-03-01 00:16:03"}
    envelope = parse_envelope(json.dumps(batch).encode())
    accepted, rejected = validate_records(envelope, ITEMS)
    assert (len(accepted), rejected) == (2, [])


# --- Signing -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_an_upload_is_signed_with_the_device_key(authority, portal, kind):
    key, certificate = issue(authority, kind)
    client = DeviceClient(
        BASE_URL,
        enterprise_code=USCC,
        device_serial=DEVICE,
        private_key=key,
        cert_serial_hex=serial_hex(certificate),
        transport=portal,
    )
    result = client.upload(readings(3))
    assert result.ok and not result.buffered
    [sent] = portal.sent
    assert (sent.method, sent.url) == ("POST", BASE_URL + "/api/v1/telemetry/uploads")
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["X-Cert-Serial"] == serial_hex(certificate)
    assert verify_body_signature(certificate, sent.body, sent.headers["X-Signature"])
    assert not verify_body_signature(
        certificate, sent.body.replace(b'"0"', b'"1"'), sent.headers["X-Signature"]
    )
    assert parse_envelope(sent.body).message_id == result.message_id


def test_gets_are_signed_over_the_request_target(client, portal, device):
    _, certificate = device
    client.receipt("batch/1")
    client.gaps(date(2026, 3, 1), datetime(2026, 3, 2, 12, tzinfo=BEIJING))
    receipt, gaps = portal.sent
    assert receipt.url == BASE_URL + "/api/v1/telemetry/uploads/batch%2F1"
    target = "/api/v1/telemetry/gaps?from=2026-03-01&to=2026-03-02%2012%3A00%3A00"
    assert gaps.url == BASE_URL + target
    for sent in (receipt, gaps):
        assert sent.method == "GET" and sent.body is None
        assert "Content-Type" not in sent.headers
        signed = sent.url.removeprefix(BASE_URL).encode()
        assert verify_body_signature(certificate, signed, sent.headers["X-Signature"])


def test_a_get_refused_by_the_portal_raises(client, portal):
    portal.answers.append((404, {"detail": "未找到该批次"}))
    with pytest.raises(ClientError) as caught:
        client.receipt("nope")
    assert (caught.value.status, caught.value.payload) == (404, {"detail": "未找到该批次"})


# --- Outages and backfill ------------------------------------------------------------------


def test_an_outage_buffers_records_marked_backfill_and_the_next_flush_sends_them(client, portal):
    client.simulate_outage(1)
    result = client.upload(readings(2))
    assert result.buffered and result.status is None and not result.ok
    assert portal.sent == []
    lines = client.buffer_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["backfill"] for line in lines] == [True, True]

    # Next cycle: the backlog goes first, then the new slot, which is not a backfill.
    [flushed] = client.flush_buffer()
    assert flushed.ok
    assert client.buffered_records() == []
    assert client.upload(readings(1, hour=1)).ok
    backlog, fresh = portal.sent
    assert [record["backfill"] for record in backlog.records] == [True, True]
    assert [record["dataValue"] for record in backlog.records] == ["0", "1"]
    assert "backfill" not in fresh.records[0]


def test_a_flush_during_an_outage_sends_nothing_and_keeps_everything(client, portal):
    client.simulate_outage(2)
    client.flush_buffer()
    client.upload(readings(2))
    assert client.flush_buffer()[0].status is None
    client.upload(readings(3, hour=1))
    assert portal.sent == []
    assert len(client.buffered_records()) == 5
    [flushed] = client.flush_buffer()
    assert flushed.ok and flushed.record_count == 5
    assert client.buffered_records() == []


@pytest.mark.parametrize("answer", [(503, {"detail": "维护中"}), TransportError("连接超时")])
def test_a_failed_flush_keeps_the_records(client, portal, answer):
    client.simulate_outage(1)
    client.upload(readings(2))
    waiting = client.buffered_records()
    portal.answers.append(answer)
    [failed] = client.flush_buffer()
    assert not failed.ok
    assert client.buffered_records() == waiting
    [retried] = client.flush_buffer()
    assert retried.ok and client.buffered_records() == []


def test_a_server_error_is_buffered_but_a_refusal_is_not(client, portal):
    portal.answers.extend([(502, {"detail": "<html>Bad Gateway</html>"}), (400, {"field": "x"})])
    assert client.upload(readings(1)).buffered
    refused = client.upload(readings(1, hour=1))
    assert (refused.status, refused.buffered) == (400, False)
    assert len(client.buffered_records()) == 1


def test_a_long_backlog_is_flushed_in_batches_and_resumed_after_a_failure(client, portal):
    client.simulate_outage(1)
    client.upload(readings(2 * FLUSH_BATCH_SIZE + 50))
    portal.answers.extend([(202, {}), (503, {})])
    results = client.flush_buffer()
    assert [r.record_count for r in results] == [FLUSH_BATCH_SIZE, FLUSH_BATCH_SIZE]
    assert [r.ok for r in results] == [True, False]
    remaining = client.buffered_records()
    assert len(remaining) == FLUSH_BATCH_SIZE + 50
    assert remaining[0]["dataValue"] == str(FLUSH_BATCH_SIZE)  # oldest first, none lost

    assert [r.record_count for r in client.flush_buffer()] == [FLUSH_BATCH_SIZE, 50]
    assert client.buffered_records() == []


def test_a_line_torn_by_a_power_cut_does_not_block_the_backlog(client):
    client.simulate_outage(1)
    client.upload(readings(1))
    with client.buffer_path.open("a", encoding="utf-8") as buffer:
        buffer.write('{"dataCode": "0000')
    assert len(client.buffered_records()) == 1


def test_without_a_buffer_path_the_backlog_is_kept_in_memory(device, portal):
    key, certificate = device
    client = DeviceClient(
        BASE_URL,
        enterprise_code=USCC,
        device_serial=DEVICE,
        private_key=key,
        cert_serial_hex=serial_hex(certificate),
        transport=portal,
    )
    client.simulate_outage(1)
    client.upload(readings(2))
    assert [record["backfill"] for record in client.buffered_records()] == [True, True]
    client.flush_buffer()
    assert client.buffered_records() == []


# --- The default transport -----------------------------------------------------------------


class LoopbackPortal(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        received = json.loads(self.rfile.read(length))
        if received["messageId"] == "fail":
            self._answer(500, b"<html>Internal Server Error</html>", "text/html")
        else:
            reply = {"messageId": received["messageId"], "signature": self.headers["X-Signature"]}
            self._answer(202, json.dumps(reply).encode(), "application/json")

    def _answer(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoopbackPortal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_urllib_transport_returns_answers_and_raises_only_without_one(loopback):
    transport = UrllibTransport(timeout=5)
    url = loopback + "/api/v1/telemetry/uploads"
    headers = {"Content-Type": "application/json", "X-Signature": "c2ln"}
    assert transport("POST", url, b'{"messageId":"m-1"}', headers) == (
        202,
        {"messageId": "m-1", "signature": "c2ln"},
    )
    status, payload = transport("POST", url, b'{"messageId":"fail"}', headers)
    assert (status, payload) == (500, {"detail": "<html>Internal Server Error</html>"})

    closed = ThreadingHTTPServer(("127.0.0.1", 0), LoopbackPortal)
    port = closed.server_address[1]
    closed.server_close()
    with pytest.raises(TransportError, match="未得到应答"):
        transport("POST", f"http://127.0.0.1:{port}/", b"{}", headers)
