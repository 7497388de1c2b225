"""Factories for telemetry records: devices with certificates, data items, connections.

Certificates are signed by a throw-away root made once per test run with applications.pki,
and stored as DeviceCertificate rows exactly as the applications services store them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from applications import pki
from applications.models import DeviceCertificate, VpnAccount
from telemetry.client import DeviceClient
from telemetry.models import Connection, DataItem, EndDevice
from telemetry.protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER, UPLOAD_PATH, canonical_body


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
    from telemetry.timeslots import BEIJING, format_wire_time

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
