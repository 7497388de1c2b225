"""The operator's admin for telemetry: read-only pages that render, cost the same few queries
for any number of rows, show upload bodies by size only, and a trial restart that goes
through the trial service."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from portal.models import AuditEvent
from telemetry.models import (
    Alarm,
    AlarmKind,
    Connection,
    ConnectionState,
    EnergyType,
    HistoricalEnergyImport,
    ItemChangeRequest,
    MonthlyFiling,
    OutageNotice,
    ReadingRevision,
    RefusalReason,
    TrialRun,
    TrialStatus,
    UploadBatch,
)
from telemetry.refusals import record as record_refusal
from tests.portal.admin_pages import (
    AdminPagesContract,
    act,
    admin_url,
    changelist_url,
    messages_of,
    registered_models,
)
from tests.portal.factories import EnterpriseFactory, member_of

from .factories import DataItemFactory, EndDeviceFactory, trial_connection

BODY = b'{"note": "raw-body-marker", "records": []}' + b" " * 2000
START = date(2026, 3, 1)


def build_records(count: int) -> None:
    """`count` enterprises with a failed trial and one of each monitoring record."""
    now = timezone.now()
    energy_type = EnergyType.objects.filter(dictionary__is_current=True).first()
    for _ in range(count):
        enterprise = EnterpriseFactory()
        member = member_of(enterprise)
        connection = trial_connection(enterprise, START, state=ConnectionState.TRIAL_FAILED)
        TrialRun.objects.create(
            connection=connection,
            number=1,
            started_on=START,
            ends_on=START + timedelta(days=14),
            status=TrialStatus.FAILED,
        )
        device = EndDeviceFactory(enterprise=enterprise)
        item = DataItemFactory(enterprise=enterprise, device=device, energy_type=energy_type)
        ItemChangeRequest.objects.create(
            enterprise=enterprise,
            item=item,
            kind="deactivate",
            stat_type=0,
            interval_minutes=15,
            is_active=False,
            requested_on=START,
            effective_on=START,
            reason="测试停用",
        )
        batch = UploadBatch.objects.create(
            enterprise=enterprise,
            device=device,
            message_id=f"msg-{device.pk}",
            body_sha256="0" * 64,
            raw_body=BODY,
            cert_serial="0a1b",
            sent_at=now,
            received_at=now,
        )
        ReadingRevision.objects.create(
            enterprise=enterprise,
            item=item,
            slot=now,
            old_value=1,
            old_valid=False,
            old_arrival=0,
            old_received_at=now,
            value=2,
            valid=True,
            arrival=0,
            received_at=now,
            batch=batch,
            replaced_at=now,
        )
        Alarm.objects.create(
            enterprise=enterprise,
            device=device,
            kind=AlarmKind.SILENT_DEVICE,
            subject=f"device:{device.pk}",
            opened_at=now,
        )
        MonthlyFiling.objects.create(
            enterprise=enterprise, month=date(2026, 1, 1), filed_by=member, filed_at=now
        )
        OutageNotice.objects.create(
            enterprise=enterprise,
            device=device,
            starts_at=now,
            expected_end=now + timedelta(hours=8),
            reason="计划检修",
            filed_by=member,
        )
        HistoricalEnergyImport.objects.create(
            enterprise=enterprise, original_name="历史能耗.xlsx", uploaded_by=member
        )
        record_refusal(enterprise.pk, "0a1b", device.serial, RefusalReason.BAD_SIGNATURE)


@pytest.fixture
def records(db):
    build_records(2)


class TestAdminPages(AdminPagesContract):
    models = registered_models("telemetry")
    expected = {
        "Alarm",
        "Connection",
        "DataItem",
        "EndDevice",
        "EnergyDictionary",
        "EnergyType",
        "HistoricalEnergyImport",
        "ItemChangeRequest",
        "MonthlyFiling",
        "OutageNotice",
        "ReadingRevision",
        "TrialRun",
        "UploadBatch",
        "UploadRefusal",
    }
    build_records = staticmethod(build_records)


def test_an_upload_batch_shows_its_body_by_size(records, operator, client_for):
    client = client_for(operator)
    batch = UploadBatch.objects.first()
    for url in (changelist_url(UploadBatch), admin_url(batch, "change")):
        page = client.get(url).content.decode()
        assert str(len(BODY)) in page
        assert "raw-body-marker" not in page


def test_restarting_a_trial_from_the_admin_goes_through_the_service(records, operator, client_for):
    connection = Connection.objects.filter(state=ConnectionState.TRIAL_FAILED).first()
    response = act(client_for(operator), Connection, "restart", [connection], comment="更换模块")
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.state == ConnectionState.TRIAL_RUNNING
    assert connection.trial_started_on == timezone.localdate() + timedelta(days=1)
    event = AuditEvent.objects.for_object(connection).get(event="trial_restarted")
    assert event.actor == operator and event.comment == "更换模块"
    runs = TrialRun.objects.filter(connection=connection)
    assert sorted(runs.values_list("number", "status")) == [
        (1, TrialStatus.FAILED),
        (2, TrialStatus.RUNNING),
    ]
    assert any("已重新开始" in message for message in messages_of(response))


def test_a_restart_the_service_refuses_is_told_and_changes_nothing(records, operator, client_for):
    connection = Connection.objects.first()
    Connection.objects.filter(pk=connection.pk).update(state=ConnectionState.TRIAL_PASSED)
    response = act(client_for(operator), Connection, "restart", [connection], comment="再测")
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.TRIAL_PASSED
    assert not AuditEvent.objects.filter(event="trial_restarted").exists()
    assert any(str(connection.enterprise) in message for message in messages_of(response))


def test_a_restart_needs_a_reason(records, operator, client_for):
    connection = Connection.objects.first()
    response = act(client_for(operator), Connection, "restart", [connection], comment=" ")
    assert Connection.objects.get(pk=connection.pk).state == ConnectionState.TRIAL_FAILED
    assert any("重新开始的原因" in message for message in messages_of(response))
