"""Monitoring made honest: figures from each item's registration, refused requests and
missing certificates on the page, duplicates shown as duplicates."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications import pki
from telemetry import overview, refusals
from telemetry.models import BatchStatus, RefusalReason, UploadBatch, UploadRefusal
from tests.portal.factories import EnterpriseFactory

from .factories import (
    DataItemFactory,
    beijing,
    device_with_certificate,
    full_days,
    issue_certificate_row,
    one_record_body,
    rollup,
    signed_get,
    signed_post,
    trial_connection,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def body(kit):
    return one_record_body(kit)


def monitoring(client, enterprise):
    return client.get(reverse("telemetry:enterprise_monitoring", args=[enterprise.pk]))


# --- Refused requests -------------------------------------------------------------------------


def test_a_repeated_bad_signature_is_one_row_with_a_counter(client, kit, body):
    stranger = pki.generate_device_key()
    for _ in range(3):
        assert signed_post(client, kit, body, key=stranger).status_code == 401
    (row,) = UploadRefusal.objects.all()
    assert (row.enterprise_id, row.reason, row.count) == (
        kit.device.enterprise_id,
        RefusalReason.BAD_SIGNATURE,
        3,
    )
    assert (row.cert_serial, row.device_serial) == (kit.serial_hex, kit.device.serial)
    assert row.first_at <= row.last_at


def test_each_reason_and_hour_gets_its_own_row():
    enterprise = EnterpriseFactory()
    at = beijing(2026, 3, 4, 10, 5)
    refusals.record(enterprise.pk, "ab", "D1", RefusalReason.BAD_SIGNATURE, at)
    refusals.record(
        enterprise.pk, "ab", "D1", RefusalReason.BAD_SIGNATURE, at + timedelta(minutes=50)
    )
    refusals.record(enterprise.pk, "ab", "D1", RefusalReason.BAD_SIGNATURE, at + timedelta(hours=1))
    refusals.record(enterprise.pk, "ab", "D1", RefusalReason.REVOKED, at)
    counts = sorted(UploadRefusal.objects.values_list("reason", "count"))
    assert counts == [("bad_signature", 1), ("bad_signature", 2), ("revoked", 1)]


def test_a_revoked_certificate_is_counted_on_the_gap_request_too(client, kit):
    kit.certificate.revoked_at = timezone.now() - timedelta(minutes=1)
    kit.certificate.save()
    assert (
        signed_get(client, kit, "/api/v1/telemetry/gaps?from=2026-03-04&to=2026-03-04").status_code
        == 403
    )
    assert UploadRefusal.objects.get().reason == RefusalReason.REVOKED


def test_an_expired_certificate_is_counted(client, enterprise, body):
    device = device_with_certificate(enterprise).device
    key, row = issue_certificate_row(
        enterprise, device.serial, not_after=timezone.now() - timedelta(minutes=1)
    )
    kit = type("Kit", (), {"serial_hex": row.serial_hex, "key": key})
    assert signed_post(client, kit, {**body, "deviceSerial": device.serial}).status_code == 401
    assert UploadRefusal.objects.get().reason == RefusalReason.EXPIRED


def test_an_unknown_certificate_cannot_be_attributed_and_is_not_stored(client, kit, body):
    assert signed_post(client, kit, body, serial="abc123").status_code == 401
    assert not UploadRefusal.objects.exists()


def test_the_page_lists_the_enterprises_refusals_only(
    client, client_for, member, outsider, kit, body, other_enterprise
):
    signed_post(client, kit, body, key=pki.generate_device_key())
    refusals.record(other_enterprise.pk, "ff", "X", RefusalReason.REVOKED)
    html = monitoring(client_for(member), kit.device.enterprise).content.decode()
    assert "签名校验失败" in html and kit.serial_hex in html
    assert "证书已吊销" not in html
    assert monitoring(client_for(outsider), kit.device.enterprise).status_code == 404


def test_old_refusals_drop_off_the_page(client_for, member, enterprise, settings):
    settings.TELEMETRY_REFUSALS_SHOWN_DAYS = 2
    refusals.record(
        enterprise.pk, "ab", "D1", RefusalReason.REVOKED, timezone.now() - timedelta(days=3)
    )
    page = monitoring(client_for(member), enterprise)
    assert list(page.context["refusals"]) == []
    assert "最近 2 天" in page.content.decode()


def test_no_usable_certificate_is_said_on_the_page(client_for, member, enterprise):
    assert "无有效证书" in monitoring(client_for(member), enterprise).content.decode()
    kit = device_with_certificate(enterprise)
    assert "无有效证书" not in monitoring(client_for(member), enterprise).content.decode()
    kit.certificate.revoked_at = timezone.now() - timedelta(seconds=1)
    kit.certificate.save()
    assert "无有效证书" in monitoring(client_for(member), enterprise).content.decode()


# --- Duplicates -------------------------------------------------------------------------------


def _batch(kit, n, *, stored, duplicates):
    now = timezone.now()
    return UploadBatch.objects.create(
        enterprise=kit.device.enterprise,
        device=kit.device,
        message_id=f"m{n}",
        body_sha256="0" * 64,
        raw_body=b"{}",
        cert_serial=kit.serial_hex,
        sent_at=now,
        received_at=now - timedelta(seconds=n),
        status=BatchStatus.STORED,
        record_count=stored + duplicates,
        accepted_count=stored + duplicates,
        stored_count=stored,
        duplicate_count=duplicates,
    )


def test_receipts_show_duplicates_as_duplicates(client_for, member, kit):
    _batch(kit, 1, stored=0, duplicates=5)
    _batch(kit, 2, stored=3, duplicates=2)
    _batch(kit, 3, stored=4, duplicates=0)
    live = client_for(member).get(
        reverse("telemetry:monitoring_live", args=[kit.device.enterprise_id])
    )
    html = live.content.decode()
    assert "重复：5 条均已存在，未入库" in html
    assert "已入库 3 条，重复 2 条" in html
    assert html.count("已入库") == 2  # the all-new batch, and the mixed one


# --- Completeness from registration -----------------------------------------------------------


def test_item_completeness_starts_at_registration(enterprise):
    item = DataItemFactory(enterprise=enterprise, registered=beijing(2026, 3, 3, 12, 0))
    full_days(item, date(2026, 3, 3), 2)
    rollup(item, date(2026, 3, 3), on_time=(1 << 96) - (1 << 48))  # 12:00-23:45
    chart = overview.item_completeness(enterprise, days=4, today=date(2026, 3, 4))
    assert chart["labels"] == ["03-01", "03-02", "03-03", "03-04"]
    assert chart["datasets"][0]["data"] == [None, None, 100.0, 100.0]


def test_a_new_enterprise_does_not_pull_the_region_average_down(enterprise):
    old = EnterpriseFactory(region=enterprise.region)
    for e in (enterprise, old):
        trial_connection(e, date(2026, 3, 1))
    yesterday = date(2026, 3, 4)
    established = DataItemFactory(enterprise=old)
    full_days(established, yesterday, 1)
    # Registered today: nothing was owed yesterday.
    DataItemFactory(enterprise=enterprise, registered=beijing(2026, 3, 5, 9))
    rows = overview.region_health(
        EnterpriseFactory._meta.model.objects.filter(pk__in=[enterprise.pk, old.pk]),
        today=date(2026, 3, 5),
    )
    by_pk = {r["enterprise"].pk: r for r in rows}
    assert by_pk[enterprise.pk]["completeness"] is None
    assert by_pk[old.pk]["completeness"] == 100.0
    assert overview.region_summary(rows)["average_completeness"] == 100.0


def test_an_item_registered_yesterday_owes_from_its_slot_on(enterprise):
    trial_connection(enterprise, date(2026, 3, 1))
    item = DataItemFactory(enterprise=enterprise, registered=beijing(2026, 3, 4, 12, 7))
    rollup(item, date(2026, 3, 4), on_time=(1 << 96) - (1 << 60))  # 15:00-23:45: 36 slots
    (row,) = overview.region_health(
        EnterpriseFactory._meta.model.objects.filter(pk=enterprise.pk), today=date(2026, 3, 5)
    )
    assert row["expected"] == 96 - 48  # from the 12:00 slot on
    assert row["completeness"] == round(100 * 36 / 48, 1)


def test_the_monitoring_page_has_bounded_queries(client_for, member, kit):
    user = client_for(member)
    enterprise = kit.device.enterprise

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = monitoring(user, enterprise)
        assert page.status_code == 200
        return len(captured)

    DataItemFactory(enterprise=enterprise)
    _batch(kit, 0, stored=1, duplicates=1)
    refusals.record(enterprise.pk, kit.serial_hex, "D", RefusalReason.REVOKED)
    monitoring(user, enterprise)  # session and caches warmed
    few = queries()
    for n in range(1, 6):
        DataItemFactory(enterprise=enterprise)
        _batch(kit, n, stored=1, duplicates=1)
    for reason in RefusalReason.values:
        refusals.record(enterprise.pk, kit.serial_hex, "D", reason)
    assert queries() == few <= 15


def test_the_region_chart_leaves_an_enterprise_that_owed_nothing_blank(
    enterprise, viewer, client_for
):
    trial_connection(enterprise, date(2026, 3, 1))
    DataItemFactory(enterprise=enterprise, registered=timezone.now())
    page = client_for(viewer).get(reverse("telemetry:region_health"))
    assert page.context["chart"]["values"] == [None]
    assert page.context["summary"]["average_completeness"] is None
