"""Benchmark of the 能耗数据分析 queries (telemetry.analysis) at their longest periods.

Not a test: it prints its figures. PostgreSQL only, over a database kept by
``bench/window.py`` (its enterprises of 15-minute items with readings):

    .venv/bin/python bench/window.py --enterprises 20 --days 93 --keep --database bench_analysis
    .venv/bin/python bench/analysis.py --database bench_analysis

Every item of the first enterprise is made an electricity item (3300, 折标系数 0.1229,
metered at level 1), then these are timed, each beside a bare ``SELECT count(*)`` of the
readings it reads: one item per 15-minute slot over TELEMETRY_ANALYSIS_MAX_DAYS_SLOT days,
one item per day over TELEMETRY_ANALYSIS_MAX_DAYS_DAY days, and the enterprise's daily
totals per energy type over those days (all its items). The timings are the second of two
runs (warm cache), as a page view after the first would see them.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench.window import scratch_url, setup_django  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench_analysis")
    return parser.parse_args()


def timed(function):
    function()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def bare_count(item_ids, period) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM telemetry_reading WHERE item_id = ANY(%s)"
            " AND slot >= %s AND slot < %s",
            [list(item_ids), period.first_slot, period.end_slot],
        )
        return cursor.fetchone()[0]


def main():
    args = parse_args()
    setup_django(scratch_url(args.dsn, args.database))
    from django.conf import settings
    from django.db.models import Max

    from telemetry import analysis
    from telemetry.energy import current_energy_types
    from telemetry.models import DataItem, Reading

    enterprise_id = DataItem.objects.order_by("enterprise_id").values_list(
        "enterprise_id", flat=True
    )[0]
    electricity = current_energy_types().get(code="3300")
    DataItem.objects.filter(enterprise_id=enterprise_id).update(
        energy_type=electricity, convert_ration=electricity.kgce_per_unit, metering_level=1
    )
    items = list(
        DataItem.objects.filter(enterprise_id=enterprise_id)
        .select_related("energy_type")
        .order_by("data_code")
    )
    last = Reading.objects.aggregate(last=Max("slot"))["last"]
    end = last.astimezone(analysis.BEIJING).date()

    def period(days, step):
        return analysis.Period(end - timedelta(days=days - 1), end, step)

    cases = [
        (
            "one item per slot",
            period(settings.TELEMETRY_ANALYSIS_MAX_DAYS_SLOT, analysis.SLOT),
            [items[0]],
            lambda p: analysis.item_series(items[0], p),
        ),
        (
            "one item per day",
            period(settings.TELEMETRY_ANALYSIS_MAX_DAYS_DAY, analysis.DAY),
            [items[0]],
            lambda p: analysis.item_series(items[0], p),
        ),
        (
            f"daily totals ({len(items)} items)",
            period(settings.TELEMETRY_ANALYSIS_MAX_DAYS_DAY, analysis.DAY),
            items,
            lambda p: analysis.energy_totals(items, p),
        ),
    ]
    print(f"readings in the database: {Reading.objects.count():,}; last day {end}")
    print("| query | period | readings | bare count | query | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, p, chosen, run in cases:
        ids = [i.pk for i in chosen]
        count_seconds, count = timed(lambda p=p, ids=ids: bare_count(ids, p))
        query_seconds, _result = timed(lambda p=p, run=run: run(p))
        print(
            f"| {name} | {p.days} days ({p.start} – {p.end}) | {count:,} | "
            f"{count_seconds:.3f} s | {query_seconds:.3f} s | "
            f"{query_seconds / count_seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
