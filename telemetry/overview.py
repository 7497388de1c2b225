"""What the monitoring pages show, read in a bounded number of queries per page.

Plain functions over querysets that the views have already scoped; they never take the
request. Completeness here is received / expected (any stored reading counts, SPEC §9),
with the expected slots taken from the configured items.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from portal.sorting import Column, ordering

from .models import (
    Alarm,
    Connection,
    ConnectionState,
    DailyRollup,
    DataItem,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
    TrialStatus,
    UploadBatch,
)
from .services.trial import JUDGED_STAT_TYPES, expected_kinds, percent, slots_per_day, trial_days
from .timeslots import BEIJING, StatType

# Board columns: ?sort=<key> or ?sort=-<key>; enterprise names by their pinyin.
BOARD_COLUMNS = [
    Column("enterprise", "connection__enterprise__name_pinyin"),
    Column("region", "connection__enterprise__region"),
    Column("started", "started_on", descending_first=True),
    Column("status", "status"),
    Column("rate", "success_rate", descending_first=True),
    Column("days", "complete_days", descending_first=True),
    Column("consecutive", "consecutive_complete_days", descending_first=True),
    Column("evaluated", "evaluated_at", descending_first=True),
]


def current_run(connection: Connection | None) -> TrialRun | None:
    if connection is None:
        return None
    return connection.trial_runs.exclude(status=TrialStatus.RESTARTED).order_by("-number").first()


def trial_summary(enterprise) -> dict:
    """The enterprise's connection and current trial, as the monitoring page and the
    dashboard card show them."""
    connection = Connection.objects.filter(enterprise=enterprise).first()
    run = current_run(connection)
    return {
        "enterprise": enterprise,
        "connection": connection,
        "run": run,
        "run_rate": percent(run.success_rate) if run else "—",
        "trial_days": trial_days(),
        "integration_done": bool(connection and connection.connected_at),
    }


def latest_runs(connections) -> QuerySet[TrialRun]:
    """The newest run of each connection (restarted ones are superseded by definition)."""
    newer = TrialRun.objects.filter(
        connection=OuterRef("connection"), number__gt=OuterRef("number")
    )
    return (
        TrialRun.objects.filter(connection__in=connections)
        .exclude(status=TrialStatus.RESTARTED)
        .filter(~Exists(newer))
    )


def trial_board(connections, sort: str = "-rate"):
    """Rows of the reviewer's board: one per connection in or after a trial; and the sort used."""
    sort, order = ordering(BOARD_COLUMNS, sort, "-rate")
    # Open relay flags of the enterprise: they hold the pass until a reviewer decides them.
    relay = RelayFlag.objects.filter(
        enterprise=OuterRef("connection__enterprise"), status=RelayFlagStatus.OPEN
    )
    rows = (
        latest_runs(connections)
        .select_related("connection__enterprise")
        .annotate(relay_suspected=Exists(relay))
        .order_by(order, "pk")
    )
    return rows, sort


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return start, start + timedelta(days=1)


def expected_since_registration(stat_type: int, interval: int, created_at, day: date) -> int:
    """Slots of ``day`` an item registered at ``created_at`` owes: none before its
    registration day, on that day those from the slot in progress at registration on."""
    start, end = _day_bounds(day)
    if created_at >= end:
        return 0
    full = slots_per_day(stat_type, interval)
    if created_at <= start or stat_type != StatType.REALTIME:
        return full
    return full - int((created_at - start) / timedelta(minutes=interval))


