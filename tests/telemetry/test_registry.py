"""Registry pages and API: who sees and edits devices and items, and the item checks."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from telemetry.energy import current_energy_types, load_energy_dictionary
from telemetry.models import DataItem, EndDevice, EnergyDictionary
from tests.portal.factories import GovernmentViewerFactory

from .factories import DataItemFactory, EndDeviceFactory, device_with_certificate

pytestmark = pytest.mark.django_db

SEGMENTS = {
    "process": "01",
    "process_unit": "02",
    "device_code": "0003",
    "energy_class": "02",
    "object_code": "3300",
    "usage": "0001",
}


def item_post(**overrides):
    data = {
        **SEGMENTS,
        "name": "一号变压器电耗",
        "unit": "kWh",
        "stat_type": "0",
        "interval_minutes": "15",
        "scope": "2",
        "input_type": "4",
        "collection_method": "meter",
        "value_min": "0",
        "value_max": "5000",
        "metering_level": "2",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def device(enterprise):
    return device_with_certificate(enterprise).device


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise)


def object_urls(enterprise, device, item):
    return [
        reverse("telemetry:enterprise_registry", args=[enterprise.pk]),
        reverse("telemetry:device_create", args=[enterprise.pk]),
        reverse("telemetry:item_create", args=[enterprise.pk]),
        reverse("telemetry:item_import", args=[enterprise.pk]),
        reverse("telemetry:item_export_xlsx", args=[enterprise.pk]),
        reverse("telemetry:item_export_csv", args=[enterprise.pk]),
        reverse("telemetry:device_detail", args=[device.pk]),
        reverse("telemetry:device_edit", args=[device.pk]),
        reverse("telemetry:item_detail", args=[item.pk]),
        reverse("telemetry:item_edit", args=[item.pk]),
        f"/api/v1/telemetry/devices/{device.pk}/",
        f"/api/v1/telemetry/items/{item.pk}/",
    ]


def test_an_outsider_gets_404_on_every_object_url(client_for, outsider, enterprise, device, item):
    client = client_for(outsider)
    for url in object_urls(enterprise, device, item):
        assert client.get(url).status_code == 404, url


def test_a_viewer_of_another_region_gets_404(client_for, other_viewer, enterprise, device, item):
    client = client_for(other_viewer)
    for url in (
        object_urls(enterprise, device, item)[:1] + object_urls(enterprise, device, item)[6:]
    ):
        if "/edit/" in url:
            continue
        assert client.get(url).status_code == 404, url


def test_the_member_edits_and_reviewers_and_viewers_only_read(
    client_for, member, reviewer, viewer, enterprise, device, item
):
    page = reverse("telemetry:enterprise_registry", args=[enterprise.pk])
    create = reverse("telemetry:item_create", args=[enterprise.pk])
    response = client_for(member).get(page)
    assert response.status_code == 200 and b'id="add-item"' in response.content
    for reader in (reviewer, viewer):
        response = client_for(reader).get(page)
        assert response.status_code == 200
        assert b'id="add-item"' not in response.content
        assert (
            client_for(reader).get(reverse("telemetry:item_detail", args=[item.pk])).status_code
            == 200
        )
        assert client_for(reader).get(create).status_code == 403
        assert client_for(reader).post(create, item_post()).status_code == 403
    assert not DataItem.objects.filter(name="一号变压器电耗").exists()


def test_registry_home_sends_members_to_their_enterprise(client_for, member, enterprise):
    response = client_for(member).get(reverse("telemetry:registry_home"))
    assert response.status_code == 302
    assert response.url == reverse("telemetry:enterprise_registry", args=[enterprise.pk])


def test_registry_home_lists_only_visible_enterprises(
    client_for, viewer, enterprise, other_enterprise
):
    response = client_for(viewer).get(reverse("telemetry:registry_home"))
    assert [e.pk for e in response.context["page"]] == [enterprise.pk]


def test_an_item_is_created_from_its_segments_with_the_dictionary_coefficient(
    client_for, member, enterprise
):
    electricity = current_energy_types().get(code="3300")
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]),
        item_post(energy_type=electricity.pk),
    )
    assert response.status_code == 302, response.context["form"].errors
    item = DataItem.objects.get(enterprise=enterprise)
    assert item.data_code == "010200030233000001"
    assert item.convert_ration == electricity.kgce_per_unit


def test_a_bad_segment_is_named(client_for, member, enterprise):
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]), item_post(energy_class="11")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "energy_class" in errors and "采集数据分类编码" in errors["energy_class"][0]
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]), item_post(device_code="00A1")
    )
    assert "重点耗能设备编号" in response.context["form"].errors["device_code"][0]


def test_the_object_code_must_match_the_energy_type(client_for, member, enterprise):
    gas = current_energy_types().filter(code__startswith="1500").first()
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]), item_post(energy_type=gas.pk)
    )
    assert "object_code" in response.context["form"].errors


def test_the_plausibility_band_must_not_be_inverted(client_for, member, enterprise):
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]),
        item_post(value_min="10", value_max="5"),
    )
    assert "value_max" in response.context["form"].errors


def test_a_duplicate_code_is_refused(client_for, member, enterprise):
    DataItemFactory(enterprise=enterprise, data_code="010200030233000001")
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]), item_post()
    )
    assert "object_code" in response.context["form"].errors


def test_editing_an_item_shows_its_segments(client_for, member, item):
    response = client_for(member).get(reverse("telemetry:item_edit", args=[item.pk]))
    form = response.context["form"]
    assert "".join(form.initial[n] for n in form.SEGMENT_FIELDS.values()) == item.data_code


def test_a_device_is_registered_and_shows_its_certificate_status(client_for, member, enterprise):
    response = client_for(member).post(
        reverse("telemetry:device_create", args=[enterprise.pk]),
        {"serial": "HB-NEW-1", "manufacturer": "厂商", "model": "M1", "is_active": "on"},
    )
    assert response.status_code == 302
    device = EndDevice.objects.get(serial="HB-NEW-1")
    page = client_for(member).get(reverse("telemetry:device_detail", args=[device.pk]))
    assert "尚未为该端设备签发证书" in page.content.decode()

    from .factories import issue_certificate_row

    _key, cert = issue_certificate_row(enterprise, "HB-NEW-1")
    cert.revoked_at = timezone.now()
    cert.save()
    page = client_for(member).get(reverse("telemetry:device_detail", args=[device.pk]))
    assert cert.serial_hex in page.content.decode() and "已吊销" in page.content.decode()


def test_the_registry_page_costs_a_bounded_number_of_queries(client_for, member, enterprise):
    client = client_for(member)
    url = reverse("telemetry:enterprise_registry", args=[enterprise.pk])
    device_with_certificate(enterprise)
    DataItemFactory(enterprise=enterprise)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        device_with_certificate(enterprise)
    for _ in range(20):
        DataItemFactory(enterprise=enterprise, device=EndDevice.objects.first())
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- API -----------------------------------------------------------------------------------


def test_api_lists_exactly_the_visible_records(
    api_client_for, member, outsider, viewer, enterprise, other_enterprise
):
    mine = DataItemFactory(enterprise=enterprise)
    theirs = DataItemFactory(enterprise=other_enterprise)
    my_device = EndDeviceFactory(enterprise=enterprise)
    their_device = EndDeviceFactory(enterprise=other_enterprise)

    def ids(user, what):
        return {
            r["id"]
            for r in api_client_for(user).get(f"/api/v1/telemetry/{what}/").json()["results"]
        }

    assert ids(member, "items") == {mine.pk}
    assert ids(outsider, "items") == {theirs.pk}
    assert ids(viewer, "items") == {mine.pk}
    assert ids(member, "devices") == {my_device.pk}
    assert ids(outsider, "devices") == {their_device.pk}


@pytest.mark.parametrize("what", ["devices", "items"])
def test_api_lists_cost_the_same_queries_for_one_or_many_records(
    api_client_for, member, enterprise, what
):
    client = api_client_for(member)
    url = f"/api/v1/telemetry/{what}/"
    device = device_with_certificate(enterprise).device
    DataItemFactory(enterprise=enterprise, device=device)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        device_with_certificate(enterprise)
    for _ in range(20):
        DataItemFactory(enterprise=enterprise, device=EndDevice.objects.last())
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_api_device_shows_certificate_status(api_client_for, member, device):
    data = api_client_for(member).get(f"/api/v1/telemetry/devices/{device.pk}/").json()
    assert data["certificate_status"] == "valid" and data["certificate_serial"]


def test_api_creates_an_item_with_the_page_rules(api_client_for, member, enterprise):
    client = api_client_for(member)
    payload = {"dataCode": "010200030233000001", "name": "电", "unit": "kWh", "energyCode": "3300"}
    response = client.post("/api/v1/telemetry/items/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["convertRation"] == "0.1229"
    bad = client.post(
        "/api/v1/telemetry/items/", {**payload, "dataCode": "010200031133000001"}, format="json"
    )
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert error["field"] == "dataCode" and "采集数据分类编码" in error["reason"]
    band = client.post(
        "/api/v1/telemetry/items/",
        {**payload, "dataCode": "010200030233000002", "dataValueMin": "9", "dataValueMax": "1"},
        format="json",
    )
    assert band.json()["errors"][0]["field"] == "dataValueMax"


def test_api_writes_are_refused_to_reviewers_and_outsiders(
    api_client_for, reviewer, outsider, item
):
    url = f"/api/v1/telemetry/items/{item.pk}/"
    assert api_client_for(reviewer).patch(url, {"name": "x"}, format="json").status_code == 403
    assert api_client_for(outsider).patch(url, {"name": "x"}, format="json").status_code == 404
    create = api_client_for(reviewer).post(
        "/api/v1/telemetry/items/",
        {
            "enterprise": item.enterprise_id,
            "dataCode": "010200030233000009",
            "name": "x",
            "unit": "t",
        },
        format="json",
    )
    assert create.status_code == 403


def test_api_patches_an_item(api_client_for, member, item):
    response = api_client_for(member).patch(
        f"/api/v1/telemetry/items/{item.pk}/", {"dataValueMax": "900"}, format="json"
    )
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.value_max == Decimal("900")


def test_a_viewer_of_the_region_sees_the_registry(client_for, enterprise, item):
    viewer = GovernmentViewerFactory(region=enterprise.region)
    assert (
        client_for(viewer).get(reverse("telemetry:item_detail", args=[item.pk])).status_code == 200
    )


# --- Energy dictionary ---------------------------------------------------------------------


def test_a_fresh_database_has_a_current_dictionary():
    current = EnergyDictionary.objects.get(is_current=True)
    assert current.energy_types.filter(code="3300").exists()


def test_loading_the_dictionary_again_changes_nothing():
    before = EnergyDictionary.objects.count()
    result = load_energy_dictionary()
    assert result.created is False
    assert EnergyDictionary.objects.count() == before


def test_a_new_version_becomes_current():
    call_command("load_energy_dictionary", "--version", "GB/T 2589-2020 test")
    assert EnergyDictionary.objects.get(is_current=True).version == "GB/T 2589-2020 test"
    assert EnergyDictionary.objects.filter(is_current=True).count() == 1
