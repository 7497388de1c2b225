"""Benchmark of the upload path: signed 100-record batches through gunicorn, Redis and
Celery workers into PostgreSQL, against the raw COPY rate into an identical table.

Not a test: it prints its figures. Needs PostgreSQL and Redis (127.0.0.1 only):

    .venv/bin/python bench/ingest.py                       # defaults: a couple of minutes
    .venv/bin/python bench/ingest.py --devices 500 --batches 4

Steps: create and migrate a scratch database; provision N enterprises, each with one end
device, a certificate from a throw-away root and ``--records`` real-time items (in bulk);
start gunicorn and K Celery workers; pre-sign every batch (the devices' signing cost is
not the portal's); fire all devices at once from threads, each sending its batches one
after another; measure request latency, and end-to-end readings/s from the first request
to the last reading stored; then COPY the same number of rows into
``CREATE TABLE .. (LIKE telemetry_reading INCLUDING ALL)`` as the ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100, help="concurrent devices")
    parser.add_argument("--batches", type=int, default=5, help="batches per device")
    parser.add_argument("--records", type=int, default=100, help="records per batch")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--celery-workers", type=int, default=1)
    parser.add_argument("--spread", type=float, default=0.0, help="jitter device starts (s)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_ingest")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (s)")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(args) -> str:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    return f"{args.pg}/{args.database}"


def provision(args):
    """Enterprises, devices, certificates and items, in bulk; returns per-device kits."""
    import django

    django.setup()
    from cryptography import x509

    from applications import pki
    from applications.models import DeviceCertificate
    from portal.models import Enterprise
    from portal.uscc import make_uscc
    from telemetry.models import DataItem, EndDevice

    root = pki.create_root("bench CA")
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准企业{n}",
            uscc=make_uscc(f"91420100{n:08d}M"),
            region="420100",
            industry="C31",
            address="-",
            legal_representative="-",
            contact_person="-",
            contact_phone="-",
            contact_email="bench@example.cn",
        )
        for n in range(args.devices)
    )
    devices = EndDevice.objects.bulk_create(
        EndDevice(enterprise=e, serial=f"BENCH-{n:05d}", manufacturer="bench", model="bench")
        for n, e in enumerate(enterprises)
    )
    items, kits, certificates = [], [], []
    for enterprise, device in zip(enterprises, devices, strict=True):
        key = pki.generate_device_key("ec")
        csr = x509.load_pem_x509_csr(
            pki.make_csr(
                key,
                uscc=enterprise.uscc,
                device_serial=device.serial,
                enterprise_name=enterprise.name,
            )
        )
        cert = pki.sign_client_certificate(
            root,
            csr,
            uscc=enterprise.uscc,
            device_serial=device.serial,
            enterprise_name=enterprise.name,
        )
        certificates.append(
            DeviceCertificate(
                enterprise=enterprise,
                device_serial=device.serial,
                serial_hex=pki.serial_hex(cert),
                certificate_pem=pki.certificate_pem(cert).decode(),
                fingerprint=pki.fingerprint_sha256(cert),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                origin="csr",
            )
        )
        codes = [f"0000{n:04d}0233000000" for n in range(args.records)]
        items.extend(
            DataItem(
                enterprise=enterprise,
                device=device,
                data_code=c,
                name=c,
                unit="kWh",
                value_min=0,
                value_max=100000,
            )
            for c in codes
        )
        kits.append((enterprise.uscc, device.serial, key, pki.serial_hex(cert), codes))
    DeviceCertificate.objects.bulk_create(certificates)
    DataItem.objects.bulk_create(items, batch_size=5000)
    return kits


def build_bodies(args, kits):
    """Signed bodies per device, built before the clock starts."""
    from applications import pki
    from telemetry.protocol import canonical_body
    from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start

    now = datetime.now(BEIJING)
    sent = format_wire_time(now)
    latest = slot_start(StatType.REALTIME, now) - timedelta(minutes=15)
    plan = []
    for uscc, serial, key, cert_serial, codes in kits:
        bodies = []
        for b in range(args.batches):
            stat_date = format_wire_time(latest - timedelta(minutes=15 * b))
            body = canonical_body(
                {
                    "version": "1.0",
                    "messageId": str(uuid.uuid4()),
                    "enterpriseCode": uscc,
                    "deviceSerial": serial,
                    "sentAt": sent,
                    "records": [
                        {
                            "dataCode": c,
                            "dataValue": f"{random.uniform(1, 900):.2f}",
                            "valid": "1",
                            "scope": "1",
                            "inputType": "4",
                            "statType": "0",
                            "statDate": stat_date,
                            "uploadDate": sent,
                        }
                        for c in codes
                    ],
                }
            )
            bodies.append((body, pki.sign_body(key, body)))
        plan.append((cert_serial, bodies))
    return plan


def start(command, env, log):
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start on port {port}")


def fire(port, plan, spread):
    """All devices at once, each sending its batches in turn; returns latencies, statuses."""
    latencies, ends, statuses, lock = [], [], {}, threading.Lock()
    gate = threading.Event()

    def device(cert_serial, bodies):
        if spread:
            time.sleep(random.uniform(0, spread))
        gate.wait()
        for body, signature in bodies:
            began = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(
                    "POST",
                    "/api/v1/telemetry/uploads",
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-Cert-Serial": cert_serial,
                        "X-Signature": signature,
                    },
                )
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                status = type(exc).__name__
            finally:
                conn.close()
            finished = time.perf_counter()
            elapsed = finished - began
            with lock:
                ends.append(finished)
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=device, args=kit, daemon=True) for kit in plan]
    for thread in threads:
        thread.start()
    first_request = time.perf_counter()
    gate.set()
    return threads, first_request, latencies, ends, statuses


def copy_ceiling(dsn, rows):
    """Raw COPY into an identical, empty table: rows/s."""
    import psycopg

    lines = "".join(rows).encode()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (LIKE telemetry_reading INCLUDING ALL)")
        began = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(
                "COPY bench_copy (slot, item_id, value, valid, arrival, received_at, batch_id) "
                "FROM STDIN"
            ) as copy:
                step = 1 << 20
                for offset in range(0, len(lines), step):
                    copy.write(lines[offset : offset + step])
        elapsed = time.perf_counter() - began
        conn.execute("DROP TABLE bench_copy")
    return len(rows) / elapsed, elapsed


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    args = parse_args()
    dsn = recreate_database(args)
    env = dict(
        os.environ,
        DATABASE_URL=dsn,
        REDIS_URL=args.redis,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
    )
    os.environ.update(
        DATABASE_URL=dsn, REDIS_URL=args.redis, DJANGO_SETTINGS_MODULE="portal.settings"
    )
    python = sys.executable
    print(f"migrating {args.database} ...", flush=True)
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    import redis

    redis.Redis.from_url(args.redis).flushdb()

    began = time.perf_counter()
    kits = provision(args)
    plan = build_bodies(args, kits)
    expected = args.devices * args.batches * args.records
    print(
        f"provisioned {args.devices} devices x {args.records} items and signed "
        f"{args.devices * args.batches} batches in {time.perf_counter() - began:.1f} s",
        flush=True,
    )

    port = free_port()
    logs = open(BASE_DIR / "var" / "bench-ingest.log", "w")
    processes = [
        start(
            [
                str(Path(python).with_name("gunicorn")),
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.web_workers),
                "-k",
                "gthread",
                "--threads",
                str(args.web_threads),
                "--backlog",
                "4096",
                "--log-level",
                "warning",
            ],
            env,
            logs,
        ),
    ]
    processes += [
        start(
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "-l",
                "warning",
                "-n",
                f"bench{n}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            logs,
        )
        for n in range(args.celery_workers)
    ]
    import psycopg

    try:
        deadline = time.monotonic() + args.timeout
        wait_for_port(port, deadline)
        time.sleep(2)  # let every worker finish importing
        threads, first_request, latencies, ends, statuses = fire(port, plan, args.spread)
        stored, last_change = 0, time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < deadline:
                count = conn.execute("SELECT count(*) FROM telemetry_reading").fetchone()[0]
                if count != stored:
                    stored, last_change = count, time.perf_counter()
                if count >= expected:
                    break
                time.sleep(0.05)
            for thread in threads:
                thread.join(timeout=max(1, deadline - time.monotonic()))
            rows = conn.execute(
                "SELECT slot, item_id, value, valid, arrival, received_at, batch_id "
                "FROM telemetry_reading"
            ).fetchall()
    finally:
        stop(processes)
        logs.close()
    if stored < expected:
        print(f"TIMEOUT: {stored} of {expected} readings stored; see var/bench-ingest.log")

    end_to_end = last_change - first_request
    e2e_rate = stored / end_to_end if end_to_end > 0 else 0
    copy_rows = [
        f"{r[0].isoformat()}\t{r[1]}\t{r[2]}\t{'t' if r[3] else 'f'}\t{r[4]}\t"
        f"{r[5].isoformat()}\t{r[6]}\n"
        for r in rows
    ]
    ceiling, copy_seconds = copy_ceiling(dsn, copy_rows)
    print()
    print(
        f"devices={args.devices} batches/device={args.batches} records/batch={args.records} "
        f"gunicorn={args.web_workers}x{args.web_threads} gthread celery={args.celery_workers} "
        f"spread={args.spread}s cores={os.cpu_count()}"
    )
    print(
        f"requests: {len(latencies)} {dict(statuses)}  "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms  "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms  "
        f"max {max(latencies) * 1000:.0f} ms  mean {statistics.mean(latencies) * 1000:.0f} ms"
    )
    print(
        f"end to end: {stored} readings in {end_to_end:.2f} s = {e2e_rate:,.0f} readings/s "
        f"(last request answered at +{max(ends) - first_request:.2f} s, "
        f"{len(latencies) / (max(ends) - first_request):.0f} requests/s)"
    )
    print(f"COPY ceiling: {len(copy_rows)} rows in {copy_seconds:.2f} s = {ceiling:,.0f} rows/s")
    print(f"end to end / ceiling = {e2e_rate / ceiling:.1%} (target >= 30 %); p99 target < 250 ms")


if __name__ == "__main__":
    main()
