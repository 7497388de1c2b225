"""Monthly filing of manual items (through the ingest path) and outage notices."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from portal.models import AuditEvent
from telemetry.models import DailyRollup, MonthlyFiling, OutageNotice, Reading

from .factories import DataItemFactory, EndDeviceFactory


def _manual_item(enterprise, **kwargs):
    return DataItemFactory(
        enterprise=enterprise, stat_type=2, input_type=5, collection_method="manual", **kwargs
    )


def test_filing_a_month_stores_readings_and_a_correction_replaces_them(
    enterprise, member, client_for
):
    item = _manual_item(enterprise, name="外购原煤")
    client = client_for(member)
    url = reverse("telemetry:filing_list")
    response = client.post(url, {"month": "2026-02", f"item_{item.pk}": "1234.5"})
    assert response.status_code == 302
    filing = MonthlyFiling.objects.get(enterprise=enterprise, month=date(2026, 2, 1))
    reading = Reading.objects.get(item=item)
    assert reading.value == Decimal("1234.5")
    assert DailyRollup.objects.filter(item=item, day=date(2026, 2, 1)).exists()
    client.post(url, {"month": "2026-02", f"item_{item.pk}": "1300"})
    filing.refresh_from_db()
    assert filing.revision == 1
    assert Reading.objects.get(item=item).value == Decimal("1300")
    events = AuditEvent.objects.filter(enterprise=enterprise).values_list("event", flat=True)
    assert {"monthly_filed", "monthly_corrected"} <= set(events)


def test_filing_refuses_future_months_bad_formats_and_out_of_range_values(
    enterprise, member, client_for
):
    item = _manual_item(enterprise)
    url = reverse("telemetry:filing_list")
    for month, value, field, text in [
        ("2099-01", "1", "month", "只能填报已结束的月份"),
        ("2026/02", "1", "month", "yyyy-MM"),
        ("2026-02", "-5", f"item_{item.pk}", ""),
    ]:
        response = client_for(member).post(url, {"month": month, f"item_{item.pk}": value})
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert text in str(response.context["form"].errors[field])
    assert not Reading.objects.exists()


def test_outage_notice_and_resolution(enterprise, member, outsider, client_for):
    device = EndDeviceFactory(enterprise=enterprise)
    client = client_for(member)
    response = client.post(
        reverse("telemetry:outage_list"),
        {
            "device": device.pk,
            "starts_at": "2026-03-05T08:00",
            "expected_end": "2026-03-05T07:00",
            "reason": "检修",
        },
    )
    assert "expected_end" in response.context["form"].errors
    client.post(
        reverse("telemetry:outage_list"),
        {
            "device": device.pk,
            "starts_at": "2026-03-05T08:00",
            "expected_end": "2026-03-06T08:00",
            "reason": "变压器检修",
        },
    )
    notice = OutageNotice.objects.get(device=device)
    resolve = reverse("telemetry:outage_resolve", args=[notice.pk])
    assert client_for(outsider).post(resolve).status_code == 404
    assert client.post(resolve).status_code == 302
    notice.refresh_from_db()
    assert notice.resolved_at is not None


def test_outsider_device_is_not_offered(enterprise, member, other_enterprise, client_for):
    EndDeviceFactory(enterprise=other_enterprise, serial="OTHER-1")
    response = client_for(member).get(reverse("telemetry:outage_list"))
    assert "OTHER-1" not in response.content.decode()


def test_a_hand_filed_month_does_not_end_integration_testing(enterprise, member, client_for):
    from portal.workflow import run_transition
    from telemetry.models import Connection, ConnectionState

    connection = Connection.objects.create(enterprise=enterprise)
    run_transition(connection, "begin_integration", None, event="integration_started")
    item = _manual_item(enterprise)
    client_for(member).post(
        reverse("telemetry:filing_list"), {"month": "2026-02", f"item_{item.pk}": "12.5"}
    )
    assert Reading.objects.filter(item=item).exists()
    connection.refresh_from_db()
    assert connection.state == ConnectionState.INTEGRATION_TESTING
