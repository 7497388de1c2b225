"""Factories for telemetry records: devices with certificates, data items, connections,
and builders for the monitoring tests (trials under way, roll-up rows written directly).

Certificates are signed by a throw-away root made once per test run with applications.pki,
and stored as DeviceCertificate rows exactly as the applications services store them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from applications import pki
from applications.models import DeviceCertificate, VpnAccount
from telemetry.client import DeviceClient
from telemetry.models import Connection, ConnectionState, DailyRollup, DataItem, EndDevice
from telemetry.protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER, UPLOAD_PATH, canonical_body
from telemetry.timeslots import BEIJING


@functools.cache
def test_root() -> pki.CertificateAuthority:
    return pki.create_root("测试 CA")


class EndDeviceFactory(DjangoModelFactory):
    class Meta:
        model = EndDevice

    serial = factory.Sequence(lambda n: f"HB-DEV-{n:04d}")
    manufacturer = "武汉能测科技有限公司"
    model = "EMS-3000"


class DataItemFactory(DjangoModelFactory):
    class Meta:
        model = DataItem

    data_code = factory.Sequence(lambda n: f"0000{n % 10000:04d}0233000000")
    name = factory.Sequence(lambda n: f"全厂电耗{n}")
    unit = "kWh"
    convert_ration = Decimal("0.1229")
    value_min = Decimal("0")
    value_max = Decimal("100000")

    # When the item was registered (DataItem.created_at, which auto_now_add sets to now, and
    # its first revision): by default long before any day a test looks at; gaps,
    # completeness and the trial's expected slots count from it.
    registered = datetime(2020, 1, 1, tzinfo=UTC)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from telemetry.models import DataItemRevision

        registered = kwargs.pop("registered")
        item = super()._create(model_class, *args, **kwargs)
        model_class.objects.filter(pk=item.pk).update(created_at=registered)
        item.created_at = registered
        DataItemRevision.objects.filter(item=item).update(
            valid_from=registered.astimezone(BEIJING).date()
        )
        return item

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.pop("registered")
        return super()._build(model_class, *args, **kwargs)


@dataclass
class DeviceKit:
    device: EndDevice
    key: pki.DeviceKey
    certificate: DeviceCertificate

    @property
    def serial_hex(self) -> str:
        return self.certificate.serial_hex


def issue_certificate_row(
    enterprise, device_serial: str, key=None, *, not_before=None, not_after=None, uscc=None
):
    """Sign a certificate for ``device_serial`` of ``enterprise`` and store its row."""
    key = key or pki.generate_device_key("ec")
    uscc = uscc or enterprise.uscc
    csr = pki.make_csr(key, uscc=uscc, device_serial=device_serial, enterprise_name=enterprise.name)
    from cryptography import x509

    now = not_before or datetime.now(UTC) - timedelta(days=1)
    cert = pki.sign_client_certificate(
        test_root(),
        x509.load_pem_x509_csr(csr),
        uscc=uscc,
        device_serial=device_serial,
        enterprise_name=enterprise.name,
        now=now,
    )
    row = DeviceCertificate.objects.create(
        enterprise=enterprise,
        device_serial=device_serial,
        serial_hex=pki.serial_hex(cert),
        certificate_pem=pki.certificate_pem(cert).decode(),
        fingerprint=pki.fingerprint_sha256(cert),
        not_before=cert.not_valid_before_utc,
        not_after=not_after or cert.not_valid_after_utc,
        origin="csr",
    )
    return key, row


def device_with_certificate(enterprise, serial: str | None = None, key_kind: str = "ec"):
    """An active EndDevice of ``enterprise``, its private key and its DeviceCertificate."""
    device = EndDeviceFactory(enterprise=enterprise, **({"serial": serial} if serial else {}))
    key, row = issue_certificate_row(enterprise, device.serial, pki.generate_device_key(key_kind))
    return DeviceKit(device, key, row)


def connection_for(enterprise, state: str = "credentials_issued") -> Connection:
    conn = Connection.objects.create(enterprise=enterprise)
    if state != "credentials_issued":
        Connection.objects.filter(pk=conn.pk).update(state=state)
        conn = Connection.objects.get(pk=conn.pk)
    return conn


def vpn_account_for(enterprise, address: str = "10.8.0.10") -> VpnAccount:
    return VpnAccount.objects.create(
        enterprise=enterprise,
        username=f"vpn-{enterprise.pk}-{uuid.uuid4().hex[:6]}",
        password_hash="!",
        password_set_at=timezone.now(),
        tunnel_address=address,
        expires_at=timezone.now() + timedelta(days=365),
    )


# --- Signed requests through the Django test client ----------------------------------------


def envelope(kit: DeviceKit, records, *, message_id=None, sent_at=None, **overrides) -> dict:
    from telemetry.timeslots import format_wire_time

    body = {
        "version": "1.0",
        "messageId": message_id or str(uuid.uuid4()),
        "enterpriseCode": kit.device.enterprise.uscc,
        "deviceSerial": kit.device.serial,
        "sentAt": format_wire_time(sent_at or datetime.now(BEIJING)),
        "records": records,
    }
    body.update(overrides)
    return body


def record(item: DataItem, value, stat_date, **extra) -> dict:
    return {**DeviceClient.reading(item.data_code, value, stat_date, item.stat_type), **extra}


def one_record_body(kit: DeviceKit) -> dict:
    """An upload body with one reading, of a new item of the kit's enterprise, for the slot
    that just ended."""
    from telemetry.timeslots import StatType, slot_start

    item = DataItemFactory(enterprise=kit.device.enterprise)
    slot = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
    return envelope(kit, [record(item, "1", slot)])


def signed_post(client, kit: DeviceKit, body, *, key=None, serial=None, **extra):
    raw = body if isinstance(body, bytes) else canonical_body(body)
    headers = {
        CERT_SERIAL_HEADER: serial if serial is not None else kit.serial_hex,
        SIGNATURE_HEADER: pki.sign_body(key or kit.key, raw),
    }
    return client.post(UPLOAD_PATH, raw, content_type="application/json", headers=headers, **extra)


def signed_get(client, kit: DeviceKit, target: str):
    headers = {
        CERT_SERIAL_HEADER: kit.serial_hex,
        SIGNATURE_HEADER: pki.sign_body(kit.key, target.encode()),
    }
    return client.get(target, headers=headers)


# --- Monitoring: trials under way and roll-up rows written directly ---------------------------
# Roll-ups are normally kept by the ingest path; the evaluation tests write them as they would
# be, so each case states exactly which slots arrived and how.
FULL_DAY = (1 << 96) - 1


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def trial_connection(enterprise, start: date, state=ConnectionState.TRIAL_RUNNING) -> Connection:
    conn = connection_for(enterprise, state)
    Connection.objects.filter(pk=conn.pk).update(
        trial_started_on=start,
        first_reading_at=beijing(start.year, start.month, start.day) - timedelta(hours=3),
    )
    return Connection.objects.get(pk=conn.pk)


def realtime_item(enterprise, device=None, **kwargs) -> DataItem:
    device = device or EndDeviceFactory(enterprise=enterprise)
    return DataItemFactory(enterprise=enterprise, device=device, **kwargs)


def rollup(item: DataItem, day: date, *, on_time=FULL_DAY, backfilled=0, late=0, suspect=0):
    """A roll-up row with the given bitmaps (bit i = slot i of the day)."""
    expected = 96 if item.stat_type == 0 else 1
    return DailyRollup.objects.update_or_create(
        item=item,
        day=day,
        defaults={
            "enterprise_id": item.enterprise_id,
            "expected": expected,
            "on_time": on_time.bit_count(),
            "backfilled": backfilled.bit_count(),
            "late": late.bit_count(),
            "suspect": suspect.bit_count(),
            "on_time_mask": format(on_time, "x"),
            "backfilled_mask": format(backfilled, "x"),
            "late_mask": format(late, "x"),
            "suspect_mask": format(suspect, "x"),
        },
    )[0]


def full_days(item: DataItem, start: date, days: int, **kwargs) -> None:
    for offset in range(days):
        rollup(item, start + timedelta(days=offset), **kwargs)


def without(bits: int, *indexes: int) -> int:
    for index in indexes:
        bits &= ~(1 << index)
    return bits


def stored_readings(item: DataItem, values: dict, *, valid: bool = True) -> None:
    """Reading rows as the ingest path stores them: {slot (aware datetime): value}."""
    from telemetry.models import ArrivalClass, Reading

    Reading.objects.bulk_create(
        Reading(
            item=item,
            slot=slot,
            value=Decimal(str(value)),
            valid=valid,
            arrival=ArrivalClass.ON_TIME,
            received_at=slot,
        )
        for slot, value in values.items()
    )


def registered_since(item: DataItem, day: date) -> DataItem:
    """Backdate an item's registration (its first revision) to ``day``: the trial counts
    expected slots only from the day an item was registered (telemetry.item_history)."""
    from telemetry.models import DataItemRevision

    first = DataItemRevision.objects.filter(item=item).order_by("valid_from").first()
    DataItemRevision.objects.filter(pk=first.pk).update(valid_from=day)
    return item
