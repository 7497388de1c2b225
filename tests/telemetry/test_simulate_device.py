"""manage.py simulate_device against a live portal: outage, then backfill in the next cycle."""

import io

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command

from telemetry.models import Reading, UploadBatch

from .factories import DataItemFactory, device_with_certificate


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="relies on eager ingestion in the server")
def test_the_simulator_backfills_the_outage_in_the_next_cycle(live_server, tmp_path):
    from tests.portal.factories import EnterpriseFactory

    enterprise = EnterpriseFactory()
    kit = device_with_certificate(enterprise)
    items = [DataItemFactory(enterprise=enterprise) for _ in range(2)]
    key_path = tmp_path / "device.key"
    key_path.write_bytes(
        kit.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    out = io.StringIO()
    call_command(
        "simulate_device",
        url=live_server.url,
        enterprise=enterprise.uscc,
        device=kit.device.serial,
        key=str(key_path),
        cert_serial=kit.serial_hex,
        cycles=3,
        outage_cycles=1,
        seed=1,
        stdout=out,
    )
    text = out.getvalue()
    assert "未送达" in text and "补传" in text, text
    assert "缓存中还有 0 条" in text
    assert Reading.objects.filter(item__in=items).count() == 6
    # The first cycle's slot was re-sent, marked as a backfill, before the second cycle's.
    first_slot = Reading.objects.order_by("slot").first().slot
    resend = UploadBatch.objects.get(pk=Reading.objects.filter(slot=first_slot).first().batch_id)
    assert b'"backfill":true' in bytes(resend.raw_body)
    for item in items:
        low, high = item.value_min, item.value_max
        assert all(low <= r.value <= high for r in Reading.objects.filter(item=item))
    assert UploadBatch.objects.filter(status="stored").count() == 3
