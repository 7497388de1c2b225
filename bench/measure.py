"""What the benchmarks measure besides their own subject: CPU seconds of process trees (from
/proc), the raw COPY ceiling, percentiles. Imported by ``bench/ingest.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path


def copy_ceiling(dsn, rows, runs=3):
    """Raw COPY into an identical, empty table, ``runs`` times (a fresh table each time):
    the median rows/s, its seconds, and every run's rows/s in order."""
    import psycopg

    lines = "".join(rows).encode()
    timings = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(runs):
            conn.execute("DROP TABLE IF EXISTS bench_copy")
            conn.execute("CREATE TABLE bench_copy (LIKE telemetry_reading INCLUDING ALL)")
            began = time.perf_counter()
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY bench_copy (slot, item_id, value, valid, arrival, received_at, "
                    "batch_id) FROM STDIN"
                ) as copy:
                    step = 1 << 20
                    for offset in range(0, len(lines), step):
                        copy.write(lines[offset : offset + step])
            timings.append(time.perf_counter() - began)
            conn.execute("DROP TABLE bench_copy")
    median = statistics.median_low(timings)
    return len(rows) / median, median, [len(rows) / t for t in timings]


def process_tree(pid):
    """``pid`` and its descendants (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = Path(f"/proc/{current}/task").iterdir()
            for task in tasks:
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def cpu_seconds(pids):
    """User + system CPU seconds used so far by ``pids`` (those still alive)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_pids(conn, database):
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchall()
    return [r[0] for r in rows]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
