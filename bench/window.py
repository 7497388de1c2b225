"""Benchmark of the stable-upload trial evaluation over a province's 15-day window.

Not a test: it prints its figures. PostgreSQL only:

    .venv/bin/python bench/window.py                          # defaults: a few minutes
    .venv/bin/python bench/window.py --enterprises 1000       # the province (72 M readings)

Steps: create and migrate a scratch database; build ``--enterprises`` enterprises with
``--items`` 15-minute items each, every one in a running trial, and ``--days`` days of
readings with set-based SQL (INSERT .. SELECT over generate_series, in (slot, item) order):
scattered slots are backfilled (arrival 1), a few readings are suspect (valid 0), the last
day is still being uploaded with scattered gaps that can still be backfilled, and one
enterprise in a hundred has lost a slot for good (its trial fails). The daily roll-ups are
then computed from those readings in SQL, in the format ``telemetry.rollups`` keeps (hex
bitmaps, counts that are their popcounts). Then, in this process, Django is set up against
the scratch database and ``telemetry.services.trial.evaluate_trials`` (what the beat task runs)
is timed, and in the same run a bare ``SELECT count(*)`` of the readings of the window.
Target (DESIGN §4): the evaluation within 3x that bare count. The scratch database is
dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--items", type=int, default=50, help="15-minute items per enterprise")
    parser.add_argument("--days", type=int, default=15, help="days of data (the trial window)")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench_window")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database as is")
    return parser.parse_args()


def scratch_url(dsn: str, database: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + database


def admin(dsn: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def create_database(args, url: str) -> None:
    admin(args.dsn, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    admin(args.dsn, f'CREATE DATABASE "{args.database}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "-v0"], env=env, check=True
    )


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


# --- Building the province ------------------------------------------------------------------


def build(args, first_day: date) -> None:
    """Enterprises, connections, trials and items with the ORM; readings and roll-ups in SQL."""
    from django.db import connection, transaction

    from portal.models import Enterprise
    from portal.pinyin import sort_key
    from portal.uscc import make_uscc
    from telemetry.models import Connection, DataItem, TrialRun
    from telemetry.timeslots import BEIJING

    started = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BEIJING)
    with transaction.atomic():
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                name=f"基准企业{n:05d}",
                name_pinyin=sort_key(f"基准企业{n:05d}"),  # bulk_create skips save()
                uscc=make_uscc(f"91420100{n:08d}M"),
                region="420100",
                industry="C31",
                address="湖北省武汉市",
                legal_representative="张三",
                contact_person="李四",
                contact_phone="027-86000000",
                contact_email="bench@example.cn",
            )
            for n in range(args.enterprises)
        )
        ids = [e.pk for e in enterprises]
        Enterprise.objects.filter(pk__in=ids).update(registration_status="approved")
        connections = Connection.objects.bulk_create(
            Connection(
                enterprise_id=pk,
                credentials_issued_at=started - timedelta(days=3),
                first_reading_at=started - timedelta(hours=8),
                integration_started_at=started - timedelta(days=2),
                trial_started_on=first_day,
            )
            for pk in ids
        )
        Connection.objects.filter(pk__in=[c.pk for c in connections]).update(state="trial_running")
        TrialRun.objects.bulk_create(
            TrialRun(
                connection_id=c.pk,
                number=1,
                started_on=first_day,
                ends_on=first_day + timedelta(days=14),
            )
            for c in connections
        )
        DataItem.objects.bulk_create(
            (
                DataItem(
                    enterprise_id=pk,
                    data_code=f"00000000023300{n:04d}",
                    name=f"电表{n}",
                    unit="kWh",
                    convert_ration="0.1229",
                    stat_type=0,
                    interval_minutes=15,
                )
                for pk in ids
                for n in range(args.items)
            ),
            batch_size=5000,
        )
        # bulk_create writes no revisions: each item registered before the window, in SQL.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO telemetry_dataitemrevision "
                "(item_id, valid_from, stat_type, interval_minutes, value_min, value_max, "
                "is_active, reason, recorded_at) "
                "SELECT id, %s, stat_type, interval_minutes, value_min, value_max, is_active, "
                "'', now() FROM telemetry_dataitem",
                [first_day - timedelta(days=1)],
            )
    log(f"registry: {args.enterprises} enterprises, {args.enterprises * args.items} items")

    day0 = f"'{first_day.isoformat()} 00:00:00+08'::timestamptz"
    # The last day is uploaded up to 12:00; everything before is complete, except one slot
    # lost for good in one enterprise of a hundred.
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET synchronous_commit = off")
        slots = args.days * 96 - 48
        t0 = time.perf_counter()
        # Bulk-load habits: no per-row foreign-key trigger, the secondary index built after.
        cursor.execute("ALTER TABLE telemetry_reading DISABLE TRIGGER ALL")
        cursor.execute("DROP INDEX reading_item_slot_idx")
        slot = f"({day0} + s.n * interval '15 minutes')"
        backfilled = "(i.id * 13 + s.n) %% 997 = 0"
        cursor.execute(
            f"""
            INSERT INTO telemetry_reading (slot, item_id, value, valid, arrival, received_at)
            SELECT {slot}, i.id,
                   round((100 + (i.id * 37 + s.n) %% 50)::numeric, 4),
                   (i.id * 7 + s.n) %% 20011 <> 0,
                   CASE WHEN {backfilled} THEN 1 ELSE 0 END,
                   {slot} + interval '15 minutes 40 seconds'
                     + CASE WHEN {backfilled} THEN interval '15 minutes' ELSE interval '0' END
            FROM generate_series(0, %s - 1) AS s(n)
            CROSS JOIN (SELECT id, enterprise_id FROM telemetry_dataitem) AS i
            WHERE NOT (
                -- scattered gaps of the day still being uploaded (can be backfilled)
                (s.n >= %s - 8 AND (i.id * 11 + s.n) %% 97 = 0)
                -- one slot lost for good in one enterprise of a hundred
                OR (i.enterprise_id %% 100 = 7 AND i.id %% %s = 0 AND s.n = 500)
            )
            ORDER BY s.n, i.id
            """,
            [slots, slots, args.items],
        )
        readings = cursor.rowcount
        cursor.execute("ALTER TABLE telemetry_reading ENABLE TRIGGER ALL")
        cursor.execute("CREATE INDEX reading_item_slot_idx ON telemetry_reading (item_id, slot)")
        t_readings = time.perf_counter() - t0
        log(f"readings: {readings:,} in {t_readings:.0f} s ({readings / t_readings:,.0f} rows/s)")

        t0 = time.perf_counter()
        cursor.execute(ROLLUP_SQL)
        log(f"roll-ups: {cursor.rowcount:,} rows in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        cursor.execute("VACUUM ANALYZE telemetry_reading")
        cursor.execute("VACUUM ANALYZE telemetry_dailyrollup")
        cursor.execute("VACUUM ANALYZE telemetry_dataitem")
        cursor.execute("VACUUM ANALYZE telemetry_connection")
        cursor.execute("VACUUM ANALYZE telemetry_trialrun")
        log(f"vacuum analyze: {time.perf_counter() - t0:.0f} s")


# Per item and Beijing day: bit i of a mask = slot i of the day, kept as the hex text of
# the integer (Python's format(bits, "x"): lower case, no leading zeros, "0" when empty), as
# telemetry/rollups.py writes them; each count is its mask's popcount. A 96-bit mask is cut
# into three 32-bit words for the hex text.
ROLLUP_SQL = """
WITH marks AS (
    SELECT r.item_id, i.enterprise_id,
           (r.slot AT TIME ZONE 'Asia/Shanghai')::date AS day,
           B'1'::bit(96) >> 95 << (
               (extract(hour FROM r.slot AT TIME ZONE 'Asia/Shanghai')::int * 60
                + extract(minute FROM r.slot AT TIME ZONE 'Asia/Shanghai')::int) / 15
           ) AS bit,
           r.arrival, r.valid
    FROM telemetry_reading r JOIN telemetry_dataitem i ON i.id = r.item_id
), masks AS (
    SELECT item_id, enterprise_id, day,
           coalesce(bit_or(bit) FILTER (WHERE arrival = 0), B'0'::bit(96) >> 0) AS on_time,
           coalesce(bit_or(bit) FILTER (WHERE arrival = 1), B'0'::bit(96) >> 0) AS backfilled,
           coalesce(bit_or(bit) FILTER (WHERE arrival = 2), B'0'::bit(96) >> 0) AS late,
           coalesce(bit_or(bit) FILTER (WHERE NOT valid), B'0'::bit(96) >> 0) AS suspect,
           count(*) FILTER (WHERE arrival = 0) AS n_on_time,
           count(*) FILTER (WHERE arrival = 1) AS n_backfilled,
           count(*) FILTER (WHERE arrival = 2) AS n_late,
           count(*) FILTER (WHERE NOT valid) AS n_suspect
    FROM marks GROUP BY item_id, enterprise_id, day
)
INSERT INTO telemetry_dailyrollup (
    item_id, enterprise_id, day, expected, on_time, backfilled, late, suspect,
    on_time_mask, backfilled_mask, late_mask, suspect_mask, updated_at)
