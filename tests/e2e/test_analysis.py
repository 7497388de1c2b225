"""能耗数据分析 in a browser: a government viewer of the region sees the item's line chart
drawn by Chart.js; a member choosing an energy type on the item form gets its coefficient,
object code and unit filled in by static/js/item-form.js."""

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from portal.models import Region
from telemetry.energy import current_energy_types, load_energy_dictionary
from tests.portal.factories import EnterpriseFactory, GovernmentViewerFactory, member_of
from tests.telemetry.factories import DataItemFactory, beijing, connection_for, stored_readings

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def dictionary(transactional_db):
    """The energy dictionary (a transactional test's flush removes the migration's copy)."""
    load_energy_dictionary()


@pytest.fixture
def metered(dictionary, live_server):
    enterprise = EnterpriseFactory(region=Region.WUHAN)
    connection_for(enterprise)
    item = DataItemFactory(
        enterprise=enterprise,
        name="全厂用电",
        energy_type=current_energy_types().get(code="3300"),
        convert_ration=Decimal("0.1229"),
    )
    stored_readings(
        item,
        {beijing(2026, 3, 1, h, 0): 1000 + h for h in range(24)}
        | {beijing(2026, 3, 2, 0, 0): 1500},
    )
    return enterprise, item


def test_a_regions_viewer_sees_the_items_chart(metered, page, log_in, watch):
    from playwright.sync_api import expect

    enterprise, item = metered
    log_in(GovernmentViewerFactory(region=Region.WUHAN))
    query = urlencode({"item": item.pk, "step": "day", "start": "2026-03-01", "end": "2026-03-02"})
    page.goto(f"{reverse('telemetry:enterprise_analysis', args=[enterprise.pk])}?{query}")

    expect(page.locator("canvas#analysis-chart")).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('analysis-chart'))"
    )
    drawn = page.evaluate(
        "() => { const chart = Chart.getChart(document.getElementById('analysis-chart'));"
        " return {type: chart.config.type, points: chart.data.datasets[0].data,"
        " width: chart.width}; }"
    )
    assert drawn["type"] == "line" and drawn["width"] > 0
    assert drawn["points"] == [24276, 1500]  # Σ 1000..1023, then one reading on 2 March
    expect(page.locator("#series-table")).to_contain_text("24,276.00")
    expect(page.locator("#totals-table")).to_contain_text("2.9835")  # 24 276 kWh × 0.1229 / 1000
    assert watch.problems == []


def test_choosing_the_energy_type_fills_coefficient_code_and_unit(
    dictionary, live_server, page, log_in, watch
):
    from playwright.sync_api import expect

    enterprise = EnterpriseFactory()
    electricity = current_energy_types().get(code="3300")
    log_in(member_of(enterprise))
    page.goto(reverse("telemetry:item_create", args=[enterprise.pk]))

    expect(page.locator("#id_convert_ration")).to_have_value("")
    page.select_option("#id_energy_type", str(electricity.pk))
    expect(page.locator("#id_convert_ration")).to_have_value("0.1229")
    expect(page.locator("#id_object_code")).to_have_value("3300")
    expect(page.locator("#id_unit")).to_have_value("kWh")
    assert watch.problems == []
