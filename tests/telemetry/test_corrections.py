"""Corrections: last write wins with history (SPEC §9), on both write paths."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from telemetry import ingest
from telemetry.ingest import ingest_batches, ingest_pending, store_readings
from telemetry.models import (
    ArrivalClass,
    BatchStatus,
    ConnectionState,
    DailyRollup,
    Reading,
    ReadingRevision,
    UploadBatch,
)
from telemetry.protocol import UPLOAD_PATH, ParsedReading, canonical_body
from telemetry.services.trial import counts_by_day
from telemetry.staging import specs_by_id, stage
from telemetry.timeslots import BEIJING, StatType, slot_start

from .factories import (
    DataItemFactory,
    connection_for,
    device_with_certificate,
    envelope,
    record,
    signed_get,
    signed_post,
)

pytestmark = pytest.mark.django_db

SLOT = "2026-03-02 10:00"  # on time until 10:30, backfilled until 10:45, late afterwards


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def reading(item, slot, value="1", valid=True, index=0) -> ParsedReading:
    return ParsedReading(index, item.pk, at(slot), Decimal(value), valid, None, None, False)


def batch_of(kit, readings, received, message_id):
    """A queued batch carrying ``readings`` (staged as the upload API stages them)."""
    items = {r.item_id for r in readings}
    body = canonical_body(envelope(kit, []))
    return UploadBatch.objects.create(
        enterprise=kit.device.enterprise,
        device=kit.device,
        message_id=message_id,
        body_sha256="0" * 64,
        raw_body=body,
        cert_serial=kit.serial_hex,
        sent_at=at(received),
        received_at=at(received),
        record_count=len(readings),
        accepted_count=len(readings),
        staged_readings=stage(readings, specs_by_id(items), at(received)),
    )


def counts(batch):
    batch.refresh_from_db()
    return (batch.stored_count, batch.corrected_count, batch.duplicate_count)


def rollup(item, day="2026-03-02") -> DailyRollup:
    return DailyRollup.objects.get(item=item, day=day)


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise)


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


def test_a_suspect_slot_corrected_to_valid_becomes_successful(enterprise, item, kit):
    conn = connection_for(enterprise, ConnectionState.TRIAL_RUNNING)
    type(conn).objects.filter(pk=conn.pk).update(trial_started_on=at(SLOT).date())
    suspect = batch_of(kit, [reading(item, SLOT, "5", valid=False)], "2026-03-02 10:16", "a")
    ingest_batches([suspect.pk])
    row = rollup(item)
    assert (row.on_time, row.suspect) == (1, 1)
    trial_day = (at(SLOT).date(), StatType.REALTIME, item.interval_minutes)
    assert counts_by_day([enterprise.pk], at(SLOT).date(), at(SLOT).date())[1][enterprise.pk][
        trial_day
    ] == (
        1,
        0,
        0,
        1,
    )

    fixed = batch_of(kit, [reading(item, SLOT, "5", valid=True)], "2026-03-02 10:20", "b")
    result = ingest_batches([fixed.pk])
    assert (result.stored, result.corrected, result.duplicates) == (0, 1, 0)
    assert counts(fixed) == (0, 1, 0)
    stored = Reading.objects.get(item=item)
    assert (stored.valid, stored.batch_id, stored.arrival) == (True, fixed.pk, ArrivalClass.ON_TIME)
    row = rollup(item)
    assert (row.on_time, row.backfilled, row.late, row.suspect) == (1, 0, 0, 0)
    assert row.suspect_mask == "0"
    # The trial's figures (on time, backfilled, late, suspect) come from the roll-up: the
    # slot now counts as successful.
    assert counts_by_day([enterprise.pk], at(SLOT).date(), at(SLOT).date())[1][enterprise.pk][
        trial_day
    ] == (
        1,
        0,
        0,
        0,
    )
    revision = ReadingRevision.objects.get()
    assert (revision.old_valid, revision.valid, revision.old_batch_id, revision.batch_id) == (
        False,
        True,
        suspect.pk,
        fixed.pk,
    )


def test_a_wrong_value_corrected_keeps_the_old_value_in_history(enterprise, item, kit):
    first = batch_of(kit, [reading(item, SLOT, "5")], "2026-03-02 10:16", "a")
    ingest_batches([first.pk])
    second = batch_of(kit, [reading(item, SLOT, "7.25")], "2026-03-02 10:40", "b")
    ingest_batches([second.pk])
    stored = Reading.objects.get(item=item)
    assert (stored.value, stored.arrival) == (Decimal("7.25"), ArrivalClass.BACKFILLED)
    revision = ReadingRevision.objects.get()
    assert revision.enterprise_id == enterprise.pk
    assert (revision.item_id, revision.slot) == (item.pk, at(SLOT))
    assert (revision.old_value, revision.old_valid, revision.old_arrival) == (
        Decimal("5"),
        True,
        ArrivalClass.ON_TIME,
    )
    assert (revision.old_received_at, revision.old_batch_id) == (at("2026-03-02 10:16"), first.pk)
    assert (revision.value, revision.arrival, revision.received_at, revision.batch_id) == (
        Decimal("7.25"),
        ArrivalClass.BACKFILLED,
        at("2026-03-02 10:40"),
        second.pk,
    )
    # The slot moved from on time to backfilled: counted once, in the correction's class.
    row = rollup(item)
    assert (row.on_time, row.backfilled, row.on_time_mask) == (0, 1, "0")


def test_an_exact_repeat_is_a_duplicate_and_changes_nothing(enterprise, item, kit):
    first = batch_of(kit, [reading(item, SLOT, "5", valid=False)], "2026-03-02 10:16", "a")
    ingest_batches([first.pk])
    before = rollup(item)
    # The same value written differently, with the same valid flag, received later (late).
    again = batch_of(kit, [reading(item, SLOT, "5.000", valid=False)], "2026-03-02 12:00", "b")
    assert ingest_pending()["corrected"] == 0
    assert counts(again) == (0, 0, 1)
    stored = Reading.objects.get(item=item)
    assert (stored.batch_id, stored.arrival) == (first.pk, ArrivalClass.ON_TIME)
    assert not ReadingRevision.objects.exists()
    after = rollup(item)
    assert (after.on_time_mask, after.late_mask, after.suspect_mask) == (
        before.on_time_mask,
        before.late_mask,
        before.suspect_mask,
    )


def test_an_older_batch_ingested_late_does_not_overwrite_a_newer_value(enterprise, item, kit):
    older = batch_of(kit, [reading(item, SLOT, "5")], "2026-03-02 10:16", "older")
    newer = batch_of(kit, [reading(item, SLOT, "6")], "2026-03-02 10:20", "newer")
    ingest_batches([newer.pk])
    ingest_batches([older.pk])
    assert counts(older) == (0, 0, 1)
    stored = Reading.objects.get(item=item)
    assert (stored.value, stored.batch_id) == (Decimal("6"), newer.pk)
    assert not ReadingRevision.objects.exists()


def test_a_correction_after_the_backfill_window_makes_the_slot_late(enterprise, item, kit):
    first = batch_of(kit, [reading(item, SLOT, "5")], "2026-03-02 10:16", "a")
    late = batch_of(kit, [reading(item, SLOT, "9")], "2026-03-02 10:46", "b")
    ingest_batches([first.pk])
    ingest_batches([late.pk])
    assert Reading.objects.get(item=item).arrival == ArrivalClass.LATE
    row = rollup(item)
    assert (row.on_time, row.backfilled, row.late) == (0, 0, 1)
    assert ReadingRevision.objects.get().old_arrival == ArrivalClass.ON_TIME


def test_corrections_within_one_claim_follow_receipt_order(enterprise, kit):
    items = [DataItemFactory(enterprise=enterprise) for _ in range(2)]
    store_readings(enterprise, [reading(items[0], SLOT, "1")], at("2026-03-02 10:15"))
    a = batch_of(
        kit, [reading(i, SLOT, "2", index=n) for n, i in enumerate(items)], "2026-03-02 10:16", "a"
    )
    b = batch_of(
        kit, [reading(i, SLOT, "2", index=n) for n, i in enumerate(items)], "2026-03-02 10:17", "b"
    )
    c = batch_of(
        kit, [reading(i, SLOT, "3", index=n) for n, i in enumerate(items)], "2026-03-02 10:18", "c"
    )
    result = ingest_batches([c.pk, b.pk, a.pk])
    # item 0: 1 -> 2 (a) -> 3 (c), b repeats a; item 1: new from a, b repeats, c corrects.
    assert (result.stored, result.corrected, result.duplicates) == (1, 3, 2)
    assert (counts(a), counts(b), counts(c)) == ((1, 1, 0), (0, 0, 2), (0, 2, 0))
    assert {r.item_id: r.value for r in Reading.objects.all()} == {
        items[0].pk: Decimal("3"),
        items[1].pk: Decimal("3"),
    }
    history = ReadingRevision.objects.filter(item=items[0]).order_by("received_at")
    assert [(r.old_value, r.value, r.old_batch_id, r.batch_id) for r in history] == [
        (Decimal("1"), Decimal("2"), None, a.pk),
        (Decimal("2"), Decimal("3"), a.pk, c.pk),
    ]
    assert ReadingRevision.objects.get(item=items[1]).old_batch_id == a.pk
    for each in items:
        row = rollup(each)
        assert (row.on_time, row.backfilled, row.late, row.suspect) == (1, 0, 0, 0)


@pytest.mark.postgresql(reason="compares the correction statement with the portable path")
def test_the_portable_path_corrects_what_the_staged_sql_does(enterprise, kit):
    from telemetry import corrections

    items = [DataItemFactory(enterprise=enterprise) for _ in range(3)]
    store_readings(
        enterprise,
        [reading(i, SLOT, "1", valid=n != 1, index=n) for n, i in enumerate(items)],
        at("2026-03-02 10:15"),
    )
    sources = []
    for n, (value, valid) in enumerate([("1", True), ("1", True), ("4", False)]):
        batch = batch_of(
            kit,
            [reading(i, SLOT, value, valid, index=k) for k, i in enumerate(items)],
            f"2026-03-02 10:{16 + n}",
            str(n),
        )
        sources.append(ingest._Source(batch.pk, batch.received_at, None, len(items)))

    def history():
        return sorted(
            ReadingRevision.objects.values_list(
                "item_id", "old_value", "old_valid", "old_batch_id", "value", "valid", "batch_id"
            )
        )

    with transaction.atomic():
        savepoint = transaction.savepoint()
        portable = corrections.correct_portable(ingest._check_portable(sources)[0])
        portable_history = history()
        transaction.savepoint_rollback(savepoint)
        in_sql = corrections.correct_staged(ingest.CHECKED, ingest._staged_params(sources))
        sql_history = history()
    assert portable == [tuple(row) for row in in_sql]
    assert portable_history == sql_history
    # item 0 stays (repeats); item 1 was suspect and is made valid, then all go to 4 suspect.
    assert len(sql_history) == 4


@pytest.mark.postgresql(reason="row locks of concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_corrections_do_not_deadlock(enterprise, kit):
    from tests.concurrency import results_at_once

    items = [DataItemFactory(enterprise=enterprise) for _ in range(6)]
    slots = [f"2026-03-02 10:{m:02d}" for m in (0, 15)]
    store_readings(
        enterprise,
        [
            reading(i, s, "1", index=n)
            for n, (i, s) in enumerate((i, s) for i in items[:3] for s in slots)
        ],
        at("2026-03-02 10:16"),
    )
    batches = []
    for n in range(6):
        # Overlapping keys, listed in a different order by each batch: half of the slots are
        # stored (corrections), half are new (the first writer inserts, the others correct).
        order = items[n:] + items[:n]
        records = [
            reading(i, s, str(n + 2), index=k)
            for k, (i, s) in enumerate((i, s) for i in order for s in slots)
        ]
        batches.append(batch_of(kit, records, f"2026-03-02 10:{31 + n}", f"c{n}"))
    results = results_at_once(lambda pk: ingest_batches([pk]), [b.pk for b in batches])
    # Which batch corrects and which is older than the stored value depends on who writes
    # first; every reading is settled once, and the history is a chain per slot.
    assert sum(r.stored for r in results) == 6
    assert sum(r.stored + r.corrected + r.duplicates for r in results) == 6 * 12
    assert sum(r.corrected for r in results) == ReadingRevision.objects.count() >= 6
    assert ReadingRevision.objects.exclude(old_value__lt=F("value")).count() == 0
    stored = UploadBatch.objects.filter(pk__in=[b.pk for b in batches])
    assert set(stored.values_list("status", flat=True)) == {BatchStatus.STORED}
    # The slot holds the correction received last, whichever worker wrote first.
    assert set(Reading.objects.values_list("value", flat=True)) == {Decimal("7")}
    for each in items:
        for slot in slots:
            chain = ReadingRevision.objects.filter(item=each, slot=at(slot)).order_by("pk")
            values = [(r.old_value, r.value) for r in chain]
            if each in items[3:] and not values:
                continue  # the last batch inserted the new slot first: the rest are older
            assert values[-1][1] == 7
            assert values[0][0] == 1 if each in items[:3] else values[0][0] != 7
            assert all(a[1] == b[0] for a, b in itertools.pairwise(values))
            assert [r.received_at for r in chain] == sorted(r.received_at for r in chain)
        row = rollup(each)
        # 10:00 corrected by 10:36 is backfilled, 10:15 is still on time.
        assert (row.on_time, row.backfilled, row.late) == (1, 1, 0)


def test_a_refiled_month_corrects_with_history(enterprise, member, client_for):
    item = DataItemFactory(
        enterprise=enterprise, stat_type=2, input_type=5, collection_method="manual"
    )
    other = DataItemFactory(
        enterprise=enterprise, stat_type=2, input_type=5, collection_method="manual"
    )
    client = client_for(member)
    url = reverse("telemetry:filing_list")
    client.post(url, {"month": "2026-02", f"item_{item.pk}": "100", f"item_{other.pk}": "5"})
    client.post(url, {"month": "2026-02", f"item_{item.pk}": "120", f"item_{other.pk}": "5"})
    assert Reading.objects.get(item=item).value == Decimal("120")
    revision = ReadingRevision.objects.get()  # the unchanged value is a repeat
    assert (revision.item_id, revision.old_value, revision.value) == (
        item.pk,
        Decimal("100"),
        Decimal("120"),
    )
    assert (revision.old_batch_id, revision.batch_id) == (None, None)
    row = DailyRollup.objects.get(item=item, day="2026-02-01")
    assert (row.on_time + row.backfilled + row.late, row.expected) == (1, 1)


# --- Where it is shown: the receipt and the slot history ------------------------------------


def test_the_receipt_counts_and_lists_corrections(client, enterprise, item, kit):
    now = datetime.now(BEIJING)
    slot = slot_start(StatType.REALTIME, now) - timedelta(minutes=15)
    first = envelope(kit, [record(item, "5", slot, valid="0")])
    assert signed_post(client, kit, first).status_code == 202
    ingest_pending()
    fixed = envelope(kit, [record(item, "5.5", slot)])
    assert signed_post(client, kit, fixed).status_code == 202
    assert ingest_pending()["corrected"] == 1
    receipt = signed_get(client, kit, f"{UPLOAD_PATH}/{fixed['messageId']}").json()
    assert (receipt["storedCount"], receipt["correctedCount"], receipt["duplicateCount"]) == (
        0,
        1,
        0,
    )
    [correction] = receipt["corrections"]
    assert correction["dataCode"] == item.data_code
    assert (correction["dataValue"], correction["valid"]) == ("5.5000", 1)
    assert correction["replaced"]["dataValue"] == "5.0000"
    assert correction["replaced"]["valid"] == 0
    assert correction["replaced"]["messageId"] == first["messageId"]
    again = envelope(kit, [record(item, "5.5", slot)])
    signed_post(client, kit, again)
    ingest_pending()
    receipt = signed_get(client, kit, f"{UPLOAD_PATH}/{again['messageId']}").json()
    assert (receipt["correctedCount"], receipt["duplicateCount"], receipt["corrections"]) == (
        0,
        1,
        [],
    )


def _corrected(enterprise):
    item = DataItemFactory(enterprise=enterprise)
    store_readings(enterprise, [reading(item, SLOT, "5", valid=False)], at("2026-03-02 10:16"))
    store_readings(enterprise, [reading(item, SLOT, "6")], at("2026-03-02 10:20"))
    return item


def test_the_slot_history_page_shows_what_was_replaced(
    enterprise, member, viewer, reviewer, client_for, django_assert_max_num_queries
):
    item = _corrected(enterprise)
    for n in range(3):
        store_readings(
            enterprise, [reading(item, "2026-03-02 11:00", str(n))], at(f"2026-03-02 11:2{n}")
        )
    url = reverse("telemetry:enterprise_corrections", args=[enterprise.pk])
    for user in (member, viewer, reviewer):
        client = client_for(user)
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == 3
    page = client_for(member).get(url, {"item": item.pk, "slot": "2026-03-02 10:00:00"})
    assert [r.old_value for r in page.context["page"]] == [Decimal("5")]
    assert page.context["current"].value == Decimal("6")
    html = page.content.decode()
    assert "5.0000" not in html and ">5<" in html and ">6<" in html
    monitoring = client_for(member).get(
        reverse("telemetry:enterprise_monitoring", args=[enterprise.pk])
    )
    assert url in monitoring.content.decode()


def test_the_slot_history_page_refuses_bad_filters_clearly(
    enterprise, other_enterprise, member, client_for
):
    _corrected(enterprise)
    url = reverse("telemetry:enterprise_corrections", args=[enterprise.pk])
    for unknown in ("999999", "abc"):
        response = client_for(member).get(url, {"item": unknown})
        assert unknown in response.context["error"]
    # Another enterprise's item is not found either.
    stranger = DataItemFactory(enterprise=other_enterprise)
    response = client_for(member).get(url, {"item": stranger.pk})
    assert str(stranger.pk) in response.context["error"]
    item = enterprise.data_items.get()
    response = client_for(member).get(url, {"item": item.pk, "slot": "2026-03-02T10:00"})
    assert "yyyy-MM-dd HH:mm:ss" in response.context["error"]
    response = client_for(member).get(url, {"slot": "2026-03-02 10:00:00"})
    assert response.context["error"]


def test_outsiders_and_other_regions_see_no_slot_history(
    enterprise, other_enterprise, outsider, other_viewer, panel_member, client_for
):
    _corrected(enterprise)
    url = reverse("telemetry:enterprise_corrections", args=[enterprise.pk])
    for user in (outsider, other_viewer, panel_member):
        assert client_for(user).get(url).status_code == 404
    # Their own page does not list another enterprise's corrections.
    own = reverse("telemetry:enterprise_corrections", args=[other_enterprise.pk])
    response = client_for(outsider).get(own)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 0
