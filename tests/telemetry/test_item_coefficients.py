"""折标系数, 采集对象编码 and 计量单位 follow the item's energy type (form, API, import), and
the data migration that corrects items left at the old default coefficient 1."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from portal.models import AuditEvent
from telemetry.energy import COEFFICIENT_EVENT, correct_default_coefficients, current_energy_types
from telemetry.forms import DataItemForm
from telemetry.models import DataItem, EnergyDictionary, EnergyType
from telemetry.services.importexport import import_items

from .factories import DataItemFactory
from .test_registry import item_post

pytestmark = pytest.mark.django_db

BLANK_FIELDS = item_post(object_code="", unit="", convert_ration="")


@pytest.fixture
def electricity():
    return current_energy_types().get(code="3300")


def test_a_new_item_form_shows_a_blank_coefficient_and_the_dictionary_for_the_script(
    client_for, member, enterprise, electricity
):
    response = client_for(member).get(reverse("telemetry:item_create", args=[enterprise.pk]))
    html = response.content.decode()
    assert response.context["form"]["convert_ration"].value() in (None, "")
    assert 'name="convert_ration"' in html and 'name="convert_ration" value="1"' not in html
    assert "js/item-form.js" in html and 'id="item-energy-defaults"' in html
    defaults = response.context["form"].energy_defaults()
    assert defaults[str(electricity.pk)] == {"coefficient": "0.1229", "code": "3300", "unit": "kWh"}


def test_the_edit_form_shows_the_stored_coefficient(member, enterprise):
    item = DataItemFactory(enterprise=enterprise, convert_ration=Decimal("0.35"))
    form = DataItemForm(instance=item, enterprise=enterprise)
    assert form["convert_ration"].value() == Decimal("0.35")


def test_blank_coefficient_object_code_and_unit_follow_the_energy_type(
    client_for, member, enterprise, electricity
):
    response = client_for(member).post(
        reverse("telemetry:item_create", args=[enterprise.pk]),
        {**BLANK_FIELDS, "energy_type": electricity.pk},
    )
    assert response.status_code == 302, response.context["form"].errors
    item = DataItem.objects.get(enterprise=enterprise)
    assert item.convert_ration == Decimal("0.1229")
    assert item.data_code == "010200030233000001"
    assert item.unit == "kWh"


def test_values_entered_by_the_user_are_kept(member, enterprise, electricity):
    form = DataItemForm(
        {
            **BLANK_FIELDS,
            "energy_type": electricity.pk,
            "object_code": "3300",
            "unit": "万kWh",
            "convert_ration": "1229",
        },
        enterprise=enterprise,
    )
    assert form.is_valid(), form.errors
    item = form.save()
    assert (item.convert_ration, item.unit) == (Decimal("1229"), "万kWh")


def test_without_an_energy_type_code_and_unit_are_asked_for(member, enterprise):
    form = DataItemForm(BLANK_FIELDS, enterprise=enterprise)
    assert not form.is_valid()
    assert "采集对象编码" in form.errors["object_code"][0]
    assert "计量单位" in form.errors["unit"][0]


def test_a_non_energy_class_does_not_take_the_energy_code(enterprise, electricity):
    form = DataItemForm(
        {**BLANK_FIELDS, "energy_class": "03", "energy_type": electricity.pk}, enterprise=enterprise
    )
    assert not form.is_valid()
    assert "采集对象编码" in form.errors["object_code"][0]


def test_the_api_fills_coefficient_and_unit_from_the_energy_code(api_client_for, member):
    payload = {"dataCode": "010200030233000001", "name": "电", "energyCode": "3300"}
    response = api_client_for(member).post("/api/v1/telemetry/items/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["convertRation"], response.json()["unit"]) == ("0.1229", "kWh")


def test_the_api_refuses_a_blank_unit_without_energy_type(api_client_for, member):
    payload = {"dataCode": "010200030300000001", "name": "产量", "unit": ""}
    response = api_client_for(member).post("/api/v1/telemetry/items/", payload, format="json")
    assert response.status_code == 400
    assert any(e["field"] == "unit" for e in response.json()["errors"])


def test_the_import_fills_blank_coefficient_and_unit_and_needs_no_unit_column(member, enterprise):
    content = (
        "dataCode,name,energyCode\n010200030233000001,一号变压器,3300\n"
        "010200030201000002,二号锅炉,0100\n"
    ).encode()
    assert import_items(member, enterprise, "items.csv", content) == {
        "created": 2,
        "updated": 0,
        "pending": 0,
    }
    items = {i.data_code: i for i in DataItem.objects.filter(enterprise=enterprise)}
    coal = current_energy_types().get(code="0100")
    assert (items["010200030233000001"].convert_ration, items["010200030233000001"].unit) == (
        Decimal("0.1229"),
        "kWh",
    )
    assert items["010200030201000002"].convert_ration == coal.kgce_per_unit
    assert items["010200030201000002"].unit == coal.unit


def test_the_migration_corrects_only_untouched_defaults_and_records_them(
    enterprise, other_enterprise, electricity
):
    plain = EnergyType.objects.create(
        dictionary=EnergyDictionary.objects.get(is_current=True),
        code="9900",
        name="测试品种",
        unit="t",
        kgce_per_unit=Decimal(1),
    )
    wrong = DataItemFactory(enterprise=enterprise, energy_type=electricity, convert_ration=1)
    other_wrong = DataItemFactory(
        enterprise=other_enterprise, energy_type=electricity, convert_ration=Decimal("1.000000")
    )
    entered = DataItemFactory(
        enterprise=enterprise, energy_type=electricity, convert_ration=Decimal("1.0001")
    )
    no_type = DataItemFactory(enterprise=enterprise, energy_type=None, convert_ration=1)
    one_is_right = DataItemFactory(enterprise=enterprise, energy_type=plain, convert_ration=1)
    lines = []

    changed = correct_default_coefficients(apps, write=lines.append)

    for item in (wrong, other_wrong, entered, no_type, one_is_right):
        item.refresh_from_db()
    assert wrong.convert_ration == other_wrong.convert_ration == Decimal("0.1229")
    assert entered.convert_ration == Decimal("1.0001")
    assert no_type.convert_ration == one_is_right.convert_ration == 1
    assert [e["data_code"] for e in changed[enterprise.pk]] == [wrong.data_code]
    assert len(lines) == 2 and any(wrong.data_code in line for line in lines)
    events = AuditEvent.objects.filter(event=COEFFICIENT_EVENT)
    assert {e.enterprise_id for e in events} == {enterprise.pk, other_enterprise.pk}
    mine = events.get(enterprise=enterprise)
    assert mine.target == enterprise
    assert mine.context["items"] == [
        {
            "data_code": wrong.data_code,
            "name": wrong.name,
            "energy_code": "3300",
            "from": "1",
            "to": "0.1229",
        }
    ]
    # Running it again changes nothing.
    assert correct_default_coefficients(apps, write=lines.append) == {}
    assert events.count() == 2