SELECT item_id, enterprise_id, day, 96, n_on_time, n_backfilled, n_late, n_suspect,
       bench_hex(on_time), bench_hex(backfilled), bench_hex(late), bench_hex(suspect), now()
FROM masks
"""

HEX_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_hex(m bit(96)) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(ltrim(
        lpad(to_hex(substring(m FROM 1 FOR 32)::bit(32)::bigint & 4294967295), 8, '0')
        || lpad(to_hex(substring(m FROM 33 FOR 32)::bit(32)::bigint & 4294967295), 8, '0')
        || lpad(to_hex(substring(m FROM 65 FOR 32)::bit(32)::bigint & 4294967295), 8, '0'),
        '0'), ''), '0')
$$
"""


def check_rollup_format() -> None:
    """A few roll-up rows against the Python format: masks decode to their counts."""
    from telemetry.models import DailyRollup
    from telemetry.rollups import to_int

    for row in DailyRollup.objects.order_by("?")[:200]:
        for mask, count in (
            (row.on_time_mask, row.on_time),
            (row.backfilled_mask, row.backfilled),
            (row.suspect_mask, row.suspect),
        ):
            assert to_int(mask).bit_count() == count, (row.pk, mask, count)
            assert mask == format(to_int(mask), "x"), mask


# --- Timing ---------------------------------------------------------------------------------


