"""计量器具台账: pages and API scoped as DESIGN section 1 says, unique numbers per
enterprise, the GB 17167 check, expiry badges and the once-per-expiry warning."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.metering import class_value, requirements, shortfalls, worse_than
from applications.models import Meter
from applications.services.meters import ledger_summary, warn_expiring_meters
from portal.models import Notification, Region
from tests.portal.factories import EnterpriseFactory, GovernmentViewerFactory

from .factories import DesignSchemeFactory, MeterFactory

pytestmark = pytest.mark.django_db

ROW = {
    "name": "三相智能电能表",
    "management_number": "DB-001",
    "model": "DTZ341",
    "accuracy_class": "0.5S",
    "energy_type": "3300",
    "metering_level": "1",
    "location": "总降压站进线",
    "interface": "RS-485",
    "certificate_number": "JD2026-001",
    "valid_until": "2099-01-01",
}


def test_a_member_keeps_the_ledger_through_the_pages(client_for, enterprise, member):
    client = client_for(member)
    assert client.get(reverse("applications:meter_index")).url == reverse(
        "applications:meter_list", args=[enterprise.pk]
    )
    response = client.post(reverse("applications:meter_create", args=[enterprise.pk]), ROW)
    assert response.status_code == 302
    meter = Meter.objects.get()
    assert meter.enterprise == enterprise and meter.valid_until == date(2099, 1, 1)

    page = client.get(reverse("applications:meter_list", args=[enterprise.pk])).content.decode()
    assert "DB-001" in page and "JD2026-001" in page

    response = client.post(
        reverse("applications:meter_edit", args=[meter.pk]), {**ROW, "location": "1# 进线柜"}
    )
    assert response.status_code == 302
    assert Meter.objects.get().location == "1# 进线柜"

    # Deleting asks first; only the POST of the confirmation deletes.
    page = client.get(reverse("applications:meter_delete", args=[meter.pk]))
    assert "确认删除" in page.content.decode() and Meter.objects.exists()
    client.post(reverse("applications:meter_delete", args=[meter.pk]))
    assert not Meter.objects.exists()


def test_a_management_number_is_unique_within_one_enterprise(client_for, enterprise, member):
    MeterFactory(enterprise=enterprise, management_number="DB-001")
    MeterFactory(enterprise=EnterpriseFactory(), management_number="DB-002")
    client = client_for(member)
    response = client.post(reverse("applications:meter_create", args=[enterprise.pk]), ROW)
    assert response.status_code == 200
    assert "本单位已有该管理编号的计量器具" in response.content.decode()
    # Another enterprise's number does not count.
    response = client.post(
        reverse("applications:meter_create", args=[enterprise.pk]),
        {**ROW, "management_number": "DB-002"},
    )
    assert response.status_code == 302
    assert Meter.objects.filter(enterprise=enterprise).count() == 2


def test_reviewers_and_region_viewers_read_outsiders_do_not(
    client_for, enterprise, member, reviewer, outsider
):
    meter = MeterFactory(enterprise=enterprise)
    ledger = reverse("applications:meter_list", args=[enterprise.pk])
    assert client_for(reviewer).get(ledger).status_code == 200
    viewer = GovernmentViewerFactory(region=enterprise.region)
    as_viewer = client_for(viewer)
    page = as_viewer.get(ledger)
    assert page.status_code == 200 and meter.management_number in page.content.decode()
    # Viewers read only.
    assert "登记计量器具" not in page.content.decode()
    assert as_viewer.get(reverse("applications:meter_edit", args=[meter.pk])).status_code == 403
    assert (
        as_viewer.post(reverse("applications:meter_create", args=[enterprise.pk]), ROW).status_code
        == 403
    )
    elsewhere = client_for(GovernmentViewerFactory(region=Region.YICHANG))
    assert elsewhere.get(ledger).status_code == 404
    as_outsider = client_for(outsider)
    assert as_outsider.get(ledger).status_code == 404
    assert as_outsider.get(reverse("applications:meter_edit", args=[meter.pk])).status_code == 404
    assert (
        as_outsider.post(reverse("applications:meter_delete", args=[meter.pk])).status_code == 404
    )
    assert Meter.objects.filter(pk=meter.pk).exists()


def test_the_ledger_list_costs_the_same_for_many_meters(
    client_for, enterprise, member, django_assert_max_num_queries
):
    DesignSchemeFactory(enterprise=enterprise, sent=True)
    client = client_for(member)
    url = reverse("applications:meter_list", args=[enterprise.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(12):
        MeterFactory(enterprise=enterprise, metering_level=1 + n % 3, energy_type="1500")
    with django_assert_max_num_queries(len(one)):
        page = client.get(url)
    assert page.content.decode().count('class="meter-row"') == Meter.objects.count()


def test_the_index_counts_meters_in_sql(client_for, reviewer, django_assert_max_num_queries):
    for _ in range(3):
        enterprise = EnterpriseFactory()
        MeterFactory(enterprise=enterprise)
        MeterFactory(enterprise=enterprise, valid_until=timezone.localdate() - timedelta(days=1))
    client = client_for(reviewer)
    client.get(reverse("applications:meter_index"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("applications:meter_index")).content.decode()
    assert page.count('<span class="badge bg-danger">1</span>') == 3


# --- GB 17167 ----------------------------------------------------------------------------


def test_the_requirements_are_read_from_the_domain_csv():
    req = requirements()
    assert req.rates[("3300", 1)] == 100 and req.rates[("3300", 3)] == 95
    assert req.rates[("3200", 2)] == 80  # steam -> 热力
    assert req.accuracy["3300"] == "2.0"  # the loosest electricity class (IV/V customers)
    assert req.accuracy["2200"] == "1.0"


def test_accuracy_classes_compare_with_the_s_suffix():
    assert class_value("0.5S") == (class_value("0.5")[0], True)
    assert worse_than("2.5", "2.0") and not worse_than("1.0", "2.0")
    assert worse_than("0.5", "0.5S") and not worse_than("0.5S", "0.5")
    assert class_value("高精度") is None


def test_shortfalls_name_missing_levels_low_accuracy_and_expired_certificates(enterprise):
    today = timezone.localdate()
    meters = [
        MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=1),
        MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=2),
        MeterFactory(
            enterprise=enterprise, energy_type="1500", metering_level=1, accuracy_class="2.5"
        ),
        MeterFactory(
            enterprise=enterprise,
            energy_type="1500",
            metering_level=2,
            valid_until=today - timedelta(days=1),
        ),
    ]
    found = shortfalls(meters, ["3300", "1500"], today=today)
    kinds = {(f["kind"], f["energy"], f["level"]) for f in found}
    assert ("level", "3300", 3) in kinds and ("level", "1500", 3) in kinds
    assert ("level", "3300", 1) not in kinds and ("level", "3300", 2) not in kinds
    assert ("accuracy", "1500", 1) in kinds
    assert ("accuracy", "3300", 1) not in kinds  # 0.5S is better than 2.0
    assert ("expired", "1500", 2) in kinds
    # An energy type of the scheme without any meter misses every level.
    found = shortfalls(meters, ["3200"], today=today)
    assert {("level", "3200", level) for level in (1, 2, 3)} <= {
        (f["kind"], f["energy"], f["level"]) for f in found
    }


def test_the_ledger_page_shows_the_shortfalls(client_for, enterprise, member):
    DesignSchemeFactory(enterprise=enterprise, sent=True)  # electricity and natural gas
    page = client_for(member).get(reverse("applications:meter_list", args=[enterprise.pk]))
    text = page.content.decode()
    assert 'id="shortfalls"' in text
    assert "天然气：GB 17167 要求二级（进出主要次级用能单位）计量器具配备率 100%" in text


def test_a_full_ledger_has_no_shortfall(client_for, enterprise, member):
    for level in (1, 2, 3):
        MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=level)
    text = client_for(member).get(reverse("applications:meter_list", args=[enterprise.pk]))
    assert "未发现不足" in text.content.decode()
    assert ledger_summary(enterprise)["shortfalls"] == []


# --- expiry -------------------------------------------------------------------------------


def test_the_list_marks_expired_and_expiring_meters(client_for, enterprise, member, settings):
    settings.METER_EXPIRY_WARNING_DAYS = 30
    today = timezone.localdate()
    MeterFactory(enterprise=enterprise, valid_until=today - timedelta(days=1))
    MeterFactory(enterprise=enterprise, valid_until=today + timedelta(days=10))
    MeterFactory(enterprise=enterprise, valid_until=today + timedelta(days=90))
    text = client_for(member).get(reverse("applications:meter_list", args=[enterprise.pk]))
    text = text.content.decode()
    assert text.count('data-state="expired"') == 1 and text.count("已过期</span>") == 1
    assert text.count('data-state="expiring"') == 1 and text.count("即将到期</span>") == 1
    assert text.count('data-state="valid"') == 1


def test_the_expiry_warning_is_sent_once_per_meter_and_expiry(enterprise, member, settings):
    settings.METER_EXPIRY_WARNING_DAYS = 30
    today = timezone.localdate()
    soon = MeterFactory(enterprise=enterprise, valid_until=today + timedelta(days=10))
    MeterFactory(enterprise=enterprise, valid_until=today + timedelta(days=60))
    assert warn_expiring_meters() == 1
    assert warn_expiring_meters() == 0
    notes = Notification.objects.filter(recipient=member)
    assert notes.count() == 1
    assert notes.get().link == reverse("applications:meter_list", args=[enterprise.pk])
    # Re-verified with a new certificate that again runs out: a new warning.
    Meter.objects.filter(pk=soon.pk).update(valid_until=today + timedelta(days=20))
    assert warn_expiring_meters() == 1
    assert notes.count() == 2


def test_the_beat_runs_the_expiry_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["warn-expiring-meters"]
    assert entry["task"] == "applications.tasks.warn_expiring_meters"
    from applications.tasks import warn_expiring_meters as task

    assert task.name == entry["task"]


# --- API ----------------------------------------------------------------------------------


API = "/api/v1/meters/"


def test_the_api_keeps_the_ledger_for_members(api_client_for, enterprise, member, outsider):
    client = api_client_for(member)
    response = client.post(API, {**ROW, "metering_level": 1}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["enterprise"] == enterprise.pk and body["validity"] == "valid"
    pk = body["id"]
    duplicate = client.post(API, {**ROW, "metering_level": 1}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["field"] == "management_number"
    assert client.patch(f"{API}{pk}/", {"location": "新位置"}, format="json").status_code == 200
    assert Meter.objects.get(pk=pk).location == "新位置"

    as_outsider = api_client_for(outsider)
    assert as_outsider.get(f"{API}{pk}/").status_code == 404
    assert as_outsider.delete(f"{API}{pk}/").status_code == 404
    assert as_outsider.get(API).json()["count"] == 0

    viewer = api_client_for(GovernmentViewerFactory(region=enterprise.region))
    assert viewer.get(f"{API}{pk}/").status_code == 200
    assert viewer.delete(f"{API}{pk}/").status_code == 403
    assert client.delete(f"{API}{pk}/").status_code == 204
    assert not Meter.objects.exists()


def test_the_api_filters_expired_meters(api_client_for, enterprise, member):
    MeterFactory(enterprise=enterprise, valid_until=timezone.localdate() - timedelta(days=3))
    MeterFactory(enterprise=enterprise)
    rows = api_client_for(member).get(API, {"validity": "expired"}).json()["results"]
    assert [r["validity"] for r in rows] == ["expired"]


def test_the_meters_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/meters/" in schema["paths"]
    assert "/api/v1/meters/{id}/" in schema["paths"]
    assert "/api/v1/design-schemes/{id}/parts/" in schema["paths"]


def test_the_enterprise_dashboard_counts_the_ledger(client_for, enterprise, member, settings):
    settings.METER_EXPIRY_WARNING_DAYS = 30
    today = timezone.localdate()
    MeterFactory(enterprise=enterprise)
    MeterFactory(enterprise=enterprise, valid_until=today - timedelta(days=2))
    MeterFactory(enterprise=enterprise, valid_until=today + timedelta(days=5))
    page = client_for(member).get(reverse("dashboard")).content.decode()
    assert 'id="panel-ledger"' in page
    assert "3 台计量器具" in page and "已过期 1" in page and "即将到期 1" in page


def test_the_ledger_exports_as_csv_and_xlsx(client_for, enterprise, member, outsider):
    MeterFactory(enterprise=enterprise, management_number="=HYPERLINK(1)")
    MeterFactory(enterprise=enterprise, management_number="DB-002")
    client = client_for(member)
    response = client.get(reverse("applications:meter_export_csv", args=[enterprise.pk]))
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and text.startswith("管理编号,")
    assert "DB-002" in text and "'=HYPERLINK(1)" in text  # neutralised for spreadsheets
    response = client.get(reverse("applications:meter_export_xlsx", args=[enterprise.pk]))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    url = reverse("applications:meter_export_csv", args=[enterprise.pk])
    assert client_for(outsider).get(url).status_code == 404


def test_a_draft_schemes_energy_types_stay_the_institutes(client_for, enterprise, member):
    MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=1)
    DesignSchemeFactory(
        enterprise=enterprise,
        parts=False,
        energy_types=[{"energy_type": "3200", "collection_method": "meter"}],
        instruments=[],
    )
    text = client_for(member).get(reverse("applications:meter_list", args=[enterprise.pk]))
    assert "热力" not in text.content.decode()
