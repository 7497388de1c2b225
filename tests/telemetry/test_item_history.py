"""The items as registered on each day: revisions and the expected-slots SQL helper."""

from datetime import date, timedelta

import pytest
from django.db import connection

from telemetry.item_history import expected_slots, expected_slots_sql
from telemetry.models import DataItemRevision
from tests.portal.factories import EnterpriseFactory

from .factories import DataItemFactory, registered_since

pytestmark = pytest.mark.django_db

D1 = date(2026, 3, 1)


def change(item, day, **values):
    for name, value in values.items():
        setattr(item, name, value)
    item.save(revision={"valid_from": day, "reason": "test"})


def per_day(rows):
    return {(item, day): slots for _e, item, day, _s, _i, slots in rows}


def test_registration_and_slot_changes_write_revisions_other_edits_do_not():
    item = DataItemFactory(enterprise=EnterpriseFactory())
    assert item.revisions.count() == 1
    item.name = "改名"
    item.instrument = "新表"
    item.save()
    assert item.revisions.count() == 1  # not slot-relevant
    item.interval_minutes = 30
    item.save(revision={"valid_from": D1 + timedelta(days=400)})
    assert list(item.revisions.values_list("interval_minutes", flat=True)) == [15, 30]
    item.interval_minutes = 60
    item.save(revision={"valid_from": D1 + timedelta(days=400)})
    # the same day keeps one revision: the day counts as registered last
    assert list(item.revisions.values_list("interval_minutes", flat=True)) == [15, 60]


def test_an_item_deactivated_mid_trial_keeps_its_earlier_days():
    enterprise = EnterpriseFactory()
    lagging = registered_since(DataItemFactory(enterprise=enterprise), D1)
    steady = registered_since(DataItemFactory(enterprise=enterprise), D1)
    change(lagging, D1 + timedelta(days=5), is_active=False)
    rows = per_day(expected_slots(enterprise, D1, D1 + timedelta(days=9)))
    assert [rows.get((lagging.pk, D1 + timedelta(days=n))) for n in range(10)] == [96] * 5 + [
        None
    ] * 5
    assert all(rows[(steady.pk, D1 + timedelta(days=n))] == 96 for n in range(10))
    assert sum(rows.values()) == 96 * 15


def test_interval_stat_type_and_registration_day_follow_the_history():
    enterprise = EnterpriseFactory()
    item = registered_since(DataItemFactory(enterprise=enterprise), D1 + timedelta(days=2))
    change(item, D1 + timedelta(days=4), interval_minutes=60)
    change(item, D1 + timedelta(days=6), stat_type=1)
    change(item, D1 + timedelta(days=8), stat_type=2)  # monthly: not judged per day
    monthly = registered_since(DataItemFactory(enterprise=enterprise, stat_type=2), D1)
    rows = per_day(expected_slots([enterprise.pk], D1, D1 + timedelta(days=9)))
    got = [rows.get((item.pk, D1 + timedelta(days=n))) for n in range(10)]
    assert got == [None, None, 96, 96, 24, 24, 1, 1, None, None]
    assert not any(key[0] == monthly.pk for key in rows)


def test_reactivation_and_other_enterprises_and_the_sql_wraps_as_a_subquery():
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    item = registered_since(DataItemFactory(enterprise=enterprise, is_active=False), D1)
    change(item, D1 + timedelta(days=3), is_active=True, interval_minutes=30)
    registered_since(DataItemFactory(enterprise=other), D1)
    rows = expected_slots(enterprise, D1, D1 + timedelta(days=4))
    assert [(r[1], r[2], r[5]) for r in rows] == [
        (item.pk, D1 + timedelta(days=3), 48),
        (item.pk, D1 + timedelta(days=4), 48),
    ]
    assert {r[0] for r in expected_slots([enterprise, other], D1, D1)} == {other.pk}
    assert expected_slots([], D1, D1) == []
    sql, params = expected_slots_sql([enterprise.pk], D1, D1 + timedelta(days=4))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, SUM(expected_slots) FROM ({sql}) e GROUP BY day ORDER BY day", params
        )
        assert [int(n) for _d, n in cursor.fetchall()] == [48, 48]


def test_revision_rows_are_what_the_helper_reads():
    enterprise = EnterpriseFactory()
    item = registered_since(DataItemFactory(enterprise=enterprise), D1)
    DataItemRevision.objects.create(
        item=item,
        valid_from=D1 + timedelta(days=1),
        stat_type=0,
        interval_minutes=15,
        value_min=None,
        value_max=None,
        is_active=False,
    )
    assert [r[2] for r in expected_slots(enterprise, D1, D1 + timedelta(days=1))] == [D1]
