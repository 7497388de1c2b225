"""Gap lists: read from the roll-up bitmaps; the device and the pages get the same list."""

from datetime import date

import pytest
from django.urls import reverse

from telemetry.gaps import Window, WindowError, find_gaps, parse_window
from telemetry.models import DataItem
from telemetry.timeslots import StatType

from .factories import (
    FULL_DAY,
    DataItemFactory,
    beijing,
    device_with_certificate,
    rollup,
    signed_get,
    without,
)

DAY = date(2026, 3, 4)
NOW = beijing(2026, 3, 5, 9)


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def item(kit):
    return DataItemFactory(enterprise=kit.device.enterprise, device=kit.device)


def test_missing_slots_come_from_the_bitmaps(item):
    # Slot 95 is 23:45 Beijing time on 3-04 (15:45 UTC): it belongs to 3-04, not 3-05.
    rollup(item, DAY, on_time=without(FULL_DAY, 0, 40), backfilled=0, late=0)
    rollup(item, date(2026, 3, 5), on_time=(1 << 30) - 1)
    window = Window(beijing(2026, 3, 4), beijing(2026, 3, 5, 8))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=NOW)
    assert gaps.missing == [
        beijing(2026, 3, 4, 0, 0),
        beijing(2026, 3, 4, 10, 0),
        beijing(2026, 3, 5, 7, 30),
        beijing(2026, 3, 5, 7, 45),
    ]


def test_a_late_reading_fills_its_gap_and_a_day_without_row_is_all_missing(item):
    rollup(item, DAY, on_time=without(FULL_DAY, 3), late=1 << 3)
    window = Window(beijing(2026, 3, 3), beijing(2026, 3, 5))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=NOW)
    assert len(gaps.missing) == 96
    assert gaps.missing[0] == beijing(2026, 3, 3) and gaps.missing[-1] == beijing(
        2026, 3, 3, 23, 45
    )


def test_slots_that_have_not_ended_are_not_gaps(item):
    window = Window(beijing(2026, 3, 5), beijing(2026, 3, 6))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=beijing(2026, 3, 5, 0, 40))
    assert gaps.missing == [beijing(2026, 3, 5, 0, 0), beijing(2026, 3, 5, 0, 15)]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("", "2026-03-02", "from"),
        ("2026-03-01", "2026-04-05", "to"),
        ("2026-03-02", "2026-03-01", "to"),
        ("2026-03-01T00:00:00", "2026-03-02", "from"),
    ],
)
def test_bad_windows_are_refused_with_the_parameter(start, end, field):
    with pytest.raises(WindowError) as refused:
        parse_window(start, end)
    assert refused.value.field == field


def test_a_date_as_to_includes_that_day():
    window = parse_window("2026-03-01", "2026-03-02")
    assert (window.start, window.end) == (beijing(2026, 3, 1), beijing(2026, 3, 3))


def test_device_and_pages_give_the_same_list(client, kit, item, member, reviewer, client_for):
    rollup(item, DAY, on_time=without(FULL_DAY, 5, 6, 7))
    target = "/api/v1/telemetry/gaps?from=2026-03-04&to=2026-03-04"
    response = signed_get(client, kit, target)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["items"] == [
        {
            "dataCode": item.data_code,
            "statType": "0",
            "missing": ["2026-03-04 01:15:00", "2026-03-04 01:30:00", "2026-03-04 01:45:00"],
            "ranges": [{"from": "2026-03-04 01:15:00", "to": "2026-03-04 01:45:00", "count": 3}],
        }
    ]
    page = reverse("telemetry:enterprise_gaps", args=[kit.device.enterprise_id])
    for user in (member, reviewer):
        html = client_for(user).get(page, {"from": "2026-03-04", "to": "2026-03-04"})
        assert html.status_code == 200
        shown = html.context["gaps"]
        assert [(g.item.data_code, len(g.missing)) for g in shown] == [(item.data_code, 3)]


def test_the_device_sees_only_its_own_enterprise(client, kit, item, other_enterprise):
    DataItemFactory(enterprise=other_enterprise)  # never in this device's list
    response = signed_get(client, kit, "/api/v1/telemetry/gaps?from=2026-03-04&to=2026-03-04")
    assert [i["dataCode"] for i in response.json()["items"]] == [item.data_code]


def test_unsigned_or_bad_requests_are_refused(client, kit):
    assert client.get("/api/v1/telemetry/gaps?from=2026-03-04&to=2026-03-04").status_code == 401
    response = signed_get(client, kit, "/api/v1/telemetry/gaps?from=2026-03-01&to=2026-05-01")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "to"


def test_outsiders_get_404_on_the_gap_page(enterprise, outsider, other_viewer, client_for):
    page = reverse("telemetry:enterprise_gaps", args=[enterprise.pk])
    for user in (outsider, other_viewer):
        assert client_for(user).get(page).status_code == 404


# --- Counted from the item's registration; shown as ranges ------------------------------------


def test_nothing_is_missing_from_before_the_item_was_registered(kit):
    # Registered 3-04 10:07: the 10:00 slot (in progress then) is the first one owed.
    DataItemFactory(
        enterprise=kit.device.enterprise, device=kit.device, registered=beijing(2026, 3, 4, 10, 7)
    )
    window = Window(beijing(2026, 3, 1), beijing(2026, 3, 5))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=NOW)
    assert gaps.missing[0] == beijing(2026, 3, 4, 10, 0)
    assert len(gaps.missing) == 96 - 40


def test_an_item_registered_after_the_window_has_no_gaps(kit):
    DataItemFactory(enterprise=kit.device.enterprise, registered=beijing(2026, 3, 5, 8))
    window = Window(beijing(2026, 3, 1), beijing(2026, 3, 5))
    assert find_gaps(DataItem.objects.all(), window, now=NOW) == []


def test_a_daily_item_owes_the_day_it_was_registered_on(kit):
    DataItemFactory(
        enterprise=kit.device.enterprise,
        stat_type=StatType.DAILY,
        registered=beijing(2026, 3, 3, 15),
    )
    window = Window(beijing(2026, 3, 1), beijing(2026, 3, 5))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=NOW)
    assert gaps.missing == [beijing(2026, 3, 3), beijing(2026, 3, 4)]
    assert [(r.first, r.last, r.count) for r in gaps.ranges] == [
        (beijing(2026, 3, 3), beijing(2026, 3, 4), 2)
    ]


def test_missing_slots_are_compressed_into_runs(item):
    # 3-04: slots 5-7 and 90-95 missing; 3-05 has no row, 00:00-07:45 ended by NOW (8:00 excl).
    rollup(item, DAY, on_time=without(FULL_DAY, 5, 6, 7, 90, 91, 92, 93, 94, 95))
    window = Window(beijing(2026, 3, 4), beijing(2026, 3, 5, 8))
    (gaps,) = find_gaps(DataItem.objects.all(), window, now=NOW)
    assert [(r.first, r.last, r.count) for r in gaps.ranges] == [
        (beijing(2026, 3, 4, 1, 15), beijing(2026, 3, 4, 1, 45), 3),
        (beijing(2026, 3, 4, 22, 30), beijing(2026, 3, 5, 7, 45), 6 + 32),
    ]


def test_the_page_shows_ranges_with_their_count(client_for, member, item):
    rollup(item, DAY, on_time=without(FULL_DAY, *range(10, 20)))
    page = reverse("telemetry:enterprise_gaps", args=[item.enterprise_id])
    html = client_for(member).get(page, {"from": "2026-03-04", "to": "2026-03-04"})
    assert "03-04 02:30 – 03-04 04:45，共 10 个时段" in html.content.decode()
