"""manage.py simulate_device: an end device uploading through the real HTTP API.

Wraps telemetry.client.DeviceClient. Each cycle sends one real-time slot of every active
real-time item of the enterprise (values drawn inside each item's plausibility band),
after first re-sending whatever earlier cycles could not deliver. ``--outage-cycles N``
makes the first N cycles fail as if the network were down; the cycle after them backfills
(断点续传) and the receipts show it.

    manage.py simulate_device --enterprise 91420100MA4K... --device HB-DEV-0001 \\
        --key var/devices/HB-DEV-0001.key --cert-serial 5f3c... --cycles 4 --outage-cycles 1
    manage.py simulate_device --enterprise ... --device HB-DEV-0001 --provision

``--provision`` generates a key and a CSR and has the portal's CA sign it through the
applications services (the CA must be initialised and the access application approved).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applications import pki
from telemetry.client import ClientError, DeviceClient
from telemetry.models import DataItem, EndDevice
from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start


class Command(BaseCommand):
    help = "Simulate an end device: sign and upload cycles of readings, with outages and backfill."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="portal base URL")
        parser.add_argument("--enterprise", required=True, help="enterprise USCC")
        parser.add_argument("--device", required=True, help="end-device serial")
        parser.add_argument("--key", help="device private key (PEM)")
        parser.add_argument("--cert-serial", help="device certificate serial (hex)")
        parser.add_argument("--provision", action="store_true", help="generate key and certificate")
        parser.add_argument("--cycles", type=int, default=4)
        parser.add_argument("--outage-cycles", type=int, default=0)
        parser.add_argument(
            "--interval", type=float, default=0, help="seconds to wait between cycles"
        )
        parser.add_argument("--buffer", help="backfill buffer file (JSON lines)")
        parser.add_argument("--seed", type=int, default=None, help="random seed for values")

    def handle(self, *args, **options):
        from portal.models import Enterprise

        enterprise = Enterprise.objects.filter(uscc=options["enterprise"]).first()
        if enterprise is None:
            raise CommandError(f"没有统一社会信用代码为 {options['enterprise']} 的企业")
        serial = options["device"]
        if options["provision"]:
            key, cert_serial, key_path = self._provision(enterprise, serial, options["key"])
            self.stdout.write(f"已签发证书 {cert_serial}，私钥保存在 {key_path}")
        else:
            if not (options["key"] and options["cert_serial"]):
                raise CommandError("请给出 --key 和 --cert-serial，或使用 --provision")
            key = serialization.load_pem_private_key(
                Path(options["key"]).read_bytes(), password=None
            )
            cert_serial = options["cert_serial"]
        items = list(
            DataItem.objects.filter(
                enterprise=enterprise, is_active=True, stat_type=StatType.REALTIME
            ).order_by("data_code")
        )
        if not items:
            raise CommandError("该企业没有启用的实时数据采集项，请先登记采集项")
        if options["cycles"] < 1 or options["outage_cycles"] < 0:
            raise CommandError("--cycles 至少为 1，--outage-cycles 不能为负")

        client = DeviceClient(
            options["url"],
            enterprise_code=enterprise.uscc,
            device_serial=serial,
            private_key=key,
            cert_serial_hex=cert_serial,
            buffer_path=Path(options["buffer"]) if options["buffer"] else None,
        )
        rng = random.Random(options["seed"])
        cycles = options["cycles"]
        # The last cycle sends the slot that has just ended, so the run ends on time.
        last = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
        if options["outage_cycles"]:
            client.simulate_outage(options["outage_cycles"])
        for cycle in range(cycles):
            slot = last - timedelta(minutes=15 * (cycles - 1 - cycle))
            for result in client.flush_buffer():
                self._report(client, f"周期 {cycle + 1} 补传", result)
            records = [
                client.reading(
                    i.data_code, _plausible(i, rng), slot, convert_ration=i.convert_ration
                )
                for i in items
                if i.interval_minutes == 15 or slot.minute % i.interval_minutes == 0
            ]
            result = client.upload(records)
            self._report(client, f"周期 {cycle + 1} {format_wire_time(slot)}", result)
            if options["interval"] and cycle < cycles - 1:
                time.sleep(options["interval"])
        left = len(client.buffered_records())
        self.stdout.write(f"结束：缓存中还有 {left} 条待补传记录")

    def _report(self, client, label, result):
        if result.status is None:
            self.stdout.write(f"{label}: 未送达（{result.error}），{result.record_count} 条已缓存")
            return
        payload = result.payload
        line = (
            f"{label}: HTTP {result.status} messageId={result.message_id} "
            f"status={payload.get('status')} accepted={payload.get('accepted')} "
            f"rejected={len(payload.get('rejected') or [])}"
        )
        if result.ok and payload.get("status") == "queued":
            receipt = self._receipt(client, result.message_id)
            if receipt:
                line += (
                    f" -> 回执 status={receipt['status']} stored={receipt['storedCount']} "
                    f"corrected={receipt['correctedCount']} "
                    f"duplicates={receipt['duplicateCount']}"
                )
        elif not result.ok:
            line += f" detail={payload.get('detail')}"
        self.stdout.write(line)

    def _receipt(self, client, message_id):
        # The worker stores the batch within moments; poll briefly (bounded).
        receipt = None
        for _attempt in range(20):
            try:
                receipt = client.receipt(message_id)
            except ClientError:
                return None
            if receipt.get("status") != "queued":
                break
            time.sleep(0.25)
        return receipt

    def _provision(self, enterprise, serial, key_path):
        from applications.services.certificates import issue_certificate
        from portal.models import User

        actor = User.objects.filter(role__in=["reviewer", "operator"], is_active=True).first()
        if actor is None:
            raise CommandError("需要一个审核人员账号来签发证书")
        EndDevice.objects.get_or_create(
            enterprise=enterprise,
            serial=serial,
            defaults={"manufacturer": "模拟端设备", "model": "simulate_device"},
        )
        key = pki.generate_device_key("ec")
        csr = pki.make_csr(
            key, uscc=enterprise.uscc, device_serial=serial, enterprise_name=enterprise.name
        )
        try:
            certificate = issue_certificate(enterprise, actor, csr, serial)
        except Exception as exc:  # refusals of the applications services, shown as they are
            raise CommandError(f"无法签发证书：{exc}") from exc
        path = Path(key_path or Path(settings.BASE_DIR) / "var" / "devices" / f"{serial}.key")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
        return key, certificate.serial_hex, path


def _plausible(item, rng: random.Random) -> Decimal:
    low = item.value_min if item.value_min is not None else Decimal(0)
    high = item.value_max if item.value_max is not None else low + 1000
    if high < low:
        high = low
    span = float(high - low)
    value = Decimal(str(round(float(low) + span * rng.uniform(0.2, 0.8), 2)))
    return min(max(value, low), high)