def item_completeness(enterprise, days: int = 14, today: date | None = None) -> dict:
    """Chart data: each active real-time/daily item's completeness per day, in percent,
    counted from the item's registration (days before it have no value)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    items = list(
        DataItem.objects.filter(
            enterprise=enterprise, is_active=True, stat_type__in=JUDGED_STAT_TYPES
        ).order_by("data_code")
    )
    received = {
        (item_id, day): total
        for item_id, day, total in DailyRollup.objects.filter(
            item__in=[i.pk for i in items], day__range=(first, today)
        ).values_list("item_id", "day", F("on_time") + F("backfilled") + F("late"))
    }
    labels = [(first + timedelta(days=n)) for n in range(days)]
    datasets = []
    for item in items:
        data = []
        for day in labels:
            expected = expected_since_registration(
                item.stat_type, item.interval_minutes, item.created_at, day
            )
            got = min(received.get((item.pk, day), 0), expected)
            data.append(round(100 * got / expected, 1) if expected else None)
        datasets.append({"label": item.name, "data": data})
    return {"labels": [d.strftime("%m-%d") for d in labels], "datasets": datasets}


def expected_per_day(enterprise_ids) -> dict[int, int]:
    """Expected real-time and daily slots per day for each enterprise, from its items (the
    trial's count, ``trial.expected_kinds``)."""
    return {
        enterprise_id: sum(n * slots_per_day(*kind) for kind, n in kinds.items())
        for enterprise_id, kinds in expected_kinds(enterprise_ids).items()
    }


def expected_on(enterprise_ids, day: date) -> dict[int, int]:
    """Expected real-time and daily slots of ``day`` for each enterprise, counted from each
    active item's registration: items registered before the day are counted in SQL by
    kind; the few registered during it owe the slots from their registration on."""
    start, end = _day_bounds(day)
    items = DataItem.objects.filter(
        enterprise_id__in=enterprise_ids,
        is_active=True,
        stat_type__in=JUDGED_STAT_TYPES,
        created_at__lt=end,
    )
    expected: dict[int, int] = defaultdict(int)
    kinds = (
        items.filter(created_at__lte=start)
        .values_list("enterprise_id", "stat_type", "interval_minutes")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for enterprise_id, stat_type, interval, n in kinds:
        expected[enterprise_id] += n * slots_per_day(stat_type, interval)
    for enterprise_id, stat_type, interval, created_at in items.filter(
        created_at__gt=start
    ).values_list("enterprise_id", "stat_type", "interval_minutes", "created_at"):
        expected[enterprise_id] += expected_since_registration(stat_type, interval, created_at, day)
    return dict(expected)


def received_on(enterprise_ids, day: date) -> dict[int, int]:
    return dict(
        DailyRollup.objects.filter(
            enterprise_id__in=enterprise_ids,
            day=day,
            item__is_active=True,
            item__stat_type__in=JUDGED_STAT_TYPES,
        )
        .values_list("enterprise_id")
        .annotate(total=Sum(F("on_time") + F("backfilled") + F("late")))
        .order_by()
    )


def region_health(enterprises, today: date | None = None) -> list[dict]:
    """One row per enterprise: connection state, yesterday's completeness (counted from
    each item's registration; none for an enterprise whose items did not exist yet, so
    it does not pull the region's average down), open alarms."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    rows = list(
        enterprises.select_related("connection")
        .annotate(
            open_alarms=Count("telemetry_alarms", filter=Q(telemetry_alarms__cleared_at=None))
        )
        .order_by("name")
    )
    ids = [e.pk for e in rows]
    expected = expected_on(ids, yesterday)
    received = received_on(ids, yesterday)
    result = []
    for enterprise in rows:
        connection = getattr(enterprise, "connection", None)
        exp = expected.get(enterprise.pk, 0)
        got = min(received.get(enterprise.pk, 0), exp)
        result.append(
            {
                "enterprise": enterprise,
                "connection": connection,
                "expected": exp,
                "received": got,
                "completeness": round(100 * got / exp, 1) if exp else None,
                "open_alarms": enterprise.open_alarms,
            }
        )
    return result


def region_summary(rows: list[dict]) -> dict:
    by_state: dict[str, int] = defaultdict(int)
    for row in rows:
        state = row["connection"].state if row["connection"] else "none"
        by_state[state] += 1
    reporting = [r for r in rows if r["completeness"] is not None]
    return {
        "connected": sum(by_state[s] for s in ConnectionState.values),
        "trial_running": by_state[ConnectionState.TRIAL_RUNNING],
        "trial_passed": by_state[ConnectionState.TRIAL_PASSED]
        + by_state[ConnectionState.REPORT_ISSUED],
        "open_alarms": sum(r["open_alarms"] for r in rows),
        "average_completeness": round(sum(r["completeness"] for r in reporting) / len(reporting), 1)
        if reporting
        else None,
    }


def recent_batches(enterprise, limit: int = 15):
    return (
        UploadBatch.objects.filter(enterprise=enterprise)
        .select_related("device")
        .defer("raw_body")
        .order_by("-received_at")[:limit]
    )


def recent_alarms(enterprise, limit: int = 20):
    return (
        Alarm.objects.filter(enterprise=enterprise)
        .select_related("device", "item")
        .order_by(F("cleared_at").desc(nulls_first=True), "-opened_at")[:limit]
    )


def monthly_items(enterprise):
    return DataItem.objects.filter(
        enterprise=enterprise, is_active=True, stat_type=StatType.MONTHLY
    ).order_by("data_code")
