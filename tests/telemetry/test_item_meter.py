"""A data item points at its meter in the enterprise's 计量器具台账 (applications.Meter):
chosen in the item form, the file import and the items API, only among its own meters."""

import pytest
from django.urls import reverse

from telemetry.energy import current_energy_types
from telemetry.models import DataItem
from telemetry.services.importexport import COLUMNS, ImportRefused, header, import_items
from tests.applications.factories import MeterFactory
from tests.portal.factories import EnterpriseFactory

from .test_registry import item_post

pytestmark = pytest.mark.django_db

HEADER = ",".join(header(k, label) for k, label, _f in COLUMNS)
ROW = "010200030233000001,一号变压器,3300,,kWh,0,15,2,4,meter,0,5000,2,电能表,,1,{meter}"


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8-sig")


def test_the_item_form_offers_only_the_enterprises_meters(client_for, member, enterprise):
    own = MeterFactory(enterprise=enterprise, management_number="DB-001")
    foreign = MeterFactory(enterprise=EnterpriseFactory(), management_number="DB-999")
    client = client_for(member)
    url = reverse("telemetry:item_create", args=[enterprise.pk])
    page = client.get(url).content.decode()
    assert "DB-001" in page and "DB-999" not in page

    electricity = current_energy_types().get(code="3300").pk
    response = client.post(url, item_post(energy_type=electricity, meter=foreign.pk))
    assert response.status_code == 200 and "meter" in response.context["form"].errors
    assert not DataItem.objects.exists()

    response = client.post(url, item_post(energy_type=electricity, meter=own.pk))
    assert response.status_code == 302
    assert DataItem.objects.get().meter == own
    page = client.get(reverse("telemetry:item_detail", args=[DataItem.objects.get().pk]))
    assert 'id="item-meter"' in page.content.decode() and "DB-001" in page.content.decode()


def test_the_import_finds_the_meter_by_its_management_number(member, enterprise):
    meter = MeterFactory(enterprise=enterprise, management_number="DB-001")
    MeterFactory(enterprise=EnterpriseFactory(), management_number="DB-002")
    import_items(member, enterprise, "items.csv", csv_file(ROW.format(meter="DB-001")))
    assert DataItem.objects.get().meter == meter

    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "items.csv", csv_file(ROW.format(meter="DB-002")))
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "meterNumber")]


def test_a_file_without_the_meter_column_still_imports(member, enterprise):
    old_header = ",".join(header(k, label) for k, label, _f in COLUMNS[:-1])
    body = old_header + "\n" + ROW.rsplit(",", 1)[0] + "\n"
    result = import_items(member, enterprise, "items.csv", body.encode("utf-8-sig"))
    assert result["created"] == 1 and DataItem.objects.get().meter is None


def test_the_items_api_takes_and_shows_the_meter(api_client_for, member, enterprise):
    MeterFactory(enterprise=enterprise, management_number="DB-001")
    client = api_client_for(member)
    body = {
        "dataCode": "010200030233000001",
        "name": "一号变压器",
        "energyCode": "3300",
        "meteringLevel": 1,
        "meterNumber": "DB-001",
    }
    url = "/api/v1/telemetry/items/"
    response = client.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["meterNumber"] == "DB-001"
    refused = client.post(
        url, {**body, "dataCode": "010200030233000002", "meterNumber": "NOPE"}, format="json"
    )
    assert refused.status_code == 400


def test_deleting_a_meter_leaves_the_item_without_one(member, enterprise):
    meter = MeterFactory(enterprise=enterprise)
    import_items(
        member, enterprise, "items.csv", csv_file(ROW.format(meter=meter.management_number))
    )
    meter.delete()
    assert DataItem.objects.get().meter is None
