"""能耗数据分析: the values and tce of known readings on the enterprise's and the region's
pages, the Beijing day and month boundaries, the period bound, who may see it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from telemetry import analysis
from telemetry.energy import current_energy_types
from telemetry.models.item import MeteringLevel
from telemetry.timeslots import StatType
from tests.portal.factories import ReviewerFactory

from .factories import (
    FULL_DAY,
    DataItemFactory,
    beijing,
    connection_for,
    rollup,
    stored_readings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant(enterprise):
    """An electricity and a raw-coal item metered at level 1, and an electricity sub-meter."""
    types = {t.code: t for t in current_energy_types().filter(code__in=["3300", "0100"])}
    connection_for(enterprise)

    def item(name, code, energy, unit, coefficient=None, **extra):
        coefficient = coefficient or types[energy].kgce_per_unit
        return DataItemFactory(
            enterprise=enterprise,
            name=name,
            data_code=code,
            energy_type=types[energy],
            convert_ration=coefficient,
            unit=unit,
            **extra,
        )

    electricity = item("全厂用电", "000000000233000001", "3300", "kWh")
    coal = item("锅炉用煤", "000000000201000002", "0100", "kg")
    sub_meter = item(
        "一号车间用电", "010000000233000003", "3300", "kWh", metering_level=MeteringLevel.LEVEL2
    )
    stored_readings(
        electricity,
        {
            beijing(2026, 2, 28, 23, 45): 7,  # UTC 15:45 on the 28th: February, the 28th
            beijing(2026, 3, 1, 0, 0): 1000,  # UTC 16:00 on 28 February: Beijing 1 March
            beijing(2026, 3, 1, 23, 45): 2000,  # UTC 15:45 on 1 March: still 1 March
            beijing(2026, 3, 2, 0, 0): 500,
        },
    )
    stored_readings(electricity, {beijing(2026, 3, 1, 12, 0): 99999}, valid=False)
    stored_readings(coal, {beijing(2026, 3, 1, 8, 0): 10000})
    stored_readings(sub_meter, {beijing(2026, 3, 1, 8, 0): 50000})
    return {"electricity": electricity, "coal": coal, "sub_meter": sub_meter}


def page(client, enterprise, **params):
    return client.get(reverse("telemetry:enterprise_analysis", args=[enterprise.pk]), params)


def test_daily_values_and_tce_of_an_item_follow_beijing_days(plant):
    period = analysis.Period(date(2026, 3, 1), date(2026, 3, 2), analysis.DAY)
    rows = analysis.item_series(plant["electricity"], period)
    assert [(r["label"], r["value"], r["readings"], r["suspect"]) for r in rows] == [
        ("2026-03-01", Decimal(3000), 2, 1),
        ("2026-03-02", Decimal(500), 1, 0),
    ]
    assert rows[0]["tce"] == Decimal("0.3687") and rows[1]["tce"] == Decimal("0.06145")


def test_slot_and_month_aggregation(plant):
    slots = analysis.item_series(
        plant["electricity"], analysis.Period(date(2026, 3, 1), date(2026, 3, 1), analysis.SLOT)
    )
    assert [(r["label"], r["value"]) for r in slots] == [
        ("2026-03-01 00:00", Decimal(1000)),
        ("2026-03-01 12:00", None),  # only a suspect reading: counted, not summed
        ("2026-03-01 23:45", Decimal(2000)),
    ]
    months = analysis.item_series(
        plant["electricity"], analysis.Period(date(2026, 2, 1), date(2026, 3, 31), analysis.MONTH)
    )
    assert [(r["label"], r["value"]) for r in months] == [
        ("2026-02", Decimal(7)),
        ("2026-03", Decimal(3500)),
    ]


def test_energy_totals_per_day_in_physical_units_and_tce(plant, enterprise):
    items = list(enterprise.data_items.all())
    totals = analysis.energy_totals(
        items, analysis.Period(date(2026, 3, 1), date(2026, 3, 2), analysis.DAY)
    )
    assert [(c["type"].code, c["unit"]) for c in totals.columns] == [
        ("0100", "kg"),
        ("3300", "kWh"),
    ]
    first, second = totals.rows
    assert first["label"] == "2026-03-01"
    # The level-2 sub-meter's 50 000 kWh is not added to the plant's electricity.
    assert first["cells"] == [
        (Decimal(10000), Decimal("7.143")),
        (Decimal(3000), Decimal("0.3687")),
    ]
    assert first["tce"] == Decimal("7.5117")
    assert second["cells"] == [(None, None), (Decimal(500), Decimal("0.06145"))]
    assert totals.total_tce == Decimal("7.57315")


def test_totals_leave_out_output_classes_and_monthly_items_per_day(plant, enterprise):
    electricity = plant["electricity"].energy_type
    output = DataItemFactory(
        enterprise=enterprise, data_code="000000000633000004", energy_type=electricity
    )
    monthly = DataItemFactory(
        enterprise=enterprise,
        data_code="000000000233000005",
        energy_type=electricity,
        stat_type=StatType.MONTHLY,
    )
    stored_readings(output, {beijing(2026, 3, 1, 8, 0): 800})
    stored_readings(monthly, {beijing(2026, 3, 1, 0, 0): 90000})
    items = list(enterprise.data_items.all())
    days = analysis.energy_totals(
        items, analysis.Period(date(2026, 3, 1), date(2026, 3, 1), analysis.DAY)
    )
    assert days.rows[0]["cells"][1] == (Decimal(3000), Decimal("0.3687"))
    months = analysis.energy_totals(
        items, analysis.Period(date(2026, 3, 1), date(2026, 3, 31), analysis.MONTH)
    )
    assert months.rows[0]["label"] == "2026-03"
    assert months.rows[0]["cells"][1][0] == Decimal(3500 + 90000)


def assert_figures(response, plant):
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["item"] == plant["electricity"]
    for figure in ("3,000.00", "0.3687", "500.00", "10,000.00", "7.1430", "7.5117", "7.5732"):
        assert figure in html, figure
    assert "50,000.00" not in html  # the sub-meter is not in the totals
    assert "千瓦时" in html and "千克" in html  # units in Chinese
    assert response.context["chart"]["datasets"][0]["data"] == [3000.0, 500.0]


def test_the_enterprise_page_shows_values_and_tce(client_for, member, enterprise, plant):
    response = page(
        client_for(member),
        enterprise,
        item=plant["electricity"].pk,
        start="2026-03-01",
        end="2026-03-02",
        step="day",
    )
    assert_figures(response, plant)


def test_the_regions_viewer_sees_the_same_and_others_get_404(
    client_for, viewer, other_viewer, outsider, enterprise, plant
):
    params = {"item": plant["electricity"].pk, "start": "2026-03-01", "end": "2026-03-02"}
    assert_figures(page(client_for(viewer), enterprise, **params), plant)
    assert_figures(page(client_for(ReviewerFactory()), enterprise, **params), plant)
    assert page(client_for(other_viewer), enterprise, **params).status_code == 404
    assert page(client_for(outsider), enterprise, **params).status_code == 404


def test_the_analysis_home_lists_the_regions_connected_enterprises(
    client_for, member, viewer, other_viewer, enterprise, plant
):
    url = reverse("telemetry:analysis_home")
    response = client_for(member).get(url)
    assert response.status_code == 302
    assert response.url == reverse("telemetry:enterprise_analysis", args=[enterprise.pk])
    assert [e.pk for e in client_for(viewer).get(url).context["page"]] == [enterprise.pk]
    assert list(client_for(other_viewer).get(url).context["page"]) == []


def test_another_enterprises_item_is_refused(
    client_for, member, other_enterprise, enterprise, plant
):
    foreign = DataItemFactory(enterprise=other_enterprise)
    stored_readings(foreign, {beijing(2026, 3, 1, 0, 0): 4242})
    response = page(client_for(member), enterprise, item=foreign.pk, start="2026-03-01")
    assert response.status_code == 200 and "item" in response.context["form"].errors
    assert "series" not in response.context and "4,242" not in response.content.decode()


@pytest.mark.parametrize(
    ("step", "days", "ok"),
    [("slot", 7, True), ("slot", 8, False), ("day", 93, True), ("day", 94, False)],
)
def test_the_period_is_bounded_per_aggregation(
    client_for, member, enterprise, plant, step, days, ok
):
    end = date(2026, 3, 2)
    start = end - timedelta(days=days - 1)
    response = page(
        client_for(member), enterprise, step=step, start=start.isoformat(), end=end.isoformat()
    )
    assert ("series" in response.context) is ok
    if not ok:
        assert "最多查询" in str(response.context["form"].errors["start"])


def test_completeness_covers_fifteen_finished_days(client_for, member, enterprise, plant):
    yesterday = timezone.localdate() - timedelta(days=1)
    rollup(plant["electricity"], yesterday, on_time=FULL_DAY)
    rollup(plant["electricity"], yesterday - timedelta(days=14), on_time=FULL_DAY >> 48)
    rollup(plant["electricity"], yesterday - timedelta(days=15), on_time=FULL_DAY)  # day 16
    completeness = page(client_for(member), enterprise).context["completeness"]
    assert len(completeness["labels"]) == 15
    assert completeness["labels"][-1] == yesterday.strftime("%m-%d")
    row = next(d for d in completeness["datasets"] if d["label"] == "全厂用电")
    assert row["data"][0] == 50.0 and row["data"][-1] == 100.0 and sum(row["data"]) == 150.0


def test_the_page_reads_in_a_bounded_number_of_queries(client_for, member, enterprise, plant):
    client = client_for(member)
    params = {"start": "2026-03-01", "end": "2026-03-02"}
    page(client, enterprise, **params)
    with CaptureQueriesContext(connection) as few:
        assert page(client, enterprise, **params).status_code == 200
    coal_type = plant["coal"].energy_type
    for n in range(10):
        item = DataItemFactory(
            enterprise=enterprise, energy_type=coal_type, data_code=f"0000{n:04d}0201000009"
        )
        stored_readings(item, {beijing(2026, 3, 1, h, 0): h + 1 for h in range(24)})
    with CaptureQueriesContext(connection) as many:
        assert page(client, enterprise, **params).status_code == 200
    assert len(many) == len(few)


def series_url(enterprise):
    return f"/api/v1/telemetry/analysis/{enterprise.pk}/series"


def test_the_api_gives_the_series_with_tce(api_client_for, member, viewer, enterprise, plant):
    params = {"item": plant["electricity"].pk, "start": "2026-03-01", "end": "2026-03-02"}
    for user in (member, viewer):
        data = api_client_for(user).get(series_url(enterprise), params).json()
        assert (data["dataCode"], data["unit"], data["convertRation"]) == (
            "000000000233000001",
            "kWh",
            "0.1229",
        )
        assert [(r["label"], r["value"], r["tce"], r["suspect"]) for r in data["rows"]] == [
            ("2026-03-01", "3000", "0.3687", 1),
            ("2026-03-02", "500", "0.06145", 0),
        ]


def test_the_api_refuses_others_and_a_long_period(
    api_client_for, member, outsider, other_viewer, enterprise, plant
):
    assert api_client_for(outsider).get(series_url(enterprise)).status_code == 404
    assert api_client_for(other_viewer).get(series_url(enterprise)).status_code == 404
    too_long = api_client_for(member).get(
        series_url(enterprise), {"step": "slot", "start": "2026-03-01", "end": "2026-03-08"}
    )
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "start"


def test_the_series_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()["paths"]
    assert "/api/v1/telemetry/analysis/{enterprise_id}/series" in schema


def test_the_nav_links_the_analysis_and_english_pages_name_units_by_symbol(
    client_for, viewer, enterprise, plant
):
    client = client_for(viewer)
    home = client.get("/").content.decode()
    assert f'href="{reverse("telemetry:analysis_home")}"' in home
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    params = {"item": plant["electricity"].pk, "start": "2026-03-01", "end": "2026-03-02"}
    html = page(client, enterprise, **params).content.decode()
    assert "Energy data analysis" in html and "Daily totals per energy type" in html
    assert "Value (kWh)" in html and "千瓦时" not in html


def test_the_default_period_is_the_last_fifteen_days_and_shown(
    client_for, member, enterprise, plant
):
    response = page(client_for(member), enterprise)
    today = timezone.localdate()
    period = response.context["period"]
    assert (period.start, period.end, period.step) == (today - timedelta(days=14), today, "day")
    assert f'value="{period.start.isoformat()}"' in response.content.decode()
