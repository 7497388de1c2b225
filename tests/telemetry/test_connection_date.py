"""对接测试 ends, and the connection date (正式接入) is recorded, when every registered item a
device reports has a stored valid reading; the history import runs to the month before it."""

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from telemetry.ingest import ingest_batches, store_readings
from telemetry.models import Connection, ConnectionState, InputType, TrialRun
from telemetry.services.connection import record_connected
from telemetry.services.energy_history import history_cutoff, last_allowed_month
from telemetry.timeslots import StatType

from .factories import DataItemFactory, connection_for, device_with_certificate
from .test_ingest import at, queued_batch, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def items(enterprise, kit):
    """Two real-time items and a daily one; a hand-filed monthly item and a retired item
    are not waited for."""
    DataItemFactory(enterprise=enterprise, stat_type=StatType.MONTHLY, input_type=InputType.MANUAL)
    DataItemFactory(enterprise=enterprise, is_active=False)
    return [
        DataItemFactory(enterprise=enterprise, device=kit.device),
        DataItemFactory(enterprise=enterprise, device=kit.device),
        DataItemFactory(enterprise=enterprise, device=kit.device, stat_type=StatType.DAILY),
    ]


def upload(enterprise, kit, item, slot, received, valid=True):
    batch = queued_batch(kit, [item], at(slot), at(received))
    store_readings(enterprise, [reading(item, at(slot), valid=valid)], at(received), batch)


def connected_at(enterprise):
    return Connection.objects.get(enterprise=enterprise).connected_at


def test_the_connection_date_is_when_the_last_item_had_its_first_valid_reading(
    enterprise, kit, items
):
    connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    realtime, other, daily = items
    upload(enterprise, kit, realtime, "2026-03-02 10:00", "2026-03-02 10:16")
    conn = Connection.objects.get(enterprise=enterprise)
    assert conn.state == ConnectionState.TRIAL_RUNNING  # the first reading starts the trial
    assert conn.connected_at is None  # but two items have nothing valid yet
    upload(enterprise, kit, other, "2026-03-02 10:00", "2026-03-02 10:20", valid=False)
    upload(enterprise, kit, daily, "2026-03-01 00:00", "2026-03-02 10:30")
    assert connected_at(enterprise) is None  # a suspect value (valid=0) is not enough
    upload(enterprise, kit, other, "2026-03-02 10:15", "2026-03-02 10:40")
    assert connected_at(enterprise) == at("2026-03-02 10:40")
    # Set once: later readings, and new items, do not move it.
    upload(enterprise, kit, realtime, "2026-03-02 10:30", "2026-03-02 10:46")
    DataItemFactory(enterprise=enterprise, device=kit.device)
    upload(enterprise, kit, realtime, "2026-03-02 10:45", "2026-03-02 11:01")
    assert connected_at(enterprise) == at("2026-03-02 10:40")


def test_the_worker_path_records_it_in_the_ingestion(enterprise, kit):
    connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    item = DataItemFactory(enterprise=enterprise, device=kit.device)
    batch = queued_batch(kit, [item], at("2026-03-02 10:00"), at("2026-03-02 10:17"))
    ingest_batches([batch.pk])
    assert connected_at(enterprise) == at("2026-03-02 10:17")


def test_readings_filed_by_hand_do_not_connect(enterprise, kit):
    connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    item = DataItemFactory(enterprise=enterprise, device=kit.device)
    store_readings(enterprise, [reading(item, at("2026-03-02 10:00"))], at("2026-03-02 10:20"))
    assert connected_at(enterprise) is None


def test_an_enterprise_without_items_is_not_connected(enterprise):
    connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    assert record_connected([enterprise.pk]) == 0
    assert connected_at(enterprise) is None


def test_recording_is_one_statement_for_many_enterprises(
    enterprise, kit, items, django_assert_num_queries
):
    connection_for(enterprise, ConnectionState.INTEGRATION_TESTING)
    with django_assert_num_queries(1):
        assert record_connected([enterprise.pk, enterprise.pk + 1000]) == 0


def _set_connected(enterprise, when):
    Connection.objects.filter(enterprise=enterprise).update(connected_at=when)


def test_pages_show_the_connection_date(enterprise, member, viewer, client_for):
    conn = connection_for(enterprise, ConnectionState.TRIAL_RUNNING)
    Connection.objects.filter(pk=conn.pk).update(
        first_reading_at=at("2026-03-02 10:16"), trial_started_on=date(2026, 3, 3)
    )
    run = TrialRun.objects.create(
        connection=conn, number=1, started_on=date(2026, 3, 3), ends_on=date(2026, 3, 17)
    )
    page = reverse("telemetry:enterprise_monitoring", args=[enterprise.pk])
    trial = reverse("telemetry:trial_detail", args=[run.pk])
    html = client_for(member).get(page).content.decode()
    assert "尚有登记的采集项未收到有效数据" in html and "正式接入：" not in html
    assert "尚未正式接入" in client_for(viewer).get(trial).content.decode()
    _set_connected(enterprise, at("2026-03-02 10:40"))
    html = client_for(member).get(page).content.decode()
    assert "对接测试已完成，正式接入：2026-03-02 10:40" in html
    assert "正式接入：2026-03-02 10:40" in client_for(viewer).get(trial).content.decode()


def test_the_history_runs_to_the_month_before_the_connection_date(enterprise, member, client_for):
    conn = connection_for(enterprise)
    Connection.objects.filter(pk=conn.pk).update(
        credentials_issued_at=datetime(2025, 6, 15, 12, tzinfo=timezone.get_current_timezone())
    )
    url = reverse("telemetry:history", args=[enterprise.pk])
    # Before the connection date: the credentials' month is the fallback, and the page says so.
    assert history_cutoff(enterprise) == (date(2025, 5, 1), False)
    page = client_for(member).get(url).content.decode()
    assert "尚未正式接入" in page and "可导入至 2025-05" in page
    _set_connected(enterprise, at("2025-09-01 00:30"))  # Beijing September (UTC: August)
    assert last_allowed_month(enterprise) == date(2025, 8, 1)
    page = client_for(member).get(url).content.decode()
    assert "尚未正式接入" not in page and "至 2025-08" in page