def timed_count(first_day: date, days: int) -> tuple[float, int]:
    from django.db import connection

    from telemetry.timeslots import BEIJING

    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BEIJING)
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(
            "SELECT count(*) FROM telemetry_reading WHERE slot >= %s AND slot < %s",
            [start, start + timedelta(days=days)],
        )
        n = cursor.fetchone()[0]
        return time.perf_counter() - t0, n


def timed_evaluation(now: datetime):
    from django.test.utils import override_settings

    from telemetry.services import trial

    # The notifications of the failed trials go nowhere.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        t0 = time.perf_counter()
        summary = trial.evaluate_trials(now=now)
        return time.perf_counter() - t0, summary


def explain(first_day: date, days: int) -> str:
    from django.db import connection
    from django.db.models import F, Sum

    from telemetry.models import ConnectionState, DailyRollup
    from telemetry.services.trial import JUDGED_STAT_TYPES

    query = (
        DailyRollup.objects.filter(
            enterprise__connection__state=ConnectionState.TRIAL_RUNNING,
            day__gte=F("enterprise__connection__trial_started_on"),
            day__range=(first_day, first_day + timedelta(days=days - 1)),
            item__is_active=True,
            item__stat_type__in=JUDGED_STAT_TYPES,
        )
        .values_list("enterprise_id", "day", "item__stat_type", "item__interval_minutes")
        .annotate(in_time=Sum(F("on_time") + F("backfilled")), suspect=Sum("suspect"))
        .order_by()
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    args = parse_args()
    url = scratch_url(args.dsn, args.database)
    today = date.today()
    first_day = today - timedelta(days=args.days - 1)
    readings_planned = args.enterprises * args.items * (args.days * 96 - 48)
    print(
        f"scale: {args.enterprises} enterprises x {args.items} items x {args.days} days "
        f"of 15-minute data (the last day up to 12:00): ~{readings_planned:,} readings"
    )
    t_setup = time.perf_counter()
    if not args.reuse:
        create_database(args, url)
        log("scratch database created and migrated")
    setup_django(url)
    if not args.reuse:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(HEX_FUNCTION)
        build(args, first_day)
        check_rollup_format()
    setup_seconds = time.perf_counter() - t_setup

    from telemetry.timeslots import BEIJING

    now = datetime(today.year, today.month, today.day, 12, 5, tzinfo=BEIJING)
    timed_count(first_day, args.days)  # warm the cache the same way for both
    eval_seconds, summary = timed_evaluation(now)
    again_seconds, again = timed_evaluation(now)
    count_seconds, counted = timed_count(first_day, args.days)
    ratio = eval_seconds / count_seconds if count_seconds else float("inf")
    print()
    print(f"setup (create, migrate, build, roll-ups, analyze): {setup_seconds:8.1f} s")
    print(f"readings in the window (bare count):              {counted:>12,}")
    print(f"bare count(*) over the window:                    {count_seconds:8.3f} s")
    print(
        f"evaluate_trials, first run:                       {eval_seconds:8.3f} s "
        f"({summary.evaluated} trials, {len(summary.passed)} passed, "
        f"{len(summary.failed)} failed)"
    )
    print(
        f"evaluate_trials, again (steady state):            {again_seconds:8.3f} s "
        f"({again.evaluated} trials)"
    )
    print(f"ratio evaluation / bare count:                    {ratio:8.2f} (target <= 3)")
    if os.environ.get("BENCH_EXPLAIN"):
        print(explain(first_day, args.days))

    from django.db import connections

    connections.close_all()
    if not args.keep:
        admin(args.dsn, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        log("scratch database dropped")


if __name__ == "__main__":
    main()
